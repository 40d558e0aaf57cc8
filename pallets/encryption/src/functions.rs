//! The pallet's logic, called by the thin dispatchables in `lib.rs`.

use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::Saturating;
use virtengine_envelope::{key_id, Envelope, Limits};

use crate::{
	pallet::{AccountKeySet, BalanceOf, Config, Error, Event, Keys, Pallet},
	AccountKeys, EnvelopeCheckError, HoldReason, KeyId, KeyRecord, KeyState,
};

impl<T: Config> Pallet<T> {
	/// The deposit held per stored key: the base plus the per-byte rate times the bytes a key
	/// occupies at most (its record under its id, and its id in the owner's list).
	pub fn key_deposit() -> BalanceOf<T> {
		let bytes = crate::pallet::KeyRecordOf::<T>::max_encoded_len()
			.saturating_add(2 * core::mem::size_of::<KeyId>())
			.saturating_add(T::AccountId::max_encoded_len());
		let bytes = BalanceOf::<T>::from(u32::try_from(bytes).unwrap_or(u32::MAX));
		T::DepositBase::get().saturating_add(T::DepositPerByte::get().saturating_mul(bytes))
	}

	/// The limits envelopes on this chain must stay within.
	pub fn envelope_limits() -> Limits {
		Limits {
			max_recipients: T::MaxRecipients::get(),
			max_ciphertext: T::MaxCiphertextLen::get(),
			max_content_type: T::MaxContentTypeLen::get(),
		}
	}

	/// The active key of an account: its id and public key.
	pub fn active_key(who: &T::AccountId) -> Option<(KeyId, [u8; 32])> {
		let id = AccountKeySet::<T>::get(who)?.active?;
		Keys::<T>::get(id).map(|record| (id, record.public))
	}

	/// Checks an envelope other pallets are asked to store: a sound structure within this
	/// chain's limits, and every recipient key registered and active. The sender's signature
	/// is checked separately ([`virtengine_envelope::verify_sender`]) by callers that need it.
	pub fn check_envelope(envelope: &Envelope) -> Result<(), EnvelopeCheckError> {
		virtengine_envelope::verify_structure(envelope, &Self::envelope_limits())
			.map_err(EnvelopeCheckError::Structure)?;
		for id in envelope.recipient_ids() {
			match Keys::<T>::get(id) {
				None => return Err(EnvelopeCheckError::UnknownRecipient(*id)),
				Some(record) if record.state != KeyState::Active => {
					return Err(EnvelopeCheckError::InactiveRecipient(*id))
				},
				Some(_) => {},
			}
		}
		Ok(())
	}

	/// Checks that `proof` proves `who` holds the secret of `public` (before anything is
	/// read or held: a bad proof costs the caller its fee only).
	pub(crate) fn ensure_possession(
		who: &T::AccountId,
		public: &[u8; 32],
		proof: &crate::KeyProof,
	) -> DispatchResult {
		ensure!(crate::possession::verify(who, public, proof), Error::<T>::InvalidProof);
		Ok(())
	}

	/// Stores a new active key for `who`, holding its deposit; returns its id, version and
	/// deposit.
	fn store_new_key(
		who: &T::AccountId,
		set: &mut AccountKeys<T::MaxKeysPerAccount>,
		public: [u8; 32],
	) -> Result<(KeyId, u32, BalanceOf<T>), DispatchError> {
		ensure!(!virtengine_envelope::is_small_order(&public), Error::<T>::WeakKey);
		let id = key_id(&public);
		ensure!(!Keys::<T>::contains_key(id), Error::<T>::KeyAlreadyExists);
		set.keys.try_push(id).map_err(|_| Error::<T>::TooManyKeys)?;
		let deposit = Self::key_deposit();
		T::Currency::hold(&HoldReason::KeyDeposit.into(), who, deposit)?;
		let version = set.next_version.max(1);
		set.next_version = version.saturating_add(1);
		set.active = Some(id);
		Keys::<T>::insert(
			id,
			KeyRecord {
				owner: who.clone(),
				public,
				version,
				state: KeyState::Active,
				registered_at: frame_system::Pallet::<T>::block_number(),
				deposit,
			},
		);
		Ok((id, version, deposit))
	}

	pub(crate) fn do_register(who: T::AccountId, public: [u8; 32]) -> DispatchResult {
		let mut set = AccountKeySet::<T>::get(&who).unwrap_or(AccountKeys {
			next_version: 1,
			active: None,
			keys: Default::default(),
		});
		ensure!(set.active.is_none(), Error::<T>::ActiveKeyAlreadyExists);
		let (key_id, version, deposit) = Self::store_new_key(&who, &mut set, public)?;
		AccountKeySet::<T>::insert(&who, set);
		Self::deposit_event(Event::KeyRegistered { who, key_id, version, deposit });
		Ok(())
	}

	pub(crate) fn do_rotate(who: T::AccountId, public: [u8; 32]) -> DispatchResult {
		let mut set = AccountKeySet::<T>::get(&who).ok_or(Error::<T>::ActiveKeyNotFound)?;
		let old = set.active.ok_or(Error::<T>::ActiveKeyNotFound)?;
		let now = frame_system::Pallet::<T>::block_number();
		let (new, version, deposit) = Self::store_new_key(&who, &mut set, public)?;
		Keys::<T>::mutate(old, |record| {
			if let Some(record) = record {
				record.state = KeyState::Retired { at: now };
			}
		});
		AccountKeySet::<T>::insert(&who, set);
		Self::deposit_event(Event::KeyRotated { who, old, new, version, deposit });
		Ok(())
	}

	pub(crate) fn do_revoke(who: T::AccountId, key_id: KeyId) -> DispatchResult {
		let mut record = Keys::<T>::get(key_id).ok_or(Error::<T>::KeyNotFound)?;
		ensure!(record.owner == who, Error::<T>::NotAuthorized);
		ensure!(!matches!(record.state, KeyState::Revoked { .. }), Error::<T>::AlreadyRevoked);
		let was_active = record.state == KeyState::Active;
		record.state = KeyState::Revoked { at: frame_system::Pallet::<T>::block_number() };
		Keys::<T>::insert(key_id, record);
		if was_active {
			AccountKeySet::<T>::mutate(&who, |set| {
				if let Some(set) = set {
					set.active = None;
				}
			});
		}
		Self::deposit_event(Event::KeyRevoked { who, key_id });
		Ok(())
	}

	pub(crate) fn do_remove(who: T::AccountId, key_id: KeyId) -> DispatchResult {
		let record = Keys::<T>::get(key_id).ok_or(Error::<T>::KeyNotFound)?;
		ensure!(record.owner == who, Error::<T>::NotAuthorized);
		ensure!(record.state != KeyState::Active, Error::<T>::KeyStillActive);
		T::Currency::release(
			&HoldReason::KeyDeposit.into(),
			&who,
			record.deposit,
			Precision::BestEffort,
		)?;
		Keys::<T>::remove(key_id);
		AccountKeySet::<T>::mutate_exists(&who, |maybe_set| {
			if let Some(set) = maybe_set {
				set.keys.retain(|id| *id != key_id);
				if set.keys.is_empty() && set.active.is_none() {
					*maybe_set = None;
				}
			}
		});
		Self::deposit_event(Event::KeyRemoved { who, key_id, deposit: record.deposit });
		Ok(())
	}
}
