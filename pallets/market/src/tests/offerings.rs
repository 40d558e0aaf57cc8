//! Offerings: who may create them, their plans and sealed details, their deposit.

use super::*;

#[test]
fn offerings_need_an_active_provider_valid_plans_and_sealed_details() {
	new_test_ext().execute_with(|| {
		let mine = sealed(PROV, &[enc_secret(PROV).public()]);
		let create = |who: u64, p, details| {
			Market::create_offering(RuntimeOrigin::signed(who), Category::Gpu, p, None, details)
		};
		assert_noop!(create(EVE, plans(price()), mine.clone()), Error::<Test>::NotActiveProvider);
		assert_noop!(create(PROV, Default::default(), mine.clone()), Error::<Test>::InvalidPlan);
		assert_noop!(
			create(PROV, plans(rate(1, &[(Unit::Job, 1), (Unit::Job, 2)])), mine.clone()),
			Error::<Test>::InvalidRate
		);
		let theirs = sealed(PROV, &[enc_secret(PROV2).public()]);
		assert_noop!(create(PROV, plans(price()), theirs), Error::<Test>::NotSealedToProvider);
		let garbage = BoundedVec::truncate_from(vec![1, 2, 3]);
		assert_noop!(create(PROV, plans(price()), garbage), Error::<Test>::InvalidEnvelope);
		let mut tampered = mine.clone();
		let n = tampered.len();
		tampered[n - 70] ^= 1;
		assert_noop!(create(PROV, plans(price()), tampered), Error::<Test>::InvalidEnvelope);
		let before = Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &PROV);
		assert_ok!(create(PROV, plans(price()), mine.clone()));
		let held = Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &PROV) - before;
		assert!(held > 4_000, "a deposit for every byte: {held}");
		assert!(!Market::first(&PROV, false));
		// Paused providers cannot create offerings; others cannot touch it.
		assert_ok!(Provider::set_paused(RuntimeOrigin::signed(PROV), true));
		assert_noop!(create(PROV, plans(price()), mine.clone()), Error::<Test>::NotActiveProvider);
		assert_noop!(
			Market::remove_offering(RuntimeOrigin::signed(PROV2), 0),
			Error::<Test>::NotAuthorized
		);
		assert_ok!(Market::remove_offering(RuntimeOrigin::signed(PROV), 0));
		assert_eq!(Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &PROV), before);
	});
}
