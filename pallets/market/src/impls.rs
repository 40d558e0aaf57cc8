//! The other pallets' traits the market implements: it tells the provider pallet how many leases
//! a provider has open, and the escrow what happens to the leases it pays for.

use frame_system::pallet_prelude::BlockNumberFor;
use pallet_escrow::EscrowId;

use crate::{
	pallet::{Config, Leases, OpenLeases, Pallet},
	LeaseState,
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
		pallet_provider::Providers::<T>::get(provider).map(|p| p.daemon_key)
	}
}
