//! A test runtime: u64 accounts, root as governance, zero weights.

use frame_support::derive_impl;
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

use crate::{self as pallet_roles, Role};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Roles: pallet_roles,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

impl pallet_roles::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type GovernanceOrigin = EnsureRoot<u64>;
	// Zero weights: the tests are about behaviour.
	type WeightInfo = ();
}

/// The genesis account.
pub const GENESIS: u64 = 1;
/// An administrator.
pub const ADMIN: u64 = 2;
/// A moderator.
pub const MODERATOR: u64 = 3;
/// A service provider.
pub const PROVIDER: u64 = 4;
/// A support agent.
pub const SUPPORT: u64 = 5;
/// A validator.
pub const VALIDATOR: u64 = 6;
/// A customer (no granted role).
pub const CUSTOMER: u64 = 7;

/// One account per role, from genesis.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("system");
	pallet_roles::GenesisConfig::<Test> {
		genesis_accounts: vec![GENESIS],
		roles: vec![
			(ADMIN, Role::Administrator),
			(MODERATOR, Role::Moderator),
			(PROVIDER, Role::ServiceProvider),
			(SUPPORT, Role::SupportAgent),
			(VALIDATOR, Role::Validator),
		],
	}
	.assimilate_storage(&mut storage)
	.expect("roles");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
