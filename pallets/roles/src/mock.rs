//! A test runtime: u64 accounts, root as governance, zero weights, and a `Wrap` pallet whose
//! calls stand in for the runtime's wrappers (pallet_utility's batches, `as_derivative`,
//! `dispatch_as`) and for the calls that protect a customer's funds (pallet_market's
//! `close_lease`, pallet_escrow's `dispute`).

use codec::{Decode, Encode};
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use sp_runtime::{traits::TrailingZeroInput, BuildStorage};

use crate::{self as pallet_roles, ActsAs, CallScope, Role};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Roles: pallet_roles,
		Wrap: wrap,
	}
);

/// Stand-ins for the runtime's wrapper calls and fund-protecting calls. Only their shapes
/// matter: the tests validate transactions, they do not dispatch these.
#[frame_support::pallet]
pub mod wrap {
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	#[pallet::config]
	pub trait Config: frame_system::Config {
		type RuntimeCall: Parameter;
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// As `Utility::batch`: every call as the caller.
		#[pallet::call_index(0)]
		#[pallet::weight(Weight::zero())]
		pub fn batch(
			origin: OriginFor<T>,
			calls: Vec<<T as Config>::RuntimeCall>,
		) -> DispatchResult {
			ensure_signed(origin)?;
			let _ = calls;
			Ok(())
		}

		/// As `Utility::as_derivative`: the call as the caller's derivative account `index`.
		#[pallet::call_index(1)]
		#[pallet::weight(Weight::zero())]
		pub fn as_derivative(
			origin: OriginFor<T>,
			index: u16,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResult {
			ensure_signed(origin)?;
			let _ = (index, call);
			Ok(())
		}

		/// As `Utility::dispatch_as` (root) with a signed origin: the call as `who`.
		#[pallet::call_index(2)]
		#[pallet::weight(Weight::zero())]
		pub fn dispatch_as(
			origin: OriginFor<T>,
			who: T::AccountId,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResult {
			ensure_root(origin)?;
			let _ = (who, call);
			Ok(())
		}

		/// As `Market::close_lease`.
		#[pallet::call_index(3)]
		#[pallet::weight(Weight::zero())]
		pub fn close_lease(origin: OriginFor<T>, id: u64) -> DispatchResult {
			ensure_signed(origin)?;
			let _ = id;
			Ok(())
		}

		/// As `Escrow::dispute`.
		#[pallet::call_index(4)]
		#[pallet::weight(Weight::zero())]
		pub fn dispute(origin: OriginFor<T>, id: u64, seq: u32) -> DispatchResult {
			ensure_signed(origin)?;
			let _ = (id, seq);
			Ok(())
		}

		/// As `Market::create_order`: commits funds, not allowed to a suspended account.
		#[pallet::call_index(5)]
		#[pallet::weight(Weight::zero())]
		pub fn create_order(origin: OriginFor<T>, funds: u64) -> DispatchResult {
			ensure_signed(origin)?;
			let _ = funds;
			Ok(())
		}
	}
}

impl wrap::Config for Test {
	type RuntimeCall = RuntimeCall;
}

/// The derivative account `index` of `who`, as pallet_utility derives it.
pub fn derivative(who: u64, index: u16) -> u64 {
	let entropy = (b"modlpy/utilisuba", who, index).using_encoded(sp_io::hashing::blake2_256);
	u64::decode(&mut TrailingZeroInput::new(entropy.as_ref())).unwrap_or_default()
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	// Non-zero, so the extension's charge and refund can be told apart.
	type DbWeight = frame_support::weights::constants::RocksDbWeight;
}

impl pallet_roles::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type TerminationDelay = ConstU64<10>;
	type CallScope = WrapScope;
	type MaxCallNesting = ConstU32<4>;
	// Zero weights: the tests are about behaviour.
	type WeightInfo = ();
}

/// The mock's wrappers and fund-protecting calls, as the runtime lists its own.
pub struct WrapScope;
impl CallScope<u64, RuntimeCall> for WrapScope {
	fn inner_calls<'a>(
		caller: Option<&u64>,
		call: &'a RuntimeCall,
	) -> Option<Vec<(ActsAs<u64>, &'a RuntimeCall)>> {
		match call {
			RuntimeCall::Wrap(wrap::Call::batch { calls }) => {
				Some(calls.iter().map(|c| (ActsAs::Caller, c)).collect())
			},
			RuntimeCall::Wrap(wrap::Call::as_derivative { index, call }) => {
				let acts_as = match caller {
					Some(who) => ActsAs::Account(derivative(*who, *index)),
					None => ActsAs::NoAccount,
				};
				Some(vec![(acts_as, &**call)])
			},
			RuntimeCall::Wrap(wrap::Call::dispatch_as { who, call }) => {
				Some(vec![(ActsAs::Account(*who), &**call)])
			},
			_ => None,
		}
	}
	fn protects_funds(call: &RuntimeCall) -> bool {
		matches!(
			call,
			RuntimeCall::Wrap(wrap::Call::close_lease { .. } | wrap::Call::dispute { .. })
		)
	}
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
