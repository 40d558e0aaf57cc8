//! The pallet's stored and passed types.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::BoundedVec;
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::app_crypto::{ed25519, sr25519};
use virtengine_veid_primitives::{MemberId, ScopeKind, Tier, Vote};

use crate::pallet::{BalanceOf, Config};

/// A capture client's id.
pub type ClientId = [u8; 16];

/// What the benchmarks need from the runtime: an account whose key is in the benchmark keystore,
/// and its signature (the pallet is generic over accounts and signatures).
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// A fresh account whose signing key is in the keystore.
	fn signer() -> AccountId;
	/// `who`'s signature of `message`.
	fn sign(who: &AccountId, message: &[u8]) -> Signature;
}

/// A committee member as a request records it: its account (the validator), its VEID signing
/// key and the X25519 key uploads were sealed to.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct Member<AccountId> {
	/// The validator's account.
	pub account: AccountId,
	/// Its VEID signing key (a session key).
	pub id: MemberId,
	/// Its X25519 committee key for the session.
	pub key: [u8; 32],
}

/// A capture client's signing key.
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
	serde::Serialize,
	serde::Deserialize,
)]
pub enum ClientKey {
	/// ed25519 public key.
	Ed25519([u8; 32]),
	/// sr25519 public key.
	Sr25519([u8; 32]),
}

impl ClientKey {
	/// Whether `signature` is this key's signature of `message`.
	pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
		match self {
			ClientKey::Ed25519(public) => sp_io::crypto::ed25519_verify(
				&ed25519::Signature::from_raw(*signature),
				message,
				&ed25519::Public::from_raw(*public),
			),
			ClientKey::Sr25519(public) => sp_io::crypto::sr25519_verify(
				&sr25519::Signature::from_raw(*signature),
				message,
				&sr25519::Public::from_raw(*public),
			),
		}
	}
}

/// Where an account's identity is.
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
	/// Scopes uploaded, waiting for the committee.
	Pending,
	/// Scored and accepted.
	Verified,
	/// Scored below 50, or timed out.
	Rejected,
	/// Verified, but the validity period is over: upload again to re-verify.
	Expired,
}

/// Why a request was rejected without a score.
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
pub enum RejectReason {
	/// No quorum before the deadline.
	Timeout,
	/// The quorum's feature digest already verified another account: one identity verifies
	/// one account.
	DuplicateIdentity,
}

/// An open request: what the committee scores.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct Request<T: Config> {
	/// Who uploaded.
	pub account: T::AccountId,
	/// The approved client that captured it.
	pub client: ClientId,
	/// What it contains.
	pub scopes: BoundedVec<ScopeKind, T::MaxScopes>,
	/// The commitments' salt.
	pub salt: [u8; 32],
	/// Salted commitment to the holder's name.
	pub name_commitment: [u8; 32],
	/// Salted commitment to the holder's birth date.
	pub birth_date_commitment: [u8; 32],
	/// BLAKE2-256 of the sealed bundle (the envelope itself is in [`crate::Envelopes`]).
	pub envelope_hash: [u8; 32],
	/// Its length in bytes.
	pub envelope_len: u32,
	/// The deposit held for it.
	pub deposit: BalanceOf<T>,
	/// When it was uploaded.
	pub submitted_at: BlockNumberFor<T>,
	/// When it times out.
	pub deadline: BlockNumberFor<T>,
	/// The reference day of the pipeline (days since 1970-01-01 of the upload block's
	/// timestamp), the same for every member.
	pub today: u32,
}

/// A final result: what remains on chain once a request is decided.
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
pub struct IdentityResult {
	/// 0-100.
	pub score: u8,
	/// Its tier.
	pub tier: Tier,
	/// Reason codes, a mask over `virtengine_veid_primitives::REASON_CODES`.
	pub reasons: u32,
	/// The pipeline's feature digest the quorum agreed on.
	pub digest: [u8; 32],
	/// The model set it was computed with.
	pub model_set: [u8; 32],
	/// The request it came from.
	pub request: u64,
}

/// An account's identity record.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct Identity<T: Config> {
	/// Its status.
	pub status: Status,
	/// The open request, if any.
	pub request: Option<u64>,
	/// When the account last uploaded.
	pub last_upload: BlockNumberFor<T>,
	/// Why it was last rejected without a score.
	pub reject_reason: Option<RejectReason>,
	/// When a verified identity stops being valid.
	pub expires_at: Option<BlockNumberFor<T>>,
}

/// A request's committee as stored: its members, in validator order.
pub(crate) type CommitteeOf<T> =
	BoundedVec<Member<<T as frame_system::Config>::AccountId>, <T as Config>::MaxCommittee>;

/// What a reveal does (`Pallet::check_reveal`): a vote on an open request, or a late one on
/// a request already decided.
pub(crate) enum Revealing<T: Config> {
	/// The request is open: the vote counts towards a decision.
	Open(Request<T>, CommitteeOf<T>),
	/// The request was decided before this member revealed: the vote is compared with the
	/// agreed one.
	Late {
		/// The vote the quorum agreed on.
		agreed: Vote,
		/// The request's deadline: late reveals are accepted until then.
		deadline: BlockNumberFor<T>,
		/// The request's committee.
		committee: CommitteeOf<T>,
	},
}
