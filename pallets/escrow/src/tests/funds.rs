//! Holding funds, refunds, payouts and their withdrawal, the platform fees' spending.

use super::*;

#[test]
fn open_holds_and_finish_refunds() {
	new_test_ext().execute_with(|| {
		assert_ok!(Escrow::open(7, &CUSTOMER, 500));
		assert_eq!((held(CUSTOMER), free(CUSTOMER)), (500, START - 500));
		assert_noop!(Escrow::open(7, &CUSTOMER, 1), Error::<Test>::EscrowAlreadyExists);
		assert_noop!(Escrow::open(8, &CUSTOMER, 0), Error::<Test>::ZeroAmount);
		assert!(Escrow::open(8, &CUSTOMER, START * 2).is_err());
		invariant();
		// Never matched: everything goes back.
		assert_ok!(Escrow::finish(7));
		assert_eq!((held(CUSTOMER), free(CUSTOMER)), (0, START));
		assert!(!Escrows::<Test>::contains_key(7));
		invariant();
	});
}

#[test]
fn an_account_naming_itself_cannot_drain_an_escrow() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(100, &[]));
		run_to(5);
		let eve = free(EVE);
		// Eve settles: the provider is paid, not Eve.
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER) + Payouts::<Test>::get(99), 40);
		assert_eq!(Payouts::<Test>::get(EVE), 0);
		assert_noop!(
			Escrow::withdraw(RuntimeOrigin::signed(EVE)),
			Error::<Test>::NothingToWithdraw
		);
		assert_noop!(
			Escrow::top_up(RuntimeOrigin::signed(EVE), 1, 5),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Escrow::dispute(RuntimeOrigin::signed(EVE), 1, 1),
			Error::<Test>::NotAuthorized
		);
		// Usage Eve signs for herself is not the daemon's.
		assert_noop!(
			submit(EVE, &record(1, 1, &[(Unit::Job, 1)])),
			Error::<Test>::InvalidSignature
		);
		assert_eq!(free(EVE), eve);
		// The provider withdraws what it earned, once.
		let before = free(PROVIDER);
		assert_ok!(Escrow::withdraw(RuntimeOrigin::signed(PROVIDER)));
		assert_eq!(free(PROVIDER), before + 40);
		assert_noop!(
			Escrow::withdraw(RuntimeOrigin::signed(PROVIDER)),
			Error::<Test>::NothingToWithdraw
		);
		invariant();
	});
}

/// Issue 14: the platform fee is paid to an account nobody holds a key for (a pallet account in
/// the runtime), so without a spending path the fees are stuck for ever. Governance spends them;
/// nobody else can.
#[test]
fn platform_fees_can_be_spent_by_governance_only() {
	new_test_ext().execute_with(|| {
		lease(1, 10_000, rate(1_000, &[])); // 100 a block
		run_to(11);
		settle(1); // 1,000 paid, 1 % fee
		assert_eq!((Payouts::<Test>::get(99), held(99)), (10, 10));
		for who in [EVE, PROVIDER, CUSTOMER] {
			assert_noop!(
				Escrow::spend_fees(RuntimeOrigin::signed(who), who, 5),
				DispatchError::BadOrigin
			);
		}
		assert_noop!(
			Escrow::spend_fees(RuntimeOrigin::root(), EVE, 11),
			Error::<Test>::InsufficientFees
		);
		assert_noop!(Escrow::spend_fees(RuntimeOrigin::root(), EVE, 0), Error::<Test>::ZeroAmount);
		let before = free(EVE);
		assert_ok!(Escrow::spend_fees(RuntimeOrigin::root(), EVE, 6));
		assert_eq!(free(EVE), before + 6);
		assert_eq!((Payouts::<Test>::get(99), held(99)), (4, 4));
		assert_eq!(
			System::events().last().unwrap().event,
			RuntimeEvent::Escrow(Event::FeesSpent { dest: EVE, amount: 6 })
		);
		// To an account that did not exist.
		assert_ok!(Escrow::spend_fees(RuntimeOrigin::root(), 500, 4));
		assert_eq!((free(500), Payouts::<Test>::get(99), held(99)), (4, 0, 0));
		assert!(!Payouts::<Test>::contains_key(99));
		invariant();
	});
}
