//! Signing keys, key files and the conventions every command shares, run as a user runs them
//! (no node needed: these fail or finish before connecting).

use std::{path::Path, process::Command};

const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

fn virtengine_env(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
	let mut command = Command::new(env!("CARGO_BIN_EXE_virtengine"));
	command
		.args(args)
		.env_remove("VIRTENGINE_SURI")
		.env_remove("VIRTENGINE_KEY_PASSWORD")
		.env_remove("VIRTENGINE_RPC");
	for (name, value) in env {
		command.env(name, value);
	}
	let out = command.output().expect("run");
	(
		out.status.success(),
		String::from_utf8_lossy(&out.stdout).into_owned(),
		String::from_utf8_lossy(&out.stderr).into_owned(),
	)
}

fn virtengine(args: &[&str]) -> (bool, String, String) {
	virtengine_env(args, &[])
}

fn json(text: &str) -> serde_json::Value {
	let parsed = serde_json::from_str(text);
	assert!(parsed.is_ok(), "not JSON: {text}");
	parsed.unwrap_or_default()
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
	use std::os::unix::fs::PermissionsExt;
	std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn signing_keys_come_from_files_the_environment_or_dev_uris() {
	let dir = tempfile::tempdir().expect("dir");
	let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

	// A development account on the command line.
	let (ok, out, err) = virtengine(&["key", "inspect", "--suri", "//Alice", "--output", "json"]);
	assert!(ok, "{err}");
	assert_eq!(json(&out)["account"], ALICE);

	// A secret on the command line is refused, and not repeated.
	let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
	let (ok, _, err) = virtengine(&["key", "inspect", "--suri", phrase]);
	assert!(!ok);
	assert!(err.contains("--suri") && err.contains("development accounts"), "{err}");
	assert!(!err.contains("bottom drive"), "the secret is not echoed: {err}");

	// From the environment.
	let (ok, out, err) =
		virtengine_env(&["key", "inspect", "--output", "json"], &[("VIRTENGINE_SURI", "//Alice")]);
	assert!(ok, "{err}");
	assert_eq!(json(&out)["account"], ALICE);

	// None at all: the error says where a key may come from.
	let (ok, _, err) = virtengine(&["key", "inspect"]);
	assert!(!ok);
	assert!(err.contains("--suri-file") && err.contains("--key-file"), "{err}");

	// From a file, which must be private.
	let suri = file("alice.suri");
	std::fs::write(&suri, "//Alice\n").expect("write");
	#[cfg(unix)]
	{
		chmod(Path::new(&suri), 0o644);
		let (ok, _, err) = virtengine(&["key", "inspect", "--suri-file", &suri]);
		assert!(!ok);
		assert!(err.contains(&suri) && err.contains("chmod 600"), "{err}");
		chmod(Path::new(&suri), 0o600);
	}
	let (ok, out, err) = virtengine(&["key", "inspect", "--suri-file", &suri]);
	assert!(ok, "{err}");
	assert!(out.contains(ALICE), "{out}");

	// Exported as a polkadot.js key file, and read back with the password.
	let exported = file("alice.json");
	let password = [("VIRTENGINE_KEY_PASSWORD", "correct horse battery")];
	let (ok, out, err) = virtengine_env(
		&["key", "export", "--suri-file", &suri, "--out", &exported, "--output", "json"],
		&password,
	);
	assert!(ok, "{err}");
	assert_eq!(json(&out)["account"], ALICE);
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(&exported).expect("file").permissions().mode();
		assert_eq!(mode & 0o777, 0o600, "key files are private");
	}
	let (ok, out, err) = virtengine_env(&["key", "inspect", "--key-file", &exported], &password);
	assert!(ok, "{err}");
	assert!(out.contains(ALICE), "{out}");
	let (ok, _, err) = virtengine_env(
		&["key", "inspect", "--key-file", &exported],
		&[("VIRTENGINE_KEY_PASSWORD", "wrong")],
	);
	assert!(!ok);
	assert!(err.contains("wrong password"), "{err}");
	// No password and no terminal: told how to give one.
	let (ok, _, err) = virtengine(&["key", "inspect", "--key-file", &exported]);
	assert!(!ok);
	assert!(err.contains("VIRTENGINE_KEY_PASSWORD"), "{err}");
	// Not over an existing file.
	let (ok, _, err) =
		virtengine_env(&["key", "export", "--suri-file", &suri, "--out", &exported], &password);
	assert!(!ok);
	assert!(err.contains("--force"), "{err}");
	// An ed25519 envelope signature needs a secret URI, which a JSON key file is not.
	let plain = file("plain.txt");
	std::fs::write(&plain, b"x").expect("write");
	let (ok, _, err) = virtengine_env(
		&[
			"envelope",
			"seal",
			"--to",
			&"11".repeat(32),
			"--scheme",
			"ed25519",
			"--key-file",
			&exported,
			"--in",
			&plain,
		],
		&password,
	);
	assert!(!ok);
	assert!(err.contains("--key-file") && err.contains("sr25519"), "{err}");
}

#[test]
fn keygen_never_overwrites_a_key_and_key_files_must_be_private() {
	let dir = tempfile::tempdir().expect("dir");
	let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
	let key = file("k.json");
	let (ok, out, err) = virtengine(&["envelope", "keygen", "--out", &key, "--output", "json"]);
	assert!(ok, "{err}");
	let made = json(&out);
	assert_eq!(made["public"].as_str().map(str::len), Some(64), "{made}");
	let (ok, _, err) = virtengine(&["envelope", "keygen", "--out", &key]);
	assert!(!ok);
	assert!(err.contains("--force") && err.contains("unreadable"), "{err}");
	let (ok, out, err) =
		virtengine(&["envelope", "keygen", "--out", &key, "--force", "--output", "json"]);
	assert!(ok, "{err}");
	assert_ne!(json(&out)["public"], made["public"], "a new key");

	let daemon = file("d.json");
	assert!(virtengine(&["market", "provider", "daemon-keygen", "--out", &daemon]).0);
	let (ok, _, err) = virtengine(&["market", "provider", "daemon-keygen", "--out", &daemon]);
	assert!(!ok);
	assert!(err.contains("--force"), "{err}");

	#[cfg(unix)]
	{
		chmod(Path::new(&key), 0o640);
		let sealed = file("s.json");
		let (ok, _, err) = virtengine(&["envelope", "open", "--key", &key, "--in", &sealed]);
		assert!(!ok);
		assert!(err.contains("chmod 600") && err.contains(&key), "{err}");
	}
}

#[test]
fn arguments_are_checked_and_errors_name_the_flag() {
	let (ok, _, err) = virtengine(&[
		"market",
		"order",
		"create",
		"--suri",
		"//Alice",
		"--offering",
		"0",
		"--config",
		"x",
		"--funds",
		"abc",
	]);
	assert!(!ok);
	assert!(err.contains("--funds") && err.contains("not an amount of VE"), "{err}");
	let (ok, _, err) =
		virtengine(&["market", "offering", "create", "--category", "mainframe", "--details", "x"]);
	assert!(!ok);
	assert!(err.contains("--category") && err.contains("compute"), "{err}");
	let (ok, _, err) = virtengine(&["market", "bid", "--order", "0", "--unit", "gpu"]);
	assert!(!ok);
	assert!(err.contains("--unit") && err.contains("expected unit=VE"), "{err}");
	let (ok, _, err) = virtengine(&["market", "bid", "--order", "0", "--unit", "gpu=1"]);
	assert!(!ok);
	assert!(err.contains("--unit") && err.contains("unknown unit `gpu`"), "{err}");
	let (ok, _, err) = virtengine(&["--output", "yaml", "key", "inspect"]);
	assert!(!ok);
	assert!(err.contains("--output") && err.contains("json"), "{err}");
	let (ok, _, err) = virtengine(&["--rpc", "ftp://x", "envelope", "lookup", ALICE]);
	assert!(!ok);
	assert!(err.contains("ftp://x") && err.contains("unknown scheme"), "{err}");
	let (ok, _, err) = virtengine(&["envelope", "lookup", "5NotAnAddress"]);
	assert!(!ok);
	assert!(err.contains("5NotAnAddress"), "{err}");
}
