//! A test runtime: u64 accounts, balances, root as governance and domain verifier, claims valid
//! for 10 blocks, identity tiers and open leases set by the tests.

use frame_support::{derive_impl, parameter_types};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;
use std::{cell::RefCell, collections::BTreeMap};
use virtengine_veid_primitives::Tier;

use crate::{self as pallet_provider, ActiveLeases};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Provider: pallet_provider,
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
	static TIERS: RefCell<BTreeMap<u64, Tier>> = const { RefCell::new(BTreeMap::new()) };
	static LEASES: RefCell<BTreeMap<u64, u32>> = const { RefCell::new(BTreeMap::new()) };
}

/// Sets an account's identity tier.
pub fn set_tier(who: u64, tier: Option<Tier>) {
	TIERS.with(|t| match tier {
		Some(tier) => t.borrow_mut().insert(who, tier),
		None => t.borrow_mut().remove(&who),
	});
}

/// Sets a provider's open leases.
pub fn set_leases(who: u64, n: u32) {
	LEASES.with(|l| l.borrow_mut().insert(who, n));
}

/// Tiers as the tests set them.
pub struct Tiers;
impl pallet_mfa::IdentityTier<u64> for Tiers {
	fn tier(who: &u64) -> Option<Tier> {
		TIERS.with(|t| t.borrow().get(who).copied())
	}
}

/// Leases as the tests set them.
pub struct Leases;
impl ActiveLeases<u64> for Leases {
	fn active_leases(who: &u64) -> u32 {
		LEASES.with(|l| l.borrow().get(who).copied().unwrap_or(0))
	}
}

parameter_types! {
	pub const DepositPerByte: u64 = 2;
	pub const ClaimDuration: u64 = 10;
}

impl pallet_provider::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = DepositPerByte;
	type Identity = Tiers;
	type Leases = Leases;
	type DomainVerifier = EnsureRoot<u64>;
	type ClaimDuration = ClaimDuration;
	type AdminOrigin = EnsureRoot<u64>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Tiers;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for Tiers {
	fn set_standard_tier(who: &u64) {
		set_tier(*who, Some(Tier::Standard));
	}
}

/// A provider-to-be.
pub const ALICE: u64 = 1;
/// Another account.
pub const BOB: u64 = 2;

/// Funded accounts, no tiers, no leases.
pub fn new_test_ext() -> sp_io::TestExternalities {
	TIERS.with(|t| t.borrow_mut().clear());
	LEASES.with(|l| l.borrow_mut().clear());
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, 1_000_000), (BOB, 1_000_000)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
