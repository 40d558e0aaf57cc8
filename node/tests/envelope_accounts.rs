//! End to end on a dev node: `virtengine envelope` registers a recipient key on chain, seals a
//! file to an *account* (its registered key read over RPC), the account's key opens it, other
//! keys do not; after a rotation only the new key opens new envelopes. Every command runs through
//! the CLI's own code (`virtengine_cli::run_args`), as a user types it.

mod common;

use std::time::Duration;

use common::{account, cli, free_port, set_critical_policy, Node};
use virtengine_client::runtime::runtime_types::pallet_mfa::policy::Rule;
use virtengine_primitives::refusal::mfa::MFA_REQUIRED;

fn reserved(node: &Node, who: &str) -> u128 {
	node.reserved_balance(&account(who))
}

#[test]
fn seal_to_an_account_through_its_registered_key() {
	let node = Node::start_dev(1_000);
	node.wait_for_block(1, Duration::from_secs(240));
	let rpc = node.rpc_url();
	let dir = tempfile::tempdir().expect("temp dir");
	let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
	let bob = account("//Bob").to_string();
	let (key1, key2, carol_key) = (file("bob1.key"), file("bob2.key"), file("c.key"));
	for key in [&key1, &key2, &carol_key] {
		cli(&["envelope", "keygen", "--out", key]).expect("keygen");
	}
	let secret = file("secret.txt");
	std::fs::write(&secret, b"lease access: ssh ve@10.0.0.7 -p 2222\n".repeat(40)).expect("write");
	let sealed = file("sealed.json");
	let opened = file("opened.txt");
	let seal_to_bob = |out: &str| {
		cli(&[
			"envelope",
			"seal",
			"--to-account",
			&bob,
			"--rpc",
			&rpc,
			"--suri",
			"//Alice",
			"--in",
			&secret,
			"--out",
			out,
		])
	};

	// Before registration: a clear error, nothing written.
	let err = cli(&["envelope", "lookup", &bob, "--rpc", &rpc]).expect_err("no key yet");
	assert!(err.contains("has no registered encryption key"), "{err}");
	let err = seal_to_bob(&sealed).expect_err("no key yet");
	assert!(err.contains("has no registered encryption key"), "{err}");
	assert!(!std::path::Path::new(&sealed).exists());

	// Register: the deposit is held.
	let held_before = reserved(&node, "//Bob");
	cli(&["envelope", "register", "--key", &key1, "--suri", "//Bob", "--rpc", &rpc])
		.expect("register");
	assert!(reserved(&node, "//Bob") > held_before, "a deposit is held");
	cli(&["envelope", "lookup", &bob, "--rpc", &rpc]).expect("lookup");

	// Seal to the account; Bob's key opens it, Carol's does not.
	seal_to_bob(&sealed).expect("seal to account");
	cli(&["envelope", "open", "--key", &key1, "--in", &sealed, "--out", &opened]).expect("open");
	assert_eq!(std::fs::read(&opened).expect("read"), std::fs::read(&secret).expect("read"));
	let err = cli(&["envelope", "open", "--key", &carol_key, "--in", &sealed])
		.expect_err("not a recipient");
	assert!(err.contains("is not a recipient"), "{err}");

	// A key file without a seed (made before proofs of possession) cannot prove possession: the
	// client says so and sends nothing. Nor can Carol register Bob's key as hers: the key file
	// proves possession for the account that signs, so only a copy of Bob's seed could, and the
	// runtime refuses a proof made for another account (tested in pallets/encryption).
	let old = file("old.key");
	let carol_json: serde_json::Value =
		serde_json::from_slice(&std::fs::read(&carol_key).expect("read")).expect("json");
	std::fs::write(&old, serde_json::json!({ "secret": carol_json["secret"] }).to_string())
		.expect("write");
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o600)).expect("chmod");
	}
	let err = cli(&["envelope", "register", "--key", &old, "--suri", "//Charlie", "--rpc", &rpc])
		.expect_err("no seed");
	assert!(err.contains("predates proofs of possession"), "{err}");
	// The old file is still a key file (it opens its own envelopes; this one is Bob's).
	let err = cli(&["envelope", "open", "--key", &old, "--in", &sealed]).expect_err("not Bob's");
	assert!(err.contains("is not a recipient"), "{err}");

	// The same key twice is refused by the runtime, by name.
	let err = cli(&["envelope", "register", "--key", &key1, "--suri", "//Bob", "--rpc", &rpc])
		.expect_err("already registered");
	assert!(err.failed.as_deref().is_some_and(|e| e.starts_with("Encryption::")), "{err}");

	// Rotate: new envelopes go to the new key only. A rotation is MFA-gated (KeyRotation: VEID
	// and FIDO2, which Bob has not set up), so the pool refuses it first; governance then empties
	// the rule for this test (an empty policy requires nothing). The proof is checked either way.
	let rotate = || {
		cli(&["envelope", "register", "--rotate", "--key", &key2, "--suri", "//Bob", "--rpc", &rpc])
	};
	let refused = rotate().expect_err("a rotation needs MFA");
	assert_eq!(refused.refused, Some(MFA_REQUIRED), "{refused}");
	assert!(refused.contains("virtengine mfa authorize"), "the refusal says what to do: {refused}");
	set_critical_policy(&node, Rule::KeyRotation, &[]);
	rotate().expect("rotate");
	let sealed2 = file("sealed2.json");
	seal_to_bob(&sealed2).expect("seal after rotation");
	let err = cli(&["envelope", "open", "--key", &key1, "--in", &sealed2])
		.expect_err("retired key is not a recipient");
	assert!(err.contains("is not a recipient"), "{err}");
	cli(&["envelope", "open", "--key", &key2, "--in", &sealed2, "--out", &opened])
		.expect("open with the new key");
	assert_eq!(std::fs::read(&opened).expect("read"), std::fs::read(&secret).expect("read"));

	// No node at the address: a clear error.
	let nowhere = format!("ws://127.0.0.1:{}", free_port());
	let err = cli(&[
		"envelope",
		"seal",
		"--to-account",
		&bob,
		"--rpc",
		&nowhere,
		"--suri",
		"//Alice",
		"--in",
		&secret,
	])
	.expect_err("no node");
	assert!(err.contains("cannot reach a node"), "{err}");
	// A malformed account.
	let err = cli(&[
		"envelope",
		"seal",
		"--to-account",
		"5NotAnAddress",
		"--rpc",
		&rpc,
		"--suri",
		"//Alice",
		"--in",
		&secret,
	])
	.expect_err("bad account");
	assert!(err.contains("is not an SS58 address"), "{err}");
}
