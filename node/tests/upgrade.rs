//! End to end on a dev node: a runtime upgrade. Root sets the code of a runtime one `spec_version`
//! later (`virtengine_runtime::upgrade_test`, built by runtime/build.rs with the `upgrade-test`
//! feature) with `sudo.sudoUncheckedWeight(system.setCode(code))`, as docs/collator.md tells
//! operators of a dev chain. Then blocks keep coming, the state written before the upgrade is
//! still there, and both a client connected before the upgrade and the same `virtengine` CLI keep
//! working without being rebuilt.

mod common;

use std::time::Duration;

use common::{account, block_on, cli, keypair, Node};
use virtengine_client::{
	runtime::{self, runtime_types},
	subxt::utils::MultiAddress,
	RuntimeCall, TxOptions,
};
use virtengine_primitives::units::VE;

#[test]
fn the_runtime_is_upgraded_and_state_and_clients_carry_on() {
	let code = common::upgrade_code();
	let code = &code[..];

	let node = Node::start_dev(1_000);
	node.wait_for_block(1, Duration::from_secs(240));
	let rpc = node.rpc_url();
	let client = node.client();
	let (name, spec_before, tx_before) = block_on(client.runtime_version()).expect("version");
	assert_eq!(name, "virtengine");

	// State before the upgrade: Bob's envelope key through the CLI, a transfer through the client.
	let dir = tempfile::tempdir().expect("temp dir");
	let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
	let (bob_key, charlie_key) = (file("bob.key"), file("charlie.key"));
	for key in [&bob_key, &charlie_key] {
		cli(&["envelope", "keygen", "--out", key]).expect("keygen");
	}
	cli(&["envelope", "register", "--key", &bob_key, "--suri", "//Bob", "--rpc", &rpc])
		.expect("register Bob's key before the upgrade");
	let transfer = |amount| {
		let call = RuntimeCall::Balances(
			runtime_types::pallet_balances::pallet::Call::transfer_keep_alive {
				dest: MultiAddress::Id(account("//Dave")),
				value: amount,
			},
		);
		block_on(client.submit(&keypair("//Alice"), &call, &TxOptions::default(), |_| {}))
	};
	transfer(10 * VE).unwrap_or_else(|e| panic!("transfer: {e}; node log:\n{}", node.log_tail()));
	let bob_held = node.reserved_balance(&account("//Bob"));
	let dave = node.free_balance(&account("//Dave"));
	assert!(bob_held > 0, "Bob's key deposit is held");

	// The upgrade: root sets the code; the parachain stores it and applies it once the (dev)
	// relay chain gives the go-ahead.
	let set_code =
		RuntimeCall::Sudo(runtime_types::pallet_sudo::pallet::Call::sudo_unchecked_weight {
			call: Box::new(RuntimeCall::System(
				runtime_types::frame_system::pallet::Call::set_code { code: code.to_vec() },
			)),
			weight: runtime_types::sp_weights::weight_v2::Weight { ref_time: 0, proof_size: 0 },
		});
	let included =
		block_on(client.submit(&keypair("//Alice"), &set_code, &TxOptions::default(), |_| {}))
			.unwrap_or_else(|e| panic!("sudo set_code: {e}; node log:\n{}", node.log_tail()));
	assert!(
		included.events.iter().any(|e| matches!(
			e,
			runtime::Event::Sudo(runtime::sudo::Event::Sudid { sudo_result: Ok(()) })
		)),
		"root's set_code succeeds: {:?}",
		included.events
	);
	assert!(
		included.events.iter().any(|e| matches!(
			e,
			runtime::Event::ParachainSystem(
				runtime::parachain_system::Event::ValidationFunctionStored
			)
		)),
		"the new code is stored for the relay chain's go-ahead: {:?}",
		included.events
	);
	node.wait_until("the new runtime", Duration::from_secs(60), || {
		block_on(client.runtime_version()).is_ok_and(|(_, spec, _)| spec == spec_before + 1)
	});
	let (_, spec_after, tx_after) = block_on(client.runtime_version()).expect("version");
	assert_eq!(tx_after, tx_before, "the extrinsic format did not change");
	let upgraded_at = block_on(client.best_number()).expect("best");

	// Blocks keep coming on the new code.
	node.wait_for_block(upgraded_at + 3, Duration::from_secs(30));

	// State is intact.
	assert_eq!(node.reserved_balance(&account("//Bob")), bob_held, "Bob's deposit is still held");
	assert_eq!(node.free_balance(&account("//Dave")), dave, "Dave's balance did not move");
	cli(&["envelope", "lookup", &account("//Bob").to_string(), "--rpc", &rpc])
		.expect("Bob's key is still registered");

	// The client connected before the upgrade signs for the new runtime...
	transfer(5 * VE).unwrap_or_else(|e| {
		panic!("transfer after the upgrade: {e}; node log:\n{}", node.log_tail())
	});
	assert_eq!(node.free_balance(&account("//Dave")), dave + 5 * VE);
	// ...and so does the same CLI, not rebuilt.
	let charlie_held = node.reserved_balance(&account("//Charlie"));
	cli(&["envelope", "register", "--key", &charlie_key, "--suri", "//Charlie", "--rpc", &rpc])
		.expect("register Charlie's key after the upgrade");
	assert!(
		node.reserved_balance(&account("//Charlie")) > charlie_held,
		"Charlie's deposit is held"
	);
	println!(
		"runtime upgraded from spec version {spec_before} to {spec_after} ({} bytes of code) by \
		 block #{upgraded_at}; blocks, state, the client and the CLI carried on",
		code.len()
	);
}
