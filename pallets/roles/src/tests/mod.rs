//! The pallet's tests by feature: roles and the nomination table ([`nomination`]), account states
//! and appeals ([`states`]), the transaction extension ([`check_account_state`]), the role origin
//! ([`origins`]) and the security review's attacks ([`attacks`]); each table row a case. The
//! helpers below put accounts in states and run the extension's check.

#![allow(clippy::panic)]

mod attacks;
mod check_account_state;
mod nomination;
mod origins;
mod states;

use frame_support::{assert_ok, dispatch::DispatchInfo, pallet_prelude::TransactionSource};
use sp_runtime::{
	traits::DispatchTransaction, transaction_validity::TransactionValidityError, DispatchResult,
};

use crate::{mock::*, AccountState, CheckAccountState};

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
