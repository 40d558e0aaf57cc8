//! `CheckAccountState`: what suspended and terminated accounts may dispatch, and what the check
//! charges.

use frame_support::{dispatch::DispatchInfo, weights::Weight};
use sp_runtime::{
	traits::{DispatchTransaction, TransactionExtension as _},
	transaction_validity::{InvalidTransaction, TransactionValidityError},
};

use super::{as_root, check, put_in};
use crate::{
	extension::{SUSPENDED, TERMINATED},
	mock::*,
	AccountState, CheckAccountState,
};

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
