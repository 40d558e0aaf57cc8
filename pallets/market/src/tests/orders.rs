//! Orders: the identity tier gate, the order rules, escrow funds and the deposit.

use super::*;

#[test]
fn orders_are_gated_by_the_offerings_identity_tier() {
	new_test_ext().execute_with(|| {
		let o = offering(PROV, Some(Tier::Standard));
		let create = |who: u64| {
			Market::create_order(
				RuntimeOrigin::signed(who),
				Target::Offering { id: o, plan: 0 },
				Some(sealed(who, &[enc_secret(PROV).public()])),
				price(),
				1_000,
			)
		};
		for tier in [None, Some(Tier::Rejected), Some(Tier::Basic)] {
			set_tier(ALICE, tier);
			assert_noop!(create(ALICE), Error::<Test>::TierTooLow);
		}
		for tier in [Tier::Standard, Tier::Premium] {
			set_tier(ALICE, Some(tier));
			assert_ok!(create(ALICE));
		}
		// An offering without a requirement takes anyone.
		let open = offering(PROV, None);
		assert_ok!(Market::create_order(
			RuntimeOrigin::signed(BOB),
			Target::Offering { id: open, plan: 0 },
			Some(sealed(BOB, &[enc_secret(PROV).public()])),
			price(),
			1_000,
		));
	});
}

#[test]
fn order_rules() {
	new_test_ext().execute_with(|| {
		let o = offering(PROV, None);
		let target = Target::Offering { id: o, plan: 0 };
		let to_prov = sealed(ALICE, &[enc_secret(PROV).public()]);
		let create = |who, target: Target, config, funds| {
			Market::create_order(RuntimeOrigin::signed(who), target, config, price(), funds)
		};
		assert_noop!(create(ALICE, target.clone(), None, 10), Error::<Test>::ConfigRequired);
		let to_other = sealed(ALICE, &[enc_secret(PROV2).public()]);
		assert_noop!(
			create(ALICE, target.clone(), Some(to_other), 10),
			Error::<Test>::NotSealedToProvider
		);
		assert_noop!(
			create(ALICE, Target::Offering { id: o, plan: 1 }, Some(to_prov.clone()), 10),
			Error::<Test>::InvalidPlan
		);
		assert_noop!(
			create(ALICE, Target::Offering { id: 9, plan: 0 }, Some(to_prov.clone()), 10),
			Error::<Test>::OfferingNotFound
		);
		assert_noop!(
			create(PROV, target.clone(), Some(to_prov.clone()), 10),
			Error::<Test>::SelfDealing
		);
		assert_noop!(
			create(ALICE, target.clone(), Some(to_prov.clone()), 0),
			pallet_escrow::Error::<Test>::ZeroAmount
		);
		let requirements = Target::Requirements {
			category: Category::Compute,
			region: Default::default(),
			capabilities: 0,
		};
		assert_noop!(
			create(ALICE, requirements.clone(), Some(to_prov.clone()), 10),
			Error::<Test>::ConfigNotYet
		);
		// Funds into escrow, a deposit for the records.
		assert_ok!(create(ALICE, target, Some(to_prov), 5_000));
		let deposit = Orders::<Test>::get(0).unwrap().deposit;
		assert_eq!(deposit, Market::order_deposit());
		assert_eq!(Balances::balance(&ALICE), START - 5_000 - deposit);
		assert_eq!(Orders::<Test>::get(0).unwrap().state, OrderState::Open);
		// Cancelled: everything back.
		assert_noop!(
			Market::cancel_order(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::NotAuthorized
		);
		assert_ok!(Market::cancel_order(RuntimeOrigin::signed(ALICE), 0));
		assert_eq!(Balances::balance(&ALICE), START);
		assert!(Orders::<Test>::get(0).is_none());
	});
}
