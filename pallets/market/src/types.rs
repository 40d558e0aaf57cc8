//! The pallet's stored types and the bounds on envelopes.

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
/// How many blocks [`crate::Pallet::process_deadlines`] scans forward at most in one block.
pub const MAX_DEADLINE_SCAN: u32 = 64;

// What the deposits pay for beyond a record's own `max_encoded_len`, in bytes. A map key is the
// map's 32-byte prefix (pallet and storage names, hashed), then for each key part its hash
// (`Blake2_128Concat`: 16 bytes, `Twox64Concat`: 8) and the encoded key. The figures assume
// the runtime's types (32-byte account ids, 16-byte balances); none counts the 32-byte prefix.

/// The hash in a `Blake2_128Concat` key part.
const BLAKE2_128_HASH: usize = 16;
/// The hash in a `Twox64Concat` key part.
const TWOX_64_HASH: usize = 8;
/// An `AccountId32`.
const ACCOUNT_ID: usize = 32;
/// A `u128` balance.
const BALANCE: usize = 16;
/// An [`OrderId`].
const ORDER_ID: usize = 8;

/// What a bid's deposit pays for beyond the bid: the provider's part of its `Bids` key (a
/// `Blake2_128Concat` account id), 48 bytes.
///
/// Undercharge: the order's part of the key (`Blake2_128Concat` of the order number, 24 bytes)
/// is not counted; the key is 72 bytes (104 with the map's prefix).
pub const BID_KEY_BYTES: usize = BLAKE2_128_HASH + ACCOUNT_ID;

/// What a review's deposit pays for beyond the review: the reviewer's part of its `Reviews`
/// key (a `Blake2_128Concat` account id), 48 bytes.
///
/// Undercharge: the lease's part of the key (`Blake2_128Concat` of the lease number, 24 bytes)
/// is not counted; the key is 72 bytes (104 with the map's prefix). The reviewed party's
/// `Ratings` entry is not paid for either (and stays).
pub const REVIEW_KEY_BYTES: usize = BLAKE2_128_HASH + ACCOUNT_ID;

/// What a block's deposit pays for: the two parts of its `Blocked` key (provider and customer,
/// each a `Blake2_128Concat` account id), 96 bytes.
///
/// Undercharge: the value, the deposit itself (a 16-byte balance), is not counted; the entry is
/// 112 bytes (144 with the map's prefix).
pub const BLOCKED_KEY_BYTES: usize = 2 * (BLAKE2_128_HASH + ACCOUNT_ID);

/// What an order's deposit pays for beyond its three records (order, lease and escrow): the
/// hashes in their keys, 64 bytes: the `Blake2_128Concat` hashes of the `Orders`, `Leases` and
/// escrow `Escrows` keys (16 each) and the two `Twox64Concat` hashes of the lease's `Deadlines`
/// key (8 each).
///
/// Undercharge: the encoded keys after those hashes are not counted (the order number in each
/// of the four keys and the deadline's block number: 36 bytes with a `u32` block number); the
/// keys are 100 bytes (228 with the four maps' prefixes).
pub const ORDER_KEY_HASH_BYTES: usize = 3 * BLAKE2_128_HASH + 2 * TWOX_64_HASH;

/// What access details' deposit pays for beyond the envelope's bytes: the record's deposit
/// field (a balance) and its `LeaseAccess` key (a `Blake2_128Concat` lease number), 40 bytes.
///
/// Undercharge: the envelope's SCALE length prefix (2 bytes for envelopes of 64 to
/// [`MAX_SEALED`] bytes) is not counted; the entry is the envelope and 42 bytes (74 with the
/// map's prefix).
pub const ACCESS_OVERHEAD_BYTES: usize = BALANCE + BLAKE2_128_HASH + ORDER_ID;

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
