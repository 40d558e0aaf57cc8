//! `make bench-chain` (issue 17): how many signed balance transfers the chain includes per second,
//! beside the theoretical maximum its block weight limit and the transfer's benchmarked weight
//! allow, on a dev node and on the network of `zombienet/local.toml`.
//!
//! The load is `virtengine load transfers` (the CLI on the client, in-process): nine development
//! accounts send `transfer_keep_alive` in a ring for `BENCH_CHAIN_SECONDS` (60) seconds, keeping
//! up to 4,000 waiting in the pool; the blocks of the canonical chain are then counted. The
//! maximum is the normal class's share of a block (weight in both dimensions, and length)
//! divided by what the runtime charges one transfer (`TransactionPaymentApi_query_info`: the
//! call, the transaction extensions and the base extrinsic), at the pace blocks came during the
//! run. The proof size charged is a worst case that the runtime's weight reclaim corrects once a
//! transfer ran, so the decisive capacity takes the proof size blocks really consumed per
//! transfer; the capacity as charged is shown beside it.
//!
//! 1. **Dev node**: `--dev --dev-block-time 6000` (6 s, the parachain's slot), one process.
//! 2. **Network**: zombienet's relay chain (two validators) and three collators; the load is sent
//!    to collator `alice`, and the count read from collator `bob`'s view of the chain is checked
//!    against it. Skipped with `BENCH_CHAIN_NETWORK=0`.
//!
//! Built in the test profile, as `make test` builds (`cargo test --workspace --bench chain --
//! --bench`): the node is a debug build, which is part of what this measures, and the summary
//! says so. `cargo test --benches` runs this binary without `--bench`, which only prints how to
//! run it.

// The tests' helpers, shared; they panic with their context, as tests do.
#[allow(clippy::panic)]
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{block_on, network::Network, Node};
use serde_json::Value;

fn main() {
	if !std::env::args().any(|a| a == "--bench") {
		println!("chain bench: run it with `make bench-chain` (it passes --bench)");
		return;
	}
	let seconds: u64 =
		std::env::var("BENCH_CHAIN_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(60);
	let with_network = std::env::var("BENCH_CHAIN_NETWORK").map_or(true, |v| v != "0");

	eprintln!("== dev node (--dev-block-time 6000) ==");
	let dev = {
		let node = Node::start_dev(6_000);
		node.wait_for_block(2, Duration::from_secs(240));
		load(&node.rpc_url(), seconds)
	};
	let network = with_network.then(|| {
		eprintln!("== network (zombienet/local.toml: 2 relay validators, 3 collators) ==");
		let net = Network::start();
		let alice = net.client("alice");
		net.wait_until("the parachain finalizing blocks", Duration::from_secs(600), || {
			block_on(alice.finalized_number()).ok().filter(|n| *n >= 2)
		});
		let mut report = load(net.rpc("alice"), seconds);
		// Read again from another collator: the same blocks, the same transfers.
		let bob = net.client("bob");
		let (first, last) = (number(&report, "first_block"), number(&report, "last_block"));
		net.wait_until("bob importing the measured blocks", Duration::from_secs(120), || {
			block_on(bob.best_number()).ok().filter(|n| u64::from(*n) >= last)
		});
		let seen_by_bob: u64 = (first + 1..=last)
			.map(|n| {
				let hash = block_on(bob.block_hash(n as u32)).expect("block hash at bob");
				transfers_in(&bob, hash)
			})
			.sum();
		assert_eq!(
			seen_by_bob,
			number(&report, "included"),
			"bob's chain includes what alice's did in blocks #{}..#{last}",
			first + 1
		);
		// Why the collators stopped filling the blocks they built under load (their block
		// builder's words: the time it had, the block's limits, or an empty pool).
		let mut ends: std::collections::BTreeMap<String, u32> = Default::default();
		for name in ["alice", "bob", "charlie"] {
			let log = std::fs::read_to_string(net.log(name)).unwrap_or_default();
			for line in log.lines().filter(|l| l.contains("Prepared block for proposing")) {
				let count = line
					.split("extrinsics_count: ")
					.nth(1)
					.and_then(|c| c.trim().parse::<u32>().ok())
					.unwrap_or(0);
				let end = line.split("end: ").nth(1).and_then(|e| e.split(';').next());
				if let (true, Some(end)) = (count > 10, end) {
					*ends.entry(end.trim().to_string()).or_default() += 1;
				}
			}
		}
		eprintln!("the collators' blocks with transfers ended by: {ends:?}");
		report["block_ends"] = serde_json::json!(ends);
		report
	});

	println!();
	println!("chain throughput: signed transfers included (debug node build, this machine)");
	println!("{:<38} {:>14} {:>14}", "", "dev node", "network");
	let row = |label: &str, key: &str, digits: usize| {
		let cell = |r: Option<&Value>| match r.and_then(|r| r[key].as_f64()) {
			Some(v) => format!("{v:.digits$}"),
			None => "-".into(),
		};
		println!("{label:<38} {:>14} {:>14}", cell(Some(&dev)), cell(network.as_ref()));
	};
	row("transfer weight, before dispatch (µs)", "transfer_us", 1);
	row("transfer weight, after refunds (µs)", "transfer_charged_us", 1);
	row("block capacity as charged", "max_per_block_charged", 0);
	row("block capacity after refunds", "max_per_block", 0);
	row("measured blocks", "blocks", 0);
	row("block interval (s)", "block_interval_s", 2);
	row("included per block", "per_block", 1);
	row("included per second", "tps", 1);
	row("theoretical max per second", "max_tps", 1);
	row("ratio", "ratio", 2);
	row("normal-class weight used (%)", "used_percent", 0);
	if let Some(ends) = network.as_ref().map(|n| &n["block_ends"]) {
		println!("network blocks under load ended by (their builder's reason): {ends}");
	}
	println!(
		"bound by: {} (dev node), {} (network)",
		dev["bound_by"].as_str().unwrap_or("?"),
		network.as_ref().and_then(|n| n["bound_by"].as_str()).unwrap_or("-")
	);
}

/// Runs `virtengine load transfers` against `rpc` and returns its JSON report, with two derived
/// fields for the table.
fn load(rpc: &str, seconds: u64) -> Value {
	let started = Instant::now();
	let out = virtengine_cli::run_args_output([
		"virtengine",
		"--rpc",
		rpc,
		"--output",
		"json",
		"load",
		"transfers",
		"--seconds",
		&seconds.to_string(),
	])
	.unwrap_or_else(|e| panic!("virtengine load transfers against {rpc}: {e}"));
	let mut report: Value = serde_json::from_str(&out).expect("the load's JSON report");
	report["transfer_us"] =
		(report["transfer"]["ref_time_ps"].as_f64().unwrap_or(0.0) / 1e6).into();
	report["transfer_charged_us"] =
		(report["ref_time_per_transfer_ps"].as_f64().unwrap_or(0.0) / 1e6).into();
	report["used_percent"] = (report["normal_weight_used"].as_f64().unwrap_or(0.0) * 100.0).into();
	eprintln!(
		"{rpc}: {} transfers in {} blocks, {:.1}/s against {:.1}/s ({:.0} s)",
		report["included"],
		report["blocks"],
		report["tps"].as_f64().unwrap_or(0.0),
		report["max_tps"].as_f64().unwrap_or(0.0),
		started.elapsed().as_secs_f64()
	);
	report
}

fn number(report: &Value, key: &str) -> u64 {
	report[key].as_u64().unwrap_or_else(|| panic!("the report has no {key}: {report}"))
}

/// The transfers from the load's senders in block `hash`.
fn transfers_in(client: &virtengine_client::Client, hash: virtengine_client::Hash) -> u64 {
	use virtengine_client::runtime;
	let senders: Vec<_> =
		virtengine_cli::load::SENDERS.iter().map(|uri| common::account(uri)).collect();
	block_on(client.events(hash))
		.expect("events")
		.iter()
		.filter(|e| {
			matches!(e, runtime::Event::Balances(runtime::balances::Event::Transfer { from, .. })
				if senders.contains(from))
		})
		.count() as u64
}
