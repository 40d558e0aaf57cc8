#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod extension;
mod functions;
#[cfg(test)]
mod mock;
pub mod policy;
#[cfg(test)]
mod tests;
mod traits;
mod types;
pub mod weights;

pub use extension::CheckMfa;
pub use pallet::*;
pub use policy::{Action, Context, Policy, Requirement, Rule, Thresholds, ValueClass, ValueTotals};
pub use traits::*;
pub use types::*;
pub use virtengine_mfa_primitives::{Factor, FactorSet};
pub use weights::WeightInfo;

/// The `InvalidTransaction::Custom` codes of [`CheckMfa`], from the runtime's table
/// (`virtengine_primitives::refusal`): the call is sensitive and no authorization covers it
/// ([`MFA_REQUIRED`]), or it could not be classified, nested too deeply ([`UNCLASSIFIABLE`]).
pub use virtengine_primitives::refusal::mfa::{MFA_REQUIRED, UNCLASSIFIABLE};

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			BuildGenesisConfig, IsSubType,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::Dispatchable;

	/// The token's balance type.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	#[pallet::config]
	pub trait Config: frame_system::Config {
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
			/// The account.
			who: T::AccountId,
			/// The credential's id, as the authenticator gave it.
			credential_id: BoundedVec<u8, MaxCredentialIdLen>,
		},
		/// A FIDO2 credential was removed.
		CredentialRemoved {
			/// The account.
			who: T::AccountId,
			/// The credential's id.
			credential_id: BoundedVec<u8, MaxCredentialIdLen>,
		},
		/// A code channel was set.
		ChannelSet {
			/// The account.
			who: T::AccountId,
			/// SMS or email.
			kind: ChannelKind,
		},
		/// A code channel was removed.
		ChannelRemoved {
			/// The account.
			who: T::AccountId,
			/// SMS or email.
			kind: ChannelKind,
		},
		/// A trusted device was added.
		DeviceAdded {
			/// The account.
			who: T::AccountId,
			/// The device's ed25519 key.
			key: [u8; 32],
		},
		/// A trusted device was removed.
		DeviceRemoved {
			/// The account.
			who: T::AccountId,
			/// The device's ed25519 key.
			key: [u8; 32],
		},
		/// A TOTP verifier binding was set.
		TotpBound {
			/// The account.
			who: T::AccountId,
			/// The verifier holding the account's sealed seed.
			verifier: T::AccountId,
		},
		/// The TOTP binding was removed.
		TotpUnbound {
			/// The account.
			who: T::AccountId,
		},
		/// A user's own requirement for an action was set (empty: removed).
		RequirementSet {
			/// The account.
			who: T::AccountId,
			/// The action.
			action: Action,
			/// The factors it now requires on top of the policies (empty: none).
			factors: FactorSet,
		},
		/// An issuer sent a one-time code.
		CodeIssued {
			/// The account the code was sent to.
			who: T::AccountId,
			/// The last block the code may be used in.
			expires: BlockNumberFor<T>,
		},
		/// A wrong one-time code was given; the attempt is used up (and at zero, the code).
		CodeRejected {
			/// The account.
			who: T::AccountId,
			/// Wrong attempts the code still allows (0: the code is void).
			attempts_left: u8,
		},
		/// A verifier attested a TOTP code.
		TotpAttested {
			/// The account whose code was attested.
			who: T::AccountId,
		},
		/// A call (critical: this exact call, once) or a session for its action was authorized.
		Authorized {
			/// The account.
			who: T::AccountId,
			/// Hash of the authorized call.
			call_hash: [u8; 32],
			/// The factors proven.
			factors: FactorSet,
			/// Whether this exact call was authorized once (else a session for its action).
			critical: bool,
			/// The last block the authorization or session may be used in.
			expires: BlockNumberFor<T>,
		},
		/// A single-use authorization was used.
		AuthorizationUsed {
			/// The account.
			who: T::AccountId,
			/// Hash of the call it authorized.
			call_hash: [u8; 32],
		},
		/// A policy was changed.
		PolicySet {
			/// The rule.
			rule: Rule,
			/// Its new policy.
			policy: Policy,
		},
		/// The value thresholds were changed.
		ThresholdsSet {
			/// The new thresholds, in token units.
			thresholds: Thresholds<BalanceOf<T>>,
		},
		/// The relying party was changed.
		RelyingPartySet,
		/// An issuer/verifier was approved.
		AttesterAdded {
			/// The attester.
			who: T::AccountId,
		},
		/// An issuer/verifier was removed.
		AttesterRemoved {
			/// The attester.
			who: T::AccountId,
		},
		/// The lost account's factors were proven for `rescuer`; claimable from `executable_at`.
		RecoveryInitiated {
			/// The account being recovered.
			lost: T::AccountId,
			/// Who takes it over.
			rescuer: T::AccountId,
			/// From which block the rescuer may claim it.
			executable_at: BlockNumberFor<T>,
		},
		/// The account's owner cancelled a recovery.
		RecoveryCancelled {
			/// The account that was being recovered.
			lost: T::AccountId,
			/// The rescuer the recovery named.
			rescuer: T::AccountId,
		},
		/// The rescuer claimed the account: its factors are cleared, its funds moved.
		AccountRecovered {
			/// The recovered account.
			lost: T::AccountId,
			/// The rescuer, who received its funds.
			rescuer: T::AccountId,
			/// The funds moved.
			amount: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No relying party is configured: WebAuthn cannot be used.
		RelyingPartyNotFound,
		/// The credential's public key is not a P-256 point.
		InvalidPublicKey,
		/// The credential is registered already.
		CredentialAlreadyExists,
		/// The account has as many credentials as allowed.
		TooManyCredentials,
		/// No such credential.
		CredentialNotFound,
		/// The account has as many trusted devices as allowed.
		TooManyDevices,
		/// The device is trusted already.
		DeviceAlreadyExists,
		/// No such device.
		DeviceNotFound,
		/// The device's signature does not verify.
		InvalidDeviceSignature,
		/// No channel of that kind.
		ChannelNotFound,
		/// The factor set names unknown factors.
		InvalidFactorSet,
		/// The call is not sensitive: it needs no authorization.
		NotSensitive,
		/// The call cannot be classified (nested too deeply).
		Unclassifiable,
		/// Authorizations cannot authorize other authorizations.
		NestedAuthorization,
		/// The assertion's authenticator data is malformed.
		InvalidAuthenticatorData,
		/// The assertion carried registration data.
		UnexpectedAttestedData,
		/// clientDataJSON is malformed.
		InvalidClientData,
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
		InvalidSignatureEncoding,
		/// The assertion's signature does not verify.
		InvalidSignature,
		/// The signature counter did not increase: a cloned authenticator or a replay.
		CounterNotIncreased,
		/// No one-time code is outstanding (or it expired).
		CodeNotFound,
		/// The TOTP attestation is missing, expired or for another challenge.
		TotpAttestationNotFound,
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
		RecoveryAlreadyExists,
		/// No recovery of this account is under way.
		RecoveryNotFound,
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
	#[pallet::call]
	impl<T: Config> Pallet<T> {
		// ---- factors (each change gated by the extension once the account has factors) ----

		/// Registers a FIDO2 credential (a P-256 key, given compressed or uncompressed) and
		/// adjusts the caller's deposit. `assertion` proves the caller holds its private key: it
		/// signs [`virtengine_mfa_primitives::webauthn::enroll_challenge`] for this account, the
		/// credential id and key. `require_uv`: later assertions must carry the user-verified
		/// flag. Gated by [`Rule::FactorChange`] once the account has factors.
		///
		/// - Origin: signed, the account the credential protects.
		/// - Emits: [`Event::CredentialRegistered`].
		/// - Errors: [`Error::InvalidPublicKey`], [`Error::CredentialAlreadyExists`],
		///   [`Error::TooManyCredentials`], [`Error::RelyingPartyNotFound`], the assertion's
		///   ([`Error::ChallengeMismatch`], [`Error::InvalidSignature`],
		///   [`Error::UserNotVerified`], ...).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_credential())]
		pub fn register_credential(
			origin: OriginFor<T>,
			public_key: BoundedVec<u8, ConstU32<65>>,
			require_uv: bool,
			assertion: Assertion,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_credential(who, public_key, require_uv, assertion)
		}

		/// Removes one of the caller's FIDO2 credentials and adjusts its deposit. Gated by
		/// [`Rule::FactorChange`].
		///
		/// - Origin: signed, the credential's account.
		/// - Emits: [`Event::CredentialRemoved`].
		/// - Errors: [`Error::CredentialNotFound`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_credential())]
		pub fn remove_credential(
			origin: OriginFor<T>,
			credential_id: BoundedVec<u8, MaxCredentialIdLen>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove_credential(who, credential_id)
		}

		/// Sets the caller's SMS or email channel for one-time codes (`destination`: the
		/// address's salted hash), replacing one of the same kind, and adjusts its deposit.
		/// Gated by [`Rule::ContactChange`] and [`Rule::FactorChange`] once a channel exists.
		///
		/// - Origin: signed.
		/// - Emits: [`Event::ChannelSet`].
		/// - Errors: none of this pallet's (a deposit that cannot be held fails with the token's
		///   error).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_channel())]
		pub fn set_channel(
			origin: OriginFor<T>,
			kind: ChannelKind,
			destination: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_channel(who, kind, destination)
		}

		/// Removes the caller's code channel of `kind` and adjusts its deposit. Gated by
		/// [`Rule::ContactChange`] and [`Rule::FactorChange`].
		///
		/// - Origin: signed, the channel's account.
		/// - Emits: [`Event::ChannelRemoved`].
		/// - Errors: [`Error::ChannelNotFound`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_channel())]
		pub fn remove_channel(origin: OriginFor<T>, kind: ChannelKind) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove_channel(who, kind)
		}

		/// Trusts a device and adjusts the caller's deposit: `signature` is the device's ed25519
		/// signature over [`Pallet::device_enroll_challenge`] (the credential id being the key
		/// itself). Gated by [`Rule::FactorChange`].
		///
		/// - Origin: signed, the account the device acts for.
		/// - Emits: [`Event::DeviceAdded`].
		/// - Errors: [`Error::DeviceAlreadyExists`], [`Error::InvalidDeviceSignature`],
		///   [`Error::TooManyDevices`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::add_device())]
		pub fn add_device(
			origin: OriginFor<T>,
			key: [u8; 32],
			signature: [u8; 64],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_add_device(who, key, signature)
		}

		/// Removes one of the caller's trusted devices and adjusts its deposit. Gated by
		/// [`Rule::FactorChange`].
		///
		/// - Origin: signed, the device's account.
		/// - Emits: [`Event::DeviceRemoved`].
		/// - Errors: [`Error::DeviceNotFound`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::remove_device())]
		pub fn remove_device(origin: OriginFor<T>, key: [u8; 32]) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove_device(who, key)
		}

		/// Binds the caller's TOTP to an approved verifier holding the seed sealed to it
		/// (`sealed_seed` is the envelope's hash; the envelope goes to the verifier, never to the
		/// ledger), replacing any binding, and adjusts its deposit. Gated by
		/// [`Rule::FactorChange`].
		///
		/// - Origin: signed.
		/// - Emits: [`Event::TotpBound`].
		/// - Errors: [`Error::NotAttester`] (the verifier is not approved).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::bind_totp())]
		pub fn bind_totp(
			origin: OriginFor<T>,
			verifier: T::AccountId,
			sealed_seed: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bind_totp(who, verifier, sealed_seed)
		}

		/// Removes the caller's TOTP binding and any attestation under it, and adjusts its
		/// deposit. Gated by [`Rule::FactorChange`].
		///
		/// - Origin: signed, the bound account.
		/// - Emits: [`Event::TotpUnbound`].
		/// - Errors: [`Error::NotTheVerifier`] (the account has no binding).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::unbind_totp())]
		pub fn unbind_totp(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbind_totp(who)
		}

		/// Requires `factors` for the caller's `action` on top of the policies (empty: removes
		/// the caller's own requirement), and adjusts its deposit. Gated by
		/// [`Rule::FactorChange`].
		///
		/// - Origin: signed.
		/// - Emits: [`Event::RequirementSet`].
		/// - Errors: [`Error::InvalidFactorSet`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::set_requirement())]
		pub fn set_requirement(
			origin: OriginFor<T>,
			action: Action,
			factors: FactorSet,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_requirement(who, action, factors)
		}

		// ---- authorizations ----

		/// Authorizes `call` with factor proofs over
		/// [`virtengine_mfa_primitives::webauthn::authorize_challenge`] for the caller, its MFA
		/// nonce and the call's hash ([`Pallet::authorize_challenge`]). A critical call is
		/// authorized once, for `AuthorizationTtl` blocks; otherwise a session for its action
		/// opens. New transfer recipients it names become known.
		///
		/// A wrong one-time code does not fail the transaction: the attempt must stay counted,
		/// so it emits [`Event::CodeRejected`] and authorizes nothing.
		///
		/// - Origin: signed, the account that will submit `call`.
		/// - Emits: [`Event::Authorized`], or [`Event::CodeRejected`].
		/// - Errors: [`Error::NestedAuthorization`], [`Error::Unclassifiable`],
		///   [`Error::NotSensitive`], [`Error::InsufficientFactors`], [`Error::DuplicateProof`],
		///   [`Error::CredentialNotFound`], [`Error::CounterNotIncreased`],
		///   [`Error::ChallengeMismatch`] (and the assertion's other errors),
		///   [`Error::DeviceNotFound`], [`Error::InvalidDeviceSignature`],
		///   [`Error::TotpAttestationNotFound`], [`Error::CodeNotFound`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::authorize().saturating_add(Pallet::<T>::check_weight(call)))]
		pub fn authorize(
			origin: OriginFor<T>,
			call: alloc::boxed::Box<<T as Config>::RuntimeCall>,
			proofs: BoundedVec<Proof, ConstU32<4>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_authorize(who, call, proofs)
		}

		// ---- attesters ----

		/// Records a one-time code the issuer sent to `who` (by SMS or email):
		/// `commitment = code_commitment(salt, who, code)`, valid for `ttl` blocks, with
		/// `MaxCodeAttempts` wrong attempts. Replaces an outstanding code.
		///
		/// - Origin: signed, an approved attester (code issuer).
		/// - Emits: [`Event::CodeIssued`].
		/// - Errors: [`Error::NotAttester`], [`Error::TtlTooLong`], [`Error::ChannelNotFound`]
		///   (`who` has no channel).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::issue_code())]
		pub fn issue_code(
			origin: OriginFor<T>,
			who: T::AccountId,
			commitment: [u8; 32],
			ttl: BlockNumberFor<T>,
		) -> DispatchResult {
			let issuer = ensure_signed(origin)?;
			Self::do_issue_code(issuer, who, commitment, ttl)
		}

		/// Attests that `who` presented a valid TOTP code for `challenge` (the authorize
		/// challenge the user's client showed the verifier), for `ttl` blocks.
		///
		/// - Origin: signed, the approved attester `who`'s TOTP is bound to.
		/// - Emits: [`Event::TotpAttested`].
		/// - Errors: [`Error::NotAttester`], [`Error::NotTheVerifier`], [`Error::TtlTooLong`].
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::attest_totp())]
		pub fn attest_totp(
			origin: OriginFor<T>,
			who: T::AccountId,
			challenge: [u8; 32],
			ttl: BlockNumberFor<T>,
		) -> DispatchResult {
			let verifier = ensure_signed(origin)?;
			Self::do_attest_totp(verifier, who, challenge, ttl)
		}

		// ---- governance ----

		/// Sets a rule's policy.
		///
		/// - Origin: `AdminOrigin`.
		/// - Emits: [`Event::PolicySet`].
		/// - Errors: [`Error::InvalidFactorSet`].
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::set_policy())]
		pub fn set_policy(origin: OriginFor<T>, rule: Rule, policy: Policy) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_policy(rule, policy)
		}

		/// Sets the value thresholds of the conditional rules (in token units).
		///
		/// - Origin: `AdminOrigin`.
		/// - Emits: [`Event::ThresholdsSet`].
		/// - Errors: none of this pallet's.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::set_thresholds())]
		pub fn set_thresholds(
			origin: OriginFor<T>,
			thresholds: Thresholds<BalanceOf<T>>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_thresholds(thresholds)
		}

		/// Sets the WebAuthn relying party (RP ID and origin) assertions must name.
		///
		/// - Origin: `AdminOrigin`.
		/// - Emits: [`Event::RelyingPartySet`].
		/// - Errors: none of this pallet's.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::set_relying_party())]
		pub fn set_relying_party(
			origin: OriginFor<T>,
			config: RelyingPartyConfig,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_relying_party(config)
		}

		/// Approves a code issuer / TOTP verifier.
		///
		/// - Origin: `AdminOrigin`.
		/// - Emits: [`Event::AttesterAdded`].
		/// - Errors: none of this pallet's.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::add_attester())]
		pub fn add_attester(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_add_attester(who)
		}

		/// Removes a code issuer / TOTP verifier.
		///
		/// - Origin: `AdminOrigin`.
		/// - Emits: [`Event::AttesterRemoved`].
		/// - Errors: [`Error::NotAttester`].
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::remove_attester())]
		pub fn remove_attester(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_remove_attester(who)
		}

		// ---- recovery ----

		/// Starts recovering `lost` (whose key is lost) to the caller, with the lost account's own
		/// factors over [`Pallet::recovery_challenge`] (the seeds' AccountRecovery row: VEID,
		/// FIDO2 and a one-time code by default). The rescuer claims it after `RecoveryDelay`;
		/// the owner can cancel meanwhile. A wrong one-time code starts nothing and does not fail
		/// (its attempt stays counted).
		///
		/// - Origin: signed, the rescuer (any account but `lost`).
		/// - Emits: [`Event::RecoveryInitiated`], or [`Event::CodeRejected`].
		/// - Errors: [`Error::RecoverSelf`], [`Error::AccountRestricted`],
		///   [`Error::RecoveryAlreadyExists`], [`Error::RecoveryDisabled`],
		///   [`Error::InsufficientFactors`], the proofs' errors (as [`Pallet::authorize`]'s).
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::initiate_recovery())]
		pub fn initiate_recovery(
			origin: OriginFor<T>,
			lost: T::AccountId,
			proofs: BoundedVec<Proof, ConstU32<4>>,
		) -> DispatchResult {
			let rescuer = ensure_signed(origin)?;
			Self::do_initiate_recovery(rescuer, lost, proofs)
		}

		/// Cancels a recovery of the caller's account that is under way.
		///
		/// - Origin: signed, the account being recovered (its owner).
		/// - Emits: [`Event::RecoveryCancelled`].
		/// - Errors: [`Error::RecoveryNotFound`].
		#[pallet::call_index(18)]
		#[pallet::weight(T::WeightInfo::cancel_recovery())]
		pub fn cancel_recovery(origin: OriginFor<T>) -> DispatchResult {
			let lost = ensure_signed(origin)?;
			Self::do_cancel_recovery(lost)
		}

		/// Claims a recovered account once the delay has passed: the lost account's factors are
		/// cleared (its deposit returned) and its transferable funds, keeping the existential
		/// deposit, move to the rescuer.
		///
		/// - Origin: signed, the rescuer the recovery names.
		/// - Emits: [`Event::AccountRecovered`].
		/// - Errors: [`Error::RecoveryNotFound`], [`Error::NotRescuer`],
		///   [`Error::AccountRestricted`], [`Error::TooEarly`].
		#[pallet::call_index(19)]
		#[pallet::weight(T::WeightInfo::claim_recovery())]
		pub fn claim_recovery(origin: OriginFor<T>, lost: T::AccountId) -> DispatchResult {
			let rescuer = ensure_signed(origin)?;
			Self::do_claim_recovery(rescuer, lost)
		}
	}
}
