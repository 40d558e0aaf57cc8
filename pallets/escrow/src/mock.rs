//! A test runtime: u64 accounts, balances, a 1 % fee paid to account 99, 10 blocks an hour, a
//! dispute window of 5 blocks, daemon keys and exhaustion notices recorded by the tests.

use frame_support::{derive_impl, parameter_types};
use frame_system::EnsureRoot;
use sp_core::{ed25519, Pair};
use sp_runtime::{BuildStorage, Perbill};
use std::{cell::RefCell, collections::BTreeMap};

use crate::{self as pallet_escrow, usage_message, DaemonKey, EscrowId, LeaseHooks, UsageRecord};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Escrow: pallet_escrow,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

thread_local! {
	static KEYS: RefCell<BTreeMap<u64, [u8; 32]>> = const { RefCell::new(BTreeMap::new()) };
	static EXHAUSTED: RefCell<Vec<(EscrowId, u64)>> = const { RefCell::new(Vec::new()) };
}

/// The daemon key pair of `provider` (derived from its number).
pub fn daemon(provider: u64) -> ed25519::Pair {
	let mut seed = [7u8; 32];
	seed[..8].copy_from_slice(&provider.to_le_bytes());
	ed25519::Pair::from_seed(&seed)
}

/// Registers `provider`'s daemon key.
pub fn set_daemon(provider: u64) {
	KEYS.with(|k| k.borrow_mut().insert(provider, daemon(provider).public().0));
}

/// A usage record signed by `signer`'s daemon key.
pub fn signed(signer: u64, record: &UsageRecord) -> [u8; 64] {
	daemon(signer).sign(&usage_message(&Escrow::genesis(), record)).0
}

/// Exhaustion notices so far.
pub fn exhausted() -> Vec<(EscrowId, u64)> {
	EXHAUSTED.with(|e| e.borrow().clone())
}

/// Keys as the tests set them.
pub struct Keys;
impl DaemonKey<u64> for Keys {
	fn daemon_key(provider: &u64) -> Option<[u8; 32]> {
		KEYS.with(|k| k.borrow().get(provider).copied())
	}
}

/// Records exhaustion notices and stops accrual, as the market does.
pub struct Notices;
impl LeaseHooks<u64> for Notices {
	fn on_exhausted(id: EscrowId, until: u64) {
		EXHAUSTED.with(|e| e.borrow_mut().push((id, until)));
		let _ = Escrow::stop(id, until);
	}
	fn on_usage(_: EscrowId, _: u64) {}
	fn accrual_limit(_: EscrowId) -> Option<u64> {
		None
	}
}

parameter_types! {
	pub const Fee: Perbill = Perbill::from_percent(1);
	pub const FeeAccount: u64 = 99;
	pub const BlocksPerHour: u32 = 10;
	pub const DisputeWindow: u64 = 5;
	pub const MaxPending: u32 = 4;
}

impl pallet_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type FeeRate = Fee;
	type FeeDestination = FeeAccount;
	type BlocksPerHour = BlocksPerHour;
	type DisputeWindow = DisputeWindow;
	type MaxPending = MaxPending;
	type DaemonKeys = Keys;
	type Leases = Notices;
	type TreasuryOrigin = EnsureRoot<u64>;
	type AdminOrigin = EnsureRoot<u64>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Keys;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for Keys {
	fn set_daemon_key(provider: &u64, key: [u8; 32]) {
		KEYS.with(|k| k.borrow_mut().insert(*provider, key));
	}
}

/// A customer.
pub const CUSTOMER: u64 = 1;
/// A provider.
pub const PROVIDER: u64 = 2;
/// Someone else.
pub const EVE: u64 = 3;
/// Starting balance of everyone.
pub const START: u64 = 1_000_000;

/// Funded accounts (customer, provider, Eve, the fee account, 10..30 for random tests).
pub fn new_test_ext() -> sp_io::TestExternalities {
	KEYS.with(|k| k.borrow_mut().clear());
	EXHAUSTED.with(|e| e.borrow_mut().clear());
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	let mut balances: Vec<(u64, u64)> =
		[CUSTOMER, PROVIDER, EVE, 99].iter().map(|a| (*a, START)).collect();
	balances.extend((10..30).map(|a| (a, START)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.expect("balances");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		set_daemon(PROVIDER);
	});
	ext
}

/// Moves to block `n`.
pub fn run_to(n: u64) {
	System::set_block_number(n);
}
