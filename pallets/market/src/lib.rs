//! # Market pallet
//!
//! Offerings, orders, bids and leases (`docs/marketplace.md`); the money is `pallet_escrow`'s.
//!
//! - **Offerings** ([`Pallet::create_offering`]): an active provider's category, pricing plans
//!   ([`pallet_escrow::Rate`]: fixed per hour and per unit of usage), the identity tier a customer
//!   needs, and details only the provider can read (an envelope sealed to its own key).
//! - **Orders** ([`Pallet::create_order`]): for an offering's plan or for requirements (category,
//!   region, capabilities); the configuration sealed to the provider; a maximum price; funds held
//!   in escrow.
//! - **Bids** ([`Pallet::bid`]): a provider's price, within the order's maximum, until a block.
//! - **Leases**: accepting a bid ([`Pallet::accept_bid`]) creates the lease, numbered like its
//!   order. States: ORDER_OPEN → MATCHED → LEASE_ACTIVE → LEASE_CLOSING → LEASE_CLOSED
//!   ([`LeaseState`]), with the seeds' SLA timeouts: matched but not provisioned within
//!   [`Config::ProvisionTimeout`] → cancelled and refunded; no heartbeat or usage within
//!   [`Config::HeartbeatTimeout`] → closing; funds exhausted → closing; closing lasts
//!   [`Config::ClosingTimeout`] (final usage), then the escrow settles and refunds.
//! - **Timeouts** are deadlines kept in storage, one per lease, processed in `on_initialize` at
//!   most [`Config::MaxDeadlinesPerBlock`] a block behind a cursor: bounded work, nothing lost
//!   under load (late at worst).
//! - **Access details** ([`Pallet::set_access_details`]): the lease's provider tells the
//!   customer where the workload's output is and how to reach it (the daemon's gateway), in an
//!   envelope sealed to the customer's active envelope key (`pallet_encryption`).
//! - **Reviews** ([`Pallet::review`]) only between the two parties of a lease that ran, during
//!   [`Config::ReviewWindow`] after it closed; the ratings add up per account. **Blocking**
//!   ([`Pallet::block_customer`]): a provider refuses a customer's orders.
//!
//! Every record is paid for with a deposit per byte ([`Config::DepositPerByte`]), released when
//! the record goes.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use pallet_escrow::{EscrowId, Rate};
use scale_info::TypeInfo;
use virtengine_veid_primitives::Tier;

/// An offering's number.
pub type OfferingId = u64;
/// An order's number; its lease has the same.
pub type OrderId = EscrowId;

/// The largest sealed envelope an offering, order or lease carries, in bytes.
pub const MAX_SEALED: u32 = 4096;
/// [`MAX_SEALED`] as a type.
pub type MaxSealed = ConstU32<MAX_SEALED>;
/// What every envelope the market stores must stay within (an offering's details, an order's
/// configuration, a lease's access details): at most 8 recipients, [`MAX_SEALED`] bytes of
/// ciphertext, a 64-byte content type. Clients seal within the same bounds.
pub const SEALED_LIMITS: virtengine_envelope::Limits = virtengine_envelope::Limits {
	max_recipients: 8,
	max_ciphertext: MAX_SEALED,
	max_content_type: 64,
};
/// An envelope (SCALE), sealed to the provider.
pub type Sealed = BoundedVec<u8, MaxSealed>;
/// A plan's or region's name.
pub type Name = BoundedVec<u8, ConstU32<32>>;
/// A review's text.
pub type Comment = BoundedVec<u8, ConstU32<256>>;

/// What an offering sells.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Category {
	/// Containers or virtual machines.
	Compute,
	/// GPU compute.
	Gpu,
	/// Storage.
	Storage,
	/// Batch jobs on an HPC cluster (SLURM).
	Hpc,
}

/// A pricing plan.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Plan<Balance> {
	/// Its name.
	pub name: Name,
	/// Its price.
	pub rate: Rate<Balance>,
}

/// An offering.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Offering<AccountId, Balance> {
	/// The provider.
	pub provider: AccountId,
	/// What it sells.
	pub category: Category,
	/// Pricing plans.
	pub plans: BoundedVec<Plan<Balance>, ConstU32<4>>,
	/// The identity tier a customer needs, if any.
	pub required_tier: Option<Tier>,
	/// Details only the provider reads (sealed to its own key).
	pub details: Sealed,
	/// Whether it takes orders.
	pub active: bool,
	/// The deposit held.
	pub deposit: Balance,
}

/// What an order is for.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum Target {
	/// A plan of an offering: only its provider bids.
	Offering {
		/// The offering.
		id: OfferingId,
		/// The plan's index.
		plan: u8,
	},
	/// Any provider that meets these.
	Requirements {
		/// The category.
		category: Category,
		/// The region (empty: any).
		region: Name,
		/// Capability flags the provider must all have (`pallet_provider::capability`).
		capabilities: u32,
	},
}

/// An order's state.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum OrderState {
	/// ORDER_OPEN: awaiting bids; the customer may cancel.
	Open,
	/// A bid was accepted: the lease of the same number carries on.
	Matched,
}

/// An order.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Order<AccountId, Balance, BlockNumber> {
	/// The customer.
	pub customer: AccountId,
	/// What for.
	pub target: Target,
	/// The configuration, sealed to the provider (for requirements: given when accepting).
	pub config: Option<Sealed>,
	/// The most the customer pays.
	pub max_price: Rate<Balance>,
	/// Its state.
	pub state: OrderState,
	/// Open bids.
	pub bids: u32,
	/// When it was created.
	pub created: BlockNumber,
	/// The storage deposit held (order, lease, escrow, deadline).
	pub deposit: Balance,
}

/// A bid.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Bid<Balance, BlockNumber> {
	/// The price.
	pub price: Rate<Balance>,
	/// It lapses after this block.
	pub expires: BlockNumber,
	/// The deposit held on the provider.
	pub deposit: Balance,
}

/// Why a lease closes.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum CloseReason {
	/// The customer asked.
	ByCustomer,
	/// The provider asked.
	ByProvider,
	/// Matched but not provisioned in time: cancelled and refunded.
	NotProvisioned,
	/// No heartbeat or usage in time.
	NoHeartbeat,
	/// The escrow ran out of funds.
	FundsExhausted,
}

/// A lease's state.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum LeaseState {
	/// MATCHED: awaiting provisioning.
	Matched,
	/// LEASE_ACTIVE: the workload runs; heartbeats due.
	Active,
	/// LEASE_CLOSING: termination requested; final usage accepted.
	Closing(CloseReason),
	/// LEASE_CLOSED: terminated and settled; reviews open.
	Closed(CloseReason),
}

/// A lease.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Lease<AccountId, Balance, BlockNumber> {
	/// The customer.
	pub customer: AccountId,
	/// The provider.
	pub provider: AccountId,
	/// The price (the accepted bid's).
	pub price: Rate<Balance>,
	/// Its state.
	pub state: LeaseState,
	/// When it entered that state.
	pub since: BlockNumber,
	/// When it started running, if it did.
	pub started: Option<BlockNumber>,
	/// The last heartbeat or usage record.
	pub last_seen: BlockNumber,
	/// The block of its deadline entry.
	pub deadline: BlockNumber,
}

/// A lease's access details, sealed to its customer.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Access<Balance> {
	/// The envelope (its content is the provider's: `docs/provider-daemon.md` tells the daemon's).
	pub details: Sealed,
	/// The deposit held on the provider.
	pub deposit: Balance,
}

/// The envelope keys accounts registered: access details are sealed to the customer's.
pub trait EnvelopeKeys<AccountId> {
	/// `who`'s active X25519 public key, if it has one.
	fn active_key(who: &AccountId) -> Option<[u8; 32]>;
}

/// A review of one party of a lease by the other.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Review<Balance> {
	/// 1 to 5.
	pub rating: u8,
	/// Text.
	pub comment: Comment,
	/// The deposit held on the reviewer.
	pub deposit: Balance,
}

/// The X25519 secret of the benchmark provider's encryption key (`src/bench_envelope.scale` is
/// sealed to it). Benchmarks and tests only.
#[cfg(any(test, feature = "runtime-benchmarks"))]
pub const BENCH_ENC_SECRET: [u8; 32] = [0x33; 32];

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` an active provider whose encryption key is [`benchmark_key`]'s recipient and
	/// whose daemon key is `daemon`.
	fn make_provider(who: &AccountId, encryption_key: [u8; 32], daemon: [u8; 32]);
	/// Gives `who` a verified identity of tier Premium.
	fn set_premium_tier(who: &AccountId);
	/// Makes `public` `who`'s active envelope key.
	fn set_envelope_key(who: &AccountId, public: [u8; 32]);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{fungible::MutateHold, tokens::Precision},
	};
	use frame_system::pallet_prelude::*;
	use pallet_mfa::IdentityTier;
	use sp_runtime::traits::{One, Saturating};

	/// The token's balance type.
	pub type BalanceOf<T> = pallet_escrow::BalanceOf<T>;
	/// An offering of this runtime.
	pub type OfferingOf<T> = Offering<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
	/// An order of this runtime.
	pub type OrderOf<T> =
		Order<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	/// A bid of this runtime.
	pub type BidOf<T> = Bid<BalanceOf<T>, BlockNumberFor<T>>;
	/// A lease of this runtime.
	pub type LeaseOf<T> =
		Lease<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
	/// A rate of this runtime.
	pub type RateOf<T> = Rate<BalanceOf<T>>;
	/// Access details of this runtime.
	pub type AccessOf<T> = Access<BalanceOf<T>>;

	#[pallet::config]
	pub trait Config:
		frame_system::Config + pallet_escrow::Config + pallet_provider::Config
	{
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
		/// The token: storage deposits.
		type Currency: MutateHold<
			Self::AccountId,
			Reason = <Self as Config>::RuntimeHoldReason,
			Balance = BalanceOf<Self>,
		>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// Deposit per stored byte.
		type DepositPerByte: Get<BalanceOf<Self>>;
		/// Identity tiers (VEID).
		type Identity: IdentityTier<Self::AccountId>;
		/// The accounts' envelope keys (access details are sealed to the customer's).
		type EnvelopeKeys: EnvelopeKeys<Self::AccountId>;
		/// Most open bids per order.
		#[pallet::constant]
		type MaxBids: Get<u32>;
		/// Most deadlines processed per block.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;
		/// A matched lease not provisioned within this is cancelled and refunded.
		#[pallet::constant]
		type ProvisionTimeout: Get<BlockNumberFor<Self>>;
		/// An active lease without heartbeat or usage for this long starts closing.
		#[pallet::constant]
		type HeartbeatTimeout: Get<BlockNumberFor<Self>>;
		/// A closing lease is terminated and settled after this.
		#[pallet::constant]
		type ClosingTimeout: Get<BlockNumberFor<Self>>;
		/// Reviews are open for this long after a lease closes; then its records go.
		#[pallet::constant]
		type ReviewWindow: Get<BlockNumberFor<Self>>;
		/// Weights.
		type WeightInfo: WeightInfo;
		/// Benchmark set-up the runtime provides.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Deposits for stored offerings, orders, bids, reviews and blocks.
		Storage,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// The next offering's number.
	#[pallet::storage]
	pub type NextOffering<T> = StorageValue<_, OfferingId, ValueQuery>;

	/// The next order's number.
	#[pallet::storage]
	pub type NextOrder<T> = StorageValue<_, OrderId, ValueQuery>;

	/// Offerings.
	#[pallet::storage]
	pub type Offerings<T: Config> = StorageMap<_, Blake2_128Concat, OfferingId, OfferingOf<T>>;

	/// Orders.
	#[pallet::storage]
	pub type Orders<T: Config> = StorageMap<_, Blake2_128Concat, OrderId, OrderOf<T>>;

	/// Bids by order and provider.
	#[pallet::storage]
	pub type Bids<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, OrderId, Blake2_128Concat, T::AccountId, BidOf<T>>;

	/// Leases, numbered as their orders.
	#[pallet::storage]
	pub type Leases<T: Config> = StorageMap<_, Blake2_128Concat, OrderId, LeaseOf<T>>;

	/// Leases per provider that are not closed.
	#[pallet::storage]
	pub type OpenLeases<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Orders ever created per customer and offerings per provider (MFA asks about the first).
	#[pallet::storage]
	pub type Counts<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (u32, u32), ValueQuery>;

	/// Deadlines: (block, lease). One per lease.
	#[pallet::storage]
	pub type Deadlines<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, OrderId, ()>;

	/// How many deadlines are stored.
	#[pallet::storage]
	pub type DeadlineCount<T> = StorageValue<_, u32, ValueQuery>;

	/// The first block whose deadlines are not all processed.
	#[pallet::storage]
	pub type DeadlineCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// Leases' access details, sealed to their customers (with the provider's deposit).
	#[pallet::storage]
	pub type LeaseAccess<T: Config> = StorageMap<_, Blake2_128Concat, OrderId, AccessOf<T>>;

	/// Customers a provider refuses (with the deposit held).
	#[pallet::storage]
	pub type Blocked<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		BalanceOf<T>,
	>;

	/// Reviews by lease and reviewer.
	#[pallet::storage]
	pub type Reviews<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		OrderId,
		Blake2_128Concat,
		T::AccountId,
		Review<BalanceOf<T>>,
	>;

	/// Ratings received per account: (sum, count).
	#[pallet::storage]
	pub type Ratings<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (u32, u32), ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An offering was created.
		OfferingCreated { id: OfferingId, provider: T::AccountId },
		/// An offering was changed.
		OfferingUpdated { id: OfferingId },
		/// An offering was removed.
		OfferingRemoved { id: OfferingId },
		/// An order was created (ORDER_OPEN).
		OrderCreated { id: OrderId, customer: T::AccountId, funds: BalanceOf<T> },
		/// An open order was cancelled and refunded.
		OrderCancelled { id: OrderId },
		/// A provider bid (or changed its bid).
		BidPlaced { order: OrderId, provider: T::AccountId, expires: BlockNumberFor<T> },
		/// A bid was withdrawn.
		BidWithdrawn { order: OrderId, provider: T::AccountId },
		/// A lease's state changed.
		LeaseState { id: OrderId, state: LeaseState },
		/// A review.
		Reviewed { lease: OrderId, by: T::AccountId, of: T::AccountId, rating: u8 },
		/// A provider blocked (`true`) or unblocked a customer.
		CustomerBlocked { provider: T::AccountId, customer: T::AccountId, blocked: bool },
		/// A closed lease's records were removed.
		LeaseRemoved { id: OrderId },
		/// The provider gave (or replaced) a lease's access details.
		AccessDetailsSet { id: OrderId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Not an active provider.
		NotActiveProvider,
		/// No such offering.
		NoOffering,
		/// Not yours.
		NotOwner,
		/// No such plan, or no plan at all.
		BadPlan,
		/// A rate names a unit twice.
		BadRate,
		/// The offering takes no orders.
		OfferingInactive,
		/// Your identity tier is below the offering's requirement.
		TierTooLow,
		/// The provider blocked this customer.
		Blocked,
		/// No such order.
		NoOrder,
		/// The order is not open.
		NotOpen,
		/// The envelope is malformed.
		BadEnvelope,
		/// The envelope is not sealed to the provider's key.
		NotSealedToProvider,
		/// An offering's order needs its configuration; a requirements order gets it when
		/// accepting.
		ConfigRequired,
		/// A requirements order takes its configuration when a bid is accepted.
		ConfigNotYet,
		/// The price is above the order's maximum or the plan's.
		PriceTooHigh,
		/// The provider does not meet the order's requirements.
		RequirementsNotMet,
		/// The bid's expiry is not in the future.
		BadExpiry,
		/// The order has the most bids it takes.
		TooManyBids,
		/// No such bid.
		NoBid,
		/// The bid has expired.
		BidExpired,
		/// The bid costs more than the price the customer accepted: it was raised.
		PriceChanged,
		/// A provider cannot buy from itself.
		SelfDealing,
		/// No such lease.
		NoLease,
		/// Not a party of this lease.
		NotParty,
		/// The lease is not in a state this applies to.
		BadState,
		/// Reviews need a lease that ran and closed, within the review window, once per party.
		CannotReview,
		/// A rating is 1 to 5.
		BadRating,
		/// The lease timed out (not provisioned in time, or its heartbeat lapsed); its deadline,
		/// due already, closes it.
		TimedOut,
		/// Already blocked / not blocked.
		NoChange,
		/// The customer has no active envelope key to seal access details to.
		NoCustomerKey,
		/// The envelope is not sealed to the customer's active key.
		NotSealedToCustomer,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_deadlines(now)
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			let leases = Leases::<T>::iter().count() as u32;
			ensure!(DeadlineCount::<T>::get() == leases, "one deadline per lease");
			Ok(())
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// An active provider creates an offering.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::create_offering())]
		pub fn create_offering(
			origin: OriginFor<T>,
			category: Category,
			plans: BoundedVec<Plan<BalanceOf<T>>, ConstU32<4>>,
			required_tier: Option<Tier>,
			details: Sealed,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let provider =
				pallet_provider::Pallet::<T>::active(&who).ok_or(Error::<T>::NotActiveProvider)?;
			Self::check_plans(&plans)?;
			Self::check_sealed(&details, &provider.encryption_key)?;
			let deposit = Self::deposit(OfferingOf::<T>::max_encoded_len());
			<T as Config>::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
			let id = NextOffering::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			Offerings::<T>::insert(
				id,
				Offering {
					provider: who.clone(),
					category,
					plans,
					required_tier,
					details,
					active: true,
					deposit,
				},
			);
			Counts::<T>::mutate(&who, |c| c.1 = c.1.saturating_add(1));
			Self::deposit_event(Event::OfferingCreated { id, provider: who });
			Ok(())
		}

		/// The provider changes its offering (open orders keep the price they were made at;
		/// new bids are held to the new plans).
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::update_offering())]
		pub fn update_offering(
			origin: OriginFor<T>,
			id: OfferingId,
			plans: BoundedVec<Plan<BalanceOf<T>>, ConstU32<4>>,
			required_tier: Option<Tier>,
			details: Sealed,
			active: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let provider =
				pallet_provider::Providers::<T>::get(&who).ok_or(Error::<T>::NotActiveProvider)?;
			Self::check_plans(&plans)?;
			Self::check_sealed(&details, &provider.encryption_key)?;
			Offerings::<T>::try_mutate(id, |o| {
				let o = o.as_mut().ok_or(Error::<T>::NoOffering)?;
				ensure!(o.provider == who, Error::<T>::NotOwner);
				o.plans = plans;
				o.required_tier = required_tier;
				o.details = details;
				o.active = active;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::OfferingUpdated { id });
			Ok(())
		}

		/// The provider removes its offering and gets its deposit back; open orders for it can
		/// no longer be bid on.
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::remove_offering())]
		pub fn remove_offering(origin: OriginFor<T>, id: OfferingId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let o = Offerings::<T>::get(id).ok_or(Error::<T>::NoOffering)?;
			ensure!(o.provider == who, Error::<T>::NotOwner);
			Self::release(&who, o.deposit)?;
			Offerings::<T>::remove(id);
			Self::deposit_event(Event::OfferingRemoved { id });
			Ok(())
		}

		/// A customer orders: for an offering's plan (configuration sealed to its provider) or
		/// for requirements (configuration given when accepting a bid). `funds` go into escrow;
		/// a deposit pays for the records.
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::create_order())]
		pub fn create_order(
			origin: OriginFor<T>,
			target: Target,
			config: Option<Sealed>,
			max_price: RateOf<T>,
			funds: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(max_price.is_valid(), Error::<T>::BadRate);
			match &target {
				Target::Offering { id, plan } => {
					let o = Offerings::<T>::get(id).ok_or(Error::<T>::NoOffering)?;
					ensure!(o.active, Error::<T>::OfferingInactive);
					ensure!(o.plans.get(*plan as usize).is_some(), Error::<T>::BadPlan);
					ensure!(o.provider != who, Error::<T>::SelfDealing);
					ensure!(!Blocked::<T>::contains_key(&o.provider, &who), Error::<T>::Blocked);
					if let Some(required) = o.required_tier {
						ensure!(
							<T as Config>::Identity::tier(&who).is_some_and(|t| t >= required),
							Error::<T>::TierTooLow
						);
					}
					let key = pallet_provider::Providers::<T>::get(&o.provider)
						.ok_or(Error::<T>::NotActiveProvider)?
						.encryption_key;
					let config = config.as_ref().ok_or(Error::<T>::ConfigRequired)?;
					Self::check_sealed(config, &key)?;
				},
				Target::Requirements { .. } => ensure!(config.is_none(), Error::<T>::ConfigNotYet),
			}
			let deposit = Self::order_deposit();
			<T as Config>::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
			let id = NextOrder::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			pallet_escrow::Pallet::<T>::open(id, &who, funds)?;
			Orders::<T>::insert(
				id,
				Order {
					customer: who.clone(),
					target,
					config,
					max_price,
					state: OrderState::Open,
					bids: 0,
					created: frame_system::Pallet::<T>::block_number(),
					deposit,
				},
			);
			Counts::<T>::mutate(&who, |c| c.0 = c.0.saturating_add(1));
			Self::deposit_event(Event::OrderCreated { id, customer: who, funds });
			Ok(())
		}

		/// The customer cancels an open order: bids, funds and deposit go back.
		#[pallet::call_index(4)]
		#[pallet::weight(<T as Config>::WeightInfo::cancel_order(<T as Config>::MaxBids::get()))]
		pub fn cancel_order(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let order = Orders::<T>::get(id).ok_or(Error::<T>::NoOrder)?;
			ensure!(order.customer == who, Error::<T>::NotOwner);
			ensure!(order.state == OrderState::Open, Error::<T>::NotOpen);
			Self::clear_bids(id)?;
			pallet_escrow::Pallet::<T>::finish(id)?;
			Self::release(&who, order.deposit)?;
			Orders::<T>::remove(id);
			Self::deposit_event(Event::OrderCancelled { id });
			Ok(())
		}

		/// An active provider bids on an open order (replacing its previous bid).
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::bid())]
		pub fn bid(
			origin: OriginFor<T>,
			order: OrderId,
			price: RateOf<T>,
			expires: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let provider =
				pallet_provider::Pallet::<T>::active(&who).ok_or(Error::<T>::NotActiveProvider)?;
			let mut o = Orders::<T>::get(order).ok_or(Error::<T>::NoOrder)?;
			ensure!(o.state == OrderState::Open, Error::<T>::NotOpen);
			ensure!(o.customer != who, Error::<T>::SelfDealing);
			ensure!(!Blocked::<T>::contains_key(&who, &o.customer), Error::<T>::Blocked);
			ensure!(price.is_valid(), Error::<T>::BadRate);
			ensure!(price.within(&o.max_price), Error::<T>::PriceTooHigh);
			ensure!(expires > frame_system::Pallet::<T>::block_number(), Error::<T>::BadExpiry);
			match &o.target {
				Target::Offering { id, plan } => {
					let offering = Offerings::<T>::get(id).ok_or(Error::<T>::NoOffering)?;
					ensure!(offering.provider == who, Error::<T>::RequirementsNotMet);
					let plan = offering.plans.get(*plan as usize).ok_or(Error::<T>::BadPlan)?;
					ensure!(price.within(&plan.rate), Error::<T>::PriceTooHigh);
				},
				Target::Requirements { region, capabilities, .. } => {
					let a = &provider.attributes;
					ensure!(
						(region.is_empty() || a.region.as_slice() == region.as_slice())
							&& a.capabilities & capabilities == *capabilities,
						Error::<T>::RequirementsNotMet
					);
				},
			}
			let deposit = match Bids::<T>::get(order, &who) {
				Some(old) => old.deposit,
				None => {
					ensure!(o.bids < <T as Config>::MaxBids::get(), Error::<T>::TooManyBids);
					let deposit = Self::deposit(BidOf::<T>::max_encoded_len() + 48);
					<T as Config>::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
					o.bids = o.bids.saturating_add(1);
					Orders::<T>::insert(order, &o);
					deposit
				},
			};
			Bids::<T>::insert(order, &who, Bid { price, expires, deposit });
			Self::deposit_event(Event::BidPlaced { order, provider: who, expires });
			Ok(())
		}

		/// A provider withdraws its bid.
		#[pallet::call_index(6)]
		#[pallet::weight(<T as Config>::WeightInfo::withdraw_bid())]
		pub fn withdraw_bid(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let bid = Bids::<T>::take(order, &who).ok_or(Error::<T>::NoBid)?;
			Self::release(&who, bid.deposit)?;
			Orders::<T>::mutate(order, |o| {
				if let Some(o) = o {
					o.bids = o.bids.saturating_sub(1);
				}
			});
			Self::deposit_event(Event::BidWithdrawn { order, provider: who });
			Ok(())
		}

		/// The customer accepts `provider`'s bid at `price`, the price it saw: a bid above it in
		/// any component (raised after the customer looked) is refused with `PriceChanged`; the
		/// lease takes the bid's price. The lease is MATCHED and the provider must provision
		/// within the provision timeout. A requirements order gives its configuration, sealed to
		/// this provider, now. Emits `LeaseState`.
		#[pallet::call_index(7)]
		#[pallet::weight(<T as Config>::WeightInfo::accept_bid(<T as Config>::MaxBids::get()))]
		pub fn accept_bid(
			origin: OriginFor<T>,
			order: OrderId,
			provider: T::AccountId,
			price: RateOf<T>,
			config: Option<Sealed>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut o = Orders::<T>::get(order).ok_or(Error::<T>::NoOrder)?;
			ensure!(o.customer == who, Error::<T>::NotOwner);
			ensure!(o.state == OrderState::Open, Error::<T>::NotOpen);
			let bid = Bids::<T>::get(order, &provider).ok_or(Error::<T>::NoBid)?;
			ensure!(bid.price.within(&price), Error::<T>::PriceChanged);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(bid.expires >= now, Error::<T>::BidExpired);
			let p = pallet_provider::Pallet::<T>::active(&provider)
				.ok_or(Error::<T>::NotActiveProvider)?;
			ensure!(!Blocked::<T>::contains_key(&provider, &who), Error::<T>::Blocked);
			match (&o.config, config) {
				(None, Some(config)) => {
					Self::check_sealed(&config, &p.encryption_key)?;
					o.config = Some(config);
				},
				(None, None) => return Err(Error::<T>::ConfigRequired.into()),
				(Some(_), Some(_)) => return Err(Error::<T>::ConfigNotYet.into()),
				(Some(_), None) => {},
			}
			Self::clear_bids(order)?;
			pallet_escrow::Pallet::<T>::assign(order, &provider, bid.price.clone())?;
			o.state = OrderState::Matched;
			o.bids = 0;
			Orders::<T>::insert(order, o);
			let deadline = now.saturating_add(<T as Config>::ProvisionTimeout::get());
			Leases::<T>::insert(
				order,
				Lease {
					customer: who,
					provider: provider.clone(),
					price: bid.price,
					state: LeaseState::Matched,
					since: now,
					started: None,
					last_seen: now,
					deadline,
				},
			);
			Self::add_deadline(order, deadline);
			OpenLeases::<T>::mutate(&provider, |n| *n = n.saturating_add(1));
			Self::deposit_event(Event::LeaseState { id: order, state: LeaseState::Matched });
			Ok(())
		}

		/// The provider reports the workload provisioned: LEASE_ACTIVE, the rate accrues from
		/// now.
		#[pallet::call_index(8)]
		#[pallet::weight(<T as Config>::WeightInfo::start_lease())]
		pub fn start_lease(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::NoLease)?;
			ensure!(lease.provider == who, Error::<T>::NotParty);
			ensure!(lease.state == LeaseState::Matched, Error::<T>::BadState);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(Self::overdue(&lease, now).is_none(), Error::<T>::TimedOut);
			pallet_escrow::Pallet::<T>::start(id, now)?;
			lease.state = LeaseState::Active;
			lease.since = now;
			lease.started = Some(now);
			lease.last_seen = now;
			let deadline = Self::active_deadline(id, &lease, now);
			Self::set_deadline(id, &mut lease, deadline);
			Leases::<T>::insert(id, lease);
			Self::deposit_event(Event::LeaseState { id, state: LeaseState::Active });
			Ok(())
		}

		/// The provider's heartbeat: the workload still runs. A heartbeat after the lapse is
		/// refused (`TimedOut`) even if the deadline has not been processed yet: a lapsed lease
		/// is not revived.
		#[pallet::call_index(9)]
		#[pallet::weight(<T as Config>::WeightInfo::heartbeat())]
		pub fn heartbeat(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let now = frame_system::Pallet::<T>::block_number();
			Leases::<T>::try_mutate(id, |l| {
				let l = l.as_mut().ok_or(Error::<T>::NoLease)?;
				ensure!(l.provider == who, Error::<T>::NotParty);
				ensure!(l.state == LeaseState::Active, Error::<T>::BadState);
				ensure!(Self::overdue(l, now).is_none(), Error::<T>::TimedOut);
				l.last_seen = now;
				Ok::<_, Error<T>>(())
			})?;
			Ok(())
		}

		/// Either party closes the lease: a matched lease is cancelled and refunded at once; an
		/// active one starts LEASE_CLOSING (the rate stops; final usage is accepted until the
		/// closing timeout). A lease whose timeout passed before its deadline was processed
		/// closes as that timeout would have closed it (a lapsed heartbeat stops the rate at the
		/// lapse).
		#[pallet::call_index(10)]
		#[pallet::weight(<T as Config>::WeightInfo::close_lease())]
		pub fn close_lease(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let lease = Leases::<T>::get(id).ok_or(Error::<T>::NoLease)?;
			let reason = if who == lease.customer {
				CloseReason::ByCustomer
			} else if who == lease.provider {
				CloseReason::ByProvider
			} else {
				return Err(Error::<T>::NotParty.into());
			};
			let now = frame_system::Pallet::<T>::block_number();
			let (reason, until) = Self::overdue(&lease, now).unwrap_or((reason, now));
			match lease.state {
				LeaseState::Matched => Self::close(id, reason),
				LeaseState::Active => Self::begin_closing(id, reason, until),
				_ => Err(Error::<T>::BadState.into()),
			}
		}

		/// A party of a lease that ran reviews the other, once, within the review window.
		#[pallet::call_index(11)]
		#[pallet::weight(<T as Config>::WeightInfo::review())]
		pub fn review(
			origin: OriginFor<T>,
			id: OrderId,
			rating: u8,
			comment: Comment,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!((1..=5).contains(&rating), Error::<T>::BadRating);
			let lease = Leases::<T>::get(id).ok_or(Error::<T>::NoLease)?;
			let of = if who == lease.customer {
				lease.provider.clone()
			} else if who == lease.provider {
				lease.customer.clone()
			} else {
				return Err(Error::<T>::NotParty.into());
			};
			ensure!(
				matches!(lease.state, LeaseState::Closed(_))
					&& lease.started.is_some()
					&& !Reviews::<T>::contains_key(id, &who),
				Error::<T>::CannotReview
			);
			let deposit = Self::deposit(Review::<BalanceOf<T>>::max_encoded_len() + 48);
			<T as Config>::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
			Reviews::<T>::insert(id, &who, Review { rating, comment, deposit });
			Ratings::<T>::mutate(&of, |(sum, count)| {
				*sum = sum.saturating_add(rating.into());
				*count = count.saturating_add(1);
			});
			Self::deposit_event(Event::Reviewed { lease: id, by: who, of, rating });
			Ok(())
		}

		/// A provider refuses a customer's orders and bids from now on.
		#[pallet::call_index(12)]
		#[pallet::weight(<T as Config>::WeightInfo::set_blocked())]
		pub fn block_customer(origin: OriginFor<T>, customer: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				pallet_provider::Providers::<T>::contains_key(&who),
				Error::<T>::NotActiveProvider
			);
			ensure!(!Blocked::<T>::contains_key(&who, &customer), Error::<T>::NoChange);
			let deposit = Self::deposit(96);
			<T as Config>::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
			Blocked::<T>::insert(&who, &customer, deposit);
			Self::deposit_event(Event::CustomerBlocked { provider: who, customer, blocked: true });
			Ok(())
		}

		/// A provider accepts a customer again.
		#[pallet::call_index(13)]
		#[pallet::weight(<T as Config>::WeightInfo::set_blocked())]
		pub fn unblock_customer(origin: OriginFor<T>, customer: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let deposit = Blocked::<T>::take(&who, &customer).ok_or(Error::<T>::NoChange)?;
			Self::release(&who, deposit)?;
			Self::deposit_event(Event::CustomerBlocked { provider: who, customer, blocked: false });
			Ok(())
		}

		/// The lease's provider gives its customer the access details (where the workload's
		/// output is, how to reach it), sealed to the customer's active envelope key; they
		/// replace earlier ones. A deposit for every stored byte is held on the provider until
		/// the lease's records go.
		#[pallet::call_index(14)]
		#[pallet::weight(<T as Config>::WeightInfo::set_access_details())]
		pub fn set_access_details(
			origin: OriginFor<T>,
			id: OrderId,
			details: Sealed,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let lease = Leases::<T>::get(id).ok_or(Error::<T>::NoLease)?;
			ensure!(lease.provider == who, Error::<T>::NotParty);
			ensure!(
				matches!(lease.state, LeaseState::Matched | LeaseState::Active),
				Error::<T>::BadState
			);
			let key = <T as Config>::EnvelopeKeys::active_key(&lease.customer)
				.ok_or(Error::<T>::NoCustomerKey)?;
			Self::check_sealed_to(&details, &key, Error::<T>::NotSealedToCustomer)?;
			// The record and its key (a hash and the lease number).
			let deposit = Self::deposit(details.len() + 16 + 8 + 16);
			<T as Config>::Currency::hold(&HoldReason::Storage.into(), &who, deposit)?;
			if let Some(old) = LeaseAccess::<T>::get(id) {
				Self::release(&who, old.deposit)?;
			}
			LeaseAccess::<T>::insert(id, Access { details, deposit });
			Self::deposit_event(Event::AccessDetailsSet { id });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The deposit of a customer's order: the order, its lease, its escrow and its deadline.
		pub fn order_deposit() -> BalanceOf<T> {
			Self::deposit(
				OrderOf::<T>::max_encoded_len()
					+ LeaseOf::<T>::max_encoded_len()
					+ pallet_escrow::EscrowOf::<T>::max_encoded_len()
					+ 64,
			)
		}

		/// Whether `who` never ordered (`customer`) or never offered.
		pub fn first(who: &T::AccountId, customer: bool) -> bool {
			let (orders, offerings) = Counts::<T>::get(who);
			if customer {
				orders == 0
			} else {
				offerings == 0
			}
		}

		fn deposit(bytes: usize) -> BalanceOf<T> {
			<T as Config>::DepositPerByte::get().saturating_mul((bytes as u32).into())
		}

		fn release(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
			<T as Config>::Currency::release(
				&HoldReason::Storage.into(),
				who,
				amount,
				Precision::BestEffort,
			)?;
			Ok(())
		}

		fn check_plans(plans: &[Plan<BalanceOf<T>>]) -> DispatchResult {
			ensure!(!plans.is_empty(), Error::<T>::BadPlan);
			ensure!(plans.iter().all(|p| p.rate.is_valid()), Error::<T>::BadRate);
			Ok(())
		}

		/// An envelope, well formed, signed by its sender and sealed to the provider's `key`
		/// (among others).
		pub(crate) fn check_sealed(sealed: &[u8], key: &[u8; 32]) -> DispatchResult {
			Self::check_sealed_to(sealed, key, Error::<T>::NotSealedToProvider)
		}

		/// An envelope, well formed, signed by its sender and sealed to `key` (among others);
		/// `not_to` if it is not sealed to `key`.
		fn check_sealed_to(sealed: &[u8], key: &[u8; 32], not_to: Error<T>) -> DispatchResult {
			use virtengine_envelope::Envelope;
			let envelope =
				Envelope::decode(&mut &sealed[..]).map_err(|_| Error::<T>::BadEnvelope)?;
			virtengine_envelope::verify_structure(&envelope, &SEALED_LIMITS)
				.and_then(|_| virtengine_envelope::verify_sender(&envelope))
				.map_err(|_| Error::<T>::BadEnvelope)?;
			let id = virtengine_envelope::key_id(key);
			ensure!(envelope.recipient_ids().any(|r| *r == id), not_to);
			Ok(())
		}

		/// Removes every bid of an order, releasing their deposits (at most `MaxBids`).
		fn clear_bids(order: OrderId) -> DispatchResult {
			let bids: alloc::vec::Vec<_> = Bids::<T>::drain_prefix(order)
				.take(<T as Config>::MaxBids::get() as usize)
				.collect();
			for (provider, bid) in bids {
				Self::release(&provider, bid.deposit)?;
			}
			Ok(())
		}

		fn add_deadline(id: OrderId, at: BlockNumberFor<T>) {
			Deadlines::<T>::insert(at, id, ());
			DeadlineCount::<T>::mutate(|n| *n = n.saturating_add(1));
		}

		/// Moves a lease's one deadline entry to block `at`.
		fn set_deadline(id: OrderId, lease: &mut LeaseOf<T>, at: BlockNumberFor<T>) {
			Deadlines::<T>::remove(lease.deadline, id);
			Deadlines::<T>::insert(at, id, ());
			lease.deadline = at;
		}

		/// When an active lease must next be looked at: its heartbeat timeout or the last block
		/// its funds cover, whichever comes first.
		fn active_deadline(
			id: OrderId,
			lease: &LeaseOf<T>,
			now: BlockNumberFor<T>,
		) -> BlockNumberFor<T> {
			let heartbeat = Self::lapse(lease);
			let runway = pallet_escrow::Pallet::<T>::runway_end(id).unwrap_or(heartbeat);
			heartbeat.min(runway).max(now.saturating_add(One::one()))
		}

		/// The timeout lease `lease` has passed at `now`, as `(reason, block)`: matched and not
		/// provisioned in time, or active with its heartbeat lapsed (the block the rate stops).
		/// Deadlines run late under load, so every path that acts on a lease asks this rather
		/// than trusting the stored state: a timed-out lease is never started, revived, or billed
		/// past its timeout.
		fn overdue(
			lease: &LeaseOf<T>,
			now: BlockNumberFor<T>,
		) -> Option<(CloseReason, BlockNumberFor<T>)> {
			let (reason, at) = match lease.state {
				LeaseState::Matched => (
					CloseReason::NotProvisioned,
					lease.since.saturating_add(<T as Config>::ProvisionTimeout::get()),
				),
				LeaseState::Active => (CloseReason::NoHeartbeat, Self::lapse(lease)),
				_ => return None,
			};
			(now >= at).then_some((reason, at))
		}

		/// LEASE_ACTIVE → LEASE_CLOSING: the rate stops at `until`, or at the lapse if the
		/// heartbeat lapsed before (then the reason is `NoHeartbeat`, whoever closes); final
		/// usage until the closing timeout.
		fn begin_closing(
			id: OrderId,
			reason: CloseReason,
			until: BlockNumberFor<T>,
		) -> DispatchResult {
			let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::NoLease)?;
			ensure!(lease.state == LeaseState::Active, Error::<T>::BadState);
			let now = frame_system::Pallet::<T>::block_number();
			let (reason, until) = match Self::overdue(&lease, now) {
				Some((lapsed, lapse)) if lapse < until => (lapsed, lapse),
				_ => (reason, until),
			};
			pallet_escrow::Pallet::<T>::stop(id, until)?;
			lease.state = LeaseState::Closing(reason);
			lease.since = now;
			let deadline = now.saturating_add(<T as Config>::ClosingTimeout::get());
			Self::set_deadline(id, &mut lease, deadline);
			Leases::<T>::insert(id, lease);
			Self::deposit_event(Event::LeaseState { id, state: LeaseState::Closing(reason) });
			Ok(())
		}

		/// → LEASE_CLOSED: final settlement and refund; reviews open until the review window
		/// ends, then the records go.
		fn close(id: OrderId, reason: CloseReason) -> DispatchResult {
			let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::NoLease)?;
			let now = frame_system::Pallet::<T>::block_number();
			pallet_escrow::Pallet::<T>::finish(id)?;
			lease.state = LeaseState::Closed(reason);
			lease.since = now;
			let deadline = now.saturating_add(<T as Config>::ReviewWindow::get());
			Self::set_deadline(id, &mut lease, deadline);
			OpenLeases::<T>::mutate(&lease.provider, |n| *n = n.saturating_sub(1));
			Leases::<T>::insert(id, lease);
			Self::deposit_event(Event::LeaseState { id, state: LeaseState::Closed(reason) });
			Ok(())
		}

		/// Removes a closed lease, its order and reviews; releases their deposits; settles what
		/// usage may still wait in escrow.
		fn remove(id: OrderId, lease: LeaseOf<T>) -> DispatchResult {
			if pallet_escrow::Escrows::<T>::contains_key(id) {
				pallet_escrow::Pallet::<T>::settle_now(id)?;
			}
			if let Some(order) = Orders::<T>::take(id) {
				Self::release(&order.customer, order.deposit)?;
			}
			for who in [&lease.customer, &lease.provider] {
				if let Some(review) = Reviews::<T>::take(id, who) {
					Self::release(who, review.deposit)?;
				}
			}
			if let Some(access) = LeaseAccess::<T>::take(id) {
				Self::release(&lease.provider, access.deposit)?;
			}
			Leases::<T>::remove(id);
			DeadlineCount::<T>::mutate(|n| *n = n.saturating_sub(1));
			Self::deposit_event(Event::LeaseRemoved { id });
			Ok(())
		}

		/// Processes the deadlines that are due, at most `MaxDeadlinesPerBlock`, scanning at most
		/// 64 blocks forward.
		pub fn process_deadlines(now: BlockNumberFor<T>) -> Weight {
			let w = <T as Config>::WeightInfo::on_initialize_base();
			if DeadlineCount::<T>::get() == 0 {
				DeadlineCursor::<T>::put(now);
				return w;
			}
			let max = <T as Config>::MaxDeadlinesPerBlock::get();
			let mut cursor = DeadlineCursor::<T>::get();
			let (mut processed, mut scanned) = (0u32, 0u32);
			while cursor <= now && processed < max && scanned < 64 {
				let due: alloc::vec::Vec<OrderId> = Deadlines::<T>::iter_key_prefix(cursor)
					.take((max - processed) as usize)
					.collect();
				for id in &due {
					Deadlines::<T>::remove(cursor, id);
					// A failure rolls back and looks again at the next block.
					let done =
						frame_support::storage::with_storage_layer(|| Self::process(*id, now));
					if done.is_err() {
						let next = now.saturating_add(One::one());
						Deadlines::<T>::insert(next, id, ());
						Leases::<T>::mutate(id, |l| {
							if let Some(l) = l {
								l.deadline = next;
							}
						});
					}
				}
				processed = processed.saturating_add(due.len() as u32);
				if Deadlines::<T>::iter_key_prefix(cursor).next().is_some() {
					break;
				}
				cursor = cursor.saturating_add(One::one());
				scanned = scanned.saturating_add(1);
			}
			DeadlineCursor::<T>::put(cursor);
			w.saturating_add(<T as Config>::WeightInfo::on_initialize_scan(scanned)).saturating_add(
				<T as Config>::WeightInfo::process_deadline().saturating_mul(processed.into()),
			)
		}

		/// One lease's deadline (its entry was just taken out).
		fn process(id: OrderId, now: BlockNumberFor<T>) -> DispatchResult {
			let Some(mut lease) = Leases::<T>::get(id) else {
				DeadlineCount::<T>::mutate(|n| *n = n.saturating_sub(1));
				return Ok(());
			};
			let overdue = Self::overdue(&lease, now);
			let at = match lease.state {
				LeaseState::Matched => {
					if let Some((reason, _)) = overdue {
						return Self::close(id, reason);
					}
					lease.since.saturating_add(<T as Config>::ProvisionTimeout::get())
				},
				LeaseState::Active => {
					// No sign of life: the rate stops where the heartbeat lapsed.
					if let Some((reason, lapse)) = overdue {
						return Self::begin_closing(id, reason, lapse);
					}
					// Funds over: no settlement here (it is lazy, paid for by whoever wants it);
					// only whether the lease may go on.
					if let Some(end) =
						pallet_escrow::Pallet::<T>::runway_end(id).filter(|end| *end <= now)
					{
						return Self::begin_closing(id, CloseReason::FundsExhausted, end);
					}
					Self::active_deadline(id, &lease, now)
				},
				LeaseState::Closing(reason) => {
					let due = lease.since.saturating_add(<T as Config>::ClosingTimeout::get());
					if now >= due {
						return Self::close(id, reason);
					}
					due
				},
				LeaseState::Closed(_) => {
					let due = lease.since.saturating_add(<T as Config>::ReviewWindow::get());
					if now >= due {
						return Self::remove(id, lease);
					}
					due
				},
			};
			Self::set_deadline(id, &mut lease, at);
			Leases::<T>::insert(id, lease);
			Ok(())
		}

		/// The block an active lease's heartbeat lapses.
		fn lapse(lease: &LeaseOf<T>) -> BlockNumberFor<T> {
			lease.last_seen.saturating_add(<T as Config>::HeartbeatTimeout::get())
		}

		/// The escrow's funds cover lease `id` only up to `until`.
		pub fn funds_exhausted(id: OrderId, until: BlockNumberFor<T>) {
			if Leases::<T>::get(id).is_some_and(|l| l.state == LeaseState::Active) {
				let _ = Self::begin_closing(id, CloseReason::FundsExhausted, until);
			}
		}

		/// Usage of lease `id` was recorded: it counts as a heartbeat, unless the heartbeat
		/// already lapsed (a lapsed lease is not revived).
		pub fn usage_seen(id: OrderId, at: BlockNumberFor<T>) {
			Leases::<T>::mutate(id, |l| {
				if let Some(l) = l
					.as_mut()
					.filter(|l| l.state == LeaseState::Active && Self::overdue(l, at).is_none())
				{
					l.last_seen = at;
				}
			});
		}
	}

	impl<T: Config> pallet_provider::ActiveLeases<T::AccountId> for Pallet<T> {
		fn active_leases(provider: &T::AccountId) -> u32 {
			OpenLeases::<T>::get(provider)
		}
	}

	impl<T: Config> pallet_escrow::LeaseHooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_exhausted(id: EscrowId, until: BlockNumberFor<T>) {
			Self::funds_exhausted(id, until)
		}
		fn on_usage(id: EscrowId, at: BlockNumberFor<T>) {
			Self::usage_seen(id, at)
		}
		fn accrual_limit(id: EscrowId) -> Option<BlockNumberFor<T>> {
			Leases::<T>::get(id).filter(|l| l.state == LeaseState::Active).map(|l| Self::lapse(&l))
		}
	}

	impl<T: Config> pallet_escrow::DaemonKey<T::AccountId> for Pallet<T> {
		fn daemon_key(provider: &T::AccountId) -> Option<[u8; 32]> {
			pallet_provider::Providers::<T>::get(provider).map(|p| p.daemon_key)
		}
	}
}
