//! A test runtime: u64 accounts, balances, root as governance, identity tiers set by the tests,
//! zero weights. Its classifier maps balance transfers to `TransferTokens` and a remark carrying
//! a SCALE-encoded `(Action, value, first, sensitive_detail)` to that action, so every row of the
//! seeds' tables can be exercised through real calls.

use codec::Decode;
use frame_support::{derive_impl, parameter_types, traits::ConstU32, weights::Weight};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;
use std::{cell::RefCell, collections::BTreeMap};
use virtengine_veid_primitives::Tier;

use crate::{
	self as pallet_mfa, Action, Classify, Context, IdentityTier, Thresholds, Unclassifiable,
};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Mfa: pallet_mfa,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	// Non-zero, so the extension's charge and refund can be told apart.
	type DbWeight = frame_support::weights::constants::RocksDbWeight;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

thread_local! {
	static TIERS: RefCell<BTreeMap<u64, Tier>> = const { RefCell::new(BTreeMap::new()) };
}

/// Sets an account's identity tier (`None`: no verified identity).
pub fn set_tier(who: u64, tier: Option<Tier>) {
	TIERS.with(|t| match tier {
		Some(tier) => t.borrow_mut().insert(who, tier),
		None => t.borrow_mut().remove(&who),
	});
}

/// Identity tiers as the tests set them.
pub struct Tiers;
impl IdentityTier<u64> for Tiers {
	fn tier(who: &u64) -> Option<Tier> {
		TIERS.with(|t| t.borrow().get(who).copied())
	}
}

thread_local! {
	static RESTRICTED: RefCell<std::collections::BTreeSet<u64>> =
		const { RefCell::new(std::collections::BTreeSet::new()) };
}

/// Marks an account suspended or terminated (`true`) or in good standing.
pub fn set_restricted(who: u64, restricted: bool) {
	RESTRICTED.with(|r| {
		if restricted {
			r.borrow_mut().insert(who);
		} else {
			r.borrow_mut().remove(&who);
		}
	});
}

/// Account standing as the tests set it.
pub struct MockStanding;
impl crate::Standing<u64> for MockStanding {
	fn restricted(who: &u64) -> bool {
		RESTRICTED.with(|r| r.borrow().contains(who))
	}
}

/// The mock's classifier.
pub struct MockClassifier;
impl Classify<u64, u64, RuntimeCall> for MockClassifier {
	fn classify(
		_: &u64,
		call: &RuntimeCall,
		out: &mut Vec<Context<u64, u64>>,
	) -> Result<(), Unclassifiable> {
		match call {
			RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive { dest, value })
			| RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death { dest, value }) => out
				.push(Context {
					value: *value,
					recipient: Some(*dest),
					..Context::of(Action::TransferTokens)
				}),
			RuntimeCall::System(frame_system::Call::remark { remark }) => {
				if let Ok((action, value, first, sensitive_detail)) =
					<(Action, u64, bool, bool)>::decode(&mut &remark[..])
				{
					out.push(Context { action, value, recipient: None, first, sensitive_detail });
				}
			},
			// A call that cannot be classified.
			RuntimeCall::System(frame_system::Call::remark_with_event { .. }) => {
				return Err(Unclassifiable)
			},
			_ => {},
		}
		Ok(())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn transfer(dest: u64, value: u64) -> Option<RuntimeCall> {
		Some(RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive { dest, value }))
	}
}

/// A remark the mock classifies as `action`.
pub fn action_call(action: Action, value: u64, first: bool, sensitive_detail: bool) -> RuntimeCall {
	use codec::Encode;
	RuntimeCall::System(frame_system::Call::remark {
		remark: (action, value, first, sensitive_detail).encode(),
	})
}

parameter_types! {
	pub const DepositPerByte: u64 = 1;
}

impl pallet_mfa::Config for Test {
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = DepositPerByte;
	type Classifier = MockClassifier;
	type Identity = Tiers;
	type Standing = MockStanding;
	type ValueWindow = ConstU64<100>;
	type AdminOrigin = EnsureRoot<u64>;
	type MaxCredentials = ConstU32<4>;
	type MaxDevices = ConstU32<4>;
	type MaxKnownRecipients = ConstU32<4>;
	type AuthorizationTtl = ConstU64<10>;
	type MaxCodeTtl = ConstU64<100>;
	type RecoveryDelay = ConstU64<20>;
	type MaxCodeAttempts = frame_support::traits::ConstU8<3>;
	type WeightInfo = MockWeights;
}

/// Weights for the extension's charge and refund: the worst check is 1 ms, the plain one
/// 0.1 ms; every call weighs nothing.
pub struct MockWeights;
impl crate::WeightInfo for MockWeights {
	fn register_credential() -> Weight {
		Weight::zero()
	}
	fn remove_credential() -> Weight {
		Weight::zero()
	}
	fn set_channel() -> Weight {
		Weight::zero()
	}
	fn remove_channel() -> Weight {
		Weight::zero()
	}
	fn add_device() -> Weight {
		Weight::zero()
	}
	fn remove_device() -> Weight {
		Weight::zero()
	}
	fn bind_totp() -> Weight {
		Weight::zero()
	}
	fn unbind_totp() -> Weight {
		Weight::zero()
	}
	fn set_requirement() -> Weight {
		Weight::zero()
	}
	fn authorize() -> Weight {
		Weight::zero()
	}
	fn issue_code() -> Weight {
		Weight::zero()
	}
	fn attest_totp() -> Weight {
		Weight::zero()
	}
	fn set_policy() -> Weight {
		Weight::zero()
	}
	fn set_thresholds() -> Weight {
		Weight::zero()
	}
	fn set_relying_party() -> Weight {
		Weight::zero()
	}
	fn add_attester() -> Weight {
		Weight::zero()
	}
	fn remove_attester() -> Weight {
		Weight::zero()
	}
	fn initiate_recovery() -> Weight {
		Weight::zero()
	}
	fn cancel_recovery() -> Weight {
		Weight::zero()
	}
	fn claim_recovery() -> Weight {
		Weight::zero()
	}
	fn check_mfa() -> Weight {
		Weight::from_parts(1_000_000_000, 4_000)
	}
	fn check_mfa_plain() -> Weight {
		Weight::from_parts(100_000_000, 2_000)
	}
}

use frame_support::traits::ConstU64;

/// One VE in the mock: 10^12 units, as in the runtime.
pub const VE: u64 = 1_000_000_000_000;
/// The account under test.
pub const ALICE: u64 = 1;
/// Another account.
pub const BOB: u64 = 2;
/// A recipient Alice knows at genesis.
pub const KNOWN: u64 = 3;
/// A code issuer / TOTP verifier.
pub const ISSUER: u64 = 9;
/// The relying party of the tests (the fixtures were made for it).
pub const RP_ID: &str = "virtengine.test";
/// The origin of the tests.
pub const ORIGIN: &str = "https://app.virtengine.test";

/// Externalities with funded accounts, the seeds' policies and thresholds (10,000 / 1,000 /
/// 5,000 VE), the relying party, an approved issuer and one known recipient for Alice.
pub fn new_test_ext() -> sp_io::TestExternalities {
	TIERS.with(|t| t.borrow_mut().clear());
	RESTRICTED.with(|r| r.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("frame_system genesis");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, 100_000 * VE), (BOB, 100_000 * VE), (KNOWN, VE), (ISSUER, VE)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("genesis");
	pallet_mfa::GenesisConfig::<Test> {
		relying_party: Some((RP_ID.into(), ORIGIN.into())),
		thresholds: Some(Thresholds {
			large_withdrawal: 10_000 * VE,
			large_order: 1_000 * VE,
			large_transfer: 5_000 * VE,
		}),
		policies: vec![],
		attesters: vec![ISSUER],
		known_recipients: vec![(ALICE, vec![KNOWN])],
	}
	.assimilate_storage(&mut storage)
	.expect("genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| System::set_block_number(1));
	ext
}
