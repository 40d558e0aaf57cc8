//! A test runtime: AccountId32 accounts with MultiSignature, balances, a fixed clock, and
//! authorized transactions for the members' votes.

use frame_support::{derive_impl, parameter_types, traits::ConstU32, weights::Weight};
use frame_system::EnsureRoot;
use sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage, MultiSignature};

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
	fn publish_committee_key(_: u32) -> Weight {
		Weight::zero()
	}
	fn authorize_commit() -> Weight {
		Weight::zero()
	}
	fn authorize_reveal() -> Weight {
		Weight::zero()
	}
	fn authorize_publish_committee_key() -> Weight {
		Weight::zero()
	}
}

/// The mock's extrinsic: authorized (general) transactions only matter here.
pub type Extrinsic = sp_runtime::generic::UncheckedExtrinsic<AccountId32, RuntimeCall, (), ()>;

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extension = ();
	fn create_transaction(call: RuntimeCall, extension: ()) -> Extrinsic {
		Extrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_extension() {}
}

/// A clock at 2026-11-21 (the pipeline's reference day comes from it).
pub struct TestTime;
impl frame_support::traits::UnixTime for TestTime {
	fn now() -> core::time::Duration {
		core::time::Duration::from_secs(20_778 * 86_400 + 3_600)
	}
}

parameter_types! {
	pub const DepositPerByte: u64 = 1;
}

impl pallet_veid::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId32>;
	type UserSignature = MultiSignature;
	type Time = TestTime;
	type DepositPerByte = DepositPerByte;
	type MaxEnvelopeBytes = ConstU32<65_536>;
	type MaxScopes = ConstU32<6>;
	type UploadCooldown = ConstU64<10>;
	type RequestTimeout = ConstU64<5>;
	type ValidityPeriod = ConstU64<50>;
	type MaxTimeoutsPerBlock = ConstU32<2>;
	type MaxCommittee = ConstU32<10>;
	type VotePriority = ConstU64<{ u64::MAX / 2 }>;
	type CommitBlocks = ConstU64<2>;
	type MinCommittee = ConstU32<3>;
	type WeightInfo = TestWeights;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Sr25519Keystore;
}

/// Benchmark accounts: sr25519 keys generated in the keystore.
#[cfg(feature = "runtime-benchmarks")]
pub struct Sr25519Keystore;
#[cfg(feature = "runtime-benchmarks")]
const BENCH: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"busr");
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId32, MultiSignature> for Sr25519Keystore {
	fn signer() -> AccountId32 {
		AccountId32::from(sp_io::crypto::sr25519_generate(BENCH, None).0)
	}
	fn sign(who: &AccountId32, message: &[u8]) -> MultiSignature {
		let public = sp_core::sr25519::Public::from_raw(*who.as_ref());
		MultiSignature::Sr25519(
			sp_io::crypto::sr25519_sign(BENCH, &public, message).expect("key in the keystore"),
		)
	}
}

use frame_support::traits::ConstU64;

/// Alice, Bob and Charlie funded, members 1-4 the committee, an empty keystore.
pub fn new_test_ext() -> sp_io::TestExternalities {
	new_test_ext_with(sp_keystore::testing::MemoryKeystore::new())
}

/// The same with a given keystore.
pub fn new_test_ext_with(
	keystore: sp_keystore::testing::MemoryKeystore,
) -> sp_io::TestExternalities {
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
	ext.register_extension(sp_keystore::KeystoreExt::new(keystore));
	ext.execute_with(|| {
		System::set_block_number(1);
		crate::tests::start_committee(4);
	});
	ext
}
