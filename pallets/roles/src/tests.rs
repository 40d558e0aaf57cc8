//! The nomination table, the account-state transition table, appeals, the origins and the
//! transaction extension, each row a case.

#![allow(clippy::panic)]

mod attacks;

use frame_support::{
	assert_noop, assert_ok,
	dispatch::DispatchInfo,
	pallet_prelude::TransactionSource,
	parameter_types,
	traits::{EnsureOrigin, Get},
};
use sp_runtime::{
	traits::DispatchTransaction,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	DispatchResult,
};

use crate::{
	extension::{SUSPENDED, TERMINATED},
	mock::*,
	AccountState, CheckAccountState, EnsureRole, Error, Role, Roles as RolesMap,
};

const FRESH: u64 = 100;

fn as_root(f: impl FnOnce(RuntimeOrigin) -> DispatchResult) {
	assert_ok!(f(RuntimeOrigin::root()));
}

/// Puts `who` in `state` through governance, by the allowed path.
fn put_in(who: u64, state: AccountState) {
	match state {
		AccountState::Active => {},
		AccountState::Flagged => as_root(|o| Roles::flag(o, who, [1; 32])),
		AccountState::Suspended => as_root(|o| Roles::suspend(o, who, [1; 32])),
		AccountState::Terminated => {
			as_root(|o| Roles::suspend(o, who, [1; 32]));
			as_root(|o| Roles::terminate(o, who, [2; 32]));
		},
	}
	assert_eq!(Roles::state(&who), state);
}

#[test]
fn the_nomination_table() {
	// (actor, roles it may grant and revoke)
	let table: [(u64, &[Role]); 7] = [
		(
			GENESIS,
			&[
				Role::Administrator,
				Role::Moderator,
				Role::Validator,
				Role::ServiceProvider,
				Role::SupportAgent,
			],
		),
		(ADMIN, &[Role::Moderator, Role::ServiceProvider, Role::SupportAgent]),
		(MODERATOR, &[]),
		(PROVIDER, &[]),
		(SUPPORT, &[]),
		(VALIDATOR, &[]),
		(CUSTOMER, &[]),
	];
	for (actor, allowed) in table {
		for role in Role::GRANTABLE {
			new_test_ext().execute_with(|| {
				let origin = RuntimeOrigin::signed(actor);
				if allowed.contains(&role) {
					assert_ok!(Roles::grant(origin.clone(), FRESH, role));
					assert!(Roles::has_role(&FRESH, role));
					assert_ok!(Roles::revoke(origin, FRESH, role));
					assert!(!Roles::has_role(&FRESH, role));
				} else {
					assert_noop!(
						Roles::grant(origin.clone(), FRESH, role),
						Error::<Test>::MayNotNominate
					);
					as_root(|o| Roles::grant(o, FRESH, role));
					assert_noop!(Roles::revoke(origin, FRESH, role), Error::<Test>::MayNotNominate);
				}
			});
		}
	}
}

#[test]
fn governance_grants_anything_and_customer_is_implicit() {
	new_test_ext().execute_with(|| {
		as_root(|o| Roles::grant(o, FRESH, Role::GenesisAccount));
		assert!(Roles::has_role(&FRESH, Role::GenesisAccount));
		assert!(Roles::has_role(&CUSTOMER, Role::Customer));
		assert!(Roles::has_role(&FRESH, Role::Customer));
		assert_noop!(
			Roles::grant(RuntimeOrigin::root(), FRESH, Role::Customer),
			Error::<Test>::ImplicitRole
		);
		assert_noop!(
			Roles::grant(RuntimeOrigin::root(), ADMIN, Role::Administrator),
			Error::<Test>::AlreadyHeld
		);
		assert_noop!(
			Roles::revoke(RuntimeOrigin::root(), CUSTOMER, Role::Moderator),
			Error::<Test>::NotHeld
		);
		assert_ok!(Roles::renounce(RuntimeOrigin::signed(ADMIN), Role::Administrator));
		assert!(!Roles::has_role(&ADMIN, Role::Administrator));
		assert_eq!(RolesMap::<Test>::get(GENESIS).rank(), 3);
	});
}

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
	// (action, from, to or None for BadTransition)
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
					assert_eq!(result, Err(Error::<Test>::Terminated.into()), "terminated is final")
				},
				(None, _) => {
					assert_eq!(
						result,
						Err(Error::<Test>::BadTransition.into()),
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
					assert_eq!(result, Err(Error::<Test>::MayNotAct.into()), "{actor} {action:?}");
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
		assert_noop!(Roles::appeal(c.clone(), [9; 32]), Error::<Test>::CannotAppeal);
		put_in(CUSTOMER, AccountState::Suspended);
		assert_noop!(
			Roles::reject_appeal(RuntimeOrigin::signed(ADMIN), CUSTOMER),
			Error::<Test>::NoAppeal
		);
		assert_ok!(Roles::appeal(c.clone(), [9; 32]));
		assert_noop!(Roles::appeal(c.clone(), [8; 32]), Error::<Test>::CannotAppeal);
		// A moderator may not decide appeals.
		assert_noop!(
			Roles::reject_appeal(RuntimeOrigin::signed(MODERATOR), CUSTOMER),
			Error::<Test>::MayNotAct
		);
		assert_ok!(Roles::reject_appeal(RuntimeOrigin::signed(ADMIN), CUSTOMER));
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Suspended);
		assert_noop!(Roles::appeal(c.clone(), [8; 32]), Error::<Test>::CannotAppeal);
		// Reinstated, then suspended anew: a new appeal is possible.
		assert_ok!(Roles::reinstate(RuntimeOrigin::signed(ADMIN), CUSTOMER));
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Active);
		put_in(CUSTOMER, AccountState::Suspended);
		assert_ok!(Roles::appeal(c, [7; 32]));
	});
}

fn check(who: u64, call: RuntimeCall) -> Result<(), TransactionValidityError> {
	CheckAccountState::<Test>::new()
		.validate_only(
			RuntimeOrigin::signed(who),
			&call,
			&DispatchInfo::default(),
			0,
			TransactionSource::External,
			0,
		)
		.map(|_| ())
}

#[test]
fn suspended_accounts_may_only_appeal_and_terminated_ones_nothing() {
	new_test_ext().execute_with(|| {
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		let appeal = RuntimeCall::Roles(crate::Call::appeal { statement: [1; 32] });
		for state in [AccountState::Active, AccountState::Flagged] {
			new_test_ext().execute_with(|| {
				put_in(CUSTOMER, state);
				assert_eq!(check(CUSTOMER, remark.clone()), Ok(()), "{state:?}");
			});
		}
		put_in(CUSTOMER, AccountState::Suspended);
		assert_eq!(
			check(CUSTOMER, remark.clone()),
			Err(InvalidTransaction::Custom(SUSPENDED).into())
		);
		assert_eq!(check(CUSTOMER, appeal.clone()), Ok(()));
		as_root(|o| Roles::terminate(o, CUSTOMER, [0; 32]));
		assert_eq!(check(CUSTOMER, appeal), Err(InvalidTransaction::Custom(TERMINATED).into()));
		assert_eq!(check(CUSTOMER, remark), Err(InvalidTransaction::Custom(TERMINATED).into()));
	});
}

parameter_types! {
	pub const AdministratorRole: Role = Role::Administrator;
	pub const ModeratorRole: Role = Role::Moderator;
	pub const ProviderRole: Role = Role::ServiceProvider;
}

fn passes<R: Get<Role>>(who: u64) -> bool {
	EnsureRole::<Test, R>::try_origin(RuntimeOrigin::signed(who)).is_ok()
}

#[test]
fn role_origins_for_other_pallets() {
	new_test_ext().execute_with(|| {
		assert!(passes::<AdministratorRole>(ADMIN));
		assert!(passes::<AdministratorRole>(GENESIS), "outranks");
		assert!(!passes::<AdministratorRole>(MODERATOR));
		assert!(passes::<ModeratorRole>(ADMIN), "outranks");
		assert!(passes::<ProviderRole>(PROVIDER));
		assert!(!passes::<ProviderRole>(GENESIS), "not a staff role: held or not");
		assert!(!passes::<ProviderRole>(CUSTOMER));
		assert!(EnsureRole::<Test, AdministratorRole>::try_origin(RuntimeOrigin::root()).is_err());
		put_in(ADMIN, AccountState::Suspended);
		assert!(!passes::<AdministratorRole>(ADMIN), "a suspended administrator");
	});
}

use frame_support::weights::Weight;
use sp_runtime::traits::TransactionExtension as _;

/// The weight `CheckAccountState` leaves charged for `call` signed by `who`.
fn charged(who: u64, call: &RuntimeCall) -> Result<Weight, TransactionValidityError> {
	let ext = CheckAccountState::<Test>::new();
	let info = DispatchInfo::default();
	let upfront = ext.weight(call);
	let (pre, _) = ext.validate_and_prepare(RuntimeOrigin::signed(who), call, &info, 0, 0)?;
	let post = frame_support::dispatch::PostDispatchInfo::default();
	let unspent = CheckAccountState::<Test>::post_dispatch_details(pre, &info, &post, 0, &Ok(()))?;
	Ok(upfront - unspent)
}

#[test]
fn an_account_in_good_standing_is_charged_one_read_a_suspended_one_two() {
	new_test_ext().execute_with(|| {
		let read = <Test as frame_system::Config>::DbWeight::get().reads(1);
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		let appeal = RuntimeCall::Roles(crate::Call::appeal { statement: [1; 32] });
		assert_eq!(CheckAccountState::<Test>::new().weight(&remark), read * 2);
		// No record (every ordinary account), and a flagged one: the state alone.
		assert_eq!(charged(CUSTOMER, &remark), Ok(read));
		put_in(CUSTOMER, AccountState::Flagged);
		assert_eq!(charged(CUSTOMER, &remark), Ok(read));
		// Suspended: its termination was read too.
		put_in(CUSTOMER, AccountState::Suspended);
		assert_eq!(charged(CUSTOMER, &appeal), Ok(read * 2));
	});
}
