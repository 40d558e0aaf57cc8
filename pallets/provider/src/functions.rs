//! The pallet's logic: the bodies of the thin dispatchables in `lib.rs`, what the market pallet
//! reads, and the domain helpers the verifier and clients share.

use codec::{Encode, MaxEncodedLen};
use frame_support::traits::tokens::Precision;
use frame_support::{ensure, pallet_prelude::*, traits::fungible::MutateHold};
use pallet_mfa::IdentityTier;
use sp_runtime::traits::Saturating;
use virtengine_veid_primitives::Tier;

use crate::{
	capability,
	pallet::{
		BalanceOf, Config, DomainClaimOf, DomainClaims, DomainOwners, Error, Event, Pallet,
		ProviderOf, Providers,
	},
	ActiveLeases, Attributes, Domain, DomainClaim, HoldReason, Provider, Status,
};

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

/// What the market pallet and the runtime read.
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
}

/// The bodies of the dispatchables.
impl<T: Config> Pallet<T> {
	pub(crate) fn do_claim_domain(who: T::AccountId, domain: Domain) -> DispatchResult {
		ensure!(valid_domain(&domain), Error::<T>::InvalidDomain);
		ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		let now = frame_system::Pallet::<T>::block_number();
		let key = sp_io::hashing::blake2_256(&domain);
		if let Some(owner) = DomainOwners::<T>::get(key).filter(|owner| *owner != who) {
			let lapsed = !Providers::<T>::contains_key(&owner)
				&& DomainClaims::<T>::get(&owner).is_none_or(|c| c.expires <= now);
			ensure!(lapsed, Error::<T>::DomainAlreadyClaimed);
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

	pub(crate) fn do_confirm_domain(
		who: T::AccountId,
		domain: Domain,
		token: [u8; 32],
	) -> DispatchResult {
		ensure!(token == domain_token(&who.encode(), &domain), Error::<T>::InvalidToken);
		let now = frame_system::Pallet::<T>::block_number();
		DomainClaims::<T>::try_mutate(&who, |claim| {
			let claim = claim.as_mut().ok_or(Error::<T>::DomainClaimNotFound)?;
			ensure!(claim.domain == domain, Error::<T>::ClaimChanged);
			ensure!(now < claim.expires, Error::<T>::ClaimExpired);
			claim.confirmed = true;
			Ok::<_, Error<T>>(())
		})?;
		Self::deposit_event(Event::DomainConfirmed { who, domain });
		Ok(())
	}

	pub(crate) fn do_register(
		who: T::AccountId,
		attributes: Attributes,
		encryption_key: [u8; 32],
		daemon_key: [u8; 32],
	) -> DispatchResult {
		ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(
			T::Identity::tier(&who).is_some_and(|t| t >= Tier::Standard),
			Error::<T>::TierTooLow
		);
		let claim = DomainClaims::<T>::get(&who).ok_or(Error::<T>::DomainClaimNotFound)?;
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

	pub(crate) fn do_update(
		who: T::AccountId,
		attributes: Attributes,
		encryption_key: [u8; 32],
		daemon_key: [u8; 32],
	) -> DispatchResult {
		Self::check(&attributes, &encryption_key, &daemon_key)?;
		Providers::<T>::try_mutate(&who, |p| {
			let p = p.as_mut().ok_or(Error::<T>::ProviderNotFound)?;
			p.attributes = attributes;
			p.encryption_key = encryption_key;
			p.daemon_key = daemon_key;
			Ok::<_, Error<T>>(())
		})?;
		Self::deposit_event(Event::Updated { who });
		Ok(())
	}

	pub(crate) fn do_set_paused(who: T::AccountId, paused: bool) -> DispatchResult {
		let (from, to) = if paused {
			(Status::Active, Status::Paused)
		} else {
			(Status::Paused, Status::Active)
		};
		Self::transition(&who, from, to)
	}

	pub(crate) fn do_deregister(who: T::AccountId) -> DispatchResult {
		let Some(provider) = Providers::<T>::get(&who) else {
			ensure!(DomainClaims::<T>::contains_key(&who), Error::<T>::ProviderNotFound);
			return Self::drop_claim(&who);
		};
		ensure!(T::Leases::active_leases(&who) == 0, Error::<T>::LeasesStillOpen);
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

	pub(crate) fn do_suspend(who: T::AccountId) -> DispatchResult {
		let status = Providers::<T>::get(&who).ok_or(Error::<T>::ProviderNotFound)?.status;
		ensure!(status != Status::Suspended, Error::<T>::InvalidStatusChange);
		Self::transition(&who, status, Status::Suspended)
	}

	pub(crate) fn do_reinstate(who: T::AccountId) -> DispatchResult {
		Self::transition(&who, Status::Suspended, Status::Active)
	}
}

/// Helpers.
impl<T: Config> Pallet<T> {
	/// Removes `who`'s claim and the domain's owner entry, releasing the claim's deposit.
	fn drop_claim(who: &T::AccountId) -> DispatchResult {
		let Some(claim) = DomainClaims::<T>::take(who) else { return Ok(()) };
		let key = sp_io::hashing::blake2_256(&claim.domain);
		if DomainOwners::<T>::get(key).as_ref() == Some(who) {
			DomainOwners::<T>::remove(key);
		}
		Self::release_claim(who, &claim)?;
		Self::deposit_event(Event::DomainClaimDropped { who: who.clone(), domain: claim.domain });
		Ok(())
	}

	/// Releases the deposit of `who`'s claim.
	fn release_claim(who: &T::AccountId, claim: &DomainClaimOf<T>) -> DispatchResult {
		T::Currency::release(
			&HoldReason::DomainClaim.into(),
			who,
			claim.deposit,
			Precision::BestEffort,
		)?;
		Ok(())
	}

	/// Known capability flags, no all-zero key.
	fn check(attributes: &Attributes, encryption: &[u8; 32], daemon: &[u8; 32]) -> DispatchResult {
		ensure!(attributes.capabilities & !capability::ALL == 0, Error::<T>::InvalidCapabilities);
		ensure!(*encryption != [0; 32] && *daemon != [0; 32], Error::<T>::InvalidKey);
		Ok(())
	}

	/// Moves `who` from status `from` to `to`.
	fn transition(who: &T::AccountId, from: Status, to: Status) -> DispatchResult {
		Providers::<T>::try_mutate(who, |p| {
			let p = p.as_mut().ok_or(Error::<T>::ProviderNotFound)?;
			ensure!(p.status == from, Error::<T>::InvalidStatusChange);
			p.status = to;
			Ok::<_, Error<T>>(())
		})?;
		Self::deposit_event(Event::StatusChanged { who: who.clone(), status: to });
		Ok(())
	}
}
