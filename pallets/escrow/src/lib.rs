//! # Escrow pallet
//!
//! The money of the marketplace (`docs/marketplace.md`). An escrow belongs to one order and,
//! once a bid is accepted, to its lease:
//!
//! - **Funds are held** on the customer's account with a `fungible` hold ([`HoldReason::Escrow`])
//!   when the order is created ([`Pallet::open`]); the customer may add more ([`Pallet::top_up`]).
//! - **The price** of a lease ([`Rate`]) is a fixed amount per hour, accrued block by block while
//!   the lease runs, plus prices per unit of usage.
//! - **Usage records** ([`UsageRecord`]) are signed by the provider daemon's ed25519 key over
//!   [`usage_message`] (bound to the chain's genesis), numbered so that none is counted twice
//!   ([`Pallet::submit_usage`]). Each waits a **dispute window** in which the customer may
//!   dispute it ([`Pallet::dispute`]); governance resolves disputes ([`Pallet::resolve`]).
//! - **Settlement is lazy**: anyone may trigger it ([`Pallet::settle`]); it pays the fixed rate
//!   accrued so far and every undisputed usage record whose window has passed. A **platform fee**
//!   ([`Config::FeeRate`]) is taken from the cumulative amount paid, so rounding never drifts.
//!   Payments move onto the provider's (and the fee account's) **payouts**, held until withdrawn
//!   ([`Pallet::withdraw`]). The fee account is a treasury: no one holds its key (a pallet
//!   account in the runtime); governance ([`Config::TreasuryOrigin`]) spends its payouts
//!   ([`Pallet::spend_fees`]).
//! - **Funds running out**: the escrow tells how long its funds cover the fixed rate
//!   ([`Pallet::runway_end`]); settlement that finds them exhausted reports it
//!   ([`Config::Leases`]) and the market closes the lease: nothing runs unpaid.
//! - **Refunds**: when the lease ends ([`Pallet::finish`]) what is neither owed nor disputed goes
//!   back to the customer at once; the rest when its disputes and windows are over.
//!
//! Invariant ([`Pallet::check_invariant`], run by `try_state` and a randomized test): on every
//! account, the balance on hold for [`HoldReason::Escrow`] equals the funds of the escrows it
//! pays plus its unwithdrawn payouts.

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
use scale_info::TypeInfo;
use sp_runtime::{traits::Zero, Saturating};

/// An escrow's (and its order's and lease's) number.
pub type EscrowId = u64;

/// A unit of metered usage.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Unit {
	/// One CPU core for one second.
	CpuCoreSecond,
	/// One GPU for one second.
	GpuSecond,
	/// One GB of memory for one hour.
	MemoryGbHour,
	/// One GB of storage for one hour.
	StorageGbHour,
	/// One GB of network egress.
	EgressGb,
	/// One batch job run.
	Job,
}

impl Unit {
	/// Every unit.
	pub const ALL: [Unit; 6] = [
		Unit::CpuCoreSecond,
		Unit::GpuSecond,
		Unit::MemoryGbHour,
		Unit::StorageGbHour,
		Unit::EgressGb,
		Unit::Job,
	];
}

/// Most unit prices in a rate, most quantities in a usage record.
pub type MaxUnits = ConstU32<8>;

/// A price: a fixed amount per hour plus prices per unit of usage (each unit at most once).
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Rate<Balance> {
	/// Charged per hour while the lease runs, accrued per block.
	pub per_hour: Balance,
	/// Price per unit of usage.
	pub per_unit: BoundedVec<(Unit, Balance), MaxUnits>,
}

impl<Balance: Copy + PartialOrd + Zero> Rate<Balance> {
	/// No unit twice.
	pub fn is_valid(&self) -> bool {
		let units = &self.per_unit;
		units.iter().enumerate().all(|(i, (u, _))| units.iter().skip(i + 1).all(|(v, _)| v != u))
	}

	/// The price of one `unit`, if the rate has one.
	pub fn unit_price(&self, unit: Unit) -> Option<Balance> {
		self.per_unit.iter().find(|(u, _)| *u == unit).map(|(_, p)| *p)
	}

	/// Whether `self` costs no more than `max` in every component (a unit `max` does not price
	/// may not be charged at all).
	pub fn within(&self, max: &Rate<Balance>) -> bool {
		self.per_hour <= max.per_hour
			&& self.per_unit.iter().all(|(u, p)| max.unit_price(*u).is_some_and(|m| *p <= m))
	}
}

/// Usage of a lease, as the provider daemon signs it.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct UsageRecord {
	/// The lease (escrow) it bills.
	pub lease: EscrowId,
	/// Its number: strictly greater than the lease's previous record's.
	pub seq: u32,
	/// Quantities per unit.
	pub quantities: BoundedVec<(Unit, u64), MaxUnits>,
}

/// The bytes a provider daemon signs for a usage record: a domain separator, the chain's genesis
/// hash and the SCALE encoding of the record.
pub fn usage_message(genesis: &[u8; 32], record: &UsageRecord) -> alloc::vec::Vec<u8> {
	virtengine_primitives::signing::usage_message(genesis, record)
}

/// A usage record waiting for its dispute window.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Pending<Balance, BlockNumber> {
	/// The record's number.
	pub seq: u32,
	/// What it costs.
	pub amount: Balance,
	/// When it was submitted.
	pub at: BlockNumber,
	/// Where it stands.
	pub status: UsageStatus,
}

/// Where a pending usage record stands.
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
pub enum UsageStatus {
	/// In its dispute window; paid when the window has passed.
	InWindow,
	/// Disputed by the customer: paid only if governance decides so.
	Disputed,
	/// Governance decided for the provider: paid at the next settlement.
	Approved,
}

/// The number of blocks whose fixed charge `floor(per_hour × n / blocks_per_hour)` stays within
/// `affordable`: the largest such `n`. `None` when every `n` is (a zero rate).
pub fn covered_blocks(per_hour: u128, blocks_per_hour: u128, affordable: u128) -> Option<u128> {
	if per_hour == 0 {
		return None;
	}
	// floor(p·n/B) ≤ X  ⟺  p·n < (X+1)·B  ⟺  n ≤ ((X+1)·B − 1) / p
	let bound = affordable.saturating_add(1).saturating_mul(blocks_per_hour.max(1));
	Some(bound.saturating_sub(1) / per_hour)
}

/// The fixed charge of `blocks` blocks at `per_hour`, rounded down.
pub fn fixed_charge(per_hour: u128, blocks: u128, blocks_per_hour: u128) -> u128 {
	sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
		per_hour,
		blocks,
		blocks_per_hour.max(1),
		sp_runtime::Rounding::Down,
	)
	.unwrap_or(u128::MAX)
}

/// The provider daemon keys usage records are checked against (the provider pallet's).
pub trait DaemonKey<AccountId> {
	/// The ed25519 key `provider`'s daemon signs with.
	fn daemon_key(provider: &AccountId) -> Option<[u8; 32]>;
}

/// What the escrow tells the lease it pays for, and asks it (the market implements it).
pub trait LeaseHooks<BlockNumber> {
	/// The escrow `id` covers its lease until block `until` at most: close it.
	fn on_exhausted(id: EscrowId, until: BlockNumber);
	/// Usage of lease `id` was recorded at block `at` (a sign of life).
	fn on_usage(id: EscrowId, at: BlockNumber);
	/// The fixed rate of lease `id` may not accrue past this block (its last sign of life plus
	/// the heartbeat timeout), if the lease says so.
	fn accrual_limit(id: EscrowId) -> Option<BlockNumber>;
}

impl<BlockNumber> LeaseHooks<BlockNumber> for () {
	fn on_exhausted(_: EscrowId, _: BlockNumber) {}
	fn on_usage(_: EscrowId, _: BlockNumber) {}
	fn accrual_limit(_: EscrowId) -> Option<BlockNumber> {
		None
	}
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `key` the daemon key of `provider`.
	fn set_daemon_key(provider: &AccountId, key: [u8; 32]);
	/// Makes the lease escrow `id` pays for (from `payer` to `payee`) exist and run, so that
	/// [`LeaseHooks::on_exhausted`] takes its heaviest path (the lease closing).
	fn lease_running(_id: EscrowId, _payer: &AccountId, _payee: &AccountId) {}
}

/// An escrow.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxPending))]
pub struct Escrow<AccountId, Balance, BlockNumber, MaxPending: frame_support::traits::Get<u32>> {
	/// Who pays (the customer): the funds are held on this account.
	pub payer: AccountId,
	/// Who is paid (the provider), once a bid is accepted.
	pub payee: Option<AccountId>,
	/// The price.
	pub rate: Rate<Balance>,
	/// Funds still held on the payer for this escrow.
	pub held: Balance,
	/// The fixed rate accrues from this block (the lease started).
	pub accrue_from: Option<BlockNumber>,
	/// ... until this block (the lease stopped).
	pub accrue_until: Option<BlockNumber>,
	/// Fixed charges settled so far (paid or written off).
	pub fixed_settled: Balance,
	/// Everything paid so far, fee included.
	pub paid: Balance,
	/// The fee taken so far.
	pub fee: Balance,
	/// The number of the last usage record.
	pub last_seq: u32,
	/// Usage records in their dispute window or disputed.
	pub pending: BoundedVec<Pending<Balance, BlockNumber>, MaxPending>,
	/// The lease ended: no more usage or accrual; the record goes once `pending` is empty.
	pub finished: bool,
}

impl<A, B: Copy + Saturating + Zero, N, M: frame_support::traits::Get<u32>> Escrow<A, B, N, M> {
	/// What the pending usage records cost together.
	pub fn pending_total(&self) -> B {
		self.pending.iter().fold(B::zero(), |acc, p| acc.saturating_add(p.amount))
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, MutateHold},
			tokens::{Fortitude, Precision, Restriction},
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::ed25519;
	use sp_runtime::{
		traits::{CheckedSub, SaturatedConversion, UniqueSaturatedInto},
		Perbill,
	};

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
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
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
		/// Funds were put into an escrow.
		Funded { id: EscrowId, payer: T::AccountId, amount: BalanceOf<T> },
		/// A usage record was accepted; it is paid after the dispute window.
		UsageRecorded { id: EscrowId, seq: u32, amount: BalanceOf<T> },
		/// The customer disputed a usage record.
		Disputed { id: EscrowId, seq: u32 },
		/// Governance resolved a dispute.
		Resolved { id: EscrowId, seq: u32, paid: bool },
		/// A settlement: `to_payee` and `fee` moved to payouts; `shortfall` could not be paid.
		Settled { id: EscrowId, to_payee: BalanceOf<T>, fee: BalanceOf<T>, shortfall: BalanceOf<T> },
		/// The escrow no longer covers its lease after block `until`.
		Exhausted { id: EscrowId, until: BlockNumberFor<T> },
		/// Funds went back to the payer.
		Refunded { id: EscrowId, payer: T::AccountId, amount: BalanceOf<T> },
		/// The escrow is done and removed.
		Closed { id: EscrowId },
		/// A payee withdrew its payouts.
		Withdrawn { who: T::AccountId, amount: BalanceOf<T> },
		/// Governance paid `amount` of the collected platform fees to `dest`.
		FeesSpent { dest: T::AccountId, amount: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No escrow with this id.
		NoEscrow,
		/// An escrow with this id exists already.
		Exists,
		/// Only the payer (customer) may do this.
		NotPayer,
		/// The escrow's lease has ended.
		Finished,
		/// The lease has not started: nothing to bill yet.
		NotStarted,
		/// The usage record's number is not above the last one (a replay).
		Replayed,
		/// The signature is not the provider daemon's over this record.
		BadSignature,
		/// The record bills a unit the lease's rate has no price for.
		UnpricedUnit,
		/// The record names a unit twice or is empty.
		BadRecord,
		/// The cost overflows.
		Overflow,
		/// Too many usage records wait: settle first.
		TooManyPending,
		/// No pending usage record with this number.
		NoRecord,
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
		BadRate,
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
		/// The payer adds `amount` to an escrow whose lease has not ended.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::top_up())]
		pub fn top_up(origin: OriginFor<T>, id: EscrowId, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			Escrows::<T>::try_mutate(id, |e| {
				let e = e.as_mut().ok_or(Error::<T>::NoEscrow)?;
				ensure!(e.payer == who, Error::<T>::NotPayer);
				ensure!(!e.finished, Error::<T>::Finished);
				T::Currency::hold(&HoldReason::Escrow.into(), &who, amount)?;
				e.held = e.held.saturating_add(amount);
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::Funded { id, payer: who, amount });
			Ok(())
		}

		/// Records usage signed by the provider daemon (anyone may submit it). It is paid once
		/// its dispute window has passed. The escrow is settled first, so the records whose
		/// window passed leave the pending list: only records still in their window count
		/// against [`Config::MaxPending`]. Usage beyond the funds exhausts the escrow (the lease
		/// closes): weighed with the settlement and that path.
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
			let id = record.lease;
			let now = frame_system::Pallet::<T>::block_number();
			let exhausted = Escrows::<T>::try_mutate(id, |e| {
				let e = e.as_mut().ok_or(Error::<T>::NoEscrow)?;
				ensure!(!e.finished, Error::<T>::Finished);
				let payee = e.payee.clone().ok_or(Error::<T>::NotStarted)?;
				ensure!(e.accrue_from.is_some(), Error::<T>::NotStarted);
				ensure!(record.seq > e.last_seq, Error::<T>::Replayed);
				let key = T::DaemonKeys::daemon_key(&payee).ok_or(Error::<T>::BadSignature)?;
				let message = usage_message(&Self::genesis(), &record);
				ensure!(
					sp_io::crypto::ed25519_verify(
						&ed25519::Signature::from_raw(signature),
						&message,
						&ed25519::Public::from_raw(key),
					),
					Error::<T>::BadSignature
				);
				let amount = Self::cost(&e.rate, &record)?;
				// Matured records are paid and leave the list; a long lease reporting at any
				// sane interval never fills it (issue 16: nobody else may ever settle).
				let settled = Self::settle_record(id, e, now)?;
				e.pending
					.try_push(Pending {
						seq: record.seq,
						amount,
						at: now,
						status: UsageStatus::InWindow,
					})
					.map_err(|_| Error::<T>::TooManyPending)?;
				e.last_seq = record.seq;
				Self::deposit_event(Event::UsageRecorded { id, seq: record.seq, amount });
				let by_usage =
					(e.accrue_until.is_none() && e.held <= e.pending_total()).then_some(now);
				Ok::<_, DispatchError>(match (settled.exhausted, by_usage) {
					(Some(a), Some(b)) => Some(a.min(b)),
					(a, b) => a.or(b),
				})
			})?;
			T::Leases::on_usage(id, now);
			if let Some(until) = exhausted {
				Self::exhausted(id, until);
			}
			Ok(())
		}

		/// The payer disputes a usage record within its window: it is not paid unless
		/// governance decides so.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::dispute())]
		pub fn dispute(origin: OriginFor<T>, id: EscrowId, seq: u32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let now = frame_system::Pallet::<T>::block_number();
			Escrows::<T>::try_mutate(id, |e| {
				let e = e.as_mut().ok_or(Error::<T>::NoEscrow)?;
				ensure!(e.payer == who, Error::<T>::NotPayer);
				let p = e.pending.iter_mut().find(|p| p.seq == seq).ok_or(Error::<T>::NoRecord)?;
				ensure!(p.status != UsageStatus::Disputed, Error::<T>::AlreadyDisputed);
				ensure!(
					p.status == UsageStatus::InWindow
						&& now < p.at.saturating_add(T::DisputeWindow::get()),
					Error::<T>::WindowPassed
				);
				p.status = UsageStatus::Disputed;
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::Disputed { id, seq });
			Ok(())
		}

		/// Governance resolves a dispute: `pay` makes the record payable at once, otherwise it is
		/// dropped and its amount stays with the customer.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::resolve().saturating_add(T::WeightInfo::exhausted()))]
		pub fn resolve(origin: OriginFor<T>, id: EscrowId, seq: u32, pay: bool) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Escrows::<T>::try_mutate(id, |e| {
				let e = e.as_mut().ok_or(Error::<T>::NoEscrow)?;
				let i = e.pending.iter().position(|p| p.seq == seq).ok_or(Error::<T>::NoRecord)?;
				ensure!(e.pending[i].status == UsageStatus::Disputed, Error::<T>::NotDisputed);
				if pay {
					e.pending[i].status = UsageStatus::Approved;
				} else {
					e.pending.remove(i);
				}
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::Resolved { id, seq, paid: pay });
			Self::settle_now(id)?;
			Ok(())
		}

		/// Settles an escrow: pays the fixed rate accrued so far and the usage records whose
		/// window has passed. Anyone may call it; payments only ever go to the lease's provider
		/// and the fee account. A settlement that finds the funds exhausted closes the lease:
		/// weighed with that path.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::settle().saturating_add(T::WeightInfo::exhausted()))]
		pub fn settle(origin: OriginFor<T>, id: EscrowId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::settle_now(id)
		}

		/// Releases the caller's payouts to its free balance.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw())]
		pub fn withdraw(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let amount = Payouts::<T>::take(&who);
			ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
			T::Currency::release(&HoldReason::Escrow.into(), &who, amount, Precision::Exact)?;
			Self::deposit_event(Event::Withdrawn { who, amount });
			Ok(())
		}

		/// Governance ([`Config::TreasuryOrigin`]) pays `amount` of the platform fees collected
		/// on the fee account (its payouts) to `dest`'s free balance. Emits `FeesSpent`.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::spend_fees())]
		pub fn spend_fees(
			origin: OriginFor<T>,
			dest: T::AccountId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			T::TreasuryOrigin::ensure_origin(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let treasury = T::FeeDestination::get();
			let left = Payouts::<T>::get(&treasury)
				.checked_sub(&amount)
				.ok_or(Error::<T>::InsufficientFees)?;
			T::Currency::transfer_on_hold(
				&HoldReason::Escrow.into(),
				&treasury,
				&dest,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Polite,
			)?;
			if left.is_zero() {
				Payouts::<T>::remove(&treasury);
			} else {
				Payouts::<T>::insert(&treasury, left);
			}
			Self::deposit_event(Event::FeesSpent { dest, amount });
			Ok(())
		}
	}

	/// What a settlement did.
	#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
	pub struct Settlement<Balance, BlockNumber> {
		/// Moved to the payee's payouts.
		pub to_payee: Balance,
		/// Moved to the fee account's payouts.
		pub fee: Balance,
		/// Owed but not covered by the funds.
		pub shortfall: Balance,
		/// The funds cover the lease up to this block and no further.
		pub exhausted: Option<BlockNumber>,
	}

	impl<T: Config> Pallet<T> {
		/// Opens escrow `id`, holding `amount` on `payer` (an order was created).
		pub fn open(id: EscrowId, payer: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
			ensure!(!Escrows::<T>::contains_key(id), Error::<T>::Exists);
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			T::Currency::hold(&HoldReason::Escrow.into(), payer, amount)?;
			Escrows::<T>::insert(
				id,
				Escrow {
					payer: payer.clone(),
					payee: None,
					rate: Rate { per_hour: Zero::zero(), per_unit: Default::default() },
					held: amount,
					accrue_from: None,
					accrue_until: None,
					fixed_settled: Zero::zero(),
					paid: Zero::zero(),
					fee: Zero::zero(),
					last_seq: 0,
					pending: Default::default(),
					finished: false,
				},
			);
			Self::deposit_event(Event::Funded { id, payer: payer.clone(), amount });
			Ok(())
		}

		/// Names the payee and the price (a bid was accepted).
		pub fn assign(id: EscrowId, payee: &T::AccountId, rate: RateOf<T>) -> DispatchResult {
			ensure!(rate.is_valid(), Error::<T>::BadRate);
			Escrows::<T>::try_mutate(id, |e| {
				let e = e.as_mut().ok_or(Error::<T>::NoEscrow)?;
				ensure!(!e.finished, Error::<T>::Finished);
				e.payee = Some(payee.clone());
				e.rate = rate;
				Ok(())
			})
		}

		/// The fixed rate accrues from block `at` (the lease started).
		pub fn start(id: EscrowId, at: BlockNumberFor<T>) -> DispatchResult {
			Escrows::<T>::try_mutate(id, |e| {
				let e = e.as_mut().ok_or(Error::<T>::NoEscrow)?;
				ensure!(e.payee.is_some(), Error::<T>::NotStarted);
				e.accrue_from = Some(at);
				Ok(())
			})
		}

		/// The fixed rate stops accruing at block `at`, or earlier where the funds end.
		pub fn stop(id: EscrowId, at: BlockNumberFor<T>) -> DispatchResult {
			Escrows::<T>::try_mutate(id, |e| {
				let e = e.as_mut().ok_or(Error::<T>::NoEscrow)?;
				Self::stop_record(e, at);
				Ok(())
			})
		}

		/// The lease ended: settles, refunds what is neither owed nor pending, and removes the
		/// escrow once no usage record waits.
		pub fn finish(id: EscrowId) -> DispatchResult {
			let now = frame_system::Pallet::<T>::block_number();
			let mut e = Escrows::<T>::get(id).ok_or(Error::<T>::NoEscrow)?;
			Self::stop_record(&mut e, now);
			Self::settle_record(id, &mut e, now)?;
			e.finished = true;
			Self::refund_free(id, e)
		}

		/// The last block the escrow's funds cover at the fixed rate, while it accrues; `None` if
		/// it does not accrue or the rate has no fixed part.
		pub fn runway_end(id: EscrowId) -> Option<BlockNumberFor<T>> {
			Escrows::<T>::get(id).and_then(|e| Self::runway_of(&e))
		}

		/// Settles `id` now, telling [`Config::Leases`] if its funds ran out.
		pub fn settle_now(id: EscrowId) -> DispatchResult {
			let now = frame_system::Pallet::<T>::block_number();
			let mut e = Escrows::<T>::get(id).ok_or(Error::<T>::NoEscrow)?;
			let s = Self::settle_record(id, &mut e, now)?;
			if e.finished {
				Self::refund_free(id, e)?;
			} else {
				Escrows::<T>::insert(id, e);
			}
			// After the write: the lease closing reads the escrow again.
			if let Some(until) = s.exhausted {
				Self::exhausted(id, until);
			}
			Ok(())
		}

		/// The chain's genesis hash, as usage records are bound to it.
		pub fn genesis() -> [u8; 32] {
			let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			let mut out = [0u8; 32];
			let bytes = hash.as_ref();
			let n = bytes.len().min(32);
			out[..n].copy_from_slice(&bytes[..n]);
			out
		}

		/// Checks the invariant: on every account, the balance held for escrow equals the funds
		/// of the escrows it pays plus its payouts.
		pub fn check_invariant() -> Result<(), &'static str> {
			let mut expected = alloc::collections::BTreeMap::<T::AccountId, BalanceOf<T>>::new();
			for (_, e) in Escrows::<T>::iter() {
				let v = expected.entry(e.payer.clone()).or_insert_with(Zero::zero);
				*v = v.saturating_add(e.held);
				if e.finished && e.pending.is_empty() {
					return Err("a finished escrow without pending usage was not removed");
				}
			}
			for (who, amount) in Payouts::<T>::iter() {
				let v = expected.entry(who).or_insert_with(Zero::zero);
				*v = v.saturating_add(amount);
			}
			for (who, amount) in &expected {
				if T::Currency::balance_on_hold(&HoldReason::Escrow.into(), who) != *amount {
					return Err("escrow hold differs from open escrows plus payouts");
				}
			}
			Ok(())
		}

		fn cost(rate: &RateOf<T>, record: &UsageRecord) -> Result<BalanceOf<T>, DispatchError> {
			ensure!(!record.quantities.is_empty(), Error::<T>::BadRecord);
			let q = &record.quantities;
			ensure!(
				q.iter().enumerate().all(|(i, (u, _))| q.iter().skip(i + 1).all(|(v, _)| v != u)),
				Error::<T>::BadRecord
			);
			let mut total: u128 = 0;
			for (unit, quantity) in q.iter() {
				let price: u128 =
					rate.unit_price(*unit).ok_or(Error::<T>::UnpricedUnit)?.unique_saturated_into();
				total = price
					.checked_mul(u128::from(*quantity))
					.and_then(|c| total.checked_add(c))
					.ok_or(Error::<T>::Overflow)?;
			}
			let amount: BalanceOf<T> = total.saturated_into();
			let back: u128 = amount.unique_saturated_into();
			ensure!(back == total, Error::<T>::Overflow);
			Ok(amount)
		}

		fn pay(from: &T::AccountId, to: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
			if amount.is_zero() {
				return Ok(());
			}
			T::Currency::transfer_on_hold(
				&HoldReason::Escrow.into(),
				from,
				to,
				amount,
				Precision::Exact,
				Restriction::OnHold,
				Fortitude::Polite,
			)?;
			Payouts::<T>::mutate(to, |p| *p = p.saturating_add(amount));
			Ok(())
		}

		/// The funds of escrow `id` cover its lease until block `until` at most: tells the lease
		/// (which closes). Weighed by [`WeightInfo::exhausted`], added to every call that can
		/// get here.
		pub(crate) fn exhausted(id: EscrowId, until: BlockNumberFor<T>) {
			Self::deposit_event(Event::Exhausted { id, until });
			T::Leases::on_exhausted(id, until);
		}

		/// [`Pallet::runway_end`] of a loaded record.
		fn runway_of(e: &EscrowOf<T>) -> Option<BlockNumberFor<T>> {
			let from = e.accrue_from?;
			if e.accrue_until.is_some() {
				return None;
			}
			let affordable =
				e.held.saturating_sub(e.pending_total()).saturating_add(e.fixed_settled);
			let blocks = covered_blocks(
				e.rate.per_hour.unique_saturated_into(),
				T::BlocksPerHour::get().into(),
				affordable.unique_saturated_into(),
			)?;
			Some(from.saturating_add(blocks.saturated_into()))
		}

		/// [`Pallet::stop`] on a loaded record.
		fn stop_record(e: &mut EscrowOf<T>, at: BlockNumberFor<T>) {
			if e.accrue_until.is_none() {
				let end = Self::runway_of(e);
				e.accrue_until = Some(end.map_or(at, |end| at.min(end)));
			}
		}

		/// Settles the loaded record `e` of escrow `id` as of block `now`: moves the payments
		/// and updates `e`; the caller writes it back.
		fn settle_record(
			id: EscrowId,
			e: &mut EscrowOf<T>,
			now: BlockNumberFor<T>,
		) -> Result<Settlement<BalanceOf<T>, BlockNumberFor<T>>, DispatchError> {
			let Some(payee) = e.payee.clone() else { return Ok(Settlement::default()) };
			// The last block the funds cover, while accruing: the fixed rate never accrues past
			// it.
			let end = Self::runway_of(e);
			// The fixed rate accrued and not settled.
			let fixed_due: BalanceOf<T> = match e.accrue_from {
				Some(from) => {
					let until = e.accrue_until.map_or(now, |u| u.min(now));
					let until = end.map_or(until, |end| end.min(until));
					let until = T::Leases::accrual_limit(id).map_or(until, |l| l.min(until));
					let blocks: u128 = until.saturating_sub(from).unique_saturated_into();
					let total = fixed_charge(
						e.rate.per_hour.unique_saturated_into(),
						blocks,
						T::BlocksPerHour::get().into(),
					);
					total.saturated_into::<BalanceOf<T>>().saturating_sub(e.fixed_settled)
				},
				None => Zero::zero(),
			};
			// Usage whose window has passed, undisputed.
			let window = T::DisputeWindow::get();
			let mut usage_due: BalanceOf<T> = Zero::zero();
			e.pending.retain(|p| {
				let due = match p.status {
					UsageStatus::InWindow => p.at.saturating_add(window) <= now,
					UsageStatus::Disputed => false,
					UsageStatus::Approved => true,
				};
				if due {
					usage_due = usage_due.saturating_add(p.amount);
				}
				!due
			});
			let due = fixed_due.saturating_add(usage_due);
			let charge = due.min(e.held);
			let shortfall = due.saturating_sub(charge);
			// The fee is a share of everything paid so far: rounding is done once, not per
			// settlement.
			let paid = e.paid.saturating_add(charge);
			let fee_total = T::FeeRate::get().mul_floor(paid);
			let fee = fee_total.saturating_sub(e.fee).min(charge);
			let to_payee = charge.saturating_sub(fee);
			Self::pay(&e.payer, &payee, to_payee)?;
			Self::pay(&e.payer, &T::FeeDestination::get(), fee)?;
			e.held = e.held.saturating_sub(charge);
			e.paid = paid;
			e.fee = e.fee.saturating_add(fee);
			e.fixed_settled = e.fixed_settled.saturating_add(fixed_due);
			let accruing = e.accrue_from.is_some() && e.accrue_until.is_none();
			let exhausted = if !accruing {
				None
			} else if let Some(end) = end.filter(|end| *end <= now) {
				Some(end)
			} else if e.held <= e.pending_total() {
				Some(now)
			} else {
				None
			};
			if !charge.is_zero() || !shortfall.is_zero() {
				Self::deposit_event(Event::Settled { id, to_payee, fee, shortfall });
			}
			Ok(Settlement { to_payee, fee, shortfall, exhausted })
		}

		/// A finished escrow (the loaded record `e`) gives back what no pending record may still
		/// claim; it is removed when none waits, written back otherwise.
		fn refund_free(id: EscrowId, mut e: EscrowOf<T>) -> DispatchResult {
			let refund = e.held.saturating_sub(e.pending_total());
			if !refund.is_zero() {
				T::Currency::release(
					&HoldReason::Escrow.into(),
					&e.payer,
					refund,
					Precision::Exact,
				)?;
				e.held = e.held.saturating_sub(refund);
				Self::deposit_event(Event::Refunded { id, payer: e.payer.clone(), amount: refund });
			}
			if e.pending.is_empty() {
				Escrows::<T>::remove(id);
				Self::deposit_event(Event::Closed { id });
			} else {
				Escrows::<T>::insert(id, e);
			}
			Ok(())
		}
	}
}
