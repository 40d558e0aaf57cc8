//! Providers blocking customers.

use super::*;

#[test]
fn providers_can_block_customers() {
	new_test_ext().execute_with(|| {
		let o = offering(PROV, None);
		let id = order(ALICE, o, 1_000);
		assert_noop!(
			Market::block_customer(RuntimeOrigin::signed(EVE), ALICE),
			Error::<Test>::NotActiveProvider
		);
		let held = || Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &PROV);
		let before = held();
		assert_ok!(Market::block_customer(RuntimeOrigin::signed(PROV), ALICE));
		System::assert_last_event(
			crate::Event::CustomerBlocked { provider: PROV, customer: ALICE }.into(),
		);
		assert_eq!(held(), before + 96);
		assert_noop!(
			Market::block_customer(RuntimeOrigin::signed(PROV), ALICE),
			Error::<Test>::AlreadyBlocked
		);
		assert!(Blocked::<Test>::contains_key(PROV, ALICE));
		assert_noop!(
			Market::bid(RuntimeOrigin::signed(PROV), id, price(), 50),
			Error::<Test>::Blocked
		);
		assert_noop!(
			Market::create_order(
				RuntimeOrigin::signed(ALICE),
				Target::Offering { id: o, plan: 0 },
				Some(sealed(ALICE, &[enc_secret(PROV).public()])),
				price(),
				10,
			),
			Error::<Test>::Blocked
		);
		// Bob is not blocked.
		order(BOB, o, 10);
		assert_ok!(Market::unblock_customer(RuntimeOrigin::signed(PROV), ALICE));
		System::assert_last_event(
			crate::Event::CustomerUnblocked { provider: PROV, customer: ALICE }.into(),
		);
		assert_eq!(held(), before);
		assert_noop!(
			Market::unblock_customer(RuntimeOrigin::signed(PROV), ALICE),
			Error::<Test>::NotBlocked
		);
		assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, price(), 50));
	});
}
