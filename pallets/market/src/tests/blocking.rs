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
		assert_ok!(Market::block_customer(RuntimeOrigin::signed(PROV), ALICE));
		assert_noop!(
			Market::block_customer(RuntimeOrigin::signed(PROV), ALICE),
			Error::<Test>::NoChange
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
		assert_noop!(
			Market::unblock_customer(RuntimeOrigin::signed(PROV), ALICE),
			Error::<Test>::NoChange
		);
		assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, price(), 50));
	});
}
