//! End to end on a dev node: a sensitive call is refused without MFA and goes through after a
//! WebAuthn authorization verified on chain.
//!
//! Bob sends 10 VE to a fresh address (a new recipient: the seeds' "TransferTokens to a new
//! address" row, FIDO2). The transaction pool refuses it (`CheckMfa`). Bob enrolls a software
//! FIDO2 credential with `virtengine mfa enroll` (the chain verifies the enrollment assertion),
//! authorizes the transfer with `virtengine mfa authorize` (an ES256 assertion over the challenge
//! bound to this call, verified on chain), and the same transfer then goes through. Enrolling a
//! second credential is then itself refused without an authorization (factor changes need the
//! enrolled key). Every command runs through the CLI's own code, as a user types it.

mod common;

use std::time::Duration;

use common::Node;
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use sp_runtime::MultiAddress;
use virtengine_client::mfa::pallet_mfa;
use virtengine_runtime::{RuntimeCall, RuntimeEvent, VE};

fn cli(args: &[&str]) -> Result<(), String> {
	virtengine_cli::run_args(std::iter::once("virtengine").chain(args.iter().copied()))
		.map_err(|e| e.to_string())
}

#[test]
fn sensitive_transfer_needs_a_webauthn_authorization() {
	let node = Node::start_dev(1_000);
	node.wait_for_block(2, Duration::from_secs(240));
	let rpc = node.rpc_url();
	let client = node.client();
	let dir = tempfile::tempdir().expect("tempdir");
	let key_file = dir.path().join("bob.webauthn.json");
	let key_path = key_file.to_str().expect("utf-8 path");

	let bob = Sr25519Keyring::Bob;
	let fresh = sr25519::Pair::from_string("//virtengine-mfa-e2e-recipient", None).unwrap();
	let fresh_id = virtengine_runtime::AccountId::from(fresh.public());
	let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: MultiAddress::Id(fresh_id.clone()),
		value: 10 * VE,
	});

	// Without authorization: refused by the pool, with the reason spelled out.
	let refused = client.submit(&bob.pair(), transfer.clone(), |_| {}).expect_err("refused");
	let text = refused.to_string();
	assert!(
		text.contains("Custom error: 20") && text.contains("virtengine mfa authorize"),
		"refusal: {text}"
	);
	let account_key =
		frame_system::Account::<virtengine_runtime::Runtime>::hashed_key_for(&fresh_id);
	assert_eq!(client.storage(&account_key).expect("storage"), None, "nothing arrived");

	// Authorizing before enrolling: a clear error, nothing submitted.
	let no_key = cli(&[
		"mfa",
		"authorize",
		"--rpc",
		&rpc,
		"--from",
		"//Bob",
		"--key-file",
		key_path,
		"--transfer-to",
		&fresh_id.to_ss58check(),
		"--amount",
		"10",
	])
	.expect_err("no key file yet");
	assert!(no_key.contains("bob.webauthn.json"), "{no_key}");

	// Enroll (creates the key file; the chain verifies the enrollment assertion).
	cli(&["mfa", "enroll", "--rpc", &rpc, "--from", "//Bob", "--key-file", key_path])
		.unwrap_or_else(|e| panic!("enroll: {e}; node log:\n{}", node.log_tail()));
	let status = client.mfa_status(&bob.to_account_id()).expect("status");
	assert_eq!(status.credentials.len(), 1);
	assert_eq!(status.credentials[0].counter, 1, "the enrollment assertion's counter");
	assert!(status.credentials[0].require_uv);
	assert!(node.reserved_balance(&bob.to_account_id()) > 0, "a deposit for the credential");

	// Authorize exactly this transfer with an assertion verified on chain.
	cli(&[
		"mfa",
		"authorize",
		"--rpc",
		&rpc,
		"--from",
		"//Bob",
		"--key-file",
		key_path,
		"--transfer-to",
		&fresh_id.to_ss58check(),
		"--amount",
		"10",
	])
	.unwrap_or_else(|e| panic!("authorize: {e}; node log:\n{}", node.log_tail()));
	let status = client.mfa_status(&bob.to_account_id()).expect("status");
	assert_eq!(status.nonce, 1);
	assert_eq!(status.credentials[0].counter, 2);
	assert!(
		status.sessions.iter().any(|s| s.action == pallet_mfa::Action::TransferTokens),
		"a TransferTokens session: {:?}",
		status.sessions
	);

	// The same call now goes through.
	let included = client
		.submit(&bob.pair(), transfer, |_| {})
		.unwrap_or_else(|e| panic!("transfer after authorization: {e}"));
	assert!(included.events.iter().any(|e| matches!(
		e,
		RuntimeEvent::Balances(pallet_balances::Event::Transfer { amount, .. }) if *amount == 10 * VE
	)));
	node.wait_for_block(included.block_number + 1, Duration::from_secs(30));
	assert_eq!(node.free_balance(&fresh_id), 10 * VE);

	// A second credential is a factor change: refused until the enrolled key authorizes it.
	let second = dir.path().join("bob-second.webauthn.json");
	let refused = cli(&[
		"mfa",
		"enroll",
		"--rpc",
		&rpc,
		"--from",
		"//Bob",
		"--key-file",
		second.to_str().unwrap(),
	])
	.expect_err("factor change needs MFA");
	assert!(refused.contains("Custom error: 20"), "{refused}");
	assert_eq!(client.mfa_status(&bob.to_account_id()).unwrap().credentials.len(), 1);
}
