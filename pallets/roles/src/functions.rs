//! The pallet's logic, called by the thin dispatchables in `lib.rs`, and the [`EnsureRole`]
//! origin check.

use frame_support::{ensure, pallet_prelude::*, traits::EnsureOrigin};
use frame_system::pallet_prelude::*;
use sp_runtime::{traits::CheckedAdd, ArithmeticError};

use crate::{
	pallet::{Config, Error, Event, Pallet, Roles, States, TerminationsDue},
	AccountState, Actor, EnsureRole, Role, RoleSet, StateRecord,
};

/// Ranks needed for state changes: Moderator (1) flags, clears and suspends; Administrator
/// (2) reinstates, terminates and rejects appeals.
const MODERATOR: u8 = 1;
const ADMINISTRATOR: u8 = 2;

impl<T: Config> Pallet<T> {
	/// Who `origin` is: governance, or a signed account in good standing (Active or Flagged)
	/// with its roles.
	pub(crate) fn actor(origin: OriginFor<T>) -> Result<Actor<T::AccountId>, DispatchError> {
		if T::GovernanceOrigin::try_origin(origin.clone()).is_ok() {
			return Ok(Actor::Governance);
		}
		let who = ensure_signed(origin)?;
		ensure!(
			matches!(Self::state(&who), AccountState::Active | AccountState::Flagged),
			Error::<T>::CallerNotActive
		);
		let roles = Roles::<T>::get(&who);
		Ok(Actor::Account(who, roles))
	}

	fn by(actor: &Actor<T::AccountId>) -> Option<T::AccountId> {
		match actor {
			Actor::Governance => None,
			Actor::Account(who, _) => Some(who.clone()),
		}
	}

	/// An account's state (Active when nothing is stored). A suspended account whose
	/// termination by staff is due is Terminated.
	pub fn state(who: &T::AccountId) -> AccountState {
		match States::<T>::get(who).map(|r| r.state) {
			None => AccountState::Active,
			Some(AccountState::Suspended) => match TerminationsDue::<T>::get(who) {
				Some(due) if frame_system::Pallet::<T>::block_number() >= due => {
					AccountState::Terminated
				},
				_ => AccountState::Suspended,
			},
			Some(state) => state,
		}
	}

	/// Whether `who` holds `role` (every account is a Customer).
	pub fn has_role(who: &T::AccountId, role: Role) -> bool {
		Roles::<T>::get(who).has(role)
	}

	/// Checks that `actor` may move `target` with a staff action needing `min_rank`, and
	/// returns the target's current state.
	fn may_act(
		actor: &Actor<T::AccountId>,
		target: &T::AccountId,
		min_rank: u8,
	) -> Result<AccountState, DispatchError> {
		if let Actor::Account(_, roles) = actor {
			ensure!(roles.rank() >= min_rank, Error::<T>::StateChangeNotAuthorized);
			ensure!(roles.rank() > Roles::<T>::get(target).rank(), Error::<T>::Outranked);
		}
		let state = Self::state(target);
		ensure!(state != AccountState::Terminated, Error::<T>::AlreadyTerminated);
		Ok(state)
	}

	/// A staff state change: `who` must be in one of `from_states`; it moves to `to`.
	fn transition(
		actor: Actor<T::AccountId>,
		who: T::AccountId,
		min_rank: u8,
		from_states: &[AccountState],
		to: AccountState,
		reason: [u8; 32],
	) -> DispatchResult {
		let from = Self::may_act(&actor, &who, min_rank)?;
		ensure!(from_states.contains(&from), Error::<T>::InvalidTransition);
		Self::set_state(&actor, who, from, to, reason);
		Ok(())
	}

	fn set_state(
		actor: &Actor<T::AccountId>,
		target: T::AccountId,
		from: AccountState,
		to: AccountState,
		reason: [u8; 32],
	) {
		let by = Self::by(actor);
		if to == AccountState::Active {
			States::<T>::remove(&target);
		} else {
			States::<T>::insert(
				&target,
				StateRecord::<T> {
					state: to,
					since: frame_system::Pallet::<T>::block_number(),
					by: by.clone(),
					reason,
					appeal: None,
				},
			);
		}
		// A suspended account whose termination was scheduled only has its record renewed.
		if from != to {
			Self::deposit_event(Event::StateChanged { who: target, from, to, by });
		}
	}

	pub(crate) fn do_grant(
		actor: Actor<T::AccountId>,
		who: T::AccountId,
		role: Role,
	) -> DispatchResult {
		ensure!(role != Role::Customer, Error::<T>::ImplicitRole);
		if let Actor::Account(_, roles) = &actor {
			ensure!(roles.may_nominate(role), Error::<T>::NotAuthorized);
		}
		let set = Roles::<T>::get(&who);
		ensure!(!set.has(role), Error::<T>::RoleAlreadyExists);
		Roles::<T>::insert(&who, set.with(role));
		Self::deposit_event(Event::RoleGranted { who, role, by: Self::by(&actor) });
		Ok(())
	}

	pub(crate) fn do_revoke(
		actor: Actor<T::AccountId>,
		who: T::AccountId,
		role: Role,
	) -> DispatchResult {
		ensure!(role != Role::Customer, Error::<T>::ImplicitRole);
		if let Actor::Account(_, roles) = &actor {
			ensure!(roles.may_nominate(role), Error::<T>::NotAuthorized);
		}
		let set = Roles::<T>::get(&who);
		ensure!(set.has(role), Error::<T>::RoleNotFound);
		let rest = set.without(role);
		if rest == RoleSet::default() {
			Roles::<T>::remove(&who);
		} else {
			Roles::<T>::insert(&who, rest);
		}
		Self::deposit_event(Event::RoleRevoked { who, role, by: Self::by(&actor) });
		Ok(())
	}

	pub(crate) fn do_renounce(who: T::AccountId, role: Role) -> DispatchResult {
		ensure!(role != Role::Customer, Error::<T>::ImplicitRole);
		let set = Roles::<T>::get(&who);
		ensure!(set.has(role), Error::<T>::RoleNotFound);
		Roles::<T>::insert(&who, set.without(role));
		Self::deposit_event(Event::RoleRevoked { who: who.clone(), role, by: Some(who) });
		Ok(())
	}

	pub(crate) fn do_flag(
		actor: Actor<T::AccountId>,
		who: T::AccountId,
		reason: [u8; 32],
	) -> DispatchResult {
		use AccountState::*;
		Self::transition(actor, who, MODERATOR, &[Active], Flagged, reason)
	}

	pub(crate) fn do_clear(actor: Actor<T::AccountId>, who: T::AccountId) -> DispatchResult {
		use AccountState::*;
		Self::transition(actor, who, MODERATOR, &[Flagged], Active, [0; 32])
	}

	pub(crate) fn do_suspend(
		actor: Actor<T::AccountId>,
		who: T::AccountId,
		reason: [u8; 32],
	) -> DispatchResult {
		use AccountState::*;
		Self::transition(actor, who, MODERATOR, &[Active, Flagged], Suspended, reason)
	}

	pub(crate) fn do_reinstate(actor: Actor<T::AccountId>, who: T::AccountId) -> DispatchResult {
		use AccountState::*;
		let from = match actor {
			Actor::Governance => Self::state(&who),
			Actor::Account(..) => Self::may_act(&actor, &who, ADMINISTRATOR)?,
		};
		ensure!(matches!(from, Suspended | Terminated), Error::<T>::InvalidTransition);
		TerminationsDue::<T>::remove(&who);
		Self::set_state(&actor, who, from, Active, [0; 32]);
		Ok(())
	}

	pub(crate) fn do_terminate(
		actor: Actor<T::AccountId>,
		who: T::AccountId,
		reason: [u8; 32],
	) -> DispatchResult {
		use AccountState::*;
		let from = Self::may_act(&actor, &who, ADMINISTRATOR)?;
		ensure!(matches!(from, Flagged | Suspended), Error::<T>::InvalidTransition);
		let Actor::Account(by, _) = &actor else {
			TerminationsDue::<T>::remove(&who);
			Self::set_state(&actor, who, from, Terminated, reason);
			return Ok(());
		};
		ensure!(!TerminationsDue::<T>::contains_key(&who), Error::<T>::TerminationPending);
		let due = frame_system::Pallet::<T>::block_number()
			.checked_add(&T::TerminationDelay::get())
			.ok_or(ArithmeticError::Overflow)?;
		let by = by.clone();
		// A fresh record: the reason is the termination's, and the account may appeal it.
		Self::set_state(&actor, who.clone(), from, Suspended, reason);
		TerminationsDue::<T>::insert(&who, due);
		Self::deposit_event(Event::TerminationScheduled { who, due, by });
		Ok(())
	}

	pub(crate) fn do_appeal(who: T::AccountId, statement: [u8; 32]) -> DispatchResult {
		// Not once a termination is due (the record still says Suspended).
		ensure!(Self::state(&who) == AccountState::Suspended, Error::<T>::AppealNotAllowed);
		States::<T>::try_mutate(&who, |record| -> DispatchResult {
			let record = record.as_mut().ok_or(Error::<T>::AppealNotAllowed)?;
			ensure!(
				record.state == AccountState::Suspended && record.appeal.is_none(),
				Error::<T>::AppealNotAllowed
			);
			record.appeal = Some(statement);
			Ok(())
		})?;
		Self::deposit_event(Event::Appealed { who, statement });
		Ok(())
	}

	pub(crate) fn do_reject_appeal(
		actor: Actor<T::AccountId>,
		who: T::AccountId,
	) -> DispatchResult {
		let state = Self::may_act(&actor, &who, ADMINISTRATOR)?;
		ensure!(state == AccountState::Suspended, Error::<T>::InvalidTransition);
		let record = States::<T>::get(&who).ok_or(Error::<T>::AppealNotFound)?;
		ensure!(record.appeal.is_some(), Error::<T>::AppealNotFound);
		Self::deposit_event(Event::AppealRejected { who });
		Ok(())
	}
}

impl<T: Config, R: Get<Role>> EnsureOrigin<T::RuntimeOrigin> for EnsureRole<T, R> {
	type Success = T::AccountId;

	fn try_origin(o: T::RuntimeOrigin) -> Result<T::AccountId, T::RuntimeOrigin> {
		let who = match o.clone().into() {
			Ok(frame_system::RawOrigin::Signed(who)) => who,
			_ => return Err(o),
		};
		let role = R::get();
		let roles = Roles::<T>::get(&who);
		let standing =
			matches!(Pallet::<T>::state(&who), AccountState::Active | AccountState::Flagged);
		let holds = roles.has(role) || (role.rank() > 0 && roles.rank() > role.rank());
		if standing && holds {
			Ok(who)
		} else {
			Err(o)
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin() -> Result<T::RuntimeOrigin, ()> {
		Err(())
	}
}
