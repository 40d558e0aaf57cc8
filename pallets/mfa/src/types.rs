//! The pallet's types: factors and their proofs as stored and submitted, authorizations,
//! recoveries, value windows, and what a classification found out about a call.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;

use crate::{Action, FactorSet, Requirement, ValueTotals};

/// Longest credential id accepted (WebAuthn allows 1023; real authenticators use 16-128).
pub type MaxCredentialIdLen = ConstU32<255>;

/// A FIDO2/WebAuthn credential.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Credential {
	/// The credential id the authenticator gave.
	pub id: BoundedVec<u8, MaxCredentialIdLen>,
	/// The P-256 public key, compressed SEC1.
	pub public_key: [u8; 33],
	/// The last signature counter seen (0: the authenticator keeps none).
	pub counter: u32,
	/// Whether assertions must carry the user-verified flag.
	pub require_uv: bool,
}

/// A WebAuthn assertion as the browser (or a software authenticator) returns it.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Assertion {
	/// The credential that signed.
	pub credential_id: BoundedVec<u8, MaxCredentialIdLen>,
	/// authenticatorData.
	pub authenticator_data: BoundedVec<u8, ConstU32<512>>,
	/// clientDataJSON.
	pub client_data_json: BoundedVec<u8, ConstU32<1024>>,
	/// The DER-encoded ES256 signature.
	pub signature: BoundedVec<u8, ConstU32<80>>,
}

/// Where one-time codes are sent.
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
pub enum ChannelKind {
	/// Text message.
	Sms,
	/// Email.
	Email,
}

/// A contact for one-time codes. The address itself never reaches the ledger: only a salted hash
/// the issuer can check against the address it is given.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Channel {
	/// SMS or email.
	pub kind: ChannelKind,
	/// Salted hash of the address.
	pub destination: [u8; 32],
}

/// A one-time code an issuer sent.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct IssuedCode<BlockNumber> {
	/// `code_commitment(salt, account, code)`.
	pub commitment: [u8; 32],
	/// The last block it may be used in.
	pub expires: BlockNumber,
	/// Wrong attempts left before the code is void.
	pub attempts_left: u8,
}

/// The verifier that holds an account's sealed TOTP seed.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct TotpBinding<AccountId> {
	/// The verifier account.
	pub verifier: AccountId,
	/// Hash of the seed as sealed to the verifier (the envelope itself stays off the ledger).
	pub sealed_seed: [u8; 32],
}

/// A factor proof in an authorization.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum Proof {
	/// A WebAuthn assertion over the challenge.
	Fido2(Assertion),
	/// The one-time code and the salt the issuer gave.
	Code {
		/// The six-digit code.
		code: u32,
		/// The salt.
		salt: [u8; 32],
	},
	/// The verifier's attestation of a TOTP code for the challenge (already on chain).
	Totp,
	/// A trusted device's ed25519 signature over the challenge.
	Device {
		/// The device key.
		key: [u8; 32],
		/// The signature.
		signature: [u8; 64],
	},
}

/// A single-use authorization of one exact call.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct CallAuthorization<BlockNumber> {
	/// Hash of the call.
	pub call_hash: [u8; 32],
	/// The last block it may be used in.
	pub expires: BlockNumber,
}

/// An open session for a non-critical action.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SessionGrant<BlockNumber> {
	/// The action.
	pub action: Action,
	/// The factors proven (VEID only if the tier was met then; the tier is read again on use).
	pub factors: FactorSet,
	/// The last block it may be used in.
	pub expires: BlockNumber,
}

/// A recovery under way.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Recovery<AccountId, BlockNumber> {
	/// Who takes the account over.
	pub rescuer: AccountId,
	/// From which block the rescuer may claim it.
	pub executable_at: BlockNumber,
}

/// A call that cannot be classified (wrappers nested too deeply); it is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Unclassifiable;

/// What [`Pallet::requirement_of`](crate::Pallet::requirement_of) found out about a call.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Classified<AccountId, Balance> {
	/// What the call requires.
	pub requirement: Requirement,
	/// The single action it performs, if exactly one (a session covers only those).
	pub action: Option<Action>,
	/// Transfer recipients new to the account.
	pub recipients: Vec<AccountId>,
	/// The value it moves, by class, over the whole call tree.
	pub value: ValueTotals<Balance>,
	/// Whether the value counts towards the account's window (value thresholds are set).
	pub windowed: bool,
	/// Whether the check was the plain one: no rule triggered and no requirement of the
	/// account's own, so it read no factor, policy, authorization or session (the extension
	/// is charged [`WeightInfo::check_mfa_plain`](crate::WeightInfo::check_mfa_plain) for
	/// it, not the worst case).
	pub plain: bool,
}

/// How a call passed [`Pallet::check`](crate::Pallet::check).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Covered<Balance> {
	/// Nothing is required; `value` counts towards the account's window (zero while no
	/// thresholds are set); `plain`: see [`Classified::plain`].
	NotSensitive {
		/// What to add to the account's value window.
		value: ValueTotals<Balance>,
		/// Whether the check was the plain one.
		plain: bool,
	},
	/// An open session for its action covers it.
	Session,
	/// The single-use authorization of this call (its hash), to be used up.
	Authorization([u8; 32]),
}

/// What an account moved without an authorization in the current and the previous window.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ValueWindow<Balance> {
	/// The window `current` belongs to (block number / window length).
	pub window: u32,
	/// Value moved in that window, by class.
	pub current: ValueTotals<Balance>,
	/// Value moved in the window before it.
	pub previous: ValueTotals<Balance>,
}

/// The WebAuthn relying party.
#[derive(
	Clone,
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
pub struct RelyingPartyConfig {
	/// The RP ID (a domain), e.g. `virtengine.network`.
	pub id: BoundedVec<u8, ConstU32<128>>,
	/// The origin clientDataJSON must carry, e.g. `https://app.virtengine.network`.
	pub origin: BoundedVec<u8, ConstU32<128>>,
}
