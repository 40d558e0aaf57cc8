//! The account-state transition table, who may change states, the staff hierarchy, appeals.

use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchResult;

use super::{as_root, put_in, FRESH};
use crate::{mock::*, AccountState, Error, Role};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Action {
	Flag,
	Clear,
	Suspend,
	Reinstate,
	Terminate,
}

fn act(actor: RuntimeOrigin, action: Action, who: u64) -> DispatchResult {
	match action {
		Action::Flag => Roles::flag(actor, who, [3; 32]),
		Action::Clear => Roles::clear(actor, who),
		Action::Suspend => Roles::suspend(actor, who, [3; 32]),
		Action::Reinstate => Roles::reinstate(actor, who),
		Action::Terminate => Roles::terminate(actor, who, [3; 32]),
	}
}

#[test]
fn the_account_state_table() {
	use AccountState::*;
	use Action::*;
	// (action, from, to or None for InvalidTransition)
	let table: [(Action, AccountState, Option<AccountState>); 16] = [
		(Flag, Active, Some(Flagged)),
		(Flag, Flagged, None),
		(Flag, Suspended, None),
		(Clear, Flagged, Some(Active)),
		(Clear, Active, None),
		(Clear, Suspended, None),
		(Suspend, Active, Some(Suspended)),
		(Suspend, Flagged, Some(Suspended)),
		(Suspend, Suspended, None),
		(Reinstate, Suspended, Some(Active)),
		(Reinstate, Active, None),
		(Reinstate, Flagged, None),
		// By staff: suspended now, terminated after the appeal window (`tests::attacks`).
		(Terminate, Flagged, Some(Suspended)),
		(Terminate, Suspended, Some(Suspended)),
		(Terminate, Active, None),
		(Flag, Terminated, None),
	];
	for (action, from, to) in table {
		new_test_ext().execute_with(|| {
			put_in(CUSTOMER, from);
			let result = act(RuntimeOrigin::signed(GENESIS), action, CUSTOMER);
			match (to, from) {
				(Some(to), _) => {
					assert_ok!(result);
					assert_eq!(Roles::state(&CUSTOMER), to, "{action:?} from {from:?}");
				},
				(None, Terminated) => {
					assert_eq!(
						result,
						Err(Error::<Test>::AlreadyTerminated.into()),
						"terminated is final"
					)
				},
				(None, _) => {
					assert_eq!(
						result,
						Err(Error::<Test>::InvalidTransition.into()),
						"{action:?} from {from:?}"
					)
				},
			}
		});
	}
}

#[test]
fn who_may_change_states() {
	use Action::*;
	// (actor, actions it may take on a customer)
	let table: [(u64, &[Action]); 7] = [
		(GENESIS, &[Flag, Clear, Suspend, Reinstate, Terminate]),
		(ADMIN, &[Flag, Clear, Suspend, Reinstate, Terminate]),
		(MODERATOR, &[Flag, Clear, Suspend]),
		(SUPPORT, &[]),
		(PROVIDER, &[]),
		(VALIDATOR, &[]),
		(CUSTOMER, &[]),
	];
	for (actor, allowed) in table {
		for action in [Flag, Clear, Suspend, Reinstate, Terminate] {
			new_test_ext().execute_with(|| {
				let target = FRESH;
				// The state each action starts from.
				put_in(
					target,
					match action {
						Flag | Suspend => AccountState::Active,
						Clear | Terminate => AccountState::Flagged,
						Reinstate => AccountState::Suspended,
					},
				);
				let result = act(RuntimeOrigin::signed(actor), action, target);
				if allowed.contains(&action) {
					assert_ok!(result);
				} else {
					assert_eq!(
						result,
						Err(Error::<Test>::StateChangeNotAuthorized.into()),
						"{actor} {action:?}"
					);
				}
			});
		}
	}
}

#[test]
fn staff_act_only_on_accounts_they_outrank() {
	new_test_ext().execute_with(|| {
		let m = RuntimeOrigin::signed(MODERATOR);
		assert_noop!(Roles::suspend(m.clone(), ADMIN, [0; 32]), Error::<Test>::Outranked);
		as_root(|o| Roles::grant(o, FRESH, Role::Moderator));
		assert_noop!(Roles::suspend(m.clone(), FRESH, [0; 32]), Error::<Test>::Outranked);
		assert_noop!(
			Roles::suspend(RuntimeOrigin::signed(ADMIN), GENESIS, [0; 32]),
			Error::<Test>::Outranked
		);
		assert_ok!(Roles::suspend(RuntimeOrigin::signed(ADMIN), MODERATOR, [0; 32]));
		// A suspended moderator acts on no one.
		assert_noop!(Roles::flag(m, CUSTOMER, [0; 32]), Error::<Test>::CallerNotActive);
		// Governance acts on anyone.
		as_root(|o| Roles::suspend(o, GENESIS, [0; 32]));
	});
}

#[test]
fn a_suspension_is_appealed_once_then_reinstated_or_kept() {
	new_test_ext().execute_with(|| {
		let c = RuntimeOrigin::signed(CUSTOMER);
		assert_noop!(Roles::appeal(c.clone(), [9; 32]), Error::<Test>::AppealNotAllowed);
		put_in(CUSTOMER, AccountState::Suspended);
		assert_noop!(
			Roles::reject_appeal(RuntimeOrigin::signed(ADMIN), CUSTOMER),
			Error::<Test>::AppealNotFound
		);
		assert_ok!(Roles::appeal(c.clone(), [9; 32]));
		assert_noop!(Roles::appeal(c.clone(), [8; 32]), Error::<Test>::AppealNotAllowed);
		// A moderator may not decide appeals.
		assert_noop!(
			Roles::reject_appeal(RuntimeOrigin::signed(MODERATOR), CUSTOMER),
			Error::<Test>::StateChangeNotAuthorized
		);
		assert_ok!(Roles::reject_appeal(RuntimeOrigin::signed(ADMIN), CUSTOMER));
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Suspended);
		assert_noop!(Roles::appeal(c.clone(), [8; 32]), Error::<Test>::AppealNotAllowed);
		// Reinstated, then suspended anew: a new appeal is possible.
		assert_ok!(Roles::reinstate(RuntimeOrigin::signed(ADMIN), CUSTOMER));
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Active);
		put_in(CUSTOMER, AccountState::Suspended);
		assert_ok!(Roles::appeal(c, [7; 32]));
	});
}
