//! Disputes and their resolution by governance.

use super::*;

#[test]
fn disputes_hold_payment_until_governance_decides() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(0, &[(Unit::Job, 100)]));
		assert_ok!(submit(PROVIDER, &record(1, 1, &[(Unit::Job, 1)])));
		assert_ok!(submit(PROVIDER, &record(1, 2, &[(Unit::Job, 2)])));
		assert_noop!(
			Escrow::dispute(RuntimeOrigin::signed(EVE), 1, 1),
			Error::<Test>::NotAuthorized
		);
		assert_ok!(Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 1));
		assert_noop!(
			Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 1),
			Error::<Test>::AlreadyDisputed
		);
		assert_noop!(
			Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 9),
			Error::<Test>::RecordNotFound
		);
		run_to(6);
		assert_noop!(
			Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 2),
			Error::<Test>::WindowPassed
		);
		settle(1);
		// Record 2 paid (200, fee 2), record 1 waits.
		assert_eq!(Payouts::<Test>::get(PROVIDER), 198);
		assert_noop!(
			Escrow::resolve(RuntimeOrigin::signed(CUSTOMER), 1, 1, true),
			DispatchError::BadOrigin
		);
		// The lease ends: the disputed 100 stays held, the rest goes back.
		assert_ok!(Escrow::finish(1));
		assert_eq!(held(CUSTOMER), 100);
		assert_eq!(free(CUSTOMER), START - 300);
		invariant();
		// Governance rejects it: refunded, escrow removed.
		assert_ok!(Escrow::resolve(RuntimeOrigin::root(), 1, 1, false));
		assert_eq!((held(CUSTOMER), free(CUSTOMER)), (0, START - 200));
		assert!(!Escrows::<Test>::contains_key(1));
		invariant();
	});
}

#[test]
fn a_dispute_resolved_for_the_provider_is_paid_at_once() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(0, &[(Unit::Job, 100)]));
		assert_ok!(submit(PROVIDER, &record(1, 1, &[(Unit::Job, 1)])));
		assert_ok!(Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 1));
		assert_noop!(
			Escrow::resolve(RuntimeOrigin::root(), 1, 2, true),
			Error::<Test>::RecordNotFound
		);
		assert_ok!(Escrow::resolve(RuntimeOrigin::root(), 1, 1, true));
		assert_eq!(Payouts::<Test>::get(PROVIDER) + Payouts::<Test>::get(99), 100);
		assert_noop!(
			Escrow::resolve(RuntimeOrigin::root(), 1, 1, true),
			Error::<Test>::RecordNotFound
		);
		invariant();
	});
}
