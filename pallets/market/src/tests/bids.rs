//! Bids: who may bid, within which price, requirements orders, expiry and raised bids.

use super::*;

#[test]
fn bid_rules() {
	new_test_ext().execute_with(|| {
		let o = offering(PROV, None);
		let id = order(ALICE, o, 1_000);
		let bid =
			|who, r: Rate<u64>, expires| Market::bid(RuntimeOrigin::signed(who), id, r, expires);
		assert_noop!(bid(EVE, price(), 10), Error::<Test>::NotActiveProvider);
		assert_noop!(bid(PROV, rate(101, &[(Unit::Job, 7)]), 10), Error::<Test>::PriceTooHigh);
		assert_noop!(
			bid(PROV, rate(100, &[(Unit::GpuSecond, 1)]), 10),
			Error::<Test>::PriceTooHigh
		);
		assert_noop!(bid(PROV, price(), 1), Error::<Test>::InvalidExpiry);
		// Only the offering's provider bids on its orders.
		assert_noop!(bid(PROV2, price(), 10), Error::<Test>::RequirementsNotMet);
		assert_ok!(bid(PROV, rate(90, &[(Unit::Job, 7)]), 10));
		assert_ok!(bid(PROV, rate(80, &[]), 10));
		assert_eq!(Orders::<Test>::get(id).unwrap().bids, 1);
		assert_eq!(Bids::<Test>::get(id, PROV).unwrap().price, rate(80, &[]));
		let held = Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &PROV);
		assert_ok!(Market::withdraw_bid(RuntimeOrigin::signed(PROV), id));
		assert!(Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &PROV) < held);
		assert_noop!(
			Market::withdraw_bid(RuntimeOrigin::signed(PROV), id),
			Error::<Test>::BidNotFound
		);
		// Paused providers make no bids.
		assert_ok!(Provider::set_paused(RuntimeOrigin::signed(PROV), true));
		assert_noop!(bid(PROV, price(), 10), Error::<Test>::NotActiveProvider);
	});
}

#[test]
fn requirements_orders_take_bids_from_providers_that_meet_them() {
	new_test_ext().execute_with(|| {
		register(12, enc_secret(12).public(), daemon(12).public().0);
		register(13, enc_secret(13).public(), daemon(13).public().0);
		register(14, enc_secret(14).public(), daemon(14).public().0);
		let req = |region: &[u8], capabilities| Target::Requirements {
			category: Category::Gpu,
			region: BoundedVec::truncate_from(region.to_vec()),
			capabilities,
		};
		let gpu = pallet_provider::capability::GPU;
		let slurm = pallet_provider::capability::SLURM;
		assert_ok!(Market::create_order(
			RuntimeOrigin::signed(ALICE),
			req(b"eu-central", gpu),
			None,
			price(),
			1_000
		));
		assert_ok!(Market::create_order(
			RuntimeOrigin::signed(ALICE),
			req(b"us-east", 0),
			None,
			price(),
			1_000
		));
		assert_ok!(Market::create_order(
			RuntimeOrigin::signed(ALICE),
			req(b"", slurm),
			None,
			price(),
			1_000
		));
		assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), 0, price(), 50));
		assert_noop!(
			Market::bid(RuntimeOrigin::signed(PROV), 1, price(), 50),
			Error::<Test>::RequirementsNotMet
		);
		assert_noop!(
			Market::bid(RuntimeOrigin::signed(PROV), 2, price(), 50),
			Error::<Test>::RequirementsNotMet
		);
		// At most MaxBids (4) bids.
		for p in [PROV2, 12, 13] {
			assert_ok!(Market::bid(RuntimeOrigin::signed(p), 0, price(), 50));
		}
		assert_noop!(
			Market::bid(RuntimeOrigin::signed(14), 0, price(), 50),
			Error::<Test>::TooManyBids
		);
		// Accepting needs the configuration sealed to the chosen provider.
		assert_noop!(
			Market::accept_bid(RuntimeOrigin::signed(ALICE), 0, 12, price(), None),
			Error::<Test>::ConfigRequired
		);
		let wrong = sealed(ALICE, &[enc_secret(13).public()]);
		assert_noop!(
			Market::accept_bid(RuntimeOrigin::signed(ALICE), 0, 12, price(), Some(wrong)),
			Error::<Test>::NotSealedToProvider
		);
		let holds: Vec<u64> = [PROV, PROV2, 12, 13]
			.iter()
			.map(|p| Balances::balance_on_hold(&crate::HoldReason::Storage.into(), p))
			.collect();
		let right = sealed(ALICE, &[enc_secret(12).public()]);
		assert_ok!(Market::accept_bid(RuntimeOrigin::signed(ALICE), 0, 12, price(), Some(right)));
		// Every bid's deposit went back.
		for (p, before) in [PROV, PROV2, 12, 13].iter().zip(holds) {
			assert!(Balances::balance_on_hold(&crate::HoldReason::Storage.into(), p) < before);
			assert!(Bids::<Test>::get(0, p).is_none());
		}
		assert_eq!(Leases::<Test>::get(0).unwrap().provider, 12);
	});
}

#[test]
fn expired_bids_cannot_be_accepted() {
	new_test_ext().execute_with(|| {
		let o = offering(PROV, None);
		let id = order(ALICE, o, 1_000);
		assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, price(), 3));
		run_to(4);
		assert_noop!(
			Market::accept_bid(RuntimeOrigin::signed(ALICE), id, PROV, price(), None),
			Error::<Test>::BidExpired
		);
		assert_noop!(
			Market::accept_bid(RuntimeOrigin::signed(ALICE), id, PROV2, price(), None),
			Error::<Test>::BidNotFound
		);
	});
}

/// Issue 14: the customer reviews PROV's bid and accepts it; PROV raises its bid (within the
/// order's maximum) and the raise lands first. The acceptance names the price the customer saw
/// and is refused; a bid lowered meanwhile is still accepted, at its lower price.
#[test]
fn a_bid_raised_before_acceptance_is_refused() {
	new_test_ext().execute_with(|| {
		let o = offering(PROV, None);
		let id = order(ALICE, o, 1_000);
		let seen = rate(60, &[(Unit::Job, 7)]);
		assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, seen.clone(), 100));
		// Alice accepts what she saw; PROV's raise to the order's maximum lands first.
		assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, price(), 100));
		assert_noop!(
			Market::accept_bid(RuntimeOrigin::signed(ALICE), id, PROV, seen.clone(), None),
			Error::<Test>::PriceChanged
		);
		// A new unit priced counts as a raise too.
		let extra = rate(60, &[(Unit::Job, 7), (Unit::EgressGb, 0)]);
		let any = Target::Requirements {
			category: Category::Compute,
			region: Default::default(),
			capabilities: 0,
		};
		assert_ok!(Market::create_order(
			RuntimeOrigin::signed(BOB),
			any,
			None,
			rate(100, &[(Unit::Job, 7), (Unit::EgressGb, 1)]),
			1_000,
		));
		assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), 1, extra, 100));
		assert_noop!(
			Market::accept_bid(RuntimeOrigin::signed(BOB), 1, PROV, seen.clone(), None),
			Error::<Test>::PriceChanged
		);
		// Lowered meanwhile: accepted at the bid's price.
		let lower = rate(50, &[(Unit::Job, 6)]);
		assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, lower.clone(), 100));
		assert_ok!(Market::accept_bid(RuntimeOrigin::signed(ALICE), id, PROV, seen, None));
		assert_eq!(Leases::<Test>::get(id).unwrap().price, lower);
		assert_eq!(pallet_escrow::Escrows::<Test>::get(id).unwrap().rate, lower);
	});
}
