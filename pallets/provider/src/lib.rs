//! # Provider pallet
//!
//! The providers of the marketplace (`docs/marketplace.md`, issue "Marketplace and escrow").
//!
//! - **Domain**: a provider claims a domain ([`Pallet::claim_domain`]), holding a deposit; the
//!   chain gives it a token ([`domain_token`]) to publish as a DNS TXT record
//!   `virtengine-verify=<hex>`; an approved verifier that saw the record confirms exactly that
//!   claim: account, domain and token ([`Pallet::confirm_domain`]), so a claim changed while the
//!   confirmation was on its way is not confirmed. One provider per domain. A claim lapses after
//!   [`Config::ClaimDuration`] unless its account registered: then another account may claim the
//!   domain (the lapsed claim's deposit goes back).
//! - **Registration** ([`Pallet::register`]): an identity of tier Standard or better (VEID), a
//!   confirmed domain, attributes (region, CPU and GPU models, capabilities), the X25519 key
//!   orders are sealed to and the ed25519 key the provider daemon signs usage with; a deposit
//!   for every stored byte. The MFA authorization the seeds ask for (VEID + FIDO2) is the
//!   runtime's `CheckMfa` gate: the runtime classifies `register` as ProviderRegistration.
//! - **Status**: Active, Paused (by the provider: no new bids), Suspended (by governance).
//!   Deregistering needs no open leases ([`ActiveLeases`], given by the market pallet).
//!
//! Not yet in the runtime: the market and escrow pallets come next.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

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

/// The token a provider publishes as `virtengine-verify=<hex>` in a TXT record of its domain:
/// BLAKE2b-256 over a domain separator, the account and the domain.
pub fn domain_token(account: &[u8], domain: &[u8]) -> [u8; 32] {
	let mut data = alloc::vec::Vec::with_capacity(32 + account.len() + domain.len());
	data.extend_from_slice(b"virtengine/provider/domain/v1");
	data.extend_from_slice(account);
	data.extend_from_slice(domain);
	sp_io::hashing::blake2_256(&data)
}

/// Whether `name` is a lower-case DNS host name with at least two labels: labels of 1-63
/// letters, digits and hyphens, not starting or ending with a hyphen, 253 bytes at most.
pub fn valid_domain(name: &[u8]) -> bool {
	if name.is_empty() || name.len() > 253 {
		return false;
	}
	let mut labels = 0;
	for label in name.split(|b| *b == b'.') {
		labels += 1;
		let ok = !label.is_empty()
			&& label.len() <= 63
			&& label.first() != Some(&b'-')
			&& label.last() != Some(&b'-')
			&& label.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
		if !ok {
			return false;
		}
	}
	labels >= 2
}

/// How many open leases a provider has (the market pallet answers; `()` says none).
pub trait ActiveLeases<AccountId> {
	/// Open leases of `provider`.
	fn active_leases(provider: &AccountId) -> u32;
}

/// What the benchmarks need from the runtime: an account with a Standard identity.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Gives `who` a verified identity of tier Standard.
	fn set_standard_tier(who: &AccountId);
}

impl<AccountId> ActiveLeases<AccountId> for () {
	fn active_leases(_: &AccountId) -> u32 {
		0
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, MutateHold},
			tokens::Precision,
		},
	};
	use frame_system::pallet_prelude::*;
	use pallet_mfa::IdentityTier;
	use sp_runtime::traits::Saturating;
	use virtengine_veid_primitives::Tier;

	/// The token's balance type.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A provider record of this runtime.
	pub type ProviderOf<T> = Provider<BalanceOf<T>, BlockNumberFor<T>>;

	/// A domain claim of this runtime.
	pub type DomainClaimOf<T> = DomainClaim<BalanceOf<T>, BlockNumberFor<T>>;

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
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
			who: T::AccountId,
			domain: Domain,
			token: [u8; 32],
			expires: BlockNumberFor<T>,
		},
		/// A verifier confirmed the claim of `who` to `domain`.
		DomainConfirmed { who: T::AccountId, domain: Domain },
		/// A claim went (withdrawn, or lapsed and taken over); its deposit was released.
		ClaimDropped { who: T::AccountId, domain: Domain },
		/// A provider registered.
		Registered { who: T::AccountId, deposit: BalanceOf<T> },
		/// A provider changed its attributes or keys.
		Updated { who: T::AccountId },
		/// A provider's status changed.
		StatusChanged { who: T::AccountId, status: Status },
		/// A provider left; its deposit and domain are free.
		Deregistered { who: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Not a lower-case host name with at least two labels.
		BadDomain,
		/// Another account claimed this domain.
		DomainTaken,
		/// The account has no domain claim.
		NoDomainClaim,
		/// The domain is not confirmed yet.
		DomainNotConfirmed,
		/// The account's claim is not (or no longer) for this domain.
		ClaimChanged,
		/// The token is not this account's token for this domain.
		BadToken,
		/// The claim lapsed: claim the domain again.
		ClaimExpired,
		/// A registered provider cannot change its domain; deregister first.
		Registered,
		/// Not a registered provider.
		NotProvider,
		/// Provider registration needs a verified identity of tier Standard or better.
		TierTooLow,
		/// Unknown capability flags.
		BadCapabilities,
		/// A key is all zeros.
		BadKey,
		/// The provider still has open leases.
		OpenLeases,
		/// The status change does not apply to the current status.
		BadStatusChange,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Claims a domain for [`Config::ClaimDuration`] (replacing the caller's unregistered
		/// claim), holding a deposit for the claim (kept when a claim replaces another). Another
		/// account's claim of the domain must have lapsed unregistered: it is dropped and its
		/// deposit released. Emits `DomainClaimed` with the token to publish as a TXT record.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::claim_domain())]
		pub fn claim_domain(origin: OriginFor<T>, domain: Domain) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(valid_domain(&domain), Error::<T>::BadDomain);
			ensure!(!Providers::<T>::contains_key(&who), Error::<T>::Registered);
			let now = frame_system::Pallet::<T>::block_number();
			let key = sp_io::hashing::blake2_256(&domain);
			if let Some(owner) = DomainOwners::<T>::get(key).filter(|owner| *owner != who) {
				let lapsed = !Providers::<T>::contains_key(&owner)
					&& DomainClaims::<T>::get(&owner).is_none_or(|c| c.expires <= now);
				ensure!(lapsed, Error::<T>::DomainTaken);
				Self::drop_claim(&owner)?;
			}
			let deposit = match DomainClaims::<T>::get(&who) {
				Some(old) => {
					DomainOwners::<T>::remove(sp_io::hashing::blake2_256(&old.domain));
					old.deposit
				},
				None => {
					let deposit = Self::claim_deposit();
					T::Currency::hold(&HoldReason::DomainClaim.into(), &who, deposit)?;
					deposit
				},
			};
			let expires = now.saturating_add(T::ClaimDuration::get());
			DomainOwners::<T>::insert(key, &who);
			DomainClaims::<T>::insert(
				&who,
				DomainClaim { domain: domain.clone(), confirmed: false, expires, deposit },
			);
			let token = domain_token(&who.encode(), &domain);
			Self::deposit_event(Event::DomainClaimed { who, domain, token, expires });
			Ok(())
		}

		/// A verifier confirms the claim of `who` to `domain` after finding `token` in the
		/// domain's TXT record. Only that claim is confirmed: if `who` claims something else by
		/// the time this lands, it fails (`ClaimChanged`), as it does for a token that is not
		/// `who`'s for `domain` (`BadToken`) and for a lapsed claim (`ClaimExpired`). Emits
		/// `DomainConfirmed`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::confirm_domain())]
		pub fn confirm_domain(
			origin: OriginFor<T>,
			who: T::AccountId,
			domain: Domain,
			token: [u8; 32],
		) -> DispatchResult {
			T::DomainVerifier::ensure_origin(origin)?;
			ensure!(token == domain_token(&who.encode(), &domain), Error::<T>::BadToken);
			let now = frame_system::Pallet::<T>::block_number();
			DomainClaims::<T>::try_mutate(&who, |claim| {
				let claim = claim.as_mut().ok_or(Error::<T>::NoDomainClaim)?;
				ensure!(claim.domain == domain, Error::<T>::ClaimChanged);
				ensure!(now < claim.expires, Error::<T>::ClaimExpired);
				claim.confirmed = true;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::DomainConfirmed { who, domain });
			Ok(())
		}

		/// Registers the caller as a provider.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			attributes: Attributes,
			encryption_key: [u8; 32],
			daemon_key: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Providers::<T>::contains_key(&who), Error::<T>::Registered);
			ensure!(
				T::Identity::tier(&who).is_some_and(|t| t >= Tier::Standard),
				Error::<T>::TierTooLow
			);
			let claim = DomainClaims::<T>::get(&who).ok_or(Error::<T>::NoDomainClaim)?;
			ensure!(claim.confirmed, Error::<T>::DomainNotConfirmed);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(now < claim.expires, Error::<T>::ClaimExpired);
			Self::check(&attributes, &encryption_key, &daemon_key)?;
			let deposit = Self::deposit_for();
			T::Currency::hold(&HoldReason::Registration.into(), &who, deposit)?;
			Providers::<T>::insert(
				&who,
				Provider {
					domain: claim.domain,
					attributes,
					encryption_key,
					daemon_key,
					status: Status::Active,
					deposit,
					since: now,
				},
			);
			Self::deposit_event(Event::Registered { who, deposit });
			Ok(())
		}

		/// Changes the provider's attributes and keys (rotating the daemon key invalidates
		/// usage not yet reported under the old one).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::update())]
		pub fn update(
			origin: OriginFor<T>,
			attributes: Attributes,
			encryption_key: [u8; 32],
			daemon_key: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::check(&attributes, &encryption_key, &daemon_key)?;
			Providers::<T>::try_mutate(&who, |p| {
				let p = p.as_mut().ok_or(Error::<T>::NotProvider)?;
				p.attributes = attributes;
				p.encryption_key = encryption_key;
				p.daemon_key = daemon_key;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::Updated { who });
			Ok(())
		}

		/// Pauses (`true`) or resumes (`false`) bidding. A suspended provider cannot resume.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::change_status())]
		pub fn set_paused(origin: OriginFor<T>, paused: bool) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (from, to) = if paused {
				(Status::Active, Status::Paused)
			} else {
				(Status::Paused, Status::Active)
			};
			Self::transition(&who, from, to)
		}

		/// Leaves the marketplace: a provider needs no open leases, and gets its deposits back
		/// (emits `Deregistered`); an account that claimed a domain but did not register
		/// withdraws its claim (emits `ClaimDropped`). Either way the domain is free.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::deregister())]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let Some(provider) = Providers::<T>::get(&who) else {
				ensure!(DomainClaims::<T>::contains_key(&who), Error::<T>::NotProvider);
				return Self::drop_claim(&who);
			};
			ensure!(T::Leases::active_leases(&who) == 0, Error::<T>::OpenLeases);
			T::Currency::release(
				&HoldReason::Registration.into(),
				&who,
				provider.deposit,
				Precision::BestEffort,
			)?;
			Providers::<T>::remove(&who);
			if let Some(claim) = DomainClaims::<T>::take(&who) {
				Self::release_claim(&who, &claim)?;
			}
			DomainOwners::<T>::remove(sp_io::hashing::blake2_256(&provider.domain));
			Self::deposit_event(Event::Deregistered { who });
			Ok(())
		}

		/// Governance suspends an active or paused provider.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::change_status())]
		pub fn suspend(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			let status = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?.status;
			ensure!(status != Status::Suspended, Error::<T>::BadStatusChange);
			Self::transition(&who, status, Status::Suspended)
		}

		/// Governance reinstates a suspended provider (as active).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::change_status())]
		pub fn reinstate(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::transition(&who, Status::Suspended, Status::Active)
		}
	}

	impl<T: Config> Pallet<T> {
		/// The provider if it may bid now (registered and Active).
		pub fn active(who: &T::AccountId) -> Option<ProviderOf<T>> {
			Providers::<T>::get(who).filter(|p| p.status == Status::Active)
		}

		/// The deposit of a provider record: every byte it may occupy.
		pub fn deposit_for() -> BalanceOf<T> {
			let bytes = ProviderOf::<T>::max_encoded_len() as u32;
			T::DepositPerByte::get().saturating_mul(bytes.into())
		}

		/// The deposit of a domain claim: the claim and the domain's owner entry, with their
		/// keys.
		pub fn claim_deposit() -> BalanceOf<T> {
			let account = T::AccountId::max_encoded_len();
			let bytes = DomainClaimOf::<T>::max_encoded_len() + 2 * account + 48;
			T::DepositPerByte::get().saturating_mul((bytes as u32).into())
		}

		/// Removes `who`'s claim and the domain's owner entry, releasing the claim's deposit.
		fn drop_claim(who: &T::AccountId) -> DispatchResult {
			let Some(claim) = DomainClaims::<T>::take(who) else { return Ok(()) };
			let key = sp_io::hashing::blake2_256(&claim.domain);
			if DomainOwners::<T>::get(key).as_ref() == Some(who) {
				DomainOwners::<T>::remove(key);
			}
			Self::release_claim(who, &claim)?;
			Self::deposit_event(Event::ClaimDropped { who: who.clone(), domain: claim.domain });
			Ok(())
		}

		fn release_claim(who: &T::AccountId, claim: &DomainClaimOf<T>) -> DispatchResult {
			T::Currency::release(
				&HoldReason::DomainClaim.into(),
				who,
				claim.deposit,
				Precision::BestEffort,
			)?;
			Ok(())
		}

		fn check(
			attributes: &Attributes,
			encryption: &[u8; 32],
			daemon: &[u8; 32],
		) -> DispatchResult {
			ensure!(attributes.capabilities & !capability::ALL == 0, Error::<T>::BadCapabilities);
			ensure!(*encryption != [0; 32] && *daemon != [0; 32], Error::<T>::BadKey);
			Ok(())
		}

		fn transition(who: &T::AccountId, from: Status, to: Status) -> DispatchResult {
			Providers::<T>::try_mutate(who, |p| {
				let p = p.as_mut().ok_or(Error::<T>::NotProvider)?;
				ensure!(p.status == from, Error::<T>::BadStatusChange);
				p.status = to;
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::StatusChanged { who: who.clone(), status: to });
			Ok(())
		}
	}
}
