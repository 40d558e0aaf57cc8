#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use functions::{domain_token, valid_domain};
pub use pallet::*;
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
	use pallet_mfa::IdentityTier;

	/// The token's balance type.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A provider record of this runtime.
	pub type ProviderOf<T> = Provider<BalanceOf<T>, BlockNumberFor<T>>;

	/// A domain claim of this runtime.
	pub type DomainClaimOf<T> = DomainClaim<BalanceOf<T>, BlockNumberFor<T>>;

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The token: registration deposits.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// Deposit per stored byte of a provider record.
		type DepositPerByte: Get<BalanceOf<Self>>;
		/// Identity tiers (VEID).
		type Identity: IdentityTier<Self::AccountId>;
		/// Open leases per provider (the market).
		type Leases: ActiveLeases<Self::AccountId>;
		/// Confirms domain claims after checking their TXT record.
		type DomainVerifier: EnsureOrigin<Self::RuntimeOrigin>;
		/// How long a claim stays valid: it must be confirmed and the account registered within
		/// this, or another account may claim the domain.
		#[pallet::constant]
		type ClaimDuration: Get<BlockNumberFor<Self>>;
		/// Suspends and reinstates providers.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Weights.
		type WeightInfo: WeightInfo;
		/// Benchmark set-up the runtime provides.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's registration deposit.
		Registration,
		/// A domain claim's deposit.
		DomainClaim,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Registered providers.
	#[pallet::storage]
	pub type Providers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ProviderOf<T>, OptionQuery>;

	/// Domain claims by account (a registered provider's stays until it deregisters).
	#[pallet::storage]
	pub type DomainClaims<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, DomainClaimOf<T>, OptionQuery>;

	/// Which account claimed a domain (by BLAKE2b-256 of the name).
	#[pallet::storage]
	pub type DomainOwners<T: Config> = StorageMap<_, Identity, [u8; 32], T::AccountId, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A domain was claimed until block `expires`; publish `virtengine-verify=<token>` as a
		/// TXT record.
		DomainClaimed {
			/// The claiming account.
			who: T::AccountId,
			/// The domain.
			domain: Domain,
			/// The token to publish ([`domain_token`] of the account and the domain).
			token: [u8; 32],
			/// The claim lapses at this block unless the account registered.
			expires: BlockNumberFor<T>,
		},
		/// A verifier confirmed the claim of `who` to `domain`.
		DomainConfirmed {
			/// The claiming account.
			who: T::AccountId,
			/// The confirmed domain.
			domain: Domain,
		},
		/// A claim went (withdrawn, or lapsed and taken over); its deposit was released.
		DomainClaimDropped {
			/// The account whose claim went.
			who: T::AccountId,
			/// The domain it had claimed.
			domain: Domain,
		},
		/// A provider registered.
		Registered {
			/// The provider.
			who: T::AccountId,
			/// The registration deposit held.
			deposit: BalanceOf<T>,
		},
		/// A provider changed its attributes or keys.
		Updated {
			/// The provider.
			who: T::AccountId,
		},
		/// A provider's status changed.
		StatusChanged {
			/// The provider.
			who: T::AccountId,
			/// Its new status.
			status: Status,
		},
		/// A provider left; its deposit and domain are free.
		Deregistered {
			/// The former provider.
			who: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Not a lower-case host name with at least two labels.
		InvalidDomain,
		/// Another account claimed this domain.
		DomainAlreadyClaimed,
		/// The account has no domain claim.
		DomainClaimNotFound,
		/// The domain is not confirmed yet.
		DomainNotConfirmed,
		/// The account's claim is not (or no longer) for this domain.
		ClaimChanged,
		/// The token is not this account's token for this domain.
		InvalidToken,
		/// The claim lapsed: claim the domain again.
		ClaimExpired,
		/// The account is a registered provider already (it cannot register again nor change
		/// its domain; deregister first).
		AlreadyRegistered,
		/// Not a registered provider.
		ProviderNotFound,
		/// Provider registration needs a verified identity of tier Standard or better.
		TierTooLow,
		/// Unknown capability flags.
		InvalidCapabilities,
		/// A key is all zeros.
		InvalidKey,
		/// The provider still has open leases.
		LeasesStillOpen,
		/// The status change does not apply to the current status.
		InvalidStatusChange,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Claims `domain` for [`Config::ClaimDuration`], replacing the caller's unregistered
		/// claim, and holds a deposit for the claim (kept when a claim replaces another).
		/// Another account's claim of the domain must have lapsed unregistered: it is dropped
		/// and its deposit released. The event carries the token to publish as a TXT record.
		///
		/// - Origin: signed, an account that is not a registered provider.
		/// - Emits: [`Event::DomainClaimed`]; [`Event::DomainClaimDropped`] for a lapsed claim
		///   taken over.
		/// - Errors: [`Error::InvalidDomain`], [`Error::AlreadyRegistered`],
		///   [`Error::DomainAlreadyClaimed`]; the currency's error if the deposit cannot be held.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::claim_domain())]
		pub fn claim_domain(origin: OriginFor<T>, domain: Domain) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_domain(who, domain)
		}

		/// Confirms the claim of `who` to `domain`, after finding `token` in the domain's TXT
		/// record. Only that claim is confirmed: if `who` claims something else by the time
		/// this lands, it fails, as it does for a token that is not `who`'s for `domain` and
		/// for a lapsed claim.
		///
		/// - Origin: [`Config::DomainVerifier`].
		/// - Emits: [`Event::DomainConfirmed`].
		/// - Errors: [`Error::InvalidToken`], [`Error::DomainClaimNotFound`],
		///   [`Error::ClaimChanged`], [`Error::ClaimExpired`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::confirm_domain())]
		pub fn confirm_domain(
			origin: OriginFor<T>,
			who: T::AccountId,
			domain: Domain,
			token: [u8; 32],
		) -> DispatchResult {
			T::DomainVerifier::ensure_origin(origin)?;
			Self::do_confirm_domain(who, domain, token)
		}

		/// Registers the caller as an active provider of its confirmed domain, with
		/// `attributes`, the X25519 `encryption_key` order details are sealed to and the
		/// ed25519 `daemon_key` its daemon signs usage with; holds a deposit for every byte of
		/// the record ([`Pallet::deposit_for`]).
		///
		/// - Origin: signed, with a verified identity of tier Standard or better and a
		///   confirmed, unlapsed domain claim.
		/// - Emits: [`Event::Registered`].
		/// - Errors: [`Error::AlreadyRegistered`], [`Error::TierTooLow`],
		///   [`Error::DomainClaimNotFound`], [`Error::DomainNotConfirmed`],
		///   [`Error::ClaimExpired`], [`Error::InvalidCapabilities`], [`Error::InvalidKey`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			attributes: Attributes,
			encryption_key: [u8; 32],
			daemon_key: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(who, attributes, encryption_key, daemon_key)
		}

		/// Replaces the provider's attributes and keys (rotating the daemon key invalidates
		/// usage not yet reported under the old one).
		///
		/// - Origin: signed, a registered provider.
		/// - Emits: [`Event::Updated`].
		/// - Errors: [`Error::InvalidCapabilities`], [`Error::InvalidKey`],
		///   [`Error::ProviderNotFound`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::update())]
		pub fn update(
			origin: OriginFor<T>,
			attributes: Attributes,
			encryption_key: [u8; 32],
			daemon_key: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update(who, attributes, encryption_key, daemon_key)
		}

		/// Pauses (`true`: Active to Paused, no new bids) or resumes (`false`: Paused to Active)
		/// bidding. A suspended provider cannot resume.
		///
		/// - Origin: signed, a registered provider.
		/// - Emits: [`Event::StatusChanged`].
		/// - Errors: [`Error::ProviderNotFound`], [`Error::InvalidStatusChange`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::change_status())]
		pub fn set_paused(origin: OriginFor<T>, paused: bool) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_paused(who, paused)
		}

		/// Leaves the marketplace: a provider with no open leases is removed and gets its
		/// registration and claim deposits back; an account that claimed a domain but did not
		/// register withdraws its claim. Either way the domain is free.
		///
		/// - Origin: signed, a registered provider or an account with a domain claim.
		/// - Emits: [`Event::Deregistered`] (a provider), [`Event::DomainClaimDropped`] (a
		///   claim withdrawn).
		/// - Errors: [`Error::ProviderNotFound`] (neither), [`Error::LeasesStillOpen`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::deregister())]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deregister(who)
		}

		/// Suspends the active or paused provider `who`: it makes no new bids until reinstated.
		///
		/// - Origin: [`Config::AdminOrigin`] (governance).
		/// - Emits: [`Event::StatusChanged`].
		/// - Errors: [`Error::ProviderNotFound`], [`Error::InvalidStatusChange`] (suspended
		///   already).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::change_status())]
		pub fn suspend(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_suspend(who)
		}

		/// Reinstates the suspended provider `who` as active.
		///
		/// - Origin: [`Config::AdminOrigin`] (governance).
		/// - Emits: [`Event::StatusChanged`].
		/// - Errors: [`Error::ProviderNotFound`], [`Error::InvalidStatusChange`] (not
		///   suspended).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::change_status())]
		pub fn reinstate(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_reinstate(who)
		}
	}
}
