//! # MFA pallet
//!
//! Per-account factors, the seeds' gating policies, and authorizations bound to a call
//! (`docs/access-control.md`).
//!
//! - **Factors**: FIDO2/WebAuthn credentials (P-256 public key on chain, assertions verified on
//!   chain: authenticator data and clientDataJSON parsed, challenge bound to the exact call, RP ID
//!   hash, origin, UP/UV flags, increasing counter); one-time codes by SMS or email (an approved
//!   issuer posts a salted commitment; single use, expiry, attempt limit); TOTP (the seed is
//!   sealed to a verifier off the ledger; the verifier attests a valid code for a challenge);
//!   trusted devices (an ed25519 device key signs the challenge; stands in for one factor); VEID
//!   (a minimum identity tier, read from the identity pallet).
//! - **Policies**: a [`Policy`] per [`Rule`] (the seeds' tier 1 and tier 2 rows, genesis defaults
//!   from [`Rule::default_policy`]), value [`Thresholds`] in token units, and each user's own extra
//!   requirements per [`Action`] (tier 3).
//! - **Authorizations**: [`Pallet::authorize`] takes the call to authorize and factor proofs over
//!   the challenge derived from that call. Critical actions get a single-use authorization of
//!   that exact call; others open a session for the action until the policy's timeout.
//! - **Recovery**: [`Pallet::initiate_recovery`] with the lost account's factors, claimable by
//!   the rescuer after a delay during which the owner may cancel.
//! - **Gating**: [`CheckMfa`], a transaction extension, classifies every signed call (the
//!   runtime's [`Classify`], this pallet's own calls) and refuses a sensitive one without a
//!   matching authorization.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod extension;
#[cfg(test)]
mod mock;
pub mod policy;
#[cfg(test)]
mod tests;
pub mod weights;

pub use extension::CheckMfa;
pub use pallet::*;
pub use policy::{Action, Context, Policy, Requirement, Rule, Thresholds, ValueClass, ValueTotals};
pub use virtengine_mfa_primitives::{Factor, FactorSet};
pub use weights::WeightInfo;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use virtengine_veid_primitives::Tier;

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

/// Maps runtime calls to sensitive actions. Implemented by the runtime (it knows the other
/// pallets' calls); this pallet classifies its own.
pub trait Classify<AccountId, Balance, Call> {
	/// Appends the context of every sensitive action `call` performs (several for a batch).
	/// `Err(Unclassifiable)` if the call cannot be classified (nested too deeply), which refuses
	/// it.
	fn classify(
		who: &AccountId,
		call: &Call,
		out: &mut Vec<Context<AccountId, Balance>>,
	) -> Result<(), Unclassifiable>;

	/// How many calls `classify` visits for `call` (a batch: its inner calls too): the check
	/// is charged per call visited, since a batch's classification grows with its length.
	fn calls_visited(_call: &Call) -> u32 {
		1
	}

	/// At most how many storage items `classify` reads for `call` (a value read from state,
	/// whether an order is the account's first): charged on top of the check.
	fn state_reads(_call: &Call) -> u32 {
		0
	}

	/// A transfer of `value` to `dest` that `classify` sees as one `TransferTokens` action,
	/// for the plain check's benchmark. `None`: the runtime has no such call.
	#[cfg(feature = "runtime-benchmarks")]
	fn transfer(_dest: AccountId, _value: Balance) -> Option<Call> {
		None
	}
}

impl<AccountId, Balance, Call> Classify<AccountId, Balance, Call> for () {
	fn classify(
		_: &AccountId,
		_: &Call,
		_: &mut Vec<Context<AccountId, Balance>>,
	) -> Result<(), Unclassifiable> {
		Ok(())
	}
}

/// What [`Pallet::requirement_of`] found out about a call.
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
	/// is charged [`WeightInfo::check_mfa_plain`] for it, not the worst case).
	pub plain: bool,
}

/// How a call passed [`Pallet::check`].
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

/// Account standing, from the roles pallet.
pub trait Standing<AccountId> {
	/// Whether the account is suspended or terminated: its funds and factors may not be handed
	/// to anyone by recovery.
	fn restricted(who: &AccountId) -> bool;
}

impl<AccountId> Standing<AccountId> for () {
	fn restricted(_: &AccountId) -> bool {
		false
	}
}

/// The source of identity tiers (the VEID pallet).
pub trait IdentityTier<AccountId> {
	/// The account's verified, unexpired tier.
	fn tier(who: &AccountId) -> Option<Tier>;
}

/// The `InvalidTransaction::Custom` codes of [`CheckMfa`], from the runtime's table
/// (`virtengine_primitives::refusal`): the call is sensitive and no authorization covers it
/// ([`MFA_REQUIRED`]), or it could not be classified, nested too deeply ([`UNCLASSIFIABLE`]).
pub use virtengine_primitives::refusal::mfa::{MFA_REQUIRED, UNCLASSIFIABLE};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Preservation},
			BuildGenesisConfig, IsSubType,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Bounded, Dispatchable, Saturating, UniqueSaturatedInto, Zero};
	use virtengine_mfa_primitives::{
		otp,
		webauthn::{self, Expected},
	};

	/// The token's balance type.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
		/// The runtime's call type (authorizations name a call).
		type RuntimeCall: Parameter
			+ Dispatchable<RuntimeOrigin = Self::RuntimeOrigin>
			+ IsSubType<Call<Self>>
			+ From<Call<Self>>
			+ IsType<<Self as frame_system::Config>::RuntimeCall>;
		/// The token: deposits for stored factors, and the funds a recovery moves.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// Deposit per byte of factors and settings an account stores.
		type DepositPerByte: Get<BalanceOf<Self>>;
		/// Classifies the other pallets' calls.
		type Classifier: Classify<Self::AccountId, BalanceOf<Self>, <Self as Config>::RuntimeCall>;
		/// Identity tiers for the VEID factor.
		type Identity: IdentityTier<Self::AccountId>;
		/// Account standing (the roles pallet): a restricted account cannot be recovered away.
		type Standing: Standing<Self::AccountId>;
		/// Length of the value window in blocks: value moved without an authorization is added
		/// up over at least this many blocks before the thresholds compare it.
		#[pallet::constant]
		type ValueWindow: Get<BlockNumberFor<Self>>;
		/// Sets policies, thresholds, the relying party and the approved issuers/verifiers.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Credentials per account.
		#[pallet::constant]
		type MaxCredentials: Get<u32>;
		/// Trusted devices per account.
		#[pallet::constant]
		type MaxDevices: Get<u32>;
		/// Recipients an account remembers (transfers to others count as "to a new address").
		#[pallet::constant]
		type MaxKnownRecipients: Get<u32>;
		/// How long a critical authorization waits for its call, in blocks.
		#[pallet::constant]
		type AuthorizationTtl: Get<BlockNumberFor<Self>>;
		/// Longest validity of a one-time code or TOTP attestation, in blocks.
		#[pallet::constant]
		type MaxCodeTtl: Get<BlockNumberFor<Self>>;
		/// How long an initiated recovery waits before the rescuer may claim the account (the
		/// owner may cancel it meanwhile), in blocks.
		#[pallet::constant]
		type RecoveryDelay: Get<BlockNumberFor<Self>>;
		/// Wrong attempts a one-time code allows.
		#[pallet::constant]
		type MaxCodeAttempts: Get<u8>;
		/// Weights.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit for an account's stored factors and settings.
		Factors,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// The relying party WebAuthn assertions must name: RP ID and origin.
	#[pallet::storage]
	pub type RelyingParty<T: Config> = StorageValue<_, RelyingPartyConfig, OptionQuery>;

	/// Policies by rule; a rule without an entry uses [`Rule::default_policy`].
	#[pallet::storage]
	pub type Policies<T: Config> = StorageMap<_, Twox64Concat, Rule, Policy, OptionQuery>;

	/// Value thresholds of the conditional rules.
	#[pallet::storage]
	pub type ValueThresholds<T: Config> = StorageValue<_, Thresholds<BalanceOf<T>>, OptionQuery>;

	/// Approved code issuers and TOTP verifiers.
	#[pallet::storage]
	pub type Attesters<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, (), OptionQuery>;

	/// FIDO2 credentials by account.
	#[pallet::storage]
	pub type Credentials<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<Credential, T::MaxCredentials>,
		ValueQuery,
	>;

	/// One-time code channels by account (at most one SMS and one email).
	#[pallet::storage]
	pub type Channels<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BoundedVec<Channel, ConstU32<2>>, ValueQuery>;

	/// Trusted device keys (ed25519) by account.
	#[pallet::storage]
	pub type Devices<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<[u8; 32], T::MaxDevices>,
		ValueQuery,
	>;

	/// TOTP verifier bindings.
	#[pallet::storage]
	pub type Totp<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, TotpBinding<T::AccountId>, OptionQuery>;

	/// Users' own extra requirements per action (tier 3).
	#[pallet::storage]
	pub type UserRequirements<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<(Action, FactorSet), ConstU32<{ Action::ALL.len() as u32 }>>,
		ValueQuery,
	>;

	/// Recipients an account has transferred to with authorization (most recent last).
	#[pallet::storage]
	pub type KnownRecipients<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<T::AccountId, T::MaxKnownRecipients>,
		ValueQuery,
	>;

	/// The outstanding one-time code of an account.
	#[pallet::storage]
	pub type Codes<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, IssuedCode<BlockNumberFor<T>>, OptionQuery>;

	/// TOTP attestations: (challenge, expiry) by account.
	#[pallet::storage]
	pub type TotpAttestations<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ([u8; 32], BlockNumberFor<T>), OptionQuery>;

	/// Authorizations made per account: part of every challenge, so none is signed twice.
	#[pallet::storage]
	pub type Nonces<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u64, ValueQuery>;

	/// The single-use authorization of one exact call, by account.
	#[pallet::storage]
	pub type Pending<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		CallAuthorization<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Open sessions of non-critical actions, by account (at most one per action).
	#[pallet::storage]
	pub type Sessions<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<SessionGrant<BlockNumberFor<T>>, ConstU32<{ Action::ALL.len() as u32 }>>,
		ValueQuery,
	>;

	/// Initiated recoveries, by lost account.
	#[pallet::storage]
	pub type Recoveries<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Recovery<T::AccountId, BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Value each account moved without an authorization in the current and the previous
	/// value window (`ValueWindow` blocks each): the thresholds compare it with every new call,
	/// so value split over many transactions meets them too. Blake2 keys: accounts are chosen
	/// by users. One small entry per account that moved value, paid for by its transactions'
	/// fees and covered by the account's existential deposit (like its nonce); rewritten, never
	/// grown, by later calls.
	#[pallet::storage]
	pub type RecentValue<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ValueWindow<BalanceOf<T>>, OptionQuery>;

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

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The relying party: (RP ID, origin).
		pub relying_party: Option<(Vec<u8>, Vec<u8>)>,
		/// Value thresholds; none means no value-conditional rule fires until governance sets
		/// them.
		pub thresholds: Option<Thresholds<BalanceOf<T>>>,
		/// Policies differing from the seeds' defaults (every rule's default is written too).
		pub policies: Vec<(Rule, Policy)>,
		/// Approved code issuers and TOTP verifiers.
		pub attesters: Vec<T::AccountId>,
		/// Recipients accounts already know (development chains: the dev accounts each other).
		pub known_recipients: Vec<(T::AccountId, Vec<T::AccountId>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some((id, origin)) = &self.relying_party {
				let config = RelyingPartyConfig {
					id: id.clone().try_into().expect("genesis: RP ID longer than 128 bytes"),
					origin: origin
						.clone()
						.try_into()
						.expect("genesis: origin longer than 128 bytes"),
				};
				RelyingParty::<T>::put(config);
			}
			if let Some(t) = &self.thresholds {
				ValueThresholds::<T>::put(t);
			}
			for rule in Rule::ALL {
				Policies::<T>::insert(rule, rule.default_policy());
			}
			for (rule, policy) in &self.policies {
				Policies::<T>::insert(rule, policy);
			}
			for who in &self.attesters {
				Attesters::<T>::insert(who, ());
			}
			for (who, known) in &self.known_recipients {
				let known: BoundedVec<_, _> =
					known.clone().try_into().expect("genesis: too many known recipients");
				KnownRecipients::<T>::insert(who, known);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A FIDO2 credential was registered.
		CredentialRegistered {
			who: T::AccountId,
			credential_id: BoundedVec<u8, MaxCredentialIdLen>,
		},
		/// A FIDO2 credential was removed.
		CredentialRemoved { who: T::AccountId, credential_id: BoundedVec<u8, MaxCredentialIdLen> },
		/// A code channel was set.
		ChannelSet { who: T::AccountId, kind: ChannelKind },
		/// A code channel was removed.
		ChannelRemoved { who: T::AccountId, kind: ChannelKind },
		/// A trusted device was added.
		DeviceAdded { who: T::AccountId, key: [u8; 32] },
		/// A trusted device was removed.
		DeviceRemoved { who: T::AccountId, key: [u8; 32] },
		/// A TOTP verifier binding was set.
		TotpBound { who: T::AccountId, verifier: T::AccountId },
		/// The TOTP binding was removed.
		TotpUnbound { who: T::AccountId },
		/// A user's own requirement for an action was set (empty: removed).
		RequirementSet { who: T::AccountId, action: Action, factors: FactorSet },
		/// An issuer sent a one-time code.
		CodeIssued { who: T::AccountId, expires: BlockNumberFor<T> },
		/// A wrong one-time code was given; the attempt is used up (and at zero, the code).
		CodeRejected { who: T::AccountId, attempts_left: u8 },
		/// A verifier attested a TOTP code.
		TotpAttested { who: T::AccountId },
		/// A call (critical: this exact call, once) or a session for its action was authorized.
		Authorized {
			who: T::AccountId,
			call_hash: [u8; 32],
			factors: FactorSet,
			critical: bool,
			expires: BlockNumberFor<T>,
		},
		/// A single-use authorization was used.
		AuthorizationUsed { who: T::AccountId, call_hash: [u8; 32] },
		/// A policy was changed.
		PolicySet { rule: Rule, policy: Policy },
		/// The value thresholds were changed.
		ThresholdsSet { thresholds: Thresholds<BalanceOf<T>> },
		/// The relying party was changed.
		RelyingPartySet,
		/// An issuer/verifier was approved.
		AttesterAdded { who: T::AccountId },
		/// An issuer/verifier was removed.
		AttesterRemoved { who: T::AccountId },
		/// The lost account's factors were proven for `rescuer`; claimable from `executable_at`.
		RecoveryInitiated {
			lost: T::AccountId,
			rescuer: T::AccountId,
			executable_at: BlockNumberFor<T>,
		},
		/// The account's owner cancelled a recovery.
		RecoveryCancelled { lost: T::AccountId, rescuer: T::AccountId },
		/// The rescuer claimed the account: its factors are cleared, its funds moved.
		AccountRecovered { lost: T::AccountId, rescuer: T::AccountId, amount: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No relying party is configured: WebAuthn cannot be used.
		NoRelyingParty,
		/// The credential's public key is not a P-256 point.
		BadPublicKey,
		/// The credential is registered already.
		CredentialExists,
		/// The account has as many credentials as allowed.
		TooManyCredentials,
		/// No such credential.
		UnknownCredential,
		/// The account has as many trusted devices as allowed.
		TooManyDevices,
		/// The device is trusted already.
		DeviceExists,
		/// No such device.
		UnknownDevice,
		/// The device's signature does not verify.
		BadDeviceSignature,
		/// No channel of that kind.
		UnknownChannel,
		/// The factor set names unknown factors.
		BadFactorSet,
		/// The call is not sensitive: it needs no authorization.
		NotSensitive,
		/// The call cannot be classified (nested too deeply).
		Unclassifiable,
		/// Authorizations cannot authorize other authorizations.
		NestedAuthorization,
		/// The assertion's authenticator data is malformed.
		MalformedAuthenticatorData,
		/// The assertion carried registration data.
		UnexpectedAttestedData,
		/// clientDataJSON is malformed.
		MalformedClientData,
		/// clientDataJSON's type is not `webauthn.get`.
		WrongClientDataType,
		/// The assertion signed another challenge (another call, account, nonce or chain).
		ChallengeMismatch,
		/// The assertion came from another origin.
		OriginMismatch,
		/// The assertion was made cross-origin.
		CrossOrigin,
		/// The assertion is scoped to another RP ID.
		RpIdMismatch,
		/// The user-present flag is missing.
		UserNotPresent,
		/// The credential requires user verification and the flag is missing.
		UserNotVerified,
		/// The assertion's signature is not DER-encoded.
		BadSignatureEncoding,
		/// The assertion's signature does not verify.
		BadSignature,
		/// The signature counter did not increase: a cloned authenticator or a replay.
		CounterNotIncreased,
		/// No one-time code is outstanding (or it expired).
		NoCode,
		/// The TOTP attestation is missing, expired or for another challenge.
		NoTotpAttestation,
		/// The origin is not an approved issuer/verifier.
		NotAttester,
		/// The account has no TOTP binding to this verifier.
		NotTheVerifier,
		/// The validity asked for exceeds the maximum.
		TtlTooLong,
		/// The same factor was proven twice.
		DuplicateProof,
		/// The proofs do not satisfy the requirement.
		InsufficientFactors,
		/// An account cannot recover itself.
		RecoverSelf,
		/// A recovery of this account is already under way.
		RecoveryPending,
		/// No recovery of this account is under way.
		NoRecovery,
		/// Only the rescuer named in the recovery may claim it.
		NotRescuer,
		/// The recovery delay has not passed yet.
		TooEarly,
		/// The lost account has none of the factors recovery requires (or governance emptied the
		/// recovery policy): it cannot be recovered.
		RecoveryDisabled,
		/// The account is suspended or terminated: recovery cannot move it out of that state, and
		/// it cannot act through XCM either.
		AccountRestricted,
		/// The call is sensitive and no authorization covers it (a call arriving by XCM, which
		/// passes no transaction extension: authorize it first).
		MfaRequired,
	}

	impl<T: Config> From<webauthn::Error> for Error<T> {
		fn from(e: webauthn::Error) -> Self {
			use webauthn::Error as W;
			match e {
				W::MalformedAuthenticatorData => Error::MalformedAuthenticatorData,
				W::UnexpectedAttestedData => Error::UnexpectedAttestedData,
				W::MalformedClientData => Error::MalformedClientData,
				W::WrongType => Error::WrongClientDataType,
				W::ChallengeMismatch => Error::ChallengeMismatch,
				W::OriginMismatch => Error::OriginMismatch,
				W::CrossOrigin => Error::CrossOrigin,
				W::RpIdMismatch => Error::RpIdMismatch,
				W::UserNotPresent => Error::UserNotPresent,
				W::UserNotVerified => Error::UserNotVerified,
				W::BadPublicKey => Error::BadPublicKey,
				W::BadSignatureEncoding => Error::BadSignatureEncoding,
				W::BadSignature => Error::BadSignature,
			}
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers a FIDO2 credential. `assertion` proves the caller holds its private key: it
		/// signs [`webauthn::enroll_challenge`] for this account, the credential id and key. Gated by [`Rule::FactorChange`] once the account has factors.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_credential())]
		pub fn register_credential(
			origin: OriginFor<T>,
			public_key: BoundedVec<u8, ConstU32<65>>,
			require_uv: bool,
			assertion: Assertion,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let public_key =
				webauthn::compress_public_key(&public_key).map_err(|_| Error::<T>::BadPublicKey)?;
			let mut credentials = Credentials::<T>::get(&who);
			ensure!(
				!credentials.iter().any(|c| c.id == assertion.credential_id),
				Error::<T>::CredentialExists
			);
			let challenge = webauthn::enroll_challenge(
				&Self::genesis(),
				&who.encode(),
				&assertion.credential_id,
				&public_key,
			);
			let data = Self::check_assertion(&public_key, require_uv, &assertion, &challenge)?;
			credentials
				.try_push(Credential {
					id: assertion.credential_id.clone(),
					public_key,
					counter: data.sign_count,
					require_uv,
				})
				.map_err(|_| Error::<T>::TooManyCredentials)?;
			Credentials::<T>::insert(&who, credentials);
			Self::update_deposit(&who)?;
			Self::deposit_event(Event::CredentialRegistered {
				who,
				credential_id: assertion.credential_id,
			});
			Ok(())
		}

		/// Removes a FIDO2 credential (gated by [`Rule::FactorChange`]).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_factor())]
		pub fn remove_credential(
			origin: OriginFor<T>,
			credential_id: BoundedVec<u8, MaxCredentialIdLen>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::remove_from::<Credentials<T>, _, _>(
				&who,
				|c| c.id == credential_id,
				Error::<T>::UnknownCredential,
			)?;
			Self::deposit_event(Event::CredentialRemoved { who, credential_id });
			Ok(())
		}

		/// Sets the SMS or email channel for one-time codes (replacing one of the same kind;
		/// gated by [`Rule::ContactChange`] once a channel exists).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_channel())]
		pub fn set_channel(
			origin: OriginFor<T>,
			kind: ChannelKind,
			destination: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut channels = Channels::<T>::get(&who);
			channels.retain(|c| c.kind != kind);
			// At most one per kind and two kinds: the push cannot fail.
			channels
				.try_push(Channel { kind, destination })
				.map_err(|_| Error::<T>::UnknownChannel)?;
			Channels::<T>::insert(&who, channels);
			Self::update_deposit(&who)?;
			Self::deposit_event(Event::ChannelSet { who, kind });
			Ok(())
		}

		/// Removes a code channel (gated by [`Rule::ContactChange`]).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_factor())]
		pub fn remove_channel(origin: OriginFor<T>, kind: ChannelKind) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::remove_from::<Channels<T>, _, _>(
				&who,
				|c| c.kind == kind,
				Error::<T>::UnknownChannel,
			)?;
			Self::deposit_event(Event::ChannelRemoved { who, kind });
			Ok(())
		}

		/// Trusts a device: its ed25519 key signs the enroll challenge (the credential id being
		/// the key itself). Gated by [`Rule::FactorChange`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::add_device())]
		pub fn add_device(
			origin: OriginFor<T>,
			key: [u8; 32],
			signature: [u8; 64],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut devices = Devices::<T>::get(&who);
			ensure!(!devices.contains(&key), Error::<T>::DeviceExists);
			let challenge = Self::device_enroll_challenge(&who, &key);
			ensure!(
				Self::device_signed(&key, &signature, &challenge),
				Error::<T>::BadDeviceSignature
			);
			devices.try_push(key).map_err(|_| Error::<T>::TooManyDevices)?;
			Devices::<T>::insert(&who, devices);
			Self::update_deposit(&who)?;
			Self::deposit_event(Event::DeviceAdded { who, key });
			Ok(())
		}

		/// Removes a trusted device (gated by [`Rule::FactorChange`]).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::remove_factor())]
		pub fn remove_device(origin: OriginFor<T>, key: [u8; 32]) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::remove_from::<Devices<T>, _, _>(&who, |k| k == &key, Error::<T>::UnknownDevice)?;
			Self::deposit_event(Event::DeviceRemoved { who, key });
			Ok(())
		}

		/// Binds TOTP to an approved verifier holding the seed sealed to it (`sealed_seed` is
		/// the envelope's hash; the envelope goes to the verifier, never to the ledger). Gated by
		/// [`Rule::FactorChange`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::bind_totp())]
		pub fn bind_totp(
			origin: OriginFor<T>,
			verifier: T::AccountId,
			sealed_seed: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Attesters::<T>::contains_key(&verifier), Error::<T>::NotAttester);
			Totp::<T>::insert(&who, TotpBinding { verifier: verifier.clone(), sealed_seed });
			Self::update_deposit(&who)?;
			Self::deposit_event(Event::TotpBound { who, verifier });
			Ok(())
		}

		/// Removes the TOTP binding (gated by [`Rule::FactorChange`]).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::remove_factor())]
		pub fn unbind_totp(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(Totp::<T>::take(&who).is_some(), Error::<T>::NotTheVerifier);
			TotpAttestations::<T>::remove(&who);
			Self::update_deposit(&who)?;
			Self::deposit_event(Event::TotpUnbound { who });
			Ok(())
		}

		/// Requires `factors` for `action` on top of the policies (empty: removes the user's
		/// requirement). Gated by [`Rule::FactorChange`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::set_requirement())]
		pub fn set_requirement(
			origin: OriginFor<T>,
			action: Action,
			factors: FactorSet,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(factors.is_valid(), Error::<T>::BadFactorSet);
			let mut own = UserRequirements::<T>::get(&who);
			own.retain(|(a, _)| *a != action);
			if !factors.is_empty() {
				// One entry per action, bounded by the number of actions: cannot overflow.
				own.try_push((action, factors)).map_err(|_| Error::<T>::BadFactorSet)?;
			}
			if own.is_empty() {
				UserRequirements::<T>::remove(&who);
			} else {
				UserRequirements::<T>::insert(&who, own);
			}
			Self::update_deposit(&who)?;
			Self::deposit_event(Event::RequirementSet { who, action, factors });
			Ok(())
		}

		/// Authorizes `call` with factor proofs over [`webauthn::authorize_challenge`] for the
		/// caller, its MFA nonce and the call's hash. A critical call is authorized once, for
		/// `AuthorizationTtl` blocks; otherwise a session for its action opens.
		///
		/// A wrong one-time code does not fail the transaction: the attempt must stay counted,
		/// so it emits `CodeRejected` and authorizes nothing.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::authorize().saturating_add(Pallet::<T>::check_weight(call)))]
		pub fn authorize(
			origin: OriginFor<T>,
			call: alloc::boxed::Box<<T as Config>::RuntimeCall>,
			proofs: BoundedVec<Proof, ConstU32<4>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				!matches!(call.is_sub_type(), Some(Call::authorize { .. })),
				Error::<T>::NestedAuthorization
			);
			let Classified { requirement, action, recipients, .. } =
				Self::requirement_of(&who, &call).map_err(|_| Error::<T>::Unclassifiable)?;
			ensure!(!requirement.is_empty(), Error::<T>::NotSensitive);
			let call_hash = virtengine_mfa_primitives::call_hash(&call.encode());
			let nonce = Nonces::<T>::get(&who);
			let challenge =
				webauthn::authorize_challenge(&Self::genesis(), &who.encode(), nonce, &call_hash);
			let now = frame_system::Pallet::<T>::block_number();

			let Some(proven) = Self::prove(&who, &requirement, &challenge, &proofs)? else {
				return Ok(());
			};
			let expires = match action {
				Some(action) if !requirement.critical => {
					let expires = now.saturating_add(requirement.session_blocks.into());
					Sessions::<T>::mutate(&who, |sessions| {
						sessions.retain(|s| s.action != action && s.expires >= now);
						// One per action, bounded by the number of actions: cannot overflow.
						let _ =
							sessions.try_push(SessionGrant { action, factors: proven, expires });
					});
					expires
				},
				_ => {
					let expires = now.saturating_add(T::AuthorizationTtl::get());
					Pending::<T>::insert(&who, CallAuthorization { call_hash, expires });
					expires
				},
			};
			if !recipients.is_empty() {
				KnownRecipients::<T>::mutate(&who, |known| {
					for r in recipients {
						if !known.contains(&r) {
							if known.is_full() {
								known.remove(0);
							}
							let _ = known.try_push(r);
						}
					}
				});
				Self::update_deposit(&who)?;
			}
			Self::deposit_event(Event::Authorized {
				who,
				call_hash,
				factors: proven,
				critical: requirement.critical || action.is_none(),
				expires,
			});
			Ok(())
		}

		/// An approved issuer records a one-time code it sent to `who` (by SMS or email):
		/// `commitment = code_commitment(salt, who, code)`. Replaces an outstanding code.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::issue_code())]
		pub fn issue_code(
			origin: OriginFor<T>,
			who: T::AccountId,
			commitment: [u8; 32],
			ttl: BlockNumberFor<T>,
		) -> DispatchResult {
			let issuer = ensure_signed(origin)?;
			ensure!(Attesters::<T>::contains_key(&issuer), Error::<T>::NotAttester);
			ensure!(ttl <= T::MaxCodeTtl::get() && !ttl.is_zero(), Error::<T>::TtlTooLong);
			ensure!(!Channels::<T>::get(&who).is_empty(), Error::<T>::UnknownChannel);
			let expires = frame_system::Pallet::<T>::block_number().saturating_add(ttl);
			Codes::<T>::insert(
				&who,
				IssuedCode { commitment, expires, attempts_left: T::MaxCodeAttempts::get() },
			);
			Self::deposit_event(Event::CodeIssued { who, expires });
			Ok(())
		}

		/// The account's TOTP verifier attests that the user presented a valid code for
		/// `challenge` (the authorize challenge the user's client showed it).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::attest_totp())]
		pub fn attest_totp(
			origin: OriginFor<T>,
			who: T::AccountId,
			challenge: [u8; 32],
			ttl: BlockNumberFor<T>,
		) -> DispatchResult {
			let verifier = ensure_signed(origin)?;
			ensure!(Attesters::<T>::contains_key(&verifier), Error::<T>::NotAttester);
			ensure!(
				Totp::<T>::get(&who).is_some_and(|b| b.verifier == verifier),
				Error::<T>::NotTheVerifier
			);
			ensure!(ttl <= T::MaxCodeTtl::get() && !ttl.is_zero(), Error::<T>::TtlTooLong);
			let expires = frame_system::Pallet::<T>::block_number().saturating_add(ttl);
			TotpAttestations::<T>::insert(&who, (challenge, expires));
			Self::deposit_event(Event::TotpAttested { who });
			Ok(())
		}

		/// Sets a rule's policy.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::admin())]
		pub fn set_policy(origin: OriginFor<T>, rule: Rule, policy: Policy) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(policy.factors.is_valid(), Error::<T>::BadFactorSet);
			Policies::<T>::insert(rule, policy);
			Self::deposit_event(Event::PolicySet { rule, policy });
			Ok(())
		}

		/// Sets the value thresholds.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::admin())]
		pub fn set_thresholds(
			origin: OriginFor<T>,
			thresholds: Thresholds<BalanceOf<T>>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ValueThresholds::<T>::put(thresholds);
			Self::deposit_event(Event::ThresholdsSet { thresholds });
			Ok(())
		}

		/// Sets the WebAuthn relying party.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::admin())]
		pub fn set_relying_party(
			origin: OriginFor<T>,
			config: RelyingPartyConfig,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			RelyingParty::<T>::put(config);
			Self::deposit_event(Event::RelyingPartySet);
			Ok(())
		}

		/// Approves a code issuer / TOTP verifier.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::admin())]
		pub fn add_attester(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Attesters::<T>::insert(&who, ());
			Self::deposit_event(Event::AttesterAdded { who });
			Ok(())
		}

		/// Removes a code issuer / TOTP verifier.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::admin())]
		pub fn remove_attester(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(Attesters::<T>::take(&who).is_some(), Error::<T>::NotAttester);
			Self::deposit_event(Event::AttesterRemoved { who });
			Ok(())
		}
		/// Starts recovering `lost` (whose key is lost) to the caller, with the lost account's own
		/// factors over [`Pallet::recovery_challenge`] (the seeds' AccountRecovery row: VEID,
		/// FIDO2 and a one-time code by default). The rescuer claims it after `RecoveryDelay`;
		/// the owner can cancel meanwhile.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::initiate_recovery())]
		pub fn initiate_recovery(
			origin: OriginFor<T>,
			lost: T::AccountId,
			proofs: BoundedVec<Proof, ConstU32<4>>,
		) -> DispatchResult {
			let rescuer = ensure_signed(origin)?;
			ensure!(rescuer != lost, Error::<T>::RecoverSelf);
			ensure!(
				!T::Standing::restricted(&lost) && !T::Standing::restricted(&rescuer),
				Error::<T>::AccountRestricted
			);
			ensure!(!Recoveries::<T>::contains_key(&lost), Error::<T>::RecoveryPending);
			let enrolled = Self::enrolled(&lost);
			let mut requirement = Requirement::NONE;
			requirement.add(&Self::policy(Rule::AccountRecovery), enrolled);
			ensure!(
				enrolled.contains(requirement.factors) && !requirement.is_empty(),
				Error::<T>::RecoveryDisabled
			);
			let challenge = Self::recovery_challenge(&lost, &rescuer);
			if Self::prove(&lost, &requirement, &challenge, &proofs)?.is_none() {
				return Ok(());
			}
			let executable_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::RecoveryDelay::get());
			Recoveries::<T>::insert(&lost, Recovery { rescuer: rescuer.clone(), executable_at });
			Self::deposit_event(Event::RecoveryInitiated { lost, rescuer, executable_at });
			Ok(())
		}

		/// The account's owner cancels a recovery of it.
		#[pallet::call_index(18)]
		#[pallet::weight(T::WeightInfo::admin())]
		pub fn cancel_recovery(origin: OriginFor<T>) -> DispatchResult {
			let lost = ensure_signed(origin)?;
			let recovery = Recoveries::<T>::take(&lost).ok_or(Error::<T>::NoRecovery)?;
			Self::deposit_event(Event::RecoveryCancelled { lost, rescuer: recovery.rescuer });
			Ok(())
		}

		/// The rescuer claims a recovered account once the delay has passed: the lost account's
		/// factors are cleared (its deposit returned) and its transferable funds, keeping the
		/// existential deposit, move to the rescuer.
		#[pallet::call_index(19)]
		#[pallet::weight(T::WeightInfo::claim_recovery())]
		pub fn claim_recovery(origin: OriginFor<T>, lost: T::AccountId) -> DispatchResult {
			let rescuer = ensure_signed(origin)?;
			let recovery = Recoveries::<T>::get(&lost).ok_or(Error::<T>::NoRecovery)?;
			ensure!(recovery.rescuer == rescuer, Error::<T>::NotRescuer);
			ensure!(
				!T::Standing::restricted(&lost) && !T::Standing::restricted(&rescuer),
				Error::<T>::AccountRestricted
			);
			ensure!(
				frame_system::Pallet::<T>::block_number() >= recovery.executable_at,
				Error::<T>::TooEarly
			);
			Recoveries::<T>::remove(&lost);
			Self::clear_factors(&lost)?;
			let amount =
				T::Currency::reducible_balance(&lost, Preservation::Preserve, Fortitude::Polite);
			T::Currency::transfer(&lost, &rescuer, amount, Preservation::Preserve)?;
			Self::deposit_event(Event::AccountRecovered { lost, rescuer, amount });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The genesis hash: binds challenges to this chain.
		pub fn genesis() -> [u8; 32] {
			let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			let mut out = [0u8; 32];
			let bytes = hash.as_ref();
			let n = bytes.len().min(32);
			out[..n].copy_from_slice(&bytes[..n]);
			out
		}

		/// Checks `proofs` over `challenge` against `who`'s factors and `requirement`. On success
		/// the proofs' effects are written (counters, used code and attestation, the nonce) and the
		/// proven factors returned (VEID included when the tier is met).
		///
		/// A one-time code is checked last, and only when every other proof verified and the
		/// requirement would be met with the code: so nobody who lacks the other factors (a
		/// stranger starting a recovery of someone else's account) can use up the owner's code
		/// attempts. `Ok(None)`: a wrong code; its used-up attempt is written and reported
		/// (`CodeRejected`) so that it stays counted, and the nonce moves on with the FIDO2
		/// counters, so that no other proof of this transaction (public once it is on chain) can be
		/// submitted again with another guess. Nothing is authorized.
		fn prove(
			who: &T::AccountId,
			requirement: &Requirement,
			challenge: &[u8; 32],
			proofs: &[Proof],
		) -> Result<Option<FactorSet>, DispatchError> {
			let now = frame_system::Pallet::<T>::block_number();
			let mut proven = FactorSet::EMPTY;
			let mut credentials = Credentials::<T>::get(who);
			let mut code = None;
			for proof in proofs {
				let factor = match proof {
					Proof::Fido2(a) => {
						let credential = credentials
							.iter_mut()
							.find(|c| c.id == a.credential_id)
							.ok_or(Error::<T>::UnknownCredential)?;
						let data = Self::check_assertion(
							&credential.public_key,
							credential.require_uv,
							a,
							challenge,
						)?;
						// WebAuthn §7.2 step 21: a counter that does not increase means a cloned
						// authenticator (both zero: the authenticator keeps no counter).
						ensure!(
							(data.sign_count == 0 && credential.counter == 0)
								|| data.sign_count > credential.counter,
							Error::<T>::CounterNotIncreased
						);
						credential.counter = data.sign_count;
						Factor::Fido2
					},
					Proof::Code { code: value, salt } => {
						code = Some((*value, *salt));
						Factor::OneTimeCode
					},
					Proof::Totp => {
						let (attested, expires) =
							TotpAttestations::<T>::get(who).ok_or(Error::<T>::NoTotpAttestation)?;
						ensure!(
							&attested == challenge && expires >= now,
							Error::<T>::NoTotpAttestation
						);
						Factor::Totp
					},
					Proof::Device { key, signature } => {
						ensure!(Devices::<T>::get(who).contains(key), Error::<T>::UnknownDevice);
						ensure!(
							Self::device_signed(key, signature, challenge),
							Error::<T>::BadDeviceSignature
						);
						Factor::TrustedDevice
					},
				};
				ensure!(!proven.has(factor), Error::<T>::DuplicateProof);
				proven = proven.with(factor);
			}
			if Self::tier_met(who, requirement.min_tier) {
				proven = proven.with(Factor::Veid);
			}
			ensure!(requirement.satisfied_by(proven), Error::<T>::InsufficientFactors);

			if let Some((value, salt)) = code {
				let issued =
					Codes::<T>::get(who).filter(|c| c.expires >= now).ok_or(Error::<T>::NoCode)?;
				if otp::code_commitment(&salt, &who.encode(), value) != issued.commitment {
					let attempts_left = issued.attempts_left.saturating_sub(1);
					if attempts_left == 0 {
						Codes::<T>::remove(who);
					} else {
						Codes::<T>::insert(who, IssuedCode { attempts_left, ..issued });
					}
					Self::deposit_event(Event::CodeRejected { who: who.clone(), attempts_left });
					Self::spend_proofs(who, proven, credentials);
					return Ok(None);
				}
				Codes::<T>::remove(who);
			}
			Self::spend_proofs(who, proven, credentials);
			Ok(Some(proven))
		}

		/// Makes the proofs over the current challenge unusable: the FIDO2 counters they raised
		/// are written, a TOTP attestation is used up and the nonce (part of every challenge)
		/// moves on.
		fn spend_proofs(
			who: &T::AccountId,
			proven: FactorSet,
			credentials: BoundedVec<Credential, T::MaxCredentials>,
		) {
			if proven.has(Factor::Fido2) {
				Credentials::<T>::insert(who, credentials);
			}
			if proven.has(Factor::Totp) {
				TotpAttestations::<T>::remove(who);
			}
			Nonces::<T>::mutate(who, |n| *n = n.saturating_add(1));
		}

		/// The challenge the lost account's factors sign to hand it to `rescuer`: the authorize
		/// challenge of the lost account (its nonce included) over the hash of the recovery intent.
		pub fn recovery_challenge(lost: &T::AccountId, rescuer: &T::AccountId) -> [u8; 32] {
			webauthn::recovery_challenge(
				&Self::genesis(),
				&lost.encode(),
				Nonces::<T>::get(lost),
				&rescuer.encode(),
			)
		}

		/// Removes every factor and setting of `who` and returns its deposit.
		fn clear_factors(who: &T::AccountId) -> DispatchResult {
			Credentials::<T>::remove(who);
			Channels::<T>::remove(who);
			Devices::<T>::remove(who);
			Totp::<T>::remove(who);
			UserRequirements::<T>::remove(who);
			KnownRecipients::<T>::remove(who);
			Sessions::<T>::remove(who);
			Pending::<T>::remove(who);
			Codes::<T>::remove(who);
			TotpAttestations::<T>::remove(who);
			Self::update_deposit(who)
		}

		/// The challenge a device signs to be trusted.
		pub fn device_enroll_challenge(who: &T::AccountId, key: &[u8; 32]) -> [u8; 32] {
			// The device key in the credential-id position, and a tag byte no P-256 key starts
			// with in the key position: never equal to a FIDO2 enroll challenge.
			let mut tagged = [0u8; 33];
			tagged[0] = 0xde;
			tagged[1..].copy_from_slice(key);
			webauthn::enroll_challenge(&Self::genesis(), &who.encode(), key, &tagged)
		}

		/// The challenge an authorization of `call` by `who` must sign now.
		pub fn authorize_challenge(
			who: &T::AccountId,
			call: &<T as Config>::RuntimeCall,
		) -> [u8; 32] {
			let call_hash = virtengine_mfa_primitives::call_hash(&call.encode());
			webauthn::authorize_challenge(
				&Self::genesis(),
				&who.encode(),
				Nonces::<T>::get(who),
				&call_hash,
			)
		}

		fn device_signed(key: &[u8; 32], signature: &[u8; 64], challenge: &[u8; 32]) -> bool {
			sp_io::crypto::ed25519_verify(
				&sp_core::ed25519::Signature::from_raw(*signature),
				challenge,
				&sp_core::ed25519::Public::from_raw(*key),
			)
		}

		fn check_assertion(
			public_key: &[u8; 33],
			require_uv: bool,
			assertion: &Assertion,
			challenge: &[u8; 32],
		) -> Result<webauthn::AuthenticatorData, Error<T>> {
			let rp = RelyingParty::<T>::get().ok_or(Error::<T>::NoRelyingParty)?;
			let rp_id_hash = webauthn::rp_id_hash(&rp.id);
			webauthn::verify_assertion(
				public_key,
				&assertion.authenticator_data,
				&assertion.client_data_json,
				&assertion.signature,
				&Expected { challenge, rp_id_hash: &rp_id_hash, origin: &rp.origin, require_uv },
			)
			.map_err(Into::into)
		}

		fn tier_met(who: &T::AccountId, min: Tier) -> bool {
			T::Identity::tier(who).is_some_and(|t| t >= min)
		}

		/// The factors `who` has enrolled (VEID: a verified identity of any tier).
		pub fn enrolled(who: &T::AccountId) -> FactorSet {
			let mut set = FactorSet::EMPTY;
			if !Credentials::<T>::get(who).is_empty() {
				set = set.with(Factor::Fido2);
			}
			if !Channels::<T>::get(who).is_empty() {
				set = set.with(Factor::OneTimeCode);
			}
			if Totp::<T>::contains_key(who) {
				set = set.with(Factor::Totp);
			}
			if !Devices::<T>::get(who).is_empty() {
				set = set.with(Factor::TrustedDevice);
			}
			if T::Identity::tier(who).is_some() {
				set = set.with(Factor::Veid);
			}
			set
		}

		/// The policy of a rule.
		pub fn policy(rule: Rule) -> Policy {
			Policies::<T>::get(rule).unwrap_or_else(|| rule.default_policy())
		}

		/// This pallet's own sensitive calls (the runtime's classifier calls it for this pallet's
		/// calls nested in batches). Every call is named: a new call does not compile until it is
		/// classified.
		pub fn classify_own(call: &Call<T>, out: &mut Vec<Context<T::AccountId, BalanceOf<T>>>) {
			match call {
				Call::register_credential { .. }
				| Call::remove_credential { .. }
				| Call::add_device { .. }
				| Call::remove_device { .. }
				| Call::bind_totp { .. }
				| Call::unbind_totp { .. }
				| Call::set_requirement { .. } => out.push(Context::of(Action::MfaSettings)),
				// A code channel is a factor (FactorChange) and a contact detail (ContactChange).
				Call::set_channel { .. } | Call::remove_channel { .. } => {
					out.push(Context::of(Action::MfaSettings));
					out.push(Context {
						sensitive_detail: true,
						..Context::of(Action::UpdateAccountSettings)
					});
				},
				// Recovery proves the lost account's factors itself; the owner's cancel only
				// protects the account.
				Call::initiate_recovery { .. }
				| Call::cancel_recovery { .. }
				| Call::claim_recovery { .. } => {},
				// Proves factors itself (and cannot authorize another authorization).
				Call::authorize { .. } => {},
				// Attesters' and governance's calls act on nobody's funds or factors of their own.
				Call::issue_code { .. }
				| Call::attest_totp { .. }
				| Call::set_policy { .. }
				| Call::set_thresholds { .. }
				| Call::set_relying_party { .. }
				| Call::add_attester { .. }
				| Call::remove_attester { .. } => {},
				Call::__Ignore(..) => {},
			}
		}

		/// What `call` by `who` requires, the single action it performs (if exactly one; a
		/// session covers only single-action calls), the transfer recipients it names and the
		/// value it moves by class. The value thresholds compare the whole call tree's total of
		/// a class, plus, for the windowed classes, what the account moved without an
		/// authorization in the rolling window ([`Pallet::recent_value`]).
		/// `Err(Unclassifiable)`: refused.
		pub fn requirement_of(
			who: &T::AccountId,
			call: &<T as Config>::RuntimeCall,
		) -> Result<Classified<T::AccountId, BalanceOf<T>>, Unclassifiable> {
			let mut contexts = Vec::new();
			if let Some(own) = call.is_sub_type() {
				Self::classify_own(own, &mut contexts);
			} else {
				T::Classifier::classify(who, call, &mut contexts)?;
			}
			let mut classified = Classified {
				requirement: Requirement::NONE,
				action: None,
				recipients: Vec::new(),
				value: ValueTotals::zero(),
				windowed: false,
				plain: true,
			};
			if contexts.is_empty() {
				return Ok(classified);
			}
			for ctx in &contexts {
				if let Some(class) = ctx.action.value_class() {
					classified.value.add(class, ctx.value);
				}
			}
			// Each list is read only when a context needs it: a plain transfer by an account
			// without factors reads the thresholds, its value window, its known recipients and
			// its own requirements, never its factors (docs/access-control.md, "Cost").
			let moves_value = contexts.iter().any(|ctx| !ctx.value.is_zero());
			// Without thresholds set, value conditions never fire, and no window is kept (its
			// only reader; windows start empty when governance sets thresholds).
			let thresholds = if moves_value { ValueThresholds::<T>::get() } else { None };
			classified.windowed = thresholds.is_some();
			let thresholds = thresholds.unwrap_or(Thresholds {
				large_withdrawal: BalanceOf::<T>::max_value(),
				large_order: BalanceOf::<T>::max_value(),
				large_transfer: BalanceOf::<T>::max_value(),
			});
			let mut compared = classified.value;
			if classified.windowed && !classified.value.windowed().is_zero() {
				compared.add_all(&Self::recent_value(who));
			}
			let known = if contexts.iter().any(|ctx| ctx.recipient.is_some()) {
				KnownRecipients::<T>::get(who)
			} else {
				BoundedVec::new()
			};
			let own = UserRequirements::<T>::get(who);
			let mut enrolled = None;
			let requirement = &mut classified.requirement;
			let plain = &mut classified.plain;
			for ctx in &contexts {
				let new_recipient = ctx.recipient.as_ref().is_some_and(|r| !known.contains(r));
				let value = ctx.action.value_class().map_or(ctx.value, |c| compared.get(c));
				let total = Context { value, ..ctx.clone() };
				policy::triggered(&total, &thresholds, new_recipient, |rule| {
					*plain = false;
					let policy = Self::policy(rule);
					// Only a policy limited to enrolled factors looks at them.
					let factors = if policy.enrolled_only {
						*enrolled.get_or_insert_with(|| Self::enrolled(who))
					} else {
						FactorSet::EMPTY
					};
					requirement.add(&policy, factors)
				});
				if let Some((_, factors)) = own.iter().find(|(a, _)| *a == ctx.action) {
					*plain = false;
					requirement.add_user(*factors);
				}
				if let Some(r) = &ctx.recipient {
					if new_recipient {
						classified.recipients.push(r.clone());
					}
				}
			}
			// Sorted and deduplicated: linearithmic in a batch's length, never quadratic.
			classified.recipients.sort_unstable();
			classified.recipients.dedup();
			classified.action = match contexts.as_slice() {
				[only] => Some(only.action),
				_ => None,
			};
			Ok(classified)
		}

		/// Value `who` moved without an authorization, by windowed class, over at least the last
		/// `ValueWindow` blocks (the current window and the one before it).
		pub fn recent_value(who: &T::AccountId) -> ValueTotals<BalanceOf<T>> {
			let now = Self::value_window_index();
			match RecentValue::<T>::get(who) {
				Some(w) if w.window == now => {
					let mut total = w.current;
					total.add_all(&w.previous);
					total
				},
				Some(w) if w.window.saturating_add(1) == now => w.current,
				_ => ValueTotals::zero(),
			}
		}

		/// Adds `value` (its windowed classes) to what `who` moved without an authorization.
		pub fn record_value(who: &T::AccountId, value: ValueTotals<BalanceOf<T>>) {
			let value = value.windowed();
			if value.is_zero() {
				return;
			}
			let now = Self::value_window_index();
			let (previous, mut current) = match RecentValue::<T>::get(who) {
				Some(w) if w.window == now => (w.previous, w.current),
				Some(w) if w.window.saturating_add(1) == now => (w.current, ValueTotals::zero()),
				_ => (ValueTotals::zero(), ValueTotals::zero()),
			};
			current.add_all(&value);
			RecentValue::<T>::insert(who, ValueWindow { window: now, current, previous });
		}

		/// The index of the current value window.
		fn value_window_index() -> u32 {
			let now: u32 = frame_system::Pallet::<T>::block_number().unique_saturated_into();
			let length: u32 = T::ValueWindow::get().unique_saturated_into();
			now.checked_div(length).unwrap_or(0)
		}

		/// Whether an authorization covers `call` by `who` now. `Ok(Covered::…)`: not
		/// sensitive (with the value it moves, to be added to the window), covered by an open
		/// session, or by the single-use authorization of this call (to be consumed);
		/// `Err(code)`: refused with that `InvalidTransaction::Custom` code.
		pub fn check(
			who: &T::AccountId,
			call: &<T as Config>::RuntimeCall,
		) -> Result<Covered<BalanceOf<T>>, u8> {
			let classified = Self::requirement_of(who, call).map_err(|_| UNCLASSIFIABLE)?;
			let requirement = classified.requirement;
			if requirement.is_empty() {
				let value =
					if classified.windowed { classified.value } else { ValueTotals::zero() };
				return Ok(Covered::NotSensitive { value, plain: classified.plain });
			}
			let now = frame_system::Pallet::<T>::block_number();
			let call_hash = virtengine_mfa_primitives::call_hash(&call.encode());
			if Pending::<T>::get(who).is_some_and(|p| p.call_hash == call_hash && p.expires >= now)
			{
				return Ok(Covered::Authorization(call_hash));
			}
			if let (Some(action), false) = (classified.action, requirement.critical) {
				let covered = Sessions::<T>::get(who).iter().any(|s| {
					let mut factors = s.factors.without(Factor::Veid);
					if Self::tier_met(who, requirement.min_tier) {
						factors = factors.with(Factor::Veid);
					}
					s.action == action && s.expires >= now && requirement.satisfied_by(factors)
				});
				if covered {
					return Ok(Covered::Session);
				}
			}
			Err(MFA_REQUIRED)
		}

		/// The weight of checking `call` at worst (classification grows with the calls a batch
		/// holds), and of reading and writing the account's value window: what the extension
		/// is charged before the check.
		pub fn check_weight(call: &<T as Config>::RuntimeCall) -> Weight {
			T::WeightInfo::check_mfa()
				.saturating_mul(Self::calls_visited(call).into())
				.saturating_add(T::DbWeight::get().reads_writes(1, 1))
				.saturating_add(Self::classifier_reads(call))
		}

		/// The weight of the plain check of `call` (see [`Classified::plain`]) and, if
		/// `windowed`, of writing the account's value window: what the extension is charged
		/// after such a check (the rest of [`Pallet::check_weight`] is refunded).
		pub fn check_weight_plain(call: &<T as Config>::RuntimeCall, windowed: bool) -> Weight {
			let window = if windowed { T::DbWeight::get().writes(1) } else { Weight::zero() };
			T::WeightInfo::check_mfa_plain()
				.saturating_mul(Self::calls_visited(call).into())
				.saturating_add(window)
				.saturating_add(Self::classifier_reads(call))
		}

		fn calls_visited(call: &<T as Config>::RuntimeCall) -> u32 {
			if call.is_sub_type().is_some() {
				1
			} else {
				T::Classifier::calls_visited(call).max(1)
			}
		}

		/// The runtime classifier's own reads (this pallet's calls need none).
		fn classifier_reads(call: &<T as Config>::RuntimeCall) -> Weight {
			if call.is_sub_type().is_some() {
				return Weight::zero();
			}
			T::DbWeight::get().reads(T::Classifier::state_reads(call).into())
		}

		/// Uses up the single-use authorization of `call_hash`.
		pub fn consume(who: &T::AccountId, call_hash: [u8; 32]) {
			Pending::<T>::remove(who);
			Self::deposit_event(Event::AuthorizationUsed { who: who.clone(), call_hash });
		}

		/// Removes the entries of `who`'s list in `Map` that `matches` (an emptied list leaves
		/// storage) and adjusts the deposit; `missing` if nothing matched.
		fn remove_from<Map, Item, Bound>(
			who: &T::AccountId,
			matches: impl Fn(&Item) -> bool,
			missing: Error<T>,
		) -> DispatchResult
		where
			Map: frame_support::storage::StorageMap<
				T::AccountId,
				BoundedVec<Item, Bound>,
				Query = BoundedVec<Item, Bound>,
			>,
			Item: codec::FullCodec,
			Bound: Get<u32>,
		{
			let mut list = Map::get(who);
			let before = list.len();
			list.retain(|item| !matches(item));
			ensure!(list.len() < before, missing);
			if list.is_empty() {
				Map::remove(who);
			} else {
				Map::insert(who, list);
			}
			Self::update_deposit(who)
		}

		/// Bytes of factors and settings `who` stores.
		pub fn footprint(who: &T::AccountId) -> usize {
			Credentials::<T>::decode_len(who).unwrap_or(0) * Credential::max_encoded_len()
				+ Channels::<T>::decode_len(who).unwrap_or(0) * Channel::max_encoded_len()
				+ Devices::<T>::decode_len(who).unwrap_or(0) * 32
				+ if Totp::<T>::contains_key(who) {
					TotpBinding::<T::AccountId>::max_encoded_len()
				} else {
					0
				} + UserRequirements::<T>::decode_len(who).unwrap_or(0) * 2
				+ KnownRecipients::<T>::decode_len(who).unwrap_or(0)
					* T::AccountId::max_encoded_len()
		}

		/// Holds exactly `DepositPerByte` × footprint from `who` (more or less than before).
		pub(crate) fn update_deposit(who: &T::AccountId) -> DispatchResult {
			let reason = HoldReason::Factors.into();
			let bytes = Self::footprint(who) as u32;
			let wanted = T::DepositPerByte::get().saturating_mul(bytes.into());
			let held = T::Currency::balance_on_hold(&reason, who);
			if wanted > held {
				T::Currency::hold(&reason, who, wanted.saturating_sub(held))?;
			} else if held > wanted {
				T::Currency::release(
					&reason,
					who,
					held.saturating_sub(wanted),
					Precision::BestEffort,
				)?;
			}
			Ok(())
		}
	}
}
