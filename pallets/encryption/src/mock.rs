//! A test runtime: system, balances and this pallet.

use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::BuildStorage;

use crate as pallet_encryption;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Encryption: pallet_encryption,
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
}

parameter_types! {
	pub const DepositBase: u64 = 100;
	pub const DepositPerByte: u64 = 1;
}

impl pallet_encryption::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = DepositPerByte;
	type DepositBase = DepositBase;
	type MaxKeysPerAccount = ConstU32<3>;
	type MaxRecipients = ConstU32<4>;
	type MaxCiphertextLen = ConstU32<4096>;
	type MaxContentTypeLen = ConstU32<32>;
	type WeightInfo = TestWeights;
}

/// Weights do not matter to these tests.
pub struct TestWeights;
impl crate::WeightInfo for TestWeights {
	fn register_key() -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}
	fn rotate_key() -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}
	fn revoke_key() -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}
	fn remove_key() -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}
	fn check_envelope(_: u32) -> frame_support::weights::Weight {
		frame_support::weights::Weight::zero()
	}
}

/// Accounts 1..=4 hold 10,000 units; account 9 holds too little for a deposit.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("system");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(1, 10_000), (2, 10_000), (3, 10_000), (4, 10_000), (9, 50)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
