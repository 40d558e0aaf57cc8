//! The security review's attacks on staff powers and on `CheckAccountState` (issue 14, item 10),
//! each written as the attack: the test passes when the attack fails.

use frame_support::{assert_noop, assert_ok};
use sp_runtime::transaction_validity::InvalidTransaction;

use super::{check, put_in};
use crate::{
	extension::{SUSPENDED, TERMINATED},
	mock::*,
	AccountState, Error,
};

/// The appeal window the mock gives a staff termination, in blocks.
const WINDOW: u64 = 10;

fn remark() -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark { remark: vec![] })
}

fn batch(calls: Vec<RuntimeCall>) -> RuntimeCall {
	RuntimeCall::Wrap(wrap::Call::batch { calls })
}

fn as_derivative(index: u16, call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Wrap(wrap::Call::as_derivative { index, call: Box::new(call) })
}

fn dispatch_as(who: u64, call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Wrap(wrap::Call::dispatch_as { who, call: Box::new(call) })
}

fn close_lease() -> RuntimeCall {
	RuntimeCall::Wrap(wrap::Call::close_lease { id: 1 })
}

fn dispute() -> RuntimeCall {
	RuntimeCall::Wrap(wrap::Call::dispute { id: 1, seq: 0 })
}

fn create_order() -> RuntimeCall {
	RuntimeCall::Wrap(wrap::Call::create_order { funds: 5 })
}

const SUSPENDED_ERR: InvalidTransaction = InvalidTransaction::Custom(SUSPENDED);
const TERMINATED_ERR: InvalidTransaction = InvalidTransaction::Custom(TERMINATED);

// --- c) wrappers: the account a call acts as is checked, not only the signer ---

#[test]
fn suspended_derivative_acts_through_its_active_parent() {
	new_test_ext().execute_with(|| {
		let d = derivative(CUSTOMER, 0);
		put_in(d, AccountState::Suspended);
		assert_eq!(check(CUSTOMER, as_derivative(0, remark())), Err(SUSPENDED_ERR.into()));
		// The derivative may still do what a suspended account may.
		assert_eq!(check(CUSTOMER, as_derivative(0, close_lease())), Ok(()));
	});
}

#[test]
fn terminated_derivative_acts_from_inside_nested_batches() {
	new_test_ext().execute_with(|| {
		let d = derivative(CUSTOMER, 3);
		put_in(d, AccountState::Terminated);
		let hidden = batch(vec![remark(), batch(vec![as_derivative(3, remark())])]);
		assert_eq!(check(CUSTOMER, hidden), Err(TERMINATED_ERR.into()));
		// Another derivative of the same signer is not affected.
		assert_eq!(check(CUSTOMER, batch(vec![as_derivative(4, remark())])), Ok(()));
	});
}

#[test]
fn terminated_account_acts_through_dispatch_as() {
	new_test_ext().execute_with(|| {
		put_in(CUSTOMER, AccountState::Terminated);
		assert_eq!(check(GENESIS, dispatch_as(CUSTOMER, remark())), Err(TERMINATED_ERR.into()));
		put_in(PROVIDER, AccountState::Suspended);
		assert_eq!(
			check(GENESIS, batch(vec![dispatch_as(PROVIDER, create_order())])),
			Err(SUSPENDED_ERR.into())
		);
	});
}

#[test]
fn derivative_of_a_suspended_or_terminated_account_inherits_its_state() {
	new_test_ext().execute_with(|| {
		put_in(CUSTOMER, AccountState::Suspended);
		// The derivative itself is Active, but acts for a suspended account.
		assert_eq!(check(CUSTOMER, as_derivative(0, create_order())), Err(SUSPENDED_ERR.into()));
		assert_eq!(check(CUSTOMER, as_derivative(0, close_lease())), Ok(()));
		put_in(PROVIDER, AccountState::Terminated);
		assert_eq!(check(PROVIDER, as_derivative(0, close_lease())), Err(TERMINATED_ERR.into()));
		// Through dispatch_as too: a derivative of a terminated account is refused.
		assert_eq!(
			check(GENESIS, dispatch_as(PROVIDER, as_derivative(1, close_lease()))),
			Err(TERMINATED_ERR.into())
		);
	});
}

#[test]
fn wrappers_nested_beyond_the_bound_hide_their_calls() {
	new_test_ext().execute_with(|| {
		let mut call = remark();
		for _ in 0..4 {
			call = batch(vec![call]);
		}
		assert_eq!(check(CUSTOMER, call.clone()), Ok(()), "four wrappers deep are looked through");
		call = batch(vec![call]);
		assert_eq!(
			check(CUSTOMER, call),
			Err(InvalidTransaction::Custom(crate::extension::TOO_DEEP).into())
		);
	});
}

// --- b) a suspended customer keeps the calls that protect its funds ---

#[test]
fn provider_bills_a_suspended_customer_who_cannot_close_or_dispute() {
	new_test_ext().execute_with(|| {
		put_in(CUSTOMER, AccountState::Suspended);
		assert_eq!(check(CUSTOMER, close_lease()), Ok(()), "closing its lease");
		assert_eq!(check(CUSTOMER, dispute()), Ok(()), "disputing usage");
		assert_eq!(check(CUSTOMER, batch(vec![close_lease(), dispute()])), Ok(()));
		// Nothing else: not a new order, not a remark, not inside a batch either.
		assert_eq!(check(CUSTOMER, create_order()), Err(SUSPENDED_ERR.into()));
		assert_eq!(
			check(CUSTOMER, batch(vec![close_lease(), remark()])),
			Err(SUSPENDED_ERR.into())
		);
		// A terminated account keeps nothing.
		put_in(PROVIDER, AccountState::Terminated);
		assert_eq!(check(PROVIDER, close_lease()), Err(TERMINATED_ERR.into()));
	});
}

// --- a) a single Administrator key cannot terminate at once and for good ---

#[test]
fn one_administrator_key_flags_and_terminates_at_once() {
	new_test_ext().execute_with(|| {
		let admin = RuntimeOrigin::signed(ADMIN);
		// The same calls a batch would carry.
		assert_ok!(Roles::flag(admin.clone(), CUSTOMER, [1; 32]));
		assert_ok!(Roles::terminate(admin, CUSTOMER, [2; 32]));
		// Suspended for the appeal window, not terminated.
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Suspended);
		assert_eq!(check(CUSTOMER, close_lease()), Ok(()));
		assert_ok!(Roles::appeal(RuntimeOrigin::signed(CUSTOMER), [3; 32]));
		// Another administrator (or governance) reverses it within the window.
		System::set_block_number(WINDOW);
		assert_ok!(Roles::reinstate(RuntimeOrigin::signed(GENESIS), CUSTOMER));
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Active);
		// Suspended anew later: no termination pending from before.
		put_in(CUSTOMER, AccountState::Suspended);
		System::set_block_number(10 * WINDOW);
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Suspended);
	});
}

#[test]
fn a_staff_termination_takes_effect_after_the_appeal_window() {
	new_test_ext().execute_with(|| {
		assert_ok!(Roles::suspend(RuntimeOrigin::signed(MODERATOR), CUSTOMER, [1; 32]));
		assert_ok!(Roles::terminate(RuntimeOrigin::signed(ADMIN), CUSTOMER, [2; 32]));
		assert_noop!(
			Roles::terminate(RuntimeOrigin::signed(GENESIS), CUSTOMER, [2; 32]),
			Error::<Test>::TerminationPending
		);
		System::set_block_number(WINDOW);
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Suspended, "last block of the window");
		System::set_block_number(WINDOW + 1);
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Terminated);
		assert_eq!(check(CUSTOMER, close_lease()), Err(TERMINATED_ERR.into()));
		// Staff cannot undo it any more.
		assert_noop!(
			Roles::reinstate(RuntimeOrigin::signed(GENESIS), CUSTOMER),
			Error::<Test>::AlreadyTerminated
		);
	});
}

#[test]
fn root_cannot_reverse_a_termination() {
	new_test_ext().execute_with(|| {
		put_in(CUSTOMER, AccountState::Terminated);
		assert_ok!(Roles::reinstate(RuntimeOrigin::root(), CUSTOMER));
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Active);
		assert_eq!(check(CUSTOMER, remark()), Ok(()));
	});
}

#[test]
fn governance_terminates_at_once() {
	new_test_ext().execute_with(|| {
		put_in(CUSTOMER, AccountState::Suspended);
		assert_ok!(Roles::terminate(RuntimeOrigin::root(), CUSTOMER, [2; 32]));
		assert_eq!(Roles::state(&CUSTOMER), AccountState::Terminated);
	});
}
