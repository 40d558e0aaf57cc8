//! The pallet's types: the price of a lease, usage records, the stored escrow, and the traits
//! through which it meets the provider and market pallets.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::{ConstU32, Get},
	BoundedVec,
};
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

/// An escrow.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxPending))]
pub struct Escrow<AccountId, Balance, BlockNumber, MaxPending: Get<u32>> {
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

impl<A, B: Copy + Saturating + Zero, N, M: Get<u32>> Escrow<A, B, N, M> {
	/// What the pending usage records cost together.
	pub fn pending_total(&self) -> B {
		self.pending.iter().fold(B::zero(), |acc, p| acc.saturating_add(p.amount))
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
