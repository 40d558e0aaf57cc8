//! The traits between the market and the other marketplace pallets.
//!
//! The market implements theirs: it tells the provider pallet how many leases a provider has
//! open, and the escrow what happens to the leases it pays for and which daemon key signs a
//! provider's usage. And its own two traits are implemented here for them, so that the runtime
//! plugs them in as they are (`type Escrow = Escrow; type Providers = Provider;`): the market's
//! logic names neither pallet.

use codec::MaxEncodedLen;
use frame_support::pallet_prelude::DispatchResult;
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_escrow::EscrowId;

use crate::{
	pallet::{Config, Leases, OpenLeases, Pallet},
	LeaseEscrow, LeaseState, ProviderProfile, ProviderRegistry,
};

impl<T: Config> pallet_provider::ActiveLeases<T::AccountId> for Pallet<T> {
	fn active_leases(provider: &T::AccountId) -> u32 {
		OpenLeases::<T>::get(provider)
	}
}

impl<T: Config> pallet_escrow::LeaseHooks<BlockNumberFor<T>> for Pallet<T> {
	fn on_exhausted(id: EscrowId, until: BlockNumberFor<T>) {
		Self::funds_exhausted(id, until)
	}
	fn on_usage(id: EscrowId, at: BlockNumberFor<T>) {
		Self::usage_seen(id, at)
	}
	fn accrual_limit(id: EscrowId) -> Option<BlockNumberFor<T>> {
		Leases::<T>::get(id).filter(|l| l.state == LeaseState::Active).map(|l| Self::lapse(&l))
	}
}

impl<T: Config> pallet_escrow::DaemonKey<T::AccountId> for Pallet<T> {
	fn daemon_key(provider: &T::AccountId) -> Option<[u8; 32]> {
		T::Providers::daemon_key(provider)
	}
}

/// The escrow pallet as the market's [`LeaseEscrow`]: the runtime writes `type Escrow = Escrow`.
impl<T: pallet_escrow::Config>
	LeaseEscrow<T::AccountId, pallet_escrow::BalanceOf<T>, BlockNumberFor<T>>
	for pallet_escrow::Pallet<T>
{
	fn max_record_len() -> usize {
		pallet_escrow::EscrowOf::<T>::max_encoded_len()
	}
	fn open(
		id: EscrowId,
		payer: &T::AccountId,
		amount: pallet_escrow::BalanceOf<T>,
	) -> DispatchResult {
		pallet_escrow::Pallet::<T>::open(id, payer, amount)
	}
	fn assign(
		id: EscrowId,
		payee: &T::AccountId,
		rate: pallet_escrow::RateOf<T>,
	) -> DispatchResult {
		pallet_escrow::Pallet::<T>::assign(id, payee, rate)
	}
	fn start(id: EscrowId, at: BlockNumberFor<T>) -> DispatchResult {
		pallet_escrow::Pallet::<T>::start(id, at)
	}
	fn stop(id: EscrowId, at: BlockNumberFor<T>) -> DispatchResult {
		pallet_escrow::Pallet::<T>::stop(id, at)
	}
	fn finish(id: EscrowId) -> DispatchResult {
		pallet_escrow::Pallet::<T>::finish(id)
	}
	fn settle_now(id: EscrowId) -> DispatchResult {
		pallet_escrow::Pallet::<T>::settle_now(id)
	}
	fn exists(id: EscrowId) -> bool {
		pallet_escrow::Escrows::<T>::contains_key(id)
	}
	fn runway_end(id: EscrowId) -> Option<BlockNumberFor<T>> {
		pallet_escrow::Pallet::<T>::runway_end(id)
	}
}

/// The provider pallet as the market's [`ProviderRegistry`]: the runtime writes
/// `type Providers = Provider`.
impl<T: pallet_provider::Config> ProviderRegistry<T::AccountId> for pallet_provider::Pallet<T> {
	fn is_registered(who: &T::AccountId) -> bool {
		pallet_provider::Providers::<T>::contains_key(who)
	}
	fn active_profile(who: &T::AccountId) -> Option<ProviderProfile> {
		pallet_provider::Pallet::<T>::active(who).map(|p| ProviderProfile {
			encryption_key: p.encryption_key,
			region: p.attributes.region,
			capabilities: p.attributes.capabilities,
		})
	}
	fn encryption_key(who: &T::AccountId) -> Option<[u8; 32]> {
		pallet_provider::Providers::<T>::get(who).map(|p| p.encryption_key)
	}
	fn daemon_key(who: &T::AccountId) -> Option<[u8; 32]> {
		pallet_provider::Providers::<T>::get(who).map(|p| p.daemon_key)
	}
}
