#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod functions;
mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use functions::{covered_blocks, fixed_charge, usage_message};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, InspectHold, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::Perbill;

	/// The token's balance type.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// An escrow of this runtime.
	pub type EscrowOf<T> = Escrow<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxPending,
	>;

	/// A rate of this runtime.
	pub type RateOf<T> = Rate<BalanceOf<T>>;

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The token.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// The platform's share of every payment.
		type FeeRate: Get<Perbill>;
		/// The account the fee is paid to (it must exist: endow it at genesis). Meant to be an
		/// account no one holds a key for: [`Config::TreasuryOrigin`] spends what it collects.
		type FeeDestination: Get<Self::AccountId>;
		/// Spends the fees collected on [`Config::FeeDestination`] (governance).
		type TreasuryOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Blocks per hour: the fixed rate accrues `per_hour / BlocksPerHour` a block.
		#[pallet::constant]
		type BlocksPerHour: Get<u32>;
		/// How long the customer may dispute a usage record after it is submitted.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;
		/// Most usage records waiting per escrow (settling frees room).
		#[pallet::constant]
		type MaxPending: Get<u32>;
		/// The keys provider daemons sign usage with.
		type DaemonKeys: DaemonKey<Self::AccountId>;
		/// The leases escrows pay for (told when funds run out and when usage arrives).
		type Leases: LeaseHooks<BlockNumberFor<Self>>;
		/// Resolves disputes.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Weights.
		type WeightInfo: WeightInfo;
		/// Benchmark set-up the runtime provides.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Funds of an escrow (on the customer) or unwithdrawn payouts (on the payee).
		Escrow,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Escrows by id.
	#[pallet::storage]
	pub type Escrows<T: Config> = StorageMap<_, Blake2_128Concat, EscrowId, EscrowOf<T>>;

	/// Paid but not withdrawn, per payee (held on the payee).
	#[pallet::storage]
	pub type Payouts<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Funds were put into an escrow (it was opened, or topped up).
		Funded {
			/// The escrow.
			id: EscrowId,
			/// Who paid them in (the escrow's payer), and holds them.
			payer: T::AccountId,
			/// The amount added.
			amount: BalanceOf<T>,
		},
		/// A usage record was accepted; it is paid after the dispute window.
		UsageRecorded {
			/// The escrow (lease) it bills.
			id: EscrowId,
			/// The record's number.
			seq: u32,
			/// What it costs at the lease's rate.
			amount: BalanceOf<T>,
		},
		/// The customer disputed a usage record.
		Disputed {
			/// The escrow.
			id: EscrowId,
			/// The disputed record's number.
			seq: u32,
		},
		/// Governance resolved a dispute.
		Resolved {
			/// The escrow.
			id: EscrowId,
			/// The record's number.
			seq: u32,
			/// Whether the record is paid (`true`) or dropped (`false`).
			paid: bool,
		},
		/// A settlement: `to_payee` and `fee` moved to payouts; `shortfall` could not be paid.
		Settled {
			/// The escrow.
			id: EscrowId,
			/// Moved to the payee's payouts.
			to_payee: BalanceOf<T>,
			/// Moved to the fee account's payouts.
			fee: BalanceOf<T>,
			/// Owed but not covered by the funds.
			shortfall: BalanceOf<T>,
		},
		/// The escrow no longer covers its lease after block `until`.
		FundsExhausted {
			/// The escrow.
			id: EscrowId,
			/// The last block its funds cover.
			until: BlockNumberFor<T>,
		},
		/// Funds went back to the payer.
		Refunded {
			/// The escrow.
			id: EscrowId,
			/// The payer, whose hold was released.
			payer: T::AccountId,
			/// The amount released.
			amount: BalanceOf<T>,
		},
		/// The escrow is done and removed.
		Closed {
			/// The escrow.
			id: EscrowId,
		},
		/// A payee withdrew its payouts.
		Withdrawn {
			/// The payee.
			who: T::AccountId,
			/// The amount released to its free balance.
			amount: BalanceOf<T>,
		},
		/// Governance paid `amount` of the collected platform fees to `dest`.
		FeesSpent {
			/// The account paid.
			dest: T::AccountId,
			/// The amount moved from the fee account's payouts to its free balance.
			amount: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No escrow with this id.
		EscrowNotFound,
		/// An escrow with this id exists already.
		EscrowAlreadyExists,
		/// Only the payer (customer) may do this.
		NotAuthorized,
		/// The escrow's lease has ended.
		AlreadyFinished,
		/// The lease has not started: nothing to bill yet.
		NotStarted,
		/// The usage record's number is not above the last one (a replay).
		Replayed,
		/// The signature is not the provider daemon's over this record.
		InvalidSignature,
		/// The record bills a unit the lease's rate has no price for.
		UnpricedUnit,
		/// The record names a unit twice or is empty.
		InvalidRecord,
		/// The cost overflows.
		Overflow,
		/// Too many usage records wait: settle first.
		TooManyPending,
		/// No pending usage record with this number.
		RecordNotFound,
		/// The dispute window of this record has passed.
		WindowPassed,
		/// The record is already disputed.
		AlreadyDisputed,
		/// The record is not disputed.
		NotDisputed,
		/// Nothing to withdraw.
		NothingToWithdraw,
		/// The amount is zero.
		ZeroAmount,
		/// The rate names a unit twice.
		InvalidRate,
		/// The fee account has collected less than this (unwithdrawn payouts).
		InsufficientFees,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::check_invariant().map_err(Into::into)
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Adds `amount` to escrow `id`, held on the caller, while its lease has not ended: the
		/// funds cover the lease for longer.
		///
		/// - Origin: signed, the escrow's payer.
		/// - Emits: [`Event::Funded`].
		/// - Errors: [`Error::ZeroAmount`], [`Error::EscrowNotFound`], [`Error::NotAuthorized`],
		///   [`Error::AlreadyFinished`]; the currency's error if the caller cannot hold it.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::top_up())]
		pub fn top_up(origin: OriginFor<T>, id: EscrowId, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_top_up(who, id, amount)
		}

		/// Records usage of a lease signed by its provider daemon's key over [`usage_message`];
		/// it is paid once its dispute window has passed. The escrow is settled first, so the
		/// records whose window passed leave the pending list: only records still in their
		/// window count against [`Config::MaxPending`]. Usage beyond the funds exhausts the
		/// escrow (the lease closes): weighed with the settlement and that path.
		///
		/// - Origin: signed, anyone (the signature is what counts).
		/// - Emits: [`Event::UsageRecorded`]; [`Event::Settled`] when the settlement moves funds,
		///   [`Event::FundsExhausted`] when the funds no longer cover the lease.
		/// - Errors: [`Error::EscrowNotFound`], [`Error::AlreadyFinished`],
		///   [`Error::NotStarted`], [`Error::Replayed`], [`Error::InvalidSignature`],
		///   [`Error::InvalidRecord`], [`Error::UnpricedUnit`], [`Error::Overflow`],
		///   [`Error::TooManyPending`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::submit_usage()
			.saturating_add(T::WeightInfo::settle())
			.saturating_add(T::WeightInfo::exhausted()))]
		pub fn submit_usage(
			origin: OriginFor<T>,
			record: UsageRecord,
			signature: [u8; 64],
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_submit_usage(record, signature)
		}

		/// Disputes usage record `seq` of escrow `id` within its dispute window: it is not paid
		/// unless governance decides so ([`Pallet::resolve`]).
		///
		/// - Origin: signed, the escrow's payer.
		/// - Emits: [`Event::Disputed`].
		/// - Errors: [`Error::EscrowNotFound`], [`Error::NotAuthorized`],
		///   [`Error::RecordNotFound`], [`Error::AlreadyDisputed`], [`Error::WindowPassed`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::dispute())]
		pub fn dispute(origin: OriginFor<T>, id: EscrowId, seq: u32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute(who, id, seq)
		}

		/// Resolves the dispute of usage record `seq` of escrow `id`: `pay` makes the record
		/// payable at once, otherwise it is dropped and its amount stays with the customer. The
		/// escrow is then settled (which may find its funds exhausted: weighed with that path).
		///
		/// - Origin: [`Config::AdminOrigin`] (governance).
		/// - Emits: [`Event::Resolved`]; then as [`Pallet::settle`] does.
		/// - Errors: [`Error::EscrowNotFound`], [`Error::RecordNotFound`],
		///   [`Error::NotDisputed`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::resolve().saturating_add(T::WeightInfo::exhausted()))]
		pub fn resolve(origin: OriginFor<T>, id: EscrowId, seq: u32, pay: bool) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_resolve(id, seq, pay)
		}

		/// Settles escrow `id`: pays the fixed rate accrued so far and the usage records whose
		/// window has passed onto the payouts of the lease's provider and of the fee account
		/// (never anyone else's). A finished escrow also refunds what no pending record may
		/// still claim, and goes once none waits. A settlement that finds the funds exhausted
		/// closes the lease: weighed with that path.
		///
		/// - Origin: signed, anyone.
		/// - Emits: [`Event::Settled`] when funds move or fall short, [`Event::FundsExhausted`],
		///   [`Event::Refunded`], [`Event::Closed`].
		/// - Errors: [`Error::EscrowNotFound`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::settle().saturating_add(T::WeightInfo::exhausted()))]
		pub fn settle(origin: OriginFor<T>, id: EscrowId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::settle_now(id)
		}

		/// Releases all the caller's payouts to its free balance.
		///
		/// - Origin: signed, a payee (a provider, or anyone paid by an escrow).
		/// - Emits: [`Event::Withdrawn`].
		/// - Errors: [`Error::NothingToWithdraw`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw())]
		pub fn withdraw(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw(who)
		}

		/// Pays `amount` of the platform fees collected on the fee account (its payouts,
		/// [`Config::FeeDestination`]) to `dest`'s free balance.
		///
		/// - Origin: [`Config::TreasuryOrigin`] (governance).
		/// - Emits: [`Event::FeesSpent`].
		/// - Errors: [`Error::ZeroAmount`], [`Error::InsufficientFees`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::spend_fees())]
		pub fn spend_fees(
			origin: OriginFor<T>,
			dest: T::AccountId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			T::TreasuryOrigin::ensure_origin(origin)?;
			Self::do_spend_fees(dest, amount)
		}
	}
}
