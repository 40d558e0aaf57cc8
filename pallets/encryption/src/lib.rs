#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
pub mod possession;
mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use possession::KeyProof;
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, MutateHold},
	};
	use frame_system::pallet_prelude::*;

	/// The balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A key record as this runtime stores it.
	pub type KeyRecordOf<T> =
		KeyRecord<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// An account's keys as this runtime stores them.
	pub type AccountKeysOf<T> = AccountKeys<<T as Config>::MaxKeysPerAccount>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The currency deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;

		/// Deposit held per stored key, for each byte it occupies (record, index entries).
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// Deposit held per stored key on top of the per-byte part.
		#[pallet::constant]
		type DepositBase: Get<BalanceOf<Self>>;

		/// How many keys (active, retired and revoked) an account may keep at once.
		#[pallet::constant]
		type MaxKeysPerAccount: Get<u32>;

		/// The most recipients an envelope may name.
		#[pallet::constant]
		type MaxRecipients: Get<u32>;

		/// The largest ciphertext an envelope may carry, in bytes.
		#[pallet::constant]
		type MaxCiphertextLen: Get<u32>;

		/// The longest content type, in bytes.
		#[pallet::constant]
		type MaxContentTypeLen: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit for a stored recipient key.
		KeyDeposit,
	}

	/// Every stored key by its key id.
	///
	/// Blake2 because key ids derive from public keys the submitter chooses.
	#[pallet::storage]
	pub type Keys<T: Config> = StorageMap<_, Blake2_128Concat, KeyId, KeyRecordOf<T>>;

	/// Each account's keys and its active one.
	///
	/// Blake2 because account ids are chosen by their owners.
	#[pallet::storage]
	pub type AccountKeySet<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, AccountKeysOf<T>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account registered its first active key.
		KeyRegistered {
			/// The account.
			who: T::AccountId,
			/// The key's id.
			key_id: KeyId,
			/// The key's version for this account.
			version: u32,
			/// The deposit held.
			deposit: BalanceOf<T>,
		},
		/// An account replaced its active key; the old one is retired.
		KeyRotated {
			/// The account.
			who: T::AccountId,
			/// The retired key.
			old: KeyId,
			/// The new active key.
			new: KeyId,
			/// The new key's version.
			version: u32,
			/// The deposit held for the new key.
			deposit: BalanceOf<T>,
		},
		/// A key was revoked: envelopes to it are refused from now on.
		KeyRevoked {
			/// The account.
			who: T::AccountId,
			/// The key.
			key_id: KeyId,
		},
		/// A retired or revoked key was removed and its deposit released.
		KeyRemoved {
			/// The account.
			who: T::AccountId,
			/// The key.
			key_id: KeyId,
			/// The deposit released.
			deposit: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account already has an active key: rotate it instead.
		ActiveKeyAlreadyExists,
		/// The account has no active key to rotate.
		ActiveKeyNotFound,
		/// This public key is registered already (by this or another account).
		KeyAlreadyExists,
		/// The public key has small order and would make every envelope to it readable.
		WeakKey,
		/// The account keeps the most keys allowed: remove a retired or revoked one first.
		TooManyKeys,
		/// No key has this id.
		KeyNotFound,
		/// The key belongs to another account.
		NotAuthorized,
		/// An active key cannot be removed: rotate or revoke it first.
		KeyStillActive,
		/// The key is revoked already.
		AlreadyRevoked,
		/// The proof of possession does not show that the caller holds the key's secret: its
		/// ed25519 key does not map to the X25519 key, or its signature is not over this account
		/// and key.
		InvalidProof,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers an active X25519 recipient key for the caller, who has none, holding a deposit
		/// ([`Pallet::key_deposit`]). `proof` proves that the caller holds the key's secret
		/// ([`possession`]); it is checked before anything is read or held.
		///
		/// - Origin: signed, an account without an active key.
		/// - Emits: [`Event::KeyRegistered`].
		/// - Errors: [`Error::InvalidProof`], [`Error::ActiveKeyAlreadyExists`], [`Error::WeakKey`],
		///   [`Error::KeyAlreadyExists`], [`Error::TooManyKeys`]; the currency's error if the
		///   deposit cannot be held.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_key())]
		pub fn register_key(
			origin: OriginFor<T>,
			public: [u8; 32],
			proof: KeyProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::ensure_possession(&who, &public, &proof)?;
			Self::do_register(who, public)
		}

		/// Replaces the caller's active key with a new one, holding a deposit for it; the old key
		/// is retired (it stays stored, and its deposit held, until removed). `proof` proves that
		/// the caller holds the new key's secret ([`possession`]).
		///
		/// - Origin: signed, an account with an active key.
		/// - Emits: [`Event::KeyRotated`].
		/// - Errors: [`Error::InvalidProof`], [`Error::ActiveKeyNotFound`], [`Error::WeakKey`],
		///   [`Error::KeyAlreadyExists`], [`Error::TooManyKeys`]; the currency's error if the
		///   deposit cannot be held.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::rotate_key())]
		pub fn rotate_key(
			origin: OriginFor<T>,
			public: [u8; 32],
			proof: KeyProof,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::ensure_possession(&who, &public, &proof)?;
			Self::do_rotate(who, public)
		}

		/// Revokes one of the caller's keys, active or retired: envelopes to it are refused from
		/// now on. Revoking the active key leaves the account without one (it may register anew).
		///
		/// - Origin: signed, the key's owner.
		/// - Emits: [`Event::KeyRevoked`].
		/// - Errors: [`Error::KeyNotFound`], [`Error::NotAuthorized`], [`Error::AlreadyRevoked`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::revoke_key())]
		pub fn revoke_key(origin: OriginFor<T>, key_id: KeyId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_revoke(who, key_id)
		}

		/// Removes one of the caller's retired or revoked keys and releases its deposit; an
		/// account left with no key has nothing stored.
		///
		/// - Origin: signed, the key's owner.
		/// - Emits: [`Event::KeyRemoved`].
		/// - Errors: [`Error::KeyNotFound`], [`Error::NotAuthorized`], [`Error::KeyStillActive`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_key())]
		pub fn remove_key(origin: OriginFor<T>, key_id: KeyId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove(who, key_id)
		}
	}
}
