//! End to end on a dev node: offering → order → bid → lease → usage → settlement → close, every
//! step through the CLI as a user types it, and the balances add up to the unit.
//!
//! Bob becomes a provider: his identity is verified by the chain's committee (the real models,
//! as in `veid.rs`), he enrolls a software FIDO2 key, claims a domain that the verifier (sudo)
//! confirms, registers (MFA: VEID + FIDO2) and creates an offering (first offering: VEID +
//! FIDO2). Charlie, verified the same way, orders it (first order: VEID), accepts Bob's bid; Bob
//! starts the lease and reports usage signed by his daemon key; Dave (a stranger) settles it; Charlie
//! closes it; after the closing timeout the escrow settles and refunds; Bob withdraws. Then:
//! Charlie lost exactly the escrow's payments and his transaction fees, Bob gained exactly his
//! payout less his fees, the fee account exactly the platform fee.

mod common;

use std::time::{Duration, Instant};

use codec::Decode;
use common::{cli, fixture, Node};
use sp_core::{crypto::Ss58Codec, H256};
use sp_keyring::Sr25519Keyring;
use virtengine_client::{
	market::{pallet_market::LeaseState, Unit},
	Client,
};
use virtengine_runtime::{AccountId, Balance, RuntimeEvent, VE};

/// Free plus held.
fn total(node: &Node, who: &AccountId) -> Balance {
	node.free_balance(who) + node.reserved_balance(who)
}

/// Transaction fees `who` paid in blocks `from..=to`, from the blocks' events.
fn fees(client: &Client, who: &AccountId, from: u32, to: u32) -> Balance {
	let key = frame_support::storage::storage_prefix(b"System", b"Events");
	let mut sum = 0;
	for n in from..=to {
		let hash = client.call("chain_getBlockHash", serde_json::json!([n])).expect("hash");
		let raw = client
			.call(
				"state_getStorage",
				serde_json::json!([sp_core::bytes::to_hex(&key, false), hash]),
			)
			.expect("events");
		let Some(hex) = raw.as_str() else { continue };
		let bytes = sp_core::bytes::from_hex(hex).expect("hex");
		let events = Vec::<frame_system::EventRecord<RuntimeEvent, H256>>::decode(&mut &bytes[..])
			.expect("events decode");
		for e in events {
			if let RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { who: w, actual_fee, tip },
			) = e.event
			{
				if &w == who {
					sum += actual_fee + tip;
				}
			}
		}
	}
	sum
}

fn wait_until(node: &Node, what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
	let started = Instant::now();
	while !done() {
		assert!(
			started.elapsed() < timeout,
			"{what} within {timeout:?}; node log:\n{}",
			node.log_tail()
		);
		std::thread::sleep(Duration::from_millis(300));
	}
}

#[test]
fn a_lease_from_offering_to_settlement_adds_up() {
	let node = Node::start_dev(1_000);
	node.wait_for_block(1, Duration::from_secs(240));
	let rpc = node.rpc_url();
	let client = node.client();
	let r = rpc.as_str();
	let dir = tempfile::tempdir().expect("temp dir");
	let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

	// Identities: the committee forms, a capture client is approved, Bob and Charlie upload.
	wait_until(&node, "a committee", Duration::from_secs(60), || client.committee().is_ok());
	cli(&[
		"veid",
		"add-client",
		"--id",
		"capture-app",
		"--client-key",
		"//CaptureApp",
		"--sudo",
		"//Alice",
		"--rpc",
		r,
	])
	.expect("approve the capture client");
	// Two people: one identity verifies one account (the uniqueness index, docs/veid.md).
	let mut people = Vec::new();
	for (who, person) in [("//Bob", "person_b"), ("//Charlie", "person_a")] {
		let portrait = fixture(dir.path(), &format!("{person}_1"));
		let selfie = fixture(dir.path(), &format!("{person}_2"));
		let document = path(&format!("card_{person}.png"));
		cli(&["veid", "synth", "--photo", &portrait, "--out", &document]).expect("synth");
		people.push((who, document, selfie));
	}
	for (who, document, selfie) in &people {
		cli(&[
			"veid",
			"upload",
			"--document",
			document,
			"--selfie",
			selfie,
			"--surname",
			"MARTIN",
			"--given-names",
			"ANNA MARIA",
			"--birth-date",
			"1990-03-14",
			"--from",
			who,
			"--client-id",
			"capture-app",
			"--client-key",
			"//CaptureApp",
			"--rpc",
			r,
			"--wait",
		])
		.unwrap_or_else(|e| panic!("upload {who}: {e}; node log:\n{}", node.log_tail()));
	}

	let bob = Sr25519Keyring::Bob.to_account_id();
	let charlie = Sr25519Keyring::Charlie.to_account_id();
	let fee_account = virtengine_runtime::configs::market::fee_account();
	let first_block = client.best_number().expect("best") + 1;
	let (bob0, charlie0, fee0) =
		(total(&node, &bob), total(&node, &charlie), total(&node, &fee_account));

	// Bob becomes a provider.
	let (enc, daemon, webauthn) =
		(path("bob.enc.json"), path("bob.daemon.json"), path("bob.webauthn.json"));
	cli(&["envelope", "keygen", "--out", &enc]).expect("keygen");
	cli(&["market", "provider", "daemon-keygen", "--out", &daemon]).expect("daemon keygen");
	let err =
		cli(&["market", "provider", "daemon-keygen", "--out", &daemon]).expect_err("overwrite");
	assert!(err.contains("not overwriting"), "{err}");
	cli(&["mfa", "enroll", "--rpc", r, "--from", "//Bob", "--key-file", &webauthn])
		.expect("enroll");
	cli(&[
		"market",
		"provider",
		"claim-domain",
		"--rpc",
		r,
		"--from",
		"//Bob",
		"--domain",
		"bob.example.com",
	])
	.expect("claim domain");
	// The token the verifier finds in the TXT record the CLI asked Bob to publish.
	let token = hex::encode(virtengine_client::market::pallet_provider::domain_token(
		bob.as_ref(),
		b"bob.example.com",
	));
	let bob_ss58 = bob.to_ss58check();
	cli(&[
		"market",
		"provider",
		"confirm-domain",
		"--rpc",
		r,
		"--from",
		"//Alice",
		"--who",
		&bob_ss58,
		"--domain",
		"bob.example.com",
		"--token",
		&token,
	])
	.expect("confirm domain");
	let register = |mfa: bool| {
		let mut args = vec![
			"market",
			"provider",
			"register",
			"--rpc",
			r,
			"--from",
			"//Bob",
			"--region",
			"eu-central",
			"--capabilities",
			"kubernetes,gpu",
			"--encryption-key",
			&enc,
			"--daemon-key",
			&daemon,
		];
		if mfa {
			args.extend(["--mfa", "--mfa-key-file", &webauthn]);
		}
		cli(&args)
	};
	// Without MFA the pool refuses it, and says what to do.
	let err = register(false).expect_err("provider registration needs MFA");
	assert!(err.contains("virtengine mfa authorize"), "{err}");
	register(true).unwrap_or_else(|e| panic!("register: {e}; node log:\n{}", node.log_tail()));
	assert!(client.provider(&bob).expect("provider").is_some());

	// An offering: 36 VE an hour (0.06 VE a block) and 0.5 VE a job.
	let details = path("details.txt");
	std::fs::write(&details, b"rack 7, pool gpu-a").expect("details");
	cli(&[
		"market",
		"offering",
		"create",
		"--rpc",
		r,
		"--from",
		"//Bob",
		"--category",
		"gpu",
		"--per-hour",
		"36",
		"--unit",
		"job=0.5",
		"--tier",
		"standard",
		"--details",
		&details,
		"--mfa",
		"--mfa-key-file",
		&webauthn,
	])
	.unwrap_or_else(|e| panic!("offering: {e}; node log:\n{}", node.log_tail()));
	cli(&["market", "offering", "list", "--rpc", r]).expect("list");

	// Charlie orders it with 100 VE in escrow (his first order: VEID).
	let config = path("config.json");
	std::fs::write(&config, br#"{"image":"pytorch","gpus":1}"#).expect("config");
	let order = |extra: &[&str]| {
		let mut args = vec![
			"market",
			"order",
			"create",
			"--rpc",
			r,
			"--from",
			"//Charlie",
			"--offering",
			"0",
			"--config",
			&config,
			"--per-hour",
			"40",
			"--unit",
			"job=1",
			"--funds",
			"100",
		];
		args.extend(extra);
		cli(&args)
	};
	let err = order(&["--unit", "gpu"]).expect_err("a bad unit");
	assert!(err.contains("expected unit=VE"), "{err}");
	order(&["--mfa"]).unwrap_or_else(|e| panic!("order: {e}; node log:\n{}", node.log_tail()));
	assert!(client.order(0).expect("order").is_some());

	// Bob bids above Charlie's maximum (refused), then at his offering's price.
	let bid = |per_hour: &str| {
		cli(&[
			"market",
			"bid",
			"--rpc",
			r,
			"--from",
			"//Bob",
			"--order",
			"0",
			"--per-hour",
			per_hour,
			"--unit",
			"job=0.5",
		])
	};
	let err = bid("41").expect_err("above the maximum");
	assert!(err.contains("PriceTooHigh"), "{err}");
	bid("36").expect("bid");
	// Charlie accepts the price he saw: a bid above it (as if raised meanwhile) is refused.
	let accept = |per_hour: &str| {
		cli(&[
			"market",
			"lease",
			"accept",
			"--rpc",
			r,
			"--from",
			"//Charlie",
			"--order",
			"0",
			"--provider",
			&bob_ss58,
			"--per-hour",
			per_hour,
			"--unit",
			"job=0.5",
		])
	};
	let err = accept("35").expect_err("the bid is above the accepted price");
	assert!(err.contains("PriceChanged"), "{err}");
	accept("36").expect("accept");
	cli(&["market", "lease", "start", "--rpc", r, "--from", "//Bob", "--id", "0"]).expect("start");
	let lease = client.lease(0).expect("lease").expect("a lease");
	assert_eq!(lease.state, LeaseState::Active);
	let started = lease.started.expect("started");

	// Usage: 4 jobs (2 VE), signed by the daemon key; replayed, refused.
	let usage = || {
		cli(&[
			"market",
			"lease",
			"usage",
			"--rpc",
			r,
			"--from",
			"//Bob",
			"--id",
			"0",
			"--daemon-key",
			&daemon,
			"--seq",
			"1",
			"--quantity",
			"job=4",
		])
	};
	usage().expect("usage");
	let err = usage().expect_err("replayed");
	assert!(err.contains("Replayed"), "{err}");
	let escrow = client.escrow(0).expect("escrow").expect("an escrow");
	assert_eq!(escrow.pending.len(), 1);
	assert_eq!(escrow.pending[0].amount, 2 * VE);
	let _ = Unit::Job;

	// After the dispute window (2 minutes: 20 blocks) a stranger settles; Bob is paid.
	let due = escrow.pending[0].at + 20;
	node.wait_for_block(due, Duration::from_secs(60));
	cli(&["market", "settle", "--rpc", r, "--from", "//Dave", "--id", "0"]).expect("settle");
	assert!(client.payouts(&bob).expect("payouts") > 2 * VE);

	// Charlie closes; the rate stops; after the closing timeout (20 blocks) the lease closes.
	cli(&["market", "lease", "close", "--rpc", r, "--from", "//Charlie", "--id", "0"])
		.expect("close");
	let closing = client.lease(0).expect("lease").expect("a lease");
	assert!(matches!(closing.state, LeaseState::Closing(_)), "{:?}", closing.state);
	let stopped = closing.since;
	wait_until(&node, "the lease closed", Duration::from_secs(60), || {
		client.lease(0).ok().flatten().is_some_and(|l| matches!(l.state, LeaseState::Closed(_)))
	});
	assert!(client.escrow(0).expect("escrow").is_none(), "settled, refunded and removed");
	cli(&["market", "lease", "show", "--rpc", r, "--id", "0"]).expect("show");

	// Bob withdraws his payouts.
	let payout = client.payouts(&bob).expect("payouts");
	let fee = client.payouts(&fee_account).expect("fee payouts");
	cli(&["market", "withdraw", "--rpc", r, "--from", "//Bob"]).expect("withdraw");
	assert_eq!(client.payouts(&bob).expect("payouts"), 0);

	// The arithmetic: the fixed rate over the blocks it ran, the usage, the fee.
	let fixed = 36 * VE * Balance::from(stopped - started) / 600;
	let paid = fixed + 2 * VE;
	let expected_fee = paid / 100;
	assert_eq!((payout + fee, fee), (paid, expected_fee), "ran {started}..{stopped}");
	let last_block = client.best_number().expect("best");
	node.wait_for_block(last_block + 1, Duration::from_secs(30));
	let (bob_fees, charlie_fees) = (
		fees(&client, &bob, first_block, last_block),
		fees(&client, &charlie, first_block, last_block),
	);
	assert_eq!(charlie0 - total(&node, &charlie), paid + charlie_fees, "Charlie");
	assert_eq!(total(&node, &bob) + bob_fees - bob0, payout, "Bob");
	assert_eq!(total(&node, &fee_account) - fee0, fee, "the platform");
	eprintln!(
		"lease ran blocks {started}..{stopped}: paid {paid} (fixed {fixed}, usage {}), fee {fee}; \
		 fees: Bob {bob_fees}, Charlie {charlie_fees}",
		2 * VE
	);
}
