//! The pallet as the session's handler: the session's validators with a VEID session key are
//! the committee's members, and each session change rebuilds the committee.

use frame_support::{pallet_prelude::*, traits::OneSessionHandler};
use virtengine_veid_primitives::MemberId;

use crate::pallet::{
	CommitteeKeyOwners, CommitteeKeys, Config, Members, NextMembers, Pallet, Session,
};

/// The session key this pallet's members register: their VEID signing key.
impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
	type Public = MemberId;
}

/// The pallet follows the session: its validators with a VEID session key are the members.
impl<T: Config> OneSessionHandler<T::AccountId> for Pallet<T> {
	type Key = MemberId;

	fn on_genesis_session<'a, I>(validators: I)
	where
		I: 'a + Iterator<Item = (&'a T::AccountId, MemberId)>,
		T::AccountId: 'a,
	{
		let members = Self::bound_members(validators);
		Members::<T>::put(members.clone());
		NextMembers::<T>::put(members);
		Session::<T>::put(0);
		Self::rebuild_committee();
	}

	fn on_new_session<'a, I>(_changed: bool, validators: I, queued: I)
	where
		I: 'a + Iterator<Item = (&'a T::AccountId, MemberId)>,
		T::AccountId: 'a,
	{
		let session = Session::<T>::get().saturating_add(1);
		Session::<T>::put(session);
		Members::<T>::put(Self::bound_members(validators));
		NextMembers::<T>::put(Self::bound_members(queued));
		if let Some(old) = session.checked_sub(1) {
			// At most one key per member of that session was stored.
			let _ = CommitteeKeys::<T>::clear_prefix(old, T::MaxCommittee::get(), None);
			let _ = CommitteeKeyOwners::<T>::clear_prefix(old, T::MaxCommittee::get(), None);
		}
		Self::rebuild_committee();
	}

	fn on_disabled(_validator_index: u32) {}
}

impl<T: Config> Pallet<T> {
	/// The first `MaxCommittee` validators, with their VEID keys.
	fn bound_members<'a, I>(validators: I) -> BoundedVec<(T::AccountId, MemberId), T::MaxCommittee>
	where
		I: 'a + Iterator<Item = (&'a T::AccountId, MemberId)>,
		T::AccountId: 'a,
	{
		BoundedVec::truncate_from(
			validators
				.take(T::MaxCommittee::get() as usize)
				.map(|(account, id)| (account.clone(), id))
				.collect(),
		)
	}
}
