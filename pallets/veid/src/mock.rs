//! A test runtime: AccountId32 accounts with MultiSignature, balances, and an envelope check
//! that accepts any structurally sound envelope.

use frame_support::{derive_impl, parameter_types, traits::ConstU32, weights::Weight};
use frame_system::EnsureRoot;
use sp_runtime::{
	traits::IdentityLookup, AccountId32, BuildStorage, DispatchError, MultiSignature,
};

use crate as pallet_veid;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Veid: pallet_veid,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId32;
	type Lookup = IdentityLookup<AccountId32>;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

/// Zero weights: the tests are about behaviour.
pub struct TestWeights;
impl crate::WeightInfo for TestWeights {
	fn register_client() -> Weight {
		Weight::zero()
	}
	fn remove_client() -> Weight {
		Weight::zero()
	}
	fn upload_scopes(_: u32) -> Weight {
		Weight::zero()
	}
	fn on_initialize(_: u32) -> Weight {
		Weight::zero()
	}
	fn set_model_set() -> Weight {
		Weight::zero()
	}
	fn commit() -> Weight {
		Weight::zero()
	}
	fn reveal(_: u32) -> Weight {
		Weight::zero()
	}
}

thread_local! {
	/// The committee the mock reports; tests change it.
	pub static COMMITTEE: std::cell::RefCell<Vec<AccountId32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The committee set by the test.
pub struct TestCommittee;
impl crate::Committee<AccountId32> for TestCommittee {
	fn members() -> Vec<AccountId32> {
		COMMITTEE.with(|c| c.borrow().clone())
	}
}

/// Sets the committee.
pub fn set_committee(members: Vec<AccountId32>) {
	COMMITTEE.with(|c| *c.borrow_mut() = members);
}

/// Accepts structurally sound envelopes (the runtime also requires registered, active keys).
pub struct SoundEnvelopes;
impl crate::EnvelopeCheck for SoundEnvelopes {
	fn check(envelope: &virtengine_envelope::Envelope) -> Result<(), DispatchError> {
		virtengine_envelope::verify_structure(envelope, &virtengine_envelope::Limits::DEFAULT)
			.map_err(|_| DispatchError::Other("unsound envelope"))
	}
}

parameter_types! {
	pub const DepositPerByte: u64 = 1;
}

impl pallet_veid::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId32>;
	type UserSignature = MultiSignature;
	type Envelopes = SoundEnvelopes;
	type DepositPerByte = DepositPerByte;
	type MaxEnvelopeBytes = ConstU32<65_536>;
	type MaxScopes = ConstU32<6>;
	type UploadCooldown = ConstU64<10>;
	type RequestTimeout = ConstU64<5>;
	type ValidityPeriod = ConstU64<50>;
	type MaxTimeoutsPerBlock = ConstU32<2>;
	type Committee = TestCommittee;
	type MaxCommittee = ConstU32<10>;
	type CommitBlocks = ConstU64<2>;
	type WeightInfo = TestWeights;
}

use frame_support::traits::ConstU64;

/// Alice and Bob, funded.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("system");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(crate::tests::alice().0, 1_000_000),
			(crate::tests::bob().0, 1_000_000),
			(crate::tests::charlie().0, 1_000_000),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	set_committee((1..=4u8).map(|i| AccountId32::from([100 + i; 32])).collect());
	ext
}
