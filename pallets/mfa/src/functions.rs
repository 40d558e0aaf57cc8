//! The pallet's logic, called by the thin dispatchables in `lib.rs`: factors, authorizations,
//! attesters' calls, governance, recovery, and the checks the extension and the runtime call.

use alloc::{boxed::Box, vec::Vec};
use codec::{Encode, MaxEncodedLen};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, InspectHold, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation},
		IsSubType,
	},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Bounded, Saturating, UniqueSaturatedInto, Zero};
use virtengine_mfa_primitives::{
	otp,
	webauthn::{self, Expected},
	Factor, FactorSet,
};
use virtengine_veid_primitives::Tier;

use crate::{
	pallet::{
		Attesters, BalanceOf, Call, Channels, Codes, Config, Credentials, Devices, Error, Event,
		HoldReason, KnownRecipients, Nonces, Pallet, Pending, Policies, RecentValue, Recoveries,
		RelyingParty, Sessions, Totp, TotpAttestations, UserRequirements, ValueThresholds,
	},
	policy, Action, Assertion, CallAuthorization, Channel, ChannelKind, Classified, Classify,
	Context, Covered, Credential, IdentityTier, IssuedCode, MaxCredentialIdLen, Policy, Proof,
	Recovery, RelyingPartyConfig, Requirement, Rule, SessionGrant, Standing, Thresholds,
	TotpBinding, Unclassifiable, ValueTotals, ValueWindow, WeightInfo, MFA_REQUIRED,
	UNCLASSIFIABLE,
};

impl<T: Config> Pallet<T> {
	// ---- factors ----

	/// Registers a FIDO2 credential for `who`, proven by `assertion` over the enroll challenge.
	pub(crate) fn do_register_credential(
		who: T::AccountId,
		public_key: BoundedVec<u8, ConstU32<65>>,
		require_uv: bool,
		assertion: Assertion,
	) -> DispatchResult {
		let public_key =
			webauthn::compress_public_key(&public_key).map_err(|_| Error::<T>::InvalidPublicKey)?;
		let mut credentials = Credentials::<T>::get(&who);
		ensure!(
			!credentials.iter().any(|c| c.id == assertion.credential_id),
			Error::<T>::CredentialAlreadyExists
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

	/// Removes one of `who`'s FIDO2 credentials.
	pub(crate) fn do_remove_credential(
		who: T::AccountId,
		credential_id: BoundedVec<u8, MaxCredentialIdLen>,
	) -> DispatchResult {
		Self::remove_from::<Credentials<T>, _, _>(
			&who,
			|c| c.id == credential_id,
			Error::<T>::CredentialNotFound,
		)?;
		Self::deposit_event(Event::CredentialRemoved { who, credential_id });
		Ok(())
	}

	/// Sets `who`'s code channel of `kind`, replacing one of the same kind.
	pub(crate) fn do_set_channel(
		who: T::AccountId,
		kind: ChannelKind,
		destination: [u8; 32],
	) -> DispatchResult {
		let mut channels = Channels::<T>::get(&who);
		channels.retain(|c| c.kind != kind);
		// At most one per kind and two kinds: the push cannot fail.
		channels
			.try_push(Channel { kind, destination })
			.map_err(|_| Error::<T>::ChannelNotFound)?;
		Channels::<T>::insert(&who, channels);
		Self::update_deposit(&who)?;
		Self::deposit_event(Event::ChannelSet { who, kind });
		Ok(())
	}

	/// Removes `who`'s code channel of `kind`.
	pub(crate) fn do_remove_channel(who: T::AccountId, kind: ChannelKind) -> DispatchResult {
		Self::remove_from::<Channels<T>, _, _>(
			&who,
			|c| c.kind == kind,
			Error::<T>::ChannelNotFound,
		)?;
		Self::deposit_event(Event::ChannelRemoved { who, kind });
		Ok(())
	}

	/// Trusts a device of `who` whose key signed the device enroll challenge.
	pub(crate) fn do_add_device(
		who: T::AccountId,
		key: [u8; 32],
		signature: [u8; 64],
	) -> DispatchResult {
		let mut devices = Devices::<T>::get(&who);
		ensure!(!devices.contains(&key), Error::<T>::DeviceAlreadyExists);
		let challenge = Self::device_enroll_challenge(&who, &key);
		ensure!(
			Self::device_signed(&key, &signature, &challenge),
			Error::<T>::InvalidDeviceSignature
		);
		devices.try_push(key).map_err(|_| Error::<T>::TooManyDevices)?;
		Devices::<T>::insert(&who, devices);
		Self::update_deposit(&who)?;
		Self::deposit_event(Event::DeviceAdded { who, key });
		Ok(())
	}

	/// Removes one of `who`'s trusted devices.
	pub(crate) fn do_remove_device(who: T::AccountId, key: [u8; 32]) -> DispatchResult {
		Self::remove_from::<Devices<T>, _, _>(&who, |k| k == &key, Error::<T>::DeviceNotFound)?;
		Self::deposit_event(Event::DeviceRemoved { who, key });
		Ok(())
	}

	/// Binds `who`'s TOTP to an approved `verifier`.
	pub(crate) fn do_bind_totp(
		who: T::AccountId,
		verifier: T::AccountId,
		sealed_seed: [u8; 32],
	) -> DispatchResult {
		ensure!(Attesters::<T>::contains_key(&verifier), Error::<T>::NotAttester);
		Totp::<T>::insert(&who, TotpBinding { verifier: verifier.clone(), sealed_seed });
		Self::update_deposit(&who)?;
		Self::deposit_event(Event::TotpBound { who, verifier });
		Ok(())
	}

	/// Removes `who`'s TOTP binding and any attestation under it.
	pub(crate) fn do_unbind_totp(who: T::AccountId) -> DispatchResult {
		ensure!(Totp::<T>::take(&who).is_some(), Error::<T>::NotTheVerifier);
		TotpAttestations::<T>::remove(&who);
		Self::update_deposit(&who)?;
		Self::deposit_event(Event::TotpUnbound { who });
		Ok(())
	}

	/// Sets (or, with no factors, removes) `who`'s own requirement for `action`.
	pub(crate) fn do_set_requirement(
		who: T::AccountId,
		action: Action,
		factors: FactorSet,
	) -> DispatchResult {
		ensure!(factors.is_valid(), Error::<T>::InvalidFactorSet);
		let mut own = UserRequirements::<T>::get(&who);
		own.retain(|(a, _)| *a != action);
		if !factors.is_empty() {
			// One entry per action, bounded by the number of actions: cannot overflow.
			own.try_push((action, factors)).map_err(|_| Error::<T>::InvalidFactorSet)?;
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

	// ---- authorizations ----

	/// Authorizes `call` for `who` with `proofs` over its authorize challenge: once for a
	/// critical call, else a session for its action. A wrong one-time code authorizes nothing
	/// and still succeeds (its attempt stays counted).
	pub(crate) fn do_authorize(
		who: T::AccountId,
		call: Box<<T as Config>::RuntimeCall>,
		proofs: BoundedVec<Proof, ConstU32<4>>,
	) -> DispatchResult {
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
					let _ = sessions.try_push(SessionGrant { action, factors: proven, expires });
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

	// ---- attesters ----

	/// Records a one-time code `issuer` sent to `who`, replacing an outstanding one.
	pub(crate) fn do_issue_code(
		issuer: T::AccountId,
		who: T::AccountId,
		commitment: [u8; 32],
		ttl: BlockNumberFor<T>,
	) -> DispatchResult {
		ensure!(Attesters::<T>::contains_key(&issuer), Error::<T>::NotAttester);
		ensure!(ttl <= T::MaxCodeTtl::get() && !ttl.is_zero(), Error::<T>::TtlTooLong);
		ensure!(!Channels::<T>::get(&who).is_empty(), Error::<T>::ChannelNotFound);
		let expires = frame_system::Pallet::<T>::block_number().saturating_add(ttl);
		Codes::<T>::insert(
			&who,
			IssuedCode { commitment, expires, attempts_left: T::MaxCodeAttempts::get() },
		);
		Self::deposit_event(Event::CodeIssued { who, expires });
		Ok(())
	}

	/// Records `verifier`'s attestation of a valid TOTP code of `who` for `challenge`.
	pub(crate) fn do_attest_totp(
		verifier: T::AccountId,
		who: T::AccountId,
		challenge: [u8; 32],
		ttl: BlockNumberFor<T>,
	) -> DispatchResult {
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

	// ---- governance ----

	/// Sets `rule`'s policy.
	pub(crate) fn do_set_policy(rule: Rule, policy: Policy) -> DispatchResult {
		ensure!(policy.factors.is_valid(), Error::<T>::InvalidFactorSet);
		Policies::<T>::insert(rule, policy);
		Self::deposit_event(Event::PolicySet { rule, policy });
		Ok(())
	}

	/// Sets the value thresholds.
	pub(crate) fn do_set_thresholds(thresholds: Thresholds<BalanceOf<T>>) -> DispatchResult {
		ValueThresholds::<T>::put(thresholds);
		Self::deposit_event(Event::ThresholdsSet { thresholds });
		Ok(())
	}

	/// Sets the WebAuthn relying party.
	pub(crate) fn do_set_relying_party(config: RelyingPartyConfig) -> DispatchResult {
		RelyingParty::<T>::put(config);
		Self::deposit_event(Event::RelyingPartySet);
		Ok(())
	}

	/// Approves a code issuer / TOTP verifier.
	pub(crate) fn do_add_attester(who: T::AccountId) -> DispatchResult {
		Attesters::<T>::insert(&who, ());
		Self::deposit_event(Event::AttesterAdded { who });
		Ok(())
	}

	/// Removes a code issuer / TOTP verifier.
	pub(crate) fn do_remove_attester(who: T::AccountId) -> DispatchResult {
		ensure!(Attesters::<T>::take(&who).is_some(), Error::<T>::NotAttester);
		Self::deposit_event(Event::AttesterRemoved { who });
		Ok(())
	}

	// ---- recovery ----

	/// Starts recovering `lost` to `rescuer` with the lost account's own factors over the
	/// recovery challenge. A wrong one-time code starts nothing and still succeeds.
	pub(crate) fn do_initiate_recovery(
		rescuer: T::AccountId,
		lost: T::AccountId,
		proofs: BoundedVec<Proof, ConstU32<4>>,
	) -> DispatchResult {
		ensure!(rescuer != lost, Error::<T>::RecoverSelf);
		ensure!(
			!T::Standing::restricted(&lost) && !T::Standing::restricted(&rescuer),
			Error::<T>::AccountRestricted
		);
		ensure!(!Recoveries::<T>::contains_key(&lost), Error::<T>::RecoveryAlreadyExists);
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

	/// Cancels the recovery of `lost` (its owner's call).
	pub(crate) fn do_cancel_recovery(lost: T::AccountId) -> DispatchResult {
		let recovery = Recoveries::<T>::take(&lost).ok_or(Error::<T>::RecoveryNotFound)?;
		Self::deposit_event(Event::RecoveryCancelled { lost, rescuer: recovery.rescuer });
		Ok(())
	}

	/// Hands `lost` to `rescuer` once the delay has passed: its factors are cleared (their
	/// deposit returned) and its transferable funds, keeping the existential deposit, moved.
	pub(crate) fn do_claim_recovery(rescuer: T::AccountId, lost: T::AccountId) -> DispatchResult {
		let recovery = Recoveries::<T>::get(&lost).ok_or(Error::<T>::RecoveryNotFound)?;
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

	// ---- proofs, challenges and checks ----

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
	pub(crate) fn prove(
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
						.ok_or(Error::<T>::CredentialNotFound)?;
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
					let (attested, expires) = TotpAttestations::<T>::get(who)
						.ok_or(Error::<T>::TotpAttestationNotFound)?;
					ensure!(
						&attested == challenge && expires >= now,
						Error::<T>::TotpAttestationNotFound
					);
					Factor::Totp
				},
				Proof::Device { key, signature } => {
					ensure!(Devices::<T>::get(who).contains(key), Error::<T>::DeviceNotFound);
					ensure!(
						Self::device_signed(key, signature, challenge),
						Error::<T>::InvalidDeviceSignature
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
			let issued = Codes::<T>::get(who)
				.filter(|c| c.expires >= now)
				.ok_or(Error::<T>::CodeNotFound)?;
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
	pub(crate) fn spend_proofs(
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
	pub(crate) fn clear_factors(who: &T::AccountId) -> DispatchResult {
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
	pub fn authorize_challenge(who: &T::AccountId, call: &<T as Config>::RuntimeCall) -> [u8; 32] {
		let call_hash = virtengine_mfa_primitives::call_hash(&call.encode());
		webauthn::authorize_challenge(
			&Self::genesis(),
			&who.encode(),
			Nonces::<T>::get(who),
			&call_hash,
		)
	}

	pub(crate) fn device_signed(
		key: &[u8; 32],
		signature: &[u8; 64],
		challenge: &[u8; 32],
	) -> bool {
		sp_io::crypto::ed25519_verify(
			&sp_core::ed25519::Signature::from_raw(*signature),
			challenge,
			&sp_core::ed25519::Public::from_raw(*key),
		)
	}

	pub(crate) fn check_assertion(
		public_key: &[u8; 33],
		require_uv: bool,
		assertion: &Assertion,
		challenge: &[u8; 32],
	) -> Result<webauthn::AuthenticatorData, Error<T>> {
		let rp = RelyingParty::<T>::get().ok_or(Error::<T>::RelyingPartyNotFound)?;
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

	pub(crate) fn tier_met(who: &T::AccountId, min: Tier) -> bool {
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
	pub(crate) fn value_window_index() -> u32 {
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
			let value = if classified.windowed { classified.value } else { ValueTotals::zero() };
			return Ok(Covered::NotSensitive { value, plain: classified.plain });
		}
		let now = frame_system::Pallet::<T>::block_number();
		let call_hash = virtengine_mfa_primitives::call_hash(&call.encode());
		if Pending::<T>::get(who).is_some_and(|p| p.call_hash == call_hash && p.expires >= now) {
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

	pub(crate) fn calls_visited(call: &<T as Config>::RuntimeCall) -> u32 {
		if call.is_sub_type().is_some() {
			1
		} else {
			T::Classifier::calls_visited(call).max(1)
		}
	}

	/// The runtime classifier's own reads (this pallet's calls need none).
	pub(crate) fn classifier_reads(call: &<T as Config>::RuntimeCall) -> Weight {
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
	pub(crate) fn remove_from<Map, Item, Bound>(
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
			+ KnownRecipients::<T>::decode_len(who).unwrap_or(0) * T::AccountId::max_encoded_len()
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
			T::Currency::release(&reason, who, held.saturating_sub(wanted), Precision::BestEffort)?;
		}
		Ok(())
	}
}

impl<T: Config> From<webauthn::Error> for Error<T> {
	fn from(e: webauthn::Error) -> Self {
		use webauthn::Error as W;
		match e {
			W::MalformedAuthenticatorData => Error::InvalidAuthenticatorData,
			W::UnexpectedAttestedData => Error::UnexpectedAttestedData,
			W::MalformedClientData => Error::InvalidClientData,
			W::WrongType => Error::WrongClientDataType,
			W::ChallengeMismatch => Error::ChallengeMismatch,
			W::OriginMismatch => Error::OriginMismatch,
			W::CrossOrigin => Error::CrossOrigin,
			W::RpIdMismatch => Error::RpIdMismatch,
			W::UserNotPresent => Error::UserNotPresent,
			W::UserNotVerified => Error::UserNotVerified,
			W::BadPublicKey => Error::InvalidPublicKey,
			W::BadSignatureEncoding => Error::InvalidSignatureEncoding,
			W::BadSignature => Error::InvalidSignature,
		}
	}
}
