//! The security review's attacks on account states through the real runtime's calls (issue 14,
//! item 10): `CheckAccountState` with this runtime's wrappers (pallet_utility, sudo) and its
//! fund-protecting calls (pallet_market, pallet_escrow). The pallet's own tests
//! (`pallets/roles/src/tests/attacks.rs`) cover the same attacks on its mock.

use frame_support::traits::Get;
use frame_support::{assert_ok, dispatch::DispatchInfo, pallet_prelude::TransactionSource};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::DispatchTransaction,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
	BuildStorage, MultiAddress,
};
use virtengine_runtime::{AccountId, OriginCaller, Roles, Runtime, RuntimeCall, RuntimeOrigin, VE};

use pallet_roles::{AccountState, CheckAccountState, SUSPENDED, TERMINATED, TOO_DEEP};

fn ext() -> sp_io::TestExternalities {
	let storage =
		frame_system::GenesisConfig::<Runtime>::default().build_storage().expect("system genesis");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| frame_system::Pallet::<Runtime>::set_block_number(1));
	ext
}

fn account(k: Sr25519Keyring) -> AccountId {
	k.to_account_id()
}

/// `CheckAccountState` as the pool and block builder run it for a transaction `who` signs.
fn check(who: &AccountId, call: RuntimeCall) -> Result<(), TransactionValidityError> {
	CheckAccountState::<Runtime>::new()
		.validate_only(
			RuntimeOrigin::signed(who.clone()),
			&call,
			&DispatchInfo::default(),
			0,
			TransactionSource::External,
			0,
		)
		.map(|_| ())
}

fn refused(code: u8) -> Result<(), TransactionValidityError> {
	Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(code)))
}

/// Governance suspends (or terminates) `who`.
fn put_in(who: &AccountId, state: AccountState) {
	assert_ok!(Roles::suspend(RuntimeOrigin::root(), who.clone(), [1; 32]));
	if state == AccountState::Terminated {
		assert_ok!(Roles::terminate(RuntimeOrigin::root(), who.clone(), [2; 32]));
	}
	assert_eq!(Roles::state(who), state);
}

fn transfer() -> RuntimeCall {
	RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: MultiAddress::Id(account(Sr25519Keyring::Ferdie)),
		value: VE,
	})
}

fn close_lease() -> RuntimeCall {
	RuntimeCall::Market(pallet_market::Call::close_lease { id: 0 })
}

fn dispute() -> RuntimeCall {
	RuntimeCall::Escrow(pallet_escrow::Call::dispute { id: 0, seq: 0 })
}

fn top_up() -> RuntimeCall {
	RuntimeCall::Escrow(pallet_escrow::Call::top_up { id: 0, amount: VE })
}

fn batch(calls: Vec<RuntimeCall>) -> RuntimeCall {
	RuntimeCall::Utility(pallet_utility::Call::batch_all { calls })
}

fn as_derivative(index: u16, call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Utility(pallet_utility::Call::as_derivative { index, call: Box::new(call) })
}

fn dispatch_as(who: &AccountId, call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Utility(pallet_utility::Call::dispatch_as {
		as_origin: Box::new(OriginCaller::system(frame_system::RawOrigin::Signed(who.clone()))),
		call: Box::new(call),
	})
}

fn sudo(call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(call) })
}

#[test]
fn provider_bills_a_suspended_customer_who_cannot_close_or_dispute() {
	ext().execute_with(|| {
		let bob = account(Sr25519Keyring::Bob);
		put_in(&bob, AccountState::Suspended);
		assert_eq!(check(&bob, close_lease()), Ok(()));
		assert_eq!(check(&bob, dispute()), Ok(()));
		assert_eq!(check(&bob, batch(vec![close_lease(), dispute()])), Ok(()));
		// Cancelling an open order returns the customer's held funds (orders never expire).
		let cancel = RuntimeCall::Market(pallet_market::Call::cancel_order { id: 0 });
		assert_eq!(check(&bob, cancel), Ok(()));
		// Authorizing a lease closing the account's own MFA requirements ask for.
		let authorize = |call: RuntimeCall| {
			RuntimeCall::Mfa(pallet_mfa::Call::authorize {
				call: Box::new(call),
				proofs: Default::default(),
			})
		};
		assert_eq!(check(&bob, authorize(close_lease())), Ok(()));
		// Nothing else.
		assert_eq!(check(&bob, authorize(transfer())), refused(SUSPENDED));
		assert_eq!(check(&bob, top_up()), refused(SUSPENDED));
		assert_eq!(check(&bob, transfer()), refused(SUSPENDED));
		assert_eq!(check(&bob, batch(vec![close_lease(), transfer()])), refused(SUSPENDED));
		let charlie = account(Sr25519Keyring::Charlie);
		put_in(&charlie, AccountState::Terminated);
		assert_eq!(check(&charlie, close_lease()), refused(TERMINATED));
	});
}

#[test]
fn suspended_derivative_acts_through_its_active_parent() {
	ext().execute_with(|| {
		let bob = account(Sr25519Keyring::Bob);
		let derivative = pallet_utility::derivative_account_id(bob.clone(), 0);
		put_in(&derivative, AccountState::Suspended);
		assert_eq!(check(&bob, as_derivative(0, transfer())), refused(SUSPENDED));
		assert_eq!(
			check(&bob, batch(vec![transfer(), batch(vec![as_derivative(0, transfer())])])),
			refused(SUSPENDED)
		);
		assert_eq!(check(&bob, as_derivative(0, close_lease())), Ok(()));
		assert_eq!(check(&bob, as_derivative(1, transfer())), Ok(()), "another derivative");
	});
}

#[test]
fn derivative_of_a_terminated_account_is_refused() {
	ext().execute_with(|| {
		let charlie = account(Sr25519Keyring::Charlie);
		put_in(&charlie, AccountState::Terminated);
		let alice = account(Sr25519Keyring::Alice);
		// Through root's dispatch_as, the terminated account's derivative may not act either.
		assert_eq!(
			check(&alice, sudo(dispatch_as(&charlie, as_derivative(0, close_lease())))),
			refused(TERMINATED)
		);
	});
}

#[test]
fn terminated_account_acts_through_sudo_as_and_dispatch_as() {
	ext().execute_with(|| {
		let alice = account(Sr25519Keyring::Alice);
		let charlie = account(Sr25519Keyring::Charlie);
		put_in(&charlie, AccountState::Terminated);
		assert_eq!(check(&alice, sudo(dispatch_as(&charlie, transfer()))), refused(TERMINATED));
		let sudo_as = RuntimeCall::Sudo(pallet_sudo::Call::sudo_as {
			who: MultiAddress::Id(charlie.clone()),
			call: Box::new(transfer()),
		});
		assert_eq!(check(&alice, sudo_as), refused(TERMINATED));
		// Root's own calls are not an account's.
		assert_eq!(check(&alice, sudo(transfer())), Ok(()));
	});
}

#[test]
fn wrappers_nested_beyond_the_bound_hide_their_calls() {
	ext().execute_with(|| {
		let bob = account(Sr25519Keyring::Bob);
		let mut call = transfer();
		for _ in 0..4 {
			call = batch(vec![call]);
		}
		assert_eq!(check(&bob, call.clone()), Ok(()));
		assert_eq!(check(&bob, batch(vec![call])), refused(TOO_DEEP));
	});
}

#[test]
fn one_administrator_key_flags_and_terminates_at_once() {
	ext().execute_with(|| {
		let admin = account(Sr25519Keyring::Dave);
		let bob = account(Sr25519Keyring::Bob);
		assert_ok!(Roles::grant(
			RuntimeOrigin::root(),
			admin.clone(),
			pallet_roles::Role::Administrator
		));
		let flag_and_terminate = RuntimeCall::Utility(pallet_utility::Call::batch_all {
			calls: vec![
				RuntimeCall::Roles(pallet_roles::Call::flag { who: bob.clone(), reason: [1; 32] }),
				RuntimeCall::Roles(pallet_roles::Call::terminate {
					who: bob.clone(),
					reason: [2; 32],
				}),
			],
		});
		use sp_runtime::traits::Dispatchable;
		assert_ok!(flag_and_terminate.dispatch(RuntimeOrigin::signed(admin)));
		assert_eq!(Roles::state(&bob), AccountState::Suspended, "in its appeal window");
		assert_eq!(check(&bob, close_lease()), Ok(()));
		let due = 1 + <<Runtime as pallet_roles::Config>::TerminationDelay as Get<u32>>::get();
		frame_system::Pallet::<Runtime>::set_block_number(due);
		assert_eq!(Roles::state(&bob), AccountState::Terminated);
		// Governance reverses it.
		assert_ok!(Roles::reinstate(RuntimeOrigin::root(), bob.clone()));
		assert_eq!(Roles::state(&bob), AccountState::Active);
		assert_eq!(check(&bob, transfer()), Ok(()));
	});
}
