//! Interoperability with libsodium, both ways, through PyNaCl (scripts/interop/envelope_libsodium.py,
//! an independent implementation of the format from docs/encryption.md). The Python packages are
//! installed by scripts/setup.sh; `VIRTENGINE_PYTHON` names the interpreter that has them.

use std::process::Command;

use sp_core::Pair;
use virtengine_envelope::{open, seal, Envelope, Limits, RecipientSecret, SenderKey};

fn python(args: &[&str]) -> String {
	let interpreter = std::env::var("VIRTENGINE_PYTHON").unwrap_or_else(|_| "python3".into());
	// The directory at run time (cargo sets it for tests), not the one baked in at build time:
	// a test binary built in another clone sharing the target directory stays valid.
	let dir =
		std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
	let script = format!("{dir}/../../scripts/interop/envelope_libsodium.py");
	let output = Command::new(&interpreter)
		.arg(script)
		.args(args)
		.output()
		.unwrap_or_else(|e| panic!("cannot run {interpreter}: {e} (run scripts/setup.sh)"));
	assert!(
		output.status.success(),
		"libsodium reference failed: {}",
		String::from_utf8_lossy(&output.stderr)
	);
	String::from_utf8(output.stdout).expect("utf-8").trim().to_string()
}

#[test]
fn envelopes_sealed_here_open_with_libsodium() {
	let recipients: Vec<_> = (1..=3u8).map(|i| RecipientSecret::from_bytes([i * 7; 32])).collect();
	let publics: Vec<_> = recipients.iter().map(RecipientSecret::public).collect();
	let sender =
		SenderKey::Ed25519(sp_core::ed25519::Pair::from_string("//Interop", None).expect("seed"));
	let plaintext = b"sealed by Rust, opened by libsodium \x00\xff".repeat(50);
	let envelope =
		seal(&plaintext, &publics, &sender, b"interop", 42, &Limits::DEFAULT).expect("seal");
	let dir = std::env::temp_dir().join(format!("ve-interop-{}", std::process::id()));
	std::fs::create_dir_all(&dir).expect("dir");
	let file = dir.join("envelope.json");
	std::fs::write(&file, envelope.to_json().expect("json")).expect("write");
	for recipient in &recipients {
		let opened =
			python(&["open", file.to_str().expect("path"), &hex::encode(recipient.as_bytes())]);
		assert_eq!(hex::decode(opened).expect("hex"), plaintext);
	}
	let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn envelopes_sealed_by_libsodium_open_here() {
	let recipients: Vec<_> = (1..=2u8).map(|i| RecipientSecret::from_bytes([i * 11; 32])).collect();
	// Several kilobytes: the AVX2 keystream kernel handles whole 512-byte chunks.
	let plaintext = b"sealed by libsodium, opened by Rust".repeat(100);
	let mut args = vec!["seal".to_string(), hex::encode(&plaintext)];
	args.extend(recipients.iter().map(|r| hex::encode(r.public())));
	let args: Vec<&str> = args.iter().map(String::as_str).collect();
	let json = python(&args);
	let envelope = Envelope::from_json(&json).expect("libsodium's envelope parses");
	virtengine_envelope::verify_structure(&envelope, &Limits::DEFAULT).expect("structure");
	for recipient in &recipients {
		assert_eq!(open(&envelope, recipient.as_bytes()).expect("open"), plaintext);
	}
	let stranger = RecipientSecret::from_bytes([1; 32]);
	assert_eq!(
		open(&envelope, stranger.as_bytes()),
		Err(virtengine_envelope::Error::NotARecipient)
	);
}
