//! Smoke test of the real binary: `virtengine-node --dev` starts, produces blocks, accepts a
//! signed balance transfer over JSON-RPC, includes it, and the balances change by the amount and
//! the fee.

mod common;

use std::{net::TcpListener, process::Command, time::Duration};

use common::{account, block_on, free_port, keypair, Node};
use virtengine_client::{
	runtime::{self, runtime_types},
	subxt::utils::MultiAddress,
	RuntimeCall, TxOptions,
};
use virtengine_primitives::units::VE;

#[test]
fn dev_node_produces_blocks_and_includes_a_transfer() {
	let node = Node::start_dev(1_000);
	// The first start compiles the runtime to machine code; allow for a slow machine.
	let first = node.wait_for_block(2, Duration::from_secs(240));
	let later = node.wait_for_block(first + 2, Duration::from_secs(30));
	assert!(later >= first + 2, "the chain must keep growing");
	let log = std::fs::read_to_string(&node.log).unwrap_or_default();
	assert!(
		log.contains("Database: ParityDb"),
		"ParityDB is the default database:\n{}",
		node.log_tail()
	);

	let (alice, bob) = (account("//Alice"), account("//Bob"));
	let alice_before = node.free_balance(&alice);
	let bob_before = node.free_balance(&bob);

	let client = node.client();
	let nonce = block_on(client.next_nonce(&alice)).expect("nonce");
	// Below the 5,000 VE at which a transfer needs MFA (pallet_mfa; Bob is a known recipient of
	// Alice on development chains).
	let amount = 1_234 * VE;
	let call =
		RuntimeCall::Balances(runtime_types::pallet_balances::pallet::Call::transfer_keep_alive {
			dest: MultiAddress::Id(bob),
			value: amount,
		});
	let included =
		block_on(client.submit(&keypair("//Alice"), &call, &TxOptions::default(), |_| {}))
			.unwrap_or_else(|e| panic!("transfer: {e}; node log:\n{}", node.log_tail()));
	let included_in = included.block_number;
	assert!(
		included.events.iter().any(|e| matches!(
			e,
			runtime::Event::Balances(runtime::balances::Event::Transfer { amount: a, .. }) if *a == amount
		)),
		"a Transfer event: {:?}",
		included.events
	);
	node.wait_for_block(included_in + 1, Duration::from_secs(30));

	let alice_after = node.free_balance(&alice);
	let bob_after = node.free_balance(&bob);
	assert_eq!(bob_after, bob_before + amount, "Bob receives exactly the amount");
	let fee = alice_before - amount - alice_after;
	assert!(fee > 0, "Alice pays a fee on top of the amount");
	assert!(fee < VE, "the fee of a transfer is far below one VE, was {fee}");
	assert_eq!(block_on(client.next_nonce(&alice)).expect("nonce"), nonce + 1);
	println!(
		"transfer of {amount} included in block #{included_in}; fee {fee} (blocks #{first}..#{later} before)"
	);
}

#[test]
fn unknown_chain_is_refused_with_a_clear_error() {
	let output = Command::new(env!("CARGO_BIN_EXE_virtengine-node"))
		.args(["--chain", "no-such-chain", "--tmp"])
		.output()
		.expect("run virtengine-node");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("unknown chain `no-such-chain`"), "stderr: {stderr}");
}

#[test]
fn busy_rpc_port_is_refused_with_a_clear_error() {
	let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
	let port = taken.local_addr().expect("addr").port();
	let output = Command::new(env!("CARGO_BIN_EXE_virtengine-node"))
		.args([
			"--dev",
			"--tmp",
			"--rpc-port",
			&port.to_string(),
			"--port",
			&free_port().to_string(),
		])
		.output()
		.expect("run virtengine-node");
	assert!(!output.status.success(), "the node must not start");
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("cannot listen for RPC"), "stderr: {stderr}");
	drop(taken);
}

#[test]
fn bad_flag_is_refused() {
	let output = Command::new(env!("CARGO_BIN_EXE_virtengine-node"))
		.arg("--no-such-flag")
		.output()
		.expect("run virtengine-node");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("--no-such-flag"), "stderr: {stderr}");
}
