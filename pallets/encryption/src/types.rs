//! The pallet's stored types.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::Get, BoundedVec, CloneNoBound, DebugNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;

pub use virtengine_envelope::KeyId;

/// Where a key is in its life.
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
pub enum KeyState<BlockNumber> {
	/// The account's current key: new envelopes to the account use it.
	Active,
	/// Replaced by a newer key at this block; old envelopes to it can still be read by its
	/// owner, new ones are refused.
	Retired {
		/// When it was retired.
		at: BlockNumber,
	},
	/// Revoked at this block (compromised or withdrawn): envelopes to it are refused.
	Revoked {
		/// When it was revoked.
		at: BlockNumber,
	},
}

/// A stored recipient key.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct KeyRecord<AccountId, Balance, BlockNumber> {
	/// The account that registered it.
	pub owner: AccountId,
	/// The X25519 public key.
	pub public: [u8; 32],
	/// Its version among the owner's keys: 1 for the first, rising with each rotation.
	pub version: u32,
	/// Where it is in its life.
	pub state: KeyState<BlockNumber>,
	/// When it was registered.
	pub registered_at: BlockNumber,
	/// The deposit held for it.
	pub deposit: Balance,
}

/// An account's keys.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxKeys))]
#[codec(mel_bound())]
pub struct AccountKeys<MaxKeys: Get<u32>> {
	/// The version the next registered key gets.
	pub next_version: u32,
	/// The active key, if any.
	pub active: Option<KeyId>,
	/// Every stored key of the account, oldest first.
	pub keys: BoundedVec<KeyId, MaxKeys>,
}

/// Why an envelope was refused by [`crate::Pallet::check_envelope`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EnvelopeCheckError {
	/// Its structure is not sound.
	Structure(virtengine_envelope::Error),
	/// A recipient key is not registered.
	UnknownRecipient(KeyId),
	/// A recipient key is retired or revoked.
	InactiveRecipient(KeyId),
}
