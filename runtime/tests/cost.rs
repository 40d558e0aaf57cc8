//! What a plain balance transfer costs, extensions included, against a stock parachain's
//! (issue 17, docs/benchmarking.md "A transfer's cost"): the weight the block accounts for the
//! transfer, applied through `Executive` in a real block of the `development` preset, beside
//! the same transfer without VirtEngine's two extensions (`CheckAccountState`, `CheckMfa`): the
//! base extrinsic weight, `pallet_balances`' stock weight and the stock extensions' weights.
//!
//! These are the benchmarked weights, not timings: what the chain charges and how many
//! transfers a block holds follow from them.
//!
//! Both ways a block is built are measured: a collator's, which records the storage proof (and so
//! `StorageWeightReclaim` reconciles the block's weight after each transaction), and the dev
//! node's, which records none (and so only `CheckWeight`'s own reclaim gives weight back).

// The fuzzer's chain: this file uses its start of a block and its extrinsics only.
#[allow(dead_code)]
#[path = "fuzz/chain.rs"]
mod chain;
mod common;

use chain::Chain;
use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{generic::Preamble, traits::TransactionExtension, Weight};
use virtengine_runtime::{Runtime, RuntimeCall, VE};

/// How the block is built.
#[derive(Clone, Copy, Debug)]
enum Builder {
	/// A collator: the storage proof is recorded, its size read through `ProofSizeExt`.
	Collator,
	/// The dev node (manual seal): no proof is recorded.
	DevNode,
}

/// A proof recorder as the runtime sees one. Its size stays 0: only the proof size component of
/// the reclaim depends on it, not the ref time this file compares.
struct ProofSize;
impl sp_trie::ProofSizeProvider for ProofSize {
	fn estimate_encoded_size(&self) -> usize {
		0
	}
}

/// The transfer's weight as the block accounts it, and the stock parachain's for the same call,
/// with the `development` preset's value thresholds (the seeds') or none.
fn transfer_cost(value: u128, thresholds: bool, builder: Builder) -> (Weight, Weight) {
	let mut ext = chain::development_state();
	if let Builder::Collator = builder {
		ext.register_extension(sp_trie::proof_size_extension::ProofSizeExt::new(ProofSize));
	}
	ext.execute_with(|| {
		let chain = Chain::default();
		chain.initialize();
		if !thresholds {
			pallet_mfa::ValueThresholds::<Runtime>::kill();
		}
		let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: Sr25519Keyring::Bob.to_account_id().into(),
			value,
		});
		let xt = chain::sign(&Sr25519Keyring::Alice.pair(), call.clone(), 0, 0);
		let Preamble::Signed(_, _, ref tx_ext) = xt.preamble else { panic!("signed") };
		let extensions = tx_ext.weight(&call);

		let before = frame_system::BlockWeight::<Runtime>::get().total();
		let applied = Chain::apply(xt);
		assert!(matches!(applied, Ok(Ok(()))), "the transfer applies: {applied:?}");
		let charged = frame_system::BlockWeight::<Runtime>::get().total() - before;

		let ours = pallet_roles::CheckAccountState::<Runtime>::new().weight(&call)
			+ pallet_mfa::CheckMfa::<Runtime>::new().weight(&call);
		let base = <Runtime as frame_system::Config>::BlockWeights::get()
			.get(DispatchClass::Normal)
			.base_extrinsic;
		let stock = base + call.get_dispatch_info().call_weight + extensions - ours;
		(charged, stock)
	})
}

fn micros(w: Weight) -> f64 {
	w.ref_time() as f64 / 1e6
}

fn ratio(charged: Weight, stock: Weight) -> f64 {
	charged.ref_time() as f64 / stock.ref_time() as f64
}

#[test]
fn a_plain_transfer_costs_at_most_a_fifth_more_than_on_a_stock_parachain() {
	// Alice and Bob know each other at genesis (the preset), Alice has no factors and no
	// requirements of her own, and 1 VE is far below every threshold: the plain check.
	for builder in [Builder::Collator, Builder::DevNode] {
		let (charged, stock) = transfer_cost(VE, false, builder);
		let r = ratio(charged, stock);
		println!(
			"{builder:?}: transfer_keep_alive, no value thresholds: {:.1} µs charged, {:.1} µs \
			 on a stock parachain: ratio {r:.3}",
			micros(charged),
			micros(stock)
		);
		assert!(r <= 1.2, "{builder:?}: a plain transfer costs {r:.3}× a stock parachain's");
	}
}

#[test]
fn under_value_thresholds_a_plain_transfer_adds_its_windows_write() {
	for builder in [Builder::Collator, Builder::DevNode] {
		let (charged, stock) = transfer_cost(VE, true, builder);
		let (without, _) = transfer_cost(VE, false, builder);
		let db = <Runtime as frame_system::Config>::DbWeight::get();
		println!(
			"{builder:?}: transfer_keep_alive, the seeds' value thresholds: {:.1} µs charged, \
			 {:.1} µs on a stock parachain: ratio {:.3}",
			micros(charged),
			micros(stock),
			ratio(charged, stock)
		);
		// The only difference: the value window's write (its read is in the plain check).
		assert_eq!(charged.ref_time(), without.ref_time() + db.writes(1).ref_time());
	}
}

#[test]
fn the_classifier_charges_the_reads_it_makes() {
	use pallet_mfa::Classify;
	use virtengine_runtime::configs::mfa::SensitiveCalls;
	let bob = || Sr25519Keyring::Bob.to_account_id();
	let keep_alive = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: bob().into(),
		value: VE,
	});
	let all = RuntimeCall::Balances(pallet_balances::Call::transfer_all {
		dest: bob().into(),
		keep_alive: true,
	});
	let withdraw = RuntimeCall::Escrow(pallet_escrow::Call::withdraw {});
	let batch =
		|calls: Vec<RuntimeCall>| RuntimeCall::Utility(pallet_utility::Call::batch { calls });
	// A transfer's recipient and value are in the call: nothing read.
	assert_eq!(SensitiveCalls::state_reads(&keep_alive), 0);
	// `transfer_all` reads the balance, `withdraw` the payout.
	assert_eq!(SensitiveCalls::state_reads(&all), 1);
	assert_eq!(SensitiveCalls::state_reads(&batch(vec![keep_alive.clone(), all, withdraw])), 2);
	// And the check charges them: on top of the worst case before dispatch, and of the plain
	// check after it.
	chain::development_state().execute_with(|| {
		let read = <Runtime as frame_system::Config>::DbWeight::get().reads(1);
		let all = RuntimeCall::Balances(pallet_balances::Call::transfer_all {
			dest: bob().into(),
			keep_alive: true,
		});
		type Mfa = pallet_mfa::Pallet<Runtime>;
		assert_eq!(Mfa::check_weight(&all), Mfa::check_weight(&keep_alive) + read);
		assert_eq!(
			Mfa::check_weight_plain(&all, true),
			Mfa::check_weight_plain(&keep_alive, true) + read
		);
	});
}
