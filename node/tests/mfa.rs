//! End to end on a dev node: a sensitive call is refused without MFA and goes through after a
//! WebAuthn authorization verified on chain.
//!
//! Bob sends 10 VE to a fresh address (a new recipient: the seeds' "TransferTokens to a new
//! address" row, FIDO2). The transaction pool refuses it (`CheckMfa`). Bob enrolls a software
//! FIDO2 credential with `virtengine mfa enroll` (the chain verifies the enrollment assertion),
//! authorizes the transfer with `virtengine mfa authorize` (an ES256 assertion over the challenge
//! bound to this call, verified on chain), and the same transfer then goes through. Enrolling a
//! second credential is then itself refused without an authorization (factor changes need the
//! enrolled key). Then account recovery: governance (sudo) sets the recovery policy to FIDO2 and
//! a code (the dev chain has no verified identities without the committee run of the VEID
//! test), Charlie enrolls a key and an SMS channel, the issuer (Alice) sends him a code, and Dave
//! starts recovering Charlie's account with Charlie's key and code: a wrong salt uses up an
//! attempt and starts nothing, the right one starts the recovery, claiming before the one-day
//! delay is refused, and Charlie cancels it. Then TOTP: Alice (an approved verifier) registers an
//! envelope key, Eve binds TOTP to her (the seed sealed to Alice's key, only its hash on chain),
//! after which changing Eve's requirements needs her TOTP factor: Alice refuses a wrong code,
//! attests the right one for the call's challenge, and Eve's authorization with it lets the call
//! through. Every command runs through the CLI's own code, as a
//! user types it (the code issuance through the client library, whose values the test needs).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{account, block_on, chain_error, cli, keypair, set_critical_policy, Node};
use virtengine_client::{
	runtime::{self, runtime_types},
	subxt::utils::MultiAddress,
	RuntimeCall, TxOptions,
};
use virtengine_mfa_primitives::Factor;
use virtengine_primitives::{refusal::mfa::MFA_REQUIRED, units::VE};

use runtime_types::pallet_mfa::policy::{Action, Rule};

#[test]
fn sensitive_transfer_needs_a_webauthn_authorization() {
	let node = Node::start_dev(1_000);
	node.wait_for_block(2, Duration::from_secs(240));
	let rpc = node.rpc_url();
	let client = node.client();
	let dir = tempfile::tempdir().expect("tempdir");
	let key_file = dir.path().join("bob.webauthn.json");
	let key_path = key_file.to_str().expect("utf-8 path");
	let options = TxOptions::default();

	let bob = account("//Bob");
	let fresh_id = account("//virtengine-mfa-e2e-recipient");
	let transfer =
		RuntimeCall::Balances(runtime_types::pallet_balances::pallet::Call::transfer_keep_alive {
			dest: MultiAddress::Id(fresh_id),
			value: 10 * VE,
		});

	// Without authorization: refused by the pool, with the reason spelled out.
	let refused = block_on(client.submit(&keypair("//Bob"), &transfer, &options, |_| {}))
		.expect_err("refused");
	assert_eq!(chain_error(&refused).0, Some(MFA_REQUIRED), "refusal: {refused}");
	assert!(refused.to_string().contains("virtengine mfa authorize"), "refusal: {refused}");
	assert_eq!(block_on(client.balance(&fresh_id)).expect("balance"), (0, 0), "nothing arrived");

	let fresh_ss58 = fresh_id.to_string();
	let authorize_transfer = || {
		cli(&[
			"mfa",
			"authorize",
			"--rpc",
			&rpc,
			"--suri",
			"//Bob",
			"--fido2-key",
			key_path,
			"--transfer-to",
			&fresh_ss58,
			"--amount",
			"10",
		])
	};
	// Authorizing before enrolling: a clear error, nothing submitted.
	let no_key = authorize_transfer().expect_err("no key file yet");
	assert!(no_key.contains("bob.webauthn.json"), "{no_key}");

	// Enroll (creates the key file; the chain verifies the enrollment assertion).
	cli(&["mfa", "enroll", "--rpc", &rpc, "--suri", "//Bob", "--fido2-key", key_path])
		.unwrap_or_else(|e| panic!("enroll: {e}; node log:\n{}", node.log_tail()));
	let status = block_on(client.mfa_status(&bob)).expect("status");
	assert_eq!(status.credentials.len(), 1);
	assert_eq!(status.credentials[0].counter, 1, "the enrollment assertion's counter");
	assert!(status.credentials[0].require_uv);
	assert!(node.reserved_balance(&bob) > 0, "a deposit for the credential");

	// Authorize exactly this transfer with an assertion verified on chain.
	authorize_transfer()
		.unwrap_or_else(|e| panic!("authorize: {e}; node log:\n{}", node.log_tail()));
	let status = block_on(client.mfa_status(&bob)).expect("status");
	assert_eq!(status.nonce, 1);
	assert_eq!(status.credentials[0].counter, 2);
	assert!(
		status.sessions.iter().any(|s| s.action == Action::TransferTokens),
		"a TransferTokens session: {:?}",
		status.sessions
	);

	// The same call now goes through.
	let included = block_on(client.submit(&keypair("//Bob"), &transfer, &options, |_| {}))
		.unwrap_or_else(|e| panic!("transfer after authorization: {e}"));
	assert!(included.events.iter().any(|e| matches!(
		e,
		runtime::Event::Balances(runtime::balances::Event::Transfer { amount, .. }) if *amount == 10 * VE
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
		"--suri",
		"//Bob",
		"--fido2-key",
		second.to_str().unwrap(),
	])
	.expect_err("factor change needs MFA");
	assert_eq!(refused.refused, Some(MFA_REQUIRED), "{refused}");
	assert_eq!(block_on(client.mfa_status(&bob)).unwrap().credentials.len(), 1);

	// ---- account recovery ----
	let charlie = account("//Charlie");
	let charlie_ss58 = charlie.to_string();
	let charlie_key = dir.path().join("charlie.webauthn.json");
	let charlie_key = charlie_key.to_str().unwrap();
	set_critical_policy(&node, Rule::AccountRecovery, &[Factor::Fido2, Factor::OneTimeCode]);
	cli(&["mfa", "enroll", "--rpc", &rpc, "--suri", "//Charlie", "--fido2-key", charlie_key])
		.expect("charlie enrolls");
	cli(&[
		"mfa",
		"set-channel",
		"--rpc",
		&rpc,
		"--suri",
		"//Charlie",
		"--kind",
		"sms",
		"--address",
		"+41 79 000 00 00",
		// A channel is a factor: with a key enrolled, its key authorizes the change.
		"--fido2-key",
		charlie_key,
	])
	.expect("charlie's channel");
	let salt = [0x5a; 32];
	block_on(client.mfa_issue_code(
		&keypair("//Alice"),
		&charlie,
		424_242,
		salt,
		50,
		&options,
		|_| {},
	))
	.expect("alice issues a code");
	let recover = |salt: &str| {
		cli(&[
			"mfa",
			"recover",
			"--rpc",
			&rpc,
			"--suri",
			"//Dave",
			"--lost",
			&charlie_ss58,
			"--fido2-key",
			charlie_key,
			"--code",
			"424242",
			"--salt",
			salt,
		])
	};
	let wrong = recover(&hex::encode([0x11; 32])).expect_err("wrong salt");
	assert!(wrong.contains("no recovery started"), "{wrong}");
	recover(&hex::encode(salt)).unwrap_or_else(|e| panic!("recover: {e}"));
	let recovery = block_on(client.mfa_recovery(&charlie)).unwrap().expect("under way");
	assert_eq!(recovery.rescuer, account("//Dave"));
	let early =
		cli(&["mfa", "claim-recovery", "--rpc", &rpc, "--suri", "//Dave", "--lost", &charlie_ss58])
			.expect_err("too early");
	assert!(early.failed_with("Mfa::TooEarly"), "{early}");
	cli(&["mfa", "cancel-recovery", "--rpc", &rpc, "--suri", "//Charlie"]).expect("cancel");
	assert!(block_on(client.mfa_recovery(&charlie)).unwrap().is_none());

	// ---- TOTP through a verifier ----
	let eve = account("//Eve");
	let eve_ss58 = eve.to_string();
	let alice_key = dir.path().join("alice.envelope-key.json");
	let alice_key = alice_key.to_str().unwrap();
	let sealed = dir.path().join("eve.totp.json");
	let sealed = sealed.to_str().unwrap();
	cli(&["envelope", "keygen", "--out", alice_key]).expect("keygen");
	cli(&["envelope", "register", "--key", alice_key, "--suri", "//Alice", "--rpc", &rpc])
		.expect("alice registers her envelope key");
	let alice_ss58 = account("//Alice").to_string();
	cli(&[
		"mfa",
		"totp-enroll",
		"--rpc",
		&rpc,
		"--suri",
		"//Eve",
		"--verifier",
		&alice_ss58,
		"--out",
		sealed,
	])
	.unwrap_or_else(|e| panic!("totp-enroll: {e}"));
	let binding = block_on(client.mfa_totp_binding(&eve)).unwrap().expect("bound");
	assert_eq!(binding.verifier, account("//Alice"));
	// The seed, as Eve's authenticator app has it (the test opens the sealed copy with the
	// verifier's key to know it).
	let secret = virtengine_cli::envelope::load_secret(std::path::Path::new(alice_key)).unwrap();
	let envelope = virtengine_envelope::Envelope::from_json(
		std::fs::read_to_string(sealed).unwrap().trim_end(),
	)
	.unwrap();
	let seed = virtengine_envelope::open(&envelope, secret.as_bytes()).expect("sealed to Alice");
	assert_eq!(seed.len(), 20);

	// Changing Eve's requirements is now a factor change needing TOTP.
	let set = RuntimeCall::Mfa(runtime_types::pallet_mfa::pallet::Call::set_requirement {
		action: Action::LeaseClose,
		factors: runtime_types::virtengine_mfa_primitives::FactorSet(
			virtengine_mfa_primitives::FactorSet::of(&[Factor::Totp]).0,
		),
	});
	let refused =
		block_on(client.submit(&keypair("//Eve"), &set, &options, |_| {})).expect_err("needs TOTP");
	assert_eq!(chain_error(&refused).0, Some(MFA_REQUIRED), "{refused}");
	let challenge = hex::encode(block_on(client.mfa_challenge(&eve, &set)).unwrap());
	let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
	let code = virtengine_mfa_primitives::otp::totp(
		virtengine_mfa_primitives::otp::Algorithm::Sha1,
		&seed,
		now,
		0,
		30,
		6,
	);
	let attest = |code: u32| {
		cli(&[
			"mfa",
			"totp-attest",
			"--rpc",
			&rpc,
			"--suri",
			"//Alice",
			"--key",
			alice_key,
			"--envelope",
			sealed,
			"--account",
			&eve_ss58,
			"--challenge",
			&challenge,
			"--code",
			&code.to_string(),
		])
	};
	let wrong = attest((code + 500_000) % 1_000_000).expect_err("wrong code");
	assert!(wrong.contains("does not match"), "{wrong}");
	attest(code).unwrap_or_else(|e| panic!("totp-attest: {e}"));
	let set_hex = hex::encode(codec::Encode::encode(&set));
	cli(&[
		"mfa",
		"authorize",
		"--rpc",
		&rpc,
		"--suri",
		"//Eve",
		"--call",
		&set_hex,
		"--totp",
		"--submit",
	])
	.unwrap_or_else(|e| panic!("authorize with TOTP: {e}"));
	assert_eq!(block_on(client.mfa_status(&eve)).unwrap().nonce, 1);
}
