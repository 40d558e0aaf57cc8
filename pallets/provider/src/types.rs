//! The pallet's types: domains, a provider's attributes and status, the stored records, and the
//! trait through which the market pallet tells it about open leases.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;

/// The longest domain name (RFC 1035).
pub type MaxDomainLen = ConstU32<253>;
/// A domain name, lower case.
pub type Domain = BoundedVec<u8, MaxDomainLen>;
/// A model name (CPU or GPU).
pub type ModelName = BoundedVec<u8, ConstU32<64>>;

/// Capability flags of a provider.
pub mod capability {
	/// Runs containers on Kubernetes.
	pub const KUBERNETES: u32 = 1 << 0;
	/// Runs batch jobs on SLURM.
	pub const SLURM: u32 = 1 << 1;
	/// Offers GPUs.
	pub const GPU: u32 = 1 << 2;
	/// Offers persistent storage.
	pub const STORAGE: u32 = 1 << 3;
	/// Every known flag.
	pub const ALL: u32 = KUBERNETES | SLURM | GPU | STORAGE;
}

/// What a provider offers, for customers to filter on.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Attributes {
	/// Region code, e.g. `eu-central`.
	pub region: BoundedVec<u8, ConstU32<32>>,
	/// CPU models.
	pub cpu_models: BoundedVec<ModelName, ConstU32<8>>,
	/// GPU models.
	pub gpu_models: BoundedVec<ModelName, ConstU32<8>>,
	/// [`capability`] flags.
	pub capabilities: u32,
}

/// A provider's status.
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
pub enum Status {
	/// Bids and serves.
	Active,
	/// Paused by the provider: serves open leases, makes no new bids.
	Paused,
	/// Suspended by governance: makes no new bids.
	Suspended,
}

/// A registered provider.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Provider<Balance, BlockNumber> {
	/// The confirmed domain.
	pub domain: Domain,
	/// What it offers.
	pub attributes: Attributes,
	/// X25519 key order details are sealed to.
	pub encryption_key: [u8; 32],
	/// ed25519 key of the provider daemon (signs bids' details and usage records).
	pub daemon_key: [u8; 32],
	/// Status.
	pub status: Status,
	/// The deposit held.
	pub deposit: Balance,
	/// When it registered.
	pub since: BlockNumber,
}

/// A domain claim.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct DomainClaim<Balance, BlockNumber> {
	/// The domain.
	pub domain: Domain,
	/// Whether a verifier confirmed the TXT record.
	pub confirmed: bool,
	/// The claim lapses at this block unless its account registered as a provider before.
	pub expires: BlockNumber,
	/// The deposit held for the claim and the domain's owner entry.
	pub deposit: Balance,
}

/// How many open leases a provider has (the market pallet answers; `()` says none).
pub trait ActiveLeases<AccountId> {
	/// Open leases of `provider`.
	fn active_leases(provider: &AccountId) -> u32;
}

impl<AccountId> ActiveLeases<AccountId> for () {
	fn active_leases(_: &AccountId) -> u32 {
		0
	}
}

/// What the benchmarks need from the runtime: an account with a Standard identity.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Gives `who` a verified identity of tier Standard.
	fn set_standard_tier(who: &AccountId);
}
