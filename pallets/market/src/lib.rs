#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod functions;
mod impls;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
mod traits;
mod types;
pub mod weights;

pub use pallet::*;
pub use traits::*;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use pallet_escrow::Rate;
	use pallet_mfa::IdentityTier;
	use virtengine_veid_primitives::Tier;

	/// The token's balance type.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
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
	pub trait Config: frame_system::Config {
		/// The token deposits are held in; [`Config::Escrow`] holds the orders' funds in the same
		/// token.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		/// The escrow each order's funds go into and its lease is paid from (`pallet_escrow`).
		type Escrow: LeaseEscrow<Self::AccountId, BalanceOf<Self>, BlockNumberFor<Self>>;
		/// The providers that offer, bid and serve (`pallet_provider`).
		type Providers: ProviderRegistry<Self::AccountId>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// Deposit held per stored byte of a record (offering, order, bid, review, block, access
		/// details), released when the record goes.
		type DepositPerByte: Get<BalanceOf<Self>>;
		/// The accounts' identity tiers (VEID): an offering may require a tier of its customers.
		type Identity: IdentityTier<Self::AccountId>;
		/// The accounts' envelope keys (access details are sealed to the customer's).
		type EnvelopeKeys: EnvelopeKeys<Self::AccountId>;
		/// The most open bids an order takes.
		#[pallet::constant]
		type MaxBids: Get<u32>;
		/// The most lease deadlines processed in one block.
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
		/// Weights of this pallet's calls and hooks, from its benchmarks.
		type WeightInfo: WeightInfo;
		/// Benchmark set-up the runtime provides.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Deposits for stored offerings, orders, bids, reviews, blocks and access details.
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

	/// Offerings by number.
	// Blake2: safe for any key (the numbers are the chain's own, so Twox would be too).
	#[pallet::storage]
	pub type Offerings<T: Config> = StorageMap<_, Blake2_128Concat, OfferingId, OfferingOf<T>>;

	/// Orders by number.
	// Blake2: safe for any key.
	#[pallet::storage]
	pub type Orders<T: Config> = StorageMap<_, Blake2_128Concat, OrderId, OrderOf<T>>;

	/// Bids by order and provider.
	// Blake2: account ids are chosen by their owners.
	#[pallet::storage]
	pub type Bids<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, OrderId, Blake2_128Concat, T::AccountId, BidOf<T>>;

	/// Leases, numbered as their orders.
	// Blake2: safe for any key.
	#[pallet::storage]
	pub type Leases<T: Config> = StorageMap<_, Blake2_128Concat, OrderId, LeaseOf<T>>;

	/// Leases per provider that are not closed (the provider pallet asks before deregistering).
	// Blake2: account ids are chosen by their owners.
	#[pallet::storage]
	pub type OpenLeases<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Orders ever created per customer and offerings per provider (MFA asks about the first).
	// Blake2: account ids are chosen by their owners.
	#[pallet::storage]
	pub type Counts<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (u32, u32), ValueQuery>;

	/// Deadlines: (block, lease). One per lease.
	// Twox: block numbers and order numbers are the chain's own, not chosen by users.
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
	// Blake2: safe for any key.
	#[pallet::storage]
	pub type LeaseAccess<T: Config> = StorageMap<_, Blake2_128Concat, OrderId, AccessOf<T>>;

	/// Customers a provider refuses, by provider and customer (with the deposit held).
	// Blake2: account ids are chosen by their owners.
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
	// Blake2: account ids are chosen by their owners.
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
	// Blake2: account ids are chosen by their owners.
	#[pallet::storage]
	pub type Ratings<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (u32, u32), ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider created an offering.
		OfferingCreated {
			/// The offering.
			id: OfferingId,
			/// Its provider.
			provider: T::AccountId,
		},
		/// A provider changed its offering.
		OfferingUpdated {
			/// The offering.
			id: OfferingId,
		},
		/// A provider removed its offering.
		OfferingRemoved {
			/// The offering.
			id: OfferingId,
		},
		/// A customer created an order (ORDER_OPEN) and put its funds into escrow.
		OrderCreated {
			/// The order (and later its lease and escrow).
			id: OrderId,
			/// The customer.
			customer: T::AccountId,
			/// The funds put into escrow.
			funds: BalanceOf<T>,
		},
		/// A customer cancelled its open order; its funds and deposits went back.
		OrderCancelled {
			/// The order.
			id: OrderId,
		},
		/// A provider bid on an order (or replaced its bid).
		BidPlaced {
			/// The order.
			order: OrderId,
			/// The provider.
			provider: T::AccountId,
			/// The last block the bid may be accepted.
			expires: BlockNumberFor<T>,
		},
		/// A provider withdrew its bid.
		BidWithdrawn {
			/// The order.
			order: OrderId,
			/// The provider.
			provider: T::AccountId,
		},
		/// A lease entered a state (MATCHED, LEASE_ACTIVE, LEASE_CLOSING, LEASE_CLOSED).
		LeaseStateChanged {
			/// The lease (numbered like its order).
			id: OrderId,
			/// The state it entered.
			state: LeaseState,
		},
		/// A party of a lease reviewed the other.
		Reviewed {
			/// The lease.
			lease: OrderId,
			/// The reviewer.
			by: T::AccountId,
			/// The party reviewed.
			of: T::AccountId,
			/// The rating, 1 to 5.
			rating: u8,
		},
		/// A provider blocked a customer: no orders on its offerings, no bids on its orders.
		CustomerBlocked {
			/// The provider.
			provider: T::AccountId,
			/// The customer.
			customer: T::AccountId,
		},
		/// A closed lease's records (lease, order, reviews, access details) were removed and
		/// their deposits released.
		LeaseRemoved {
			/// The lease.
			id: OrderId,
		},
		/// A lease's provider gave (or replaced) its access details.
		AccessDetailsSet {
			/// The lease.
			id: OrderId,
		},
		/// A provider unblocked a customer.
		CustomerUnblocked {
			/// The provider.
			provider: T::AccountId,
			/// The customer.
			customer: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The caller (or the provider named) is not a registered provider, or not an active
		/// one where it must take new business.
		NotActiveProvider,
		/// No offering has this number.
		OfferingNotFound,
		/// The caller is not the offering's provider or the order's customer.
		NotAuthorized,
		/// The offering has no plan of this index, or a plan list is empty.
		InvalidPlan,
		/// A rate names a unit twice.
		InvalidRate,
		/// The offering takes no orders.
		OfferingInactive,
		/// The customer's identity tier is below the offering's requirement.
		TierTooLow,
		/// The provider blocked this customer.
		Blocked,
		/// No order has this number.
		OrderNotFound,
		/// The order is not open (a bid was accepted already).
		OrderNotOpen,
		/// The envelope is malformed, too large, or not signed by its sender.
		InvalidEnvelope,
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
		InvalidExpiry,
		/// The order has the most bids it takes.
		TooManyBids,
		/// This provider has no bid on this order.
		BidNotFound,
		/// The bid has expired.
		BidExpired,
		/// The bid costs more than the price the customer accepted: it was raised.
		PriceChanged,
		/// A provider cannot buy from itself.
		SelfDealing,
		/// No lease has this number.
		LeaseNotFound,
		/// The caller is not a party of this lease (or not the party this call is for).
		NotLeaseParty,
		/// The lease is not in a state this call applies to.
		InvalidLeaseState,
		/// Reviews need a lease that ran and closed, within the review window, once per party.
		CannotReview,
		/// A rating is 1 to 5.
		InvalidRating,
		/// The lease timed out (not provisioned in time, or its heartbeat lapsed); its deadline,
		/// due already, closes it.
		TimedOut,
		/// The provider blocked this customer already.
		AlreadyBlocked,
		/// The customer has no active envelope key to seal access details to.
		CustomerKeyNotFound,
		/// The envelope is not sealed to the customer's active key.
		NotSealedToCustomer,
		/// The provider has not blocked this customer.
		NotBlocked,
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
		/// Creates an offering: a category, one to four pricing plans, the identity tier a customer
		/// needs (if any) and details sealed to the provider's own key. A deposit for the record is
		/// held until the offering is removed.
		///
		/// - Origin: signed, an active provider.
		/// - Emits: [`Event::OfferingCreated`].
		/// - Errors: [`Error::NotActiveProvider`], [`Error::InvalidPlan`], [`Error::InvalidRate`],
		///   [`Error::InvalidEnvelope`], [`Error::NotSealedToProvider`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_offering())]
		pub fn create_offering(
			origin: OriginFor<T>,
			category: Category,
			plans: BoundedVec<Plan<BalanceOf<T>>, ConstU32<4>>,
			required_tier: Option<Tier>,
			details: Sealed,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_offering(who, category, plans, required_tier, details)
		}

		/// Replaces an offering's plans, identity tier requirement and details, and opens or closes
		/// it to orders. Open orders keep the price they were made at; new bids are held to the new
		/// plans.
		///
		/// - Origin: signed, the offering's provider (registered; it may be paused or suspended).
		/// - Emits: [`Event::OfferingUpdated`].
		/// - Errors: [`Error::NotActiveProvider`] (not registered), [`Error::InvalidPlan`],
		///   [`Error::InvalidRate`], [`Error::InvalidEnvelope`], [`Error::NotSealedToProvider`],
		///   [`Error::OfferingNotFound`], [`Error::NotAuthorized`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_offering())]
		pub fn update_offering(
			origin: OriginFor<T>,
			id: OfferingId,
			plans: BoundedVec<Plan<BalanceOf<T>>, ConstU32<4>>,
			required_tier: Option<Tier>,
			details: Sealed,
			active: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_offering(who, id, plans, required_tier, details, active)
		}

		/// Removes an offering and releases its deposit; open orders for it can no longer be bid
		/// on.
		///
		/// - Origin: signed, the offering's provider.
		/// - Emits: [`Event::OfferingRemoved`].
		/// - Errors: [`Error::OfferingNotFound`], [`Error::NotAuthorized`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_offering())]
		pub fn remove_offering(origin: OriginFor<T>, id: OfferingId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove_offering(who, id)
		}

		/// Creates an open order (ORDER_OPEN): for a plan of an offering (the customer's identity
		/// tier checked, the configuration sealed to the offering's provider) or for requirements
		/// (the configuration is given when a bid is accepted). `funds` go into the order's escrow;
		/// a deposit pays for the order, its lease, its escrow and its deadline.
		///
		/// - Origin: signed, the customer.
		/// - Emits: [`Event::OrderCreated`].
		/// - Errors: [`Error::InvalidRate`], [`Error::OfferingNotFound`],
		///   [`Error::OfferingInactive`], [`Error::InvalidPlan`], [`Error::SelfDealing`],
		///   [`Error::Blocked`], [`Error::TierTooLow`], [`Error::NotActiveProvider`],
		///   [`Error::ConfigRequired`], [`Error::ConfigNotYet`], [`Error::InvalidEnvelope`],
		///   [`Error::NotSealedToProvider`]; the escrow's (no funds).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::create_order())]
		pub fn create_order(
			origin: OriginFor<T>,
			target: Target,
			config: Option<Sealed>,
			max_price: RateOf<T>,
			funds: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_create_order(who, target, config, max_price, funds)
		}

		/// Cancels an open order: its bids go (their deposits released), the escrow refunds its
		/// funds and the order's deposit is released.
		///
		/// - Origin: signed, the order's customer.
		/// - Emits: [`Event::OrderCancelled`].
		/// - Errors: [`Error::OrderNotFound`], [`Error::NotAuthorized`], [`Error::OrderNotOpen`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::cancel_order(T::MaxBids::get()))]
		pub fn cancel_order(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_order(who, id)
		}

		/// Bids on an open order, or replaces the caller's bid: a price within the order's maximum
		/// (and within the plan's, for an offering's order), valid through block `expires`. A new
		/// bid holds a deposit until it is withdrawn or the order is matched or cancelled.
		///
		/// - Origin: signed, an active provider: the offering's, or one that meets the order's
		///   requirements (region, capabilities).
		/// - Emits: [`Event::BidPlaced`].
		/// - Errors: [`Error::NotActiveProvider`], [`Error::OrderNotFound`],
		///   [`Error::OrderNotOpen`], [`Error::SelfDealing`], [`Error::Blocked`],
		///   [`Error::InvalidRate`], [`Error::PriceTooHigh`], [`Error::InvalidExpiry`],
		///   [`Error::RequirementsNotMet`], [`Error::InvalidPlan`], [`Error::TooManyBids`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::bid())]
		pub fn bid(
			origin: OriginFor<T>,
			order: OrderId,
			price: RateOf<T>,
			expires: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bid(who, order, price, expires)
		}

		/// Withdraws the caller's bid on an order and releases its deposit.
		///
		/// - Origin: signed, the provider that bid.
		/// - Emits: [`Event::BidWithdrawn`].
		/// - Errors: [`Error::BidNotFound`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::withdraw_bid())]
		pub fn withdraw_bid(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_bid(who, order)
		}

		/// Accepts `provider`'s bid at `price`, the price the customer saw: a bid above it in any
		/// component (raised after the customer looked) is refused; the lease takes the bid's
		/// price. Every bid of the order goes; the lease, numbered like the order, is MATCHED and
		/// the provider must provision it within [`Config::ProvisionTimeout`]. A requirements order
		/// gives its configuration, sealed to this provider, now.
		///
		/// - Origin: signed, the order's customer.
		/// - Emits: [`Event::LeaseStateChanged`] (MATCHED).
		/// - Errors: [`Error::OrderNotFound`], [`Error::NotAuthorized`], [`Error::OrderNotOpen`],
		///   [`Error::BidNotFound`], [`Error::PriceChanged`], [`Error::BidExpired`],
		///   [`Error::NotActiveProvider`], [`Error::Blocked`], [`Error::ConfigRequired`],
		///   [`Error::ConfigNotYet`], [`Error::InvalidEnvelope`], [`Error::NotSealedToProvider`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::accept_bid(T::MaxBids::get()))]
		pub fn accept_bid(
			origin: OriginFor<T>,
			order: OrderId,
			provider: T::AccountId,
			price: RateOf<T>,
			config: Option<Sealed>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_accept_bid(who, order, provider, price, config)
		}

		/// Reports the workload provisioned: the lease is LEASE_ACTIVE, its rate accrues from now
		/// and heartbeats are due. A lease past its provision timeout is not started, even if its
		/// deadline has not been processed yet.
		///
		/// - Origin: signed, the lease's provider.
		/// - Emits: [`Event::LeaseStateChanged`] (LEASE_ACTIVE).
		/// - Errors: [`Error::LeaseNotFound`], [`Error::NotLeaseParty`],
		///   [`Error::InvalidLeaseState`], [`Error::TimedOut`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::start_lease())]
		pub fn start_lease(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_start_lease(who, id)
		}

		/// The provider's heartbeat: the workload still runs, and the heartbeat timeout starts
		/// again. A heartbeat after the lapse is refused even if the deadline has not been
		/// processed yet: a lapsed lease is not revived.
		///
		/// - Origin: signed, the lease's provider.
		/// - Emits: nothing.
		/// - Errors: [`Error::LeaseNotFound`], [`Error::NotLeaseParty`],
		///   [`Error::InvalidLeaseState`], [`Error::TimedOut`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::heartbeat())]
		pub fn heartbeat(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_heartbeat(who, id)
		}

		/// Closes a lease: a matched lease is cancelled and refunded at once (LEASE_CLOSED); an
		/// active one starts LEASE_CLOSING (the rate stops; final usage is accepted until
		/// [`Config::ClosingTimeout`]). A lease whose timeout passed before its deadline was
		/// processed closes as that timeout would have closed it (a lapsed heartbeat stops the rate
		/// at the lapse).
		///
		/// - Origin: signed, the lease's customer or provider.
		/// - Emits: [`Event::LeaseStateChanged`] (LEASE_CLOSED or LEASE_CLOSING).
		/// - Errors: [`Error::LeaseNotFound`], [`Error::NotLeaseParty`],
		///   [`Error::InvalidLeaseState`].
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::close_lease())]
		pub fn close_lease(origin: OriginFor<T>, id: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_close_lease(who, id)
		}

		/// Reviews the other party of a lease that ran and closed: a rating of 1 to 5, added to the
		/// party's [`Ratings`], and a comment; once per party, within [`Config::ReviewWindow`]. A
		/// deposit is held until the lease's records go.
		///
		/// - Origin: signed, the lease's customer or provider.
		/// - Emits: [`Event::Reviewed`].
		/// - Errors: [`Error::InvalidRating`], [`Error::LeaseNotFound`], [`Error::NotLeaseParty`],
		///   [`Error::CannotReview`].
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::review())]
		pub fn review(
			origin: OriginFor<T>,
			id: OrderId,
			rating: u8,
			comment: Comment,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_review(who, id, rating, comment)
		}

		/// Refuses a customer from now on: no orders on the caller's offerings, no bids on the
		/// customer's orders. A deposit is held until the customer is unblocked.
		///
		/// - Origin: signed, a registered provider (whatever its status).
		/// - Emits: [`Event::CustomerBlocked`].
		/// - Errors: [`Error::NotActiveProvider`] (not registered), [`Error::AlreadyBlocked`].
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::block_customer())]
		pub fn block_customer(origin: OriginFor<T>, customer: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_block_customer(who, customer)
		}

		/// Accepts a blocked customer again and releases the block's deposit.
		///
		/// - Origin: signed, the provider that blocked the customer.
		/// - Emits: [`Event::CustomerUnblocked`].
		/// - Errors: [`Error::NotBlocked`].
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::unblock_customer())]
		pub fn unblock_customer(origin: OriginFor<T>, customer: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unblock_customer(who, customer)
		}

		/// Gives the lease's customer the access details (where the workload's output is, how to
		/// reach it), sealed to the customer's active envelope key; they replace earlier ones. A
		/// deposit for every stored byte is held on the provider until the lease's records go.
		///
		/// - Origin: signed, the lease's provider, while the lease is matched or active.
		/// - Emits: [`Event::AccessDetailsSet`].
		/// - Errors: [`Error::LeaseNotFound`], [`Error::NotLeaseParty`],
		///   [`Error::InvalidLeaseState`], [`Error::CustomerKeyNotFound`],
		///   [`Error::InvalidEnvelope`], [`Error::NotSealedToCustomer`].
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::set_access_details())]
		pub fn set_access_details(
			origin: OriginFor<T>,
			id: OrderId,
			details: Sealed,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_access_details(who, id, details)
		}
	}
}
