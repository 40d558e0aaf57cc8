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

use std::time::Duration;

use common::{
	account, approve_capture_client, block_on, cli, cli_json, fixture, veid_upload, Node,
	CAPTURE_CLIENT,
};
use virtengine_client::{market::LeaseState, runtime, AccountId, Balance, Client};
use virtengine_primitives::{refusal::mfa::MFA_REQUIRED, units::VE};

/// Free plus held.
fn total(node: &Node, who: &AccountId) -> Balance {
	node.free_balance(who) + node.reserved_balance(who)
}

/// The platform's fee account: `PalletId(*b"ve/mktfe")` as an account (`modl`, the id, zeros).
fn fee_account() -> AccountId {
	let mut raw = [0u8; 32];
	raw[..4].copy_from_slice(b"modl");
	raw[4..12].copy_from_slice(b"ve/mktfe");
	AccountId::from(raw)
}

/// Transaction fees `who` paid in blocks `from..=to`, from the blocks' events.
fn fees(client: &Client, who: &AccountId, from: u32, to: u32) -> Balance {
	block_on(async {
		let mut sum = 0;
		for n in from..=to {
			let at = client.at(client.block_hash(n).await.expect("hash")).await.expect("block");
			let events = at.events().fetch().await.expect("events");
			for event in events.iter() {
				let event =
					event.expect("an event").decode_as::<runtime::Event>().expect("decodes");
				if let runtime::Event::TransactionPayment(
					runtime::transaction_payment::Event::TransactionFeePaid {
						who: w,
						actual_fee,
						tip,
					},
				) = event
				{
					if &w == who {
						sum += actual_fee + tip;
					}
				}
			}
		}
		sum
	})
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
	node.wait_until("a committee", Duration::from_secs(60), || {
		block_on(client.committee()).is_ok()
	});
	approve_capture_client(r).expect("approve the capture client");
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
		veid_upload(r, document, selfie, who, CAPTURE_CLIENT)
			.unwrap_or_else(|e| panic!("upload {who}: {e}; node log:\n{}", node.log_tail()));
	}

	let (bob, charlie, fee_account) = (account("//Bob"), account("//Charlie"), fee_account());
	let first_block = block_on(client.best_number()).expect("best") + 1;
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
	cli(&["mfa", "enroll", "--rpc", r, "--suri", "//Bob", "--fido2-key", &webauthn])
		.expect("enroll");
	let claimed = cli_json(&[
		"market",
		"provider",
		"claim-domain",
		"--rpc",
		r,
		"--suri",
		"//Bob",
		"--domain",
		"bob.example.com",
	])
	.expect("claim domain");
	// The TXT record the CLI asked Bob to publish, as the verifier finds it.
	let record = claimed["txt_record"].as_str().expect("a TXT record").to_string();
	assert!(record.starts_with("virtengine-verify="), "{claimed}");
	let bob_ss58 = bob.to_string();
	cli(&[
		"market",
		"provider",
		"confirm-domain",
		"--rpc",
		r,
		"--suri",
		"//Alice",
		"--who",
		&bob_ss58,
		"--domain",
		"bob.example.com",
		"--token",
		&record,
	])
	.expect("confirm domain");
	let register = |mfa: bool| {
		let mut args = vec![
			"market",
			"provider",
			"register",
			"--rpc",
			r,
			"--suri",
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
			args.extend(["--mfa", "--fido2-key", &webauthn]);
		}
		cli(&args)
	};
	// Without MFA the pool refuses it, and says what to do.
	let err = register(false).expect_err("provider registration needs MFA");
	assert_eq!(err.refused, Some(MFA_REQUIRED), "{err}");
	assert!(err.contains("virtengine mfa authorize"), "{err}");
	register(true).unwrap_or_else(|e| panic!("register: {e}; node log:\n{}", node.log_tail()));
	assert!(block_on(client.provider(&bob)).expect("provider").is_some());

	// An offering: 36 VE an hour (0.06 VE a block) and 0.5 VE a job.
	let details = path("details.txt");
	std::fs::write(&details, b"rack 7, pool gpu-a").expect("details");
	cli(&[
		"market",
		"offering",
		"create",
		"--rpc",
		r,
		"--suri",
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
		"--fido2-key",
		&webauthn,
	])
	.unwrap_or_else(|e| panic!("offering: {e}; node log:\n{}", node.log_tail()));
	let listed = cli_json(&["market", "offering", "list", "--rpc", r]).expect("list");
	assert_eq!(listed["offerings"][0]["category"], "gpu", "{listed}");
	assert_eq!(listed["offerings"][0]["required_tier"], "standard", "{listed}");

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
			"--suri",
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
	assert!(block_on(client.order(0)).expect("order").is_some());

	// Bob bids above Charlie's maximum (refused), then at his offering's price.
	let bid = |per_hour: &str| {
		cli(&[
			"market",
			"bid",
			"--rpc",
			r,
			"--suri",
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
	assert!(err.failed_with("Market::PriceTooHigh"), "{err}");
	bid("36").expect("bid");
	// Charlie accepts the price he saw: a bid above it (as if raised meanwhile) is refused.
	let accept = |per_hour: &str| {
		cli(&[
			"market",
			"lease",
			"accept",
			"--rpc",
			r,
			"--suri",
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
	assert!(err.failed_with("Market::PriceChanged"), "{err}");
	accept("36").expect("accept");
	cli(&["market", "lease", "start", "--rpc", r, "--suri", "//Bob", "--id", "0"]).expect("start");
	let lease = block_on(client.lease(0)).expect("lease").expect("a lease");
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
			"--suri",
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
	assert!(err.failed_with("Escrow::Replayed"), "{err}");
	let escrow = block_on(client.escrow(0)).expect("escrow").expect("an escrow");
	assert_eq!(escrow.pending.len(), 1);
	assert_eq!(escrow.pending[0].amount, 2 * VE);

	// After the dispute window (2 minutes: 20 blocks) a stranger settles; Bob is paid.
	let due = escrow.pending[0].at + 20;
	node.wait_for_block(due, Duration::from_secs(60));
	cli(&["market", "settle", "--rpc", r, "--suri", "//Dave", "--id", "0"]).expect("settle");
	assert!(block_on(client.payouts(&bob)).expect("payouts") > 2 * VE);

	// Charlie closes; the rate stops; after the closing timeout (20 blocks) the lease closes.
	cli(&["market", "lease", "close", "--rpc", r, "--suri", "//Charlie", "--id", "0"])
		.expect("close");
	let closing = block_on(client.lease(0)).expect("lease").expect("a lease");
	assert!(matches!(closing.state, LeaseState::Closing(_)), "{:?}", closing.state);
	let stopped = closing.since;
	node.wait_until("the lease closed", Duration::from_secs(60), || {
		block_on(client.lease(0))
			.ok()
			.flatten()
			.is_some_and(|l| matches!(l.state, LeaseState::Closed(_)))
	});
	assert!(block_on(client.escrow(0)).expect("escrow").is_none(), "settled, refunded and removed");
	let shown = cli_json(&["market", "lease", "show", "--rpc", r, "--id", "0"]).expect("show");
	assert_eq!(shown["lease"]["state"], "closed", "{shown}");
	assert_eq!(shown["lease"]["close_reason"], "by_customer", "{shown}");

	// Bob withdraws his payouts.
	let payout = block_on(client.payouts(&bob)).expect("payouts");
	let fee = block_on(client.payouts(&fee_account)).expect("fee payouts");
	cli(&["market", "withdraw", "--rpc", r, "--suri", "//Bob"]).expect("withdraw");
	assert_eq!(block_on(client.payouts(&bob)).expect("payouts"), 0);

	// The arithmetic: the fixed rate over the blocks it ran, the usage, the fee.
	let fixed = 36 * VE * Balance::from(stopped - started) / 600;
	let paid = fixed + 2 * VE;
	let expected_fee = paid / 100;
	assert_eq!((payout + fee, fee), (paid, expected_fee), "ran {started}..{stopped}");
	let last_block = block_on(client.best_number()).expect("best");
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
