//! The marketplace's end-to-end flow, every step through the CLI as a user types it, for the dev
//! node's test (`tests/market.rs`) and the network's (`tests/network.rs`): offering → order → bid
//! → lease → usage → settlement → close → withdrawal, and the balances add up to the unit.
//!
//! Transactions go to one node (`submit`); what the flow checks is read from `read`, which may be
//! another node of the same chain: a read waits until that node has the state the transaction
//! made.

use std::time::{Duration, Instant};

use virtengine_client::{market::LeaseState, runtime, AccountId, Balance, Client};
use virtengine_primitives::{refusal::mfa::MFA_REQUIRED, units::VE};

use super::{account, block_on, cli, cli_json};

/// Who plays which part. The provider and the customer hold verified identities already.
pub struct Parties<'a> {
	/// Becomes a provider, offers, bids, runs the lease.
	pub provider: &'a str,
	/// Orders, accepts, closes.
	pub customer: &'a str,
	/// Anyone: settles the lease.
	pub stranger: &'a str,
	/// The chain's governance (sudo): confirms the provider's domain.
	pub governance: &'a str,
}

/// Where the flow runs.
pub struct Chain<'a> {
	/// The RPC address the CLI submits to.
	pub submit: &'a str,
	/// The node the checks read from.
	pub read: &'a Client,
	/// What to print when something fails (a node's log).
	pub diagnose: &'a dyn Fn() -> String,
	/// How long a state may take to show up at `read`, and a number of blocks to pass.
	pub patience: Duration,
}

impl Chain<'_> {
	/// Waits until `value` returns something, up to `patience`.
	fn eventually<T>(&self, what: &str, mut value: impl FnMut() -> Option<T>) -> T {
		let started = Instant::now();
		loop {
			if let Some(v) = value() {
				return v;
			}
			assert!(
				started.elapsed() < self.patience,
				"{what}: not within {:?}\n{}",
				self.patience,
				(self.diagnose)()
			);
			std::thread::sleep(Duration::from_millis(300));
		}
	}

	fn best(&self) -> u32 {
		block_on(self.read.best_number()).expect("best block")
	}

	fn wait_for_block(&self, n: u32) {
		self.eventually(&format!("block #{n}"), || (self.best() >= n).then_some(()));
	}

	/// Free plus held.
	fn total(&self, who: &AccountId) -> Balance {
		let (free, held) = block_on(self.read.balance(who)).expect("balance");
		free + held
	}
}

/// The platform's fee account: `PalletId(*b"ve/mktfe")` as an account (`modl`, the id, zeros).
pub fn fee_account() -> AccountId {
	let mut raw = [0u8; 32];
	raw[..4].copy_from_slice(b"modl");
	raw[4..12].copy_from_slice(b"ve/mktfe");
	AccountId::from(raw)
}

/// Transaction fees `who` paid in blocks `from..=to`, from the blocks' events.
pub fn fees(client: &Client, who: &AccountId, from: u32, to: u32) -> Balance {
	let mut sum = 0;
	for n in from..=to {
		let hash = block_on(client.block_hash(n)).expect("hash");
		for event in block_on(client.events(hash)).expect("events") {
			if let runtime::Event::TransactionPayment(
				runtime::transaction_payment::Event::TransactionFeePaid { who: w, actual_fee, tip },
			) = event
			{
				if &w == who {
					sum += actual_fee + tip;
				}
			}
		}
	}
	sum
}

/// What the flow leaves: the lease's id, what it paid, the platform's fee.
pub struct Outcome {
	pub lease: u64,
	pub paid: Balance,
	pub fee: Balance,
}

/// The whole flow (see the module's doc). `dir` holds the keys and files it makes.
pub fn lease_flow(chain: &Chain, parties: &Parties, dir: &std::path::Path) -> Outcome {
	let r = chain.submit;
	let read = chain.read;
	let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
	let fail = |what: &str, e: &dyn std::fmt::Display| -> ! {
		panic!("{what}: {e}\n{}", (chain.diagnose)())
	};
	let (provider, customer) = (account(parties.provider), account(parties.customer));
	let fee_account = fee_account();
	let first_block = chain.best() + 1;
	let (provider0, customer0, fee0) =
		(chain.total(&provider), chain.total(&customer), chain.total(&fee_account));
	let (p, c) = (parties.provider, parties.customer);

	// The provider registers.
	let (enc, daemon, webauthn) =
		(path("provider.enc.json"), path("provider.daemon.json"), path("provider.webauthn.json"));
	cli(&["envelope", "keygen", "--out", &enc]).expect("keygen");
	cli(&["market", "provider", "daemon-keygen", "--out", &daemon]).expect("daemon keygen");
	let err =
		cli(&["market", "provider", "daemon-keygen", "--out", &daemon]).expect_err("overwrite");
	assert!(err.contains("not overwriting"), "{err}");
	cli(&["mfa", "enroll", "--rpc", r, "--suri", p, "--fido2-key", &webauthn])
		.unwrap_or_else(|e| fail("enroll", &e));
	let claimed = cli_json(&[
		"market",
		"provider",
		"claim-domain",
		"--rpc",
		r,
		"--suri",
		p,
		"--domain",
		"provider.example.com",
	])
	.unwrap_or_else(|e| fail("claim domain", &e));
	// The TXT record the CLI asked the provider to publish, as the verifier finds it.
	let record = claimed["txt_record"].as_str().expect("a TXT record").to_string();
	assert!(record.starts_with("virtengine-verify="), "{claimed}");
	let provider_ss58 = provider.to_string();
	cli(&[
		"market",
		"provider",
		"confirm-domain",
		"--rpc",
		r,
		"--suri",
		parties.governance,
		"--who",
		&provider_ss58,
		"--domain",
		"provider.example.com",
		"--token",
		&record,
	])
	.unwrap_or_else(|e| fail("confirm domain", &e));
	let register = |mfa: bool| {
		let mut args = vec![
			"market",
			"provider",
			"register",
			"--rpc",
			r,
			"--suri",
			p,
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
	register(true).unwrap_or_else(|e| fail("register", &e));
	chain.eventually("the provider at the reading node", || {
		block_on(read.provider(&provider)).ok().flatten()
	});

	// An offering: 36 VE an hour and 0.5 VE a job.
	let details = path("details.txt");
	std::fs::write(&details, b"rack 7, pool gpu-a").expect("details");
	cli(&[
		"market",
		"offering",
		"create",
		"--rpc",
		r,
		"--suri",
		p,
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
	.unwrap_or_else(|e| fail("offering", &e));
	let listed = cli_json(&["market", "offering", "list", "--rpc", r]).expect("list");
	let offering = listed["offerings"]
		.as_array()
		.and_then(|o| o.iter().find(|o| o["provider"] == provider_ss58.as_str()))
		.unwrap_or_else(|| panic!("the provider's offering is listed: {listed}"))
		.clone();
	assert_eq!(offering["category"], "gpu", "{listed}");
	assert_eq!(offering["required_tier"], "standard", "{listed}");
	let offering_id = offering["id"].as_u64().expect("an offering id").to_string();

	// The customer orders it with 100 VE in escrow (a first order: VEID).
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
			c,
			"--offering",
			&offering_id,
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
		cli_json(&args)
	};
	let err = order(&["--unit", "gpu"]).expect_err("a bad unit");
	assert!(err.contains("expected unit=VE"), "{err}");
	let ordered = order(&["--mfa"]).unwrap_or_else(|e| fail("order", &e));
	let order_id = ordered["order"].as_u64().unwrap_or_else(|| panic!("an order id: {ordered}"));
	chain.eventually("the order at the reading node", || {
		block_on(read.order(order_id)).ok().flatten()
	});
	let order_id = order_id.to_string();

	// The provider bids above the customer's maximum (refused), then at its offering's price.
	let bid = |per_hour: &str| {
		cli(&[
			"market",
			"bid",
			"--rpc",
			r,
			"--suri",
			p,
			"--order",
			&order_id,
			"--per-hour",
			per_hour,
			"--unit",
			"job=0.5",
		])
	};
	let err = bid("41").expect_err("above the maximum");
	assert!(err.failed_with("Market::PriceTooHigh"), "{err}");
	bid("36").unwrap_or_else(|e| fail("bid", &e));
	// The customer accepts the price it saw: a bid above it (as if raised meanwhile) is refused.
	let accept = |per_hour: &str| {
		cli(&[
			"market",
			"lease",
			"accept",
			"--rpc",
			r,
			"--suri",
			c,
			"--order",
			&order_id,
			"--provider",
			&provider_ss58,
			"--per-hour",
			per_hour,
			"--unit",
			"job=0.5",
		])
	};
	let err = accept("35").expect_err("the bid is above the accepted price");
	assert!(err.failed_with("Market::PriceChanged"), "{err}");
	accept("36").unwrap_or_else(|e| fail("accept", &e));
	// Leases are numbered as their orders.
	let id = order_id.clone();
	let lease_id: u64 = id.parse().expect("an order id");
	cli(&["market", "lease", "start", "--rpc", r, "--suri", p, "--id", &id])
		.unwrap_or_else(|e| fail("start", &e));
	let lease = chain.eventually("the lease active at the reading node", || {
		block_on(read.lease(lease_id)).ok().flatten().filter(|l| l.state == LeaseState::Active)
	});
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
			p,
			"--id",
			&id,
			"--daemon-key",
			&daemon,
			"--seq",
			"1",
			"--quantity",
			"job=4",
		])
	};
	usage().unwrap_or_else(|e| fail("usage", &e));
	let err = usage().expect_err("replayed");
	assert!(err.failed_with("Escrow::Replayed"), "{err}");
	let escrow = chain.eventually("the usage at the reading node", || {
		block_on(read.escrow(lease_id)).ok().flatten().filter(|e| !e.pending.is_empty())
	});
	assert_eq!(escrow.pending.len(), 1);
	assert_eq!(escrow.pending[0].amount, 2 * VE);

	// After the dispute window (2 minutes: 20 blocks) a stranger settles; the provider is paid.
	chain.wait_for_block(escrow.pending[0].at + 20);
	cli(&["market", "settle", "--rpc", r, "--suri", parties.stranger, "--id", &id])
		.unwrap_or_else(|e| fail("settle", &e));
	chain.eventually("the provider's payout at the reading node", || {
		block_on(read.payouts(&provider)).ok().filter(|p| *p > 2 * VE)
	});

	// The customer closes; the rate stops; after the closing timeout (20 blocks) the lease closes.
	cli(&["market", "lease", "close", "--rpc", r, "--suri", c, "--id", &id])
		.unwrap_or_else(|e| fail("close", &e));
	let closing = chain.eventually("the lease closing at the reading node", || {
		block_on(read.lease(lease_id))
			.ok()
			.flatten()
			.filter(|l| matches!(l.state, LeaseState::Closing(_)))
	});
	let stopped = closing.since;
	chain.eventually("the lease closed", || {
		block_on(read.lease(lease_id))
			.ok()
			.flatten()
			.filter(|l| matches!(l.state, LeaseState::Closed(_)))
	});
	assert!(block_on(read.escrow(lease_id)).expect("escrow").is_none(), "settled and removed");
	let shown = cli_json(&["market", "lease", "show", "--rpc", r, "--id", &id]).expect("show");
	assert_eq!(shown["lease"]["state"], "closed", "{shown}");
	assert_eq!(shown["lease"]["close_reason"], "by_customer", "{shown}");

	// The provider withdraws its payouts.
	let payout = block_on(read.payouts(&provider)).expect("payouts");
	let fee = block_on(read.payouts(&fee_account)).expect("fee payouts");
	cli(&["market", "withdraw", "--rpc", r, "--suri", p]).unwrap_or_else(|e| fail("withdraw", &e));
	chain.eventually("the payouts withdrawn at the reading node", || {
		block_on(read.payouts(&provider)).ok().filter(|p| *p == 0)
	});

	// The arithmetic: the fixed rate over the blocks it ran, the usage, the fee.
	let fixed = 36 * VE * Balance::from(stopped - started) / 600;
	let paid = fixed + 2 * VE;
	let expected_fee = paid / 100;
	assert_eq!((payout + fee, fee), (paid, expected_fee), "ran {started}..{stopped}");
	let last_block = chain.best();
	chain.wait_for_block(last_block + 1);
	let (provider_fees, customer_fees) = (
		fees(read, &provider, first_block, last_block),
		fees(read, &customer, first_block, last_block),
	);
	assert_eq!(customer0 - chain.total(&customer), paid + customer_fees, "the customer");
	assert_eq!(chain.total(&provider) + provider_fees - provider0, payout, "the provider");
	assert_eq!(chain.total(&fee_account) - fee0, fee, "the platform");
	eprintln!(
		"lease {lease_id} ran blocks {started}..{stopped}: paid {paid} (fixed {fixed}, usage {}), \
		 fee {fee}; fees: provider {provider_fees}, customer {customer_fees}",
		2 * VE
	);
	Outcome { lease: lease_id, paid, fee }
}
