//! The `virtengine envelope` commands, run as a user runs them.

use std::process::Command;

fn virtengine(args: &[&str]) -> (bool, String, String) {
	let out = Command::new(env!("CARGO_BIN_EXE_virtengine")).args(args).output().expect("run");
	(
		out.status.success(),
		String::from_utf8_lossy(&out.stdout).into_owned(),
		String::from_utf8_lossy(&out.stderr).into_owned(),
	)
}

#[test]
fn keygen_seal_open_and_the_errors_a_user_meets() {
	let dir = tempfile::tempdir().expect("temp dir");
	let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
	let (alice_key, bob_key) = (file("alice.key"), file("bob.key"));
	assert!(virtengine(&["envelope", "keygen", "--out", &alice_key]).0);
	assert!(virtengine(&["envelope", "keygen", "--out", &bob_key]).0);
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(&alice_key).expect("key").permissions().mode();
		assert_eq!(mode & 0o777, 0o600, "key files are private");
	}

	let plain = file("order.txt");
	std::fs::write(&plain, b"4 vCPU, 16 GiB, region eu-west").expect("write");
	let sealed = file("order.envelope.json");
	let (ok, _, err) = virtengine(&[
		"envelope",
		"seal",
		"--to",
		&alice_key,
		"--suri",
		"//Alice",
		"--content-type",
		"order-config",
		"--in",
		&plain,
		"--out",
		&sealed,
	]);
	assert!(ok, "{err}");

	let opened = file("opened.txt");
	let (ok, _, err) =
		virtengine(&["envelope", "open", "--key", &alice_key, "--in", &sealed, "--out", &opened]);
	assert!(ok, "{err}");
	assert_eq!(std::fs::read(&opened).expect("opened"), b"4 vCPU, 16 GiB, region eu-west");

	// The wrong key: told so, with the envelope's recipients.
	let (ok, _, err) = virtengine(&["envelope", "open", "--key", &bob_key, "--in", &sealed]);
	assert!(!ok);
	assert!(err.contains("is not a recipient of the envelope"), "{err}");

	// A damaged file: one hex digit of the ciphertext changed.
	let text = std::fs::read_to_string(&sealed).expect("envelope");
	let json: serde_json::Value = serde_json::from_str(&text).expect("json");
	let ciphertext = json["ciphertext"].as_str().expect("ciphertext").to_string();
	let mut damaged = ciphertext.clone().into_bytes();
	damaged[10] = if damaged[10] == b'0' { b'1' } else { b'0' };
	let damaged_file = file("damaged.json");
	std::fs::write(
		&damaged_file,
		text.replace(&ciphertext, std::str::from_utf8(&damaged).expect("hex")),
	)
	.expect("write");
	let (ok, _, err) =
		virtengine(&["envelope", "open", "--key", &alice_key, "--in", &damaged_file]);
	assert!(!ok);
	assert!(err.contains("damaged or was altered"), "{err}");

	// Not an envelope at all.
	let (ok, _, err) = virtengine(&["envelope", "open", "--key", &alice_key, "--in", &plain]);
	assert!(!ok);
	assert!(err.contains("is not an envelope"), "{err}");

	// A file that is not a key, and a recipient that is not a key.
	let (ok, _, err) = virtengine(&["envelope", "open", "--key", &plain, "--in", &sealed]);
	assert!(!ok);
	assert!(err.contains("not a VirtEngine envelope key file"), "{err}");
	let (ok, _, err) =
		virtengine(&["envelope", "seal", "--to", "abcd", "--suri", "//Alice", "--in", &plain]);
	assert!(!ok);
	assert!(err.contains("--to `abcd`"), "{err}");
}
