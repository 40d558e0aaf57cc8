//! Leases: the state machine, the SLA timeouts, the money a lease moves.

use super::*;

/// The state machine: every action in every state.
#[test]
fn state_machine_table() {
	#[derive(Clone, Copy, Debug)]
	enum S {
		Open,
		Matched,
		Active,
		Closing,
		Closed,
	}
	#[derive(Clone, Copy, Debug)]
	enum A {
		Cancel,
		Accept,
		Start,
		Heartbeat,
		Close,
		Review,
	}
	use A::*;
	// Which actions each state allows.
	let table: [(S, &[A]); 5] = [
		(S::Open, &[Cancel, Accept]),
		(S::Matched, &[Start, Close]),
		(S::Active, &[Heartbeat, Close]),
		(S::Closing, &[]),
		(S::Closed, &[Review]),
	];
	for (s, allowed) in table {
		for a in [Cancel, Accept, Start, Heartbeat, Close, Review] {
			new_test_ext().execute_with(|| {
				let id = match s {
					S::Open => open_with_bid(1_000),
					S::Matched => matched(1_000),
					S::Active => active(1_000),
					S::Closing => {
						let id = active(1_000);
						assert_ok!(Market::close_lease(RuntimeOrigin::signed(ALICE), id));
						id
					},
					S::Closed => {
						let id = active(1_000);
						assert_ok!(Market::close_lease(RuntimeOrigin::signed(ALICE), id));
						run_to(10);
						id
					},
				};
				let result = match a {
					Cancel => Market::cancel_order(RuntimeOrigin::signed(ALICE), id),
					Accept => {
						Market::accept_bid(RuntimeOrigin::signed(ALICE), id, PROV, price(), None)
					},
					Start => Market::start_lease(RuntimeOrigin::signed(PROV), id),
					Heartbeat => Market::heartbeat(RuntimeOrigin::signed(PROV), id),
					Close => Market::close_lease(RuntimeOrigin::signed(ALICE), id),
					Review => {
						Market::review(RuntimeOrigin::signed(ALICE), id, 5, Comment::default())
					},
				};
				let expected =
					allowed.iter().any(|x| std::mem::discriminant(x) == std::mem::discriminant(&a));
				assert_eq!(result.is_ok(), expected, "{a:?} in {s:?}: {result:?}");
			});
		}
	}
}

#[test]
fn matched_but_not_provisioned_is_cancelled_and_refunded() {
	new_test_ext().execute_with(|| {
		let id = matched(1_000);
		assert_eq!(OpenLeases::<Test>::get(PROV), 1);
		assert_noop!(
			Provider::deregister(RuntimeOrigin::signed(PROV)),
			pallet_provider::Error::<Test>::LeasesStillOpen
		);
		run_to(5);
		assert_eq!(state(id), LeaseState::Matched);
		run_to(6); // matched at 1, provision timeout 5
		assert_eq!(state(id), LeaseState::Closed(CloseReason::NotProvisioned));
		assert_eq!(OpenLeases::<Test>::get(PROV), 0);
		// Funds back at once; the deposit when the review window ends (no reviews: it never ran).
		let deposit = Orders::<Test>::get(id).unwrap().deposit;
		assert_eq!(Balances::balance(&ALICE), START - deposit);
		assert_noop!(
			Market::review(RuntimeOrigin::signed(ALICE), id, 1, Comment::default()),
			Error::<Test>::CannotReview
		);
		run_to(26);
		assert!(Leases::<Test>::get(id).is_none() && Orders::<Test>::get(id).is_none());
		assert_eq!(Balances::balance(&ALICE), START);
		assert_eq!(DeadlineCount::<Test>::get(), 0);
		assert_ok!(Provider::deregister(RuntimeOrigin::signed(PROV)));
	});
}

#[test]
fn closing_a_matched_lease_refunds_at_once() {
	new_test_ext().execute_with(|| {
		let id = matched(1_000);
		assert_noop!(
			Market::close_lease(RuntimeOrigin::signed(EVE), id),
			Error::<Test>::NotLeaseParty
		);
		assert_ok!(Market::close_lease(RuntimeOrigin::signed(PROV), id));
		assert_eq!(state(id), LeaseState::Closed(CloseReason::ByProvider));
		assert!(pallet_escrow::Escrows::<Test>::get(id).is_none());
	});
}

#[test]
fn no_heartbeat_closes_and_stops_the_rate_where_it_lapsed() {
	new_test_ext().execute_with(|| {
		let id = active(100_000); // started at 1; heartbeat timeout 6
		run_to(4);
		assert_ok!(Market::heartbeat(RuntimeOrigin::signed(PROV), id));
		run_to(9);
		assert_eq!(state(id), LeaseState::Active);
		// Settling in between never charges past the lapse.
		run_to(10);
		assert_eq!(state(id), LeaseState::Closing(CloseReason::NoHeartbeat));
		let e = pallet_escrow::Escrows::<Test>::get(id).unwrap();
		assert_eq!(e.accrue_until, Some(10));
		run_to(12);
		assert_eq!(state(id), LeaseState::Closed(CloseReason::NoHeartbeat));
		// 9 blocks at 10 a block.
		assert_eq!(Payouts::<Test>::get(PROV) + Payouts::<Test>::get(99), 90);
		assert_eq!(Balances::balance_on_hold(&pallet_escrow::HoldReason::Escrow.into(), &ALICE), 0);
	});
}

#[test]
fn heartbeats_and_usage_keep_a_lease_alive() {
	new_test_ext().execute_with(|| {
		let id = active(100_000);
		for n in (5..=40).step_by(5) {
			run_to(n);
			if n % 10 == 0 {
				assert_ok!(usage(id, n as u32, 1));
			} else {
				assert_ok!(Market::heartbeat(RuntimeOrigin::signed(PROV), id));
			}
		}
		run_to(45);
		assert_eq!(state(id), LeaseState::Active);
		run_to(46);
		assert_eq!(state(id), LeaseState::Closing(CloseReason::NoHeartbeat));
	});
}

#[test]
fn funds_running_out_close_the_lease() {
	new_test_ext().execute_with(|| {
		// 10 a block, 250 funds: covered through block 1 + 25.
		let id = active(250);
		assert_eq!(pallet_escrow::Pallet::<Test>::runway_end(id), Some(26));
		for n in (5..=25).step_by(5) {
			run_to(n);
			assert_ok!(Market::heartbeat(RuntimeOrigin::signed(PROV), id));
		}
		run_to(26);
		assert_eq!(state(id), LeaseState::Closing(CloseReason::FundsExhausted));
		run_to(40);
		assert_eq!(state(id), LeaseState::Closed(CloseReason::FundsExhausted));
		// Everything paid, nothing more.
		assert_eq!(Payouts::<Test>::get(PROV) + Payouts::<Test>::get(99), 250);
	});
}

#[test]
fn usage_beyond_the_funds_closes_the_lease_when_settled_by_anyone() {
	new_test_ext().execute_with(|| {
		let id = active(100);
		assert_ok!(usage(id, 1, 20)); // 140 > 100
		assert_eq!(state(id), LeaseState::Closing(CloseReason::FundsExhausted));
	});
}

#[test]
fn full_lease_adds_up_to_the_unit() {
	new_test_ext().execute_with(|| {
		let (a0, p0, f0) = (total(ALICE), total(PROV), total(99));
		let id = active(10_000); // started at block 1
		run_to(4);
		assert_ok!(usage(id, 1, 3)); // 21 at block 4, payable from 7
		assert_noop!(usage(id, 1, 3), pallet_escrow::Error::<Test>::Replayed);
		run_to(8);
		assert_ok!(Market::heartbeat(RuntimeOrigin::signed(PROV), id));
		// Anyone settles; twice pays once.
		assert_ok!(Escrow::settle(RuntimeOrigin::signed(EVE), id));
		assert_ok!(Escrow::settle(RuntimeOrigin::signed(EVE), id));
		// 7 blocks (70) + 21 = 91; fee floor(0.91) = 0.
		assert_eq!(Payouts::<Test>::get(PROV), 91);
		run_to(11);
		assert_ok!(Market::close_lease(RuntimeOrigin::signed(ALICE), id)); // rate stops at 11
		assert_ok!(usage(id, 2, 1)); // final usage while closing: 7
		run_to(13);
		assert_eq!(state(id), LeaseState::Closed(CloseReason::ByCustomer));
		// The final record waits for its window, then anyone settles it.
		run_to(15);
		assert_ok!(Escrow::settle(RuntimeOrigin::signed(EVE), id));
		assert!(pallet_escrow::Escrows::<Test>::get(id).is_none());
		// Gross: 10 blocks (100) + 21 + 7 = 128; fee floor(1.28) = 1.
		let (payout, fee) = (Payouts::<Test>::get(PROV), Payouts::<Test>::get(99));
		assert_eq!((payout, fee), (127, 1));
		assert_ok!(Escrow::withdraw(RuntimeOrigin::signed(PROV)));
		// Reviews, then the records go and every deposit comes back.
		assert_ok!(Market::review(
			RuntimeOrigin::signed(ALICE),
			id,
			4,
			Comment::truncate_from(b"fast".to_vec())
		));
		assert_ok!(Market::review(RuntimeOrigin::signed(PROV), id, 5, Comment::default()));
		run_to(40);
		assert!(Leases::<Test>::get(id).is_none());
		assert_eq!(Ratings::<Test>::get(PROV), (4, 1));
		assert_eq!(Ratings::<Test>::get(ALICE), (5, 1));
		assert_eq!(Balances::balance(&ALICE), START - 128);
		assert_eq!(total(ALICE), a0 - 128);
		assert_eq!(total(PROV), p0 + 127);
		assert_eq!(total(99), f0 + 1);
		// PROV's only holds left, once its offering goes, are its registration and domain claim.
		assert_ok!(Market::remove_offering(RuntimeOrigin::signed(PROV), 0));
		assert_eq!(
			Balances::balance(&PROV)
				+ pallet_provider::Pallet::<Test>::deposit_for()
				+ pallet_provider::Pallet::<Test>::claim_deposit(),
			p0 + 127
		);
		assert_eq!(DeadlineCount::<Test>::get(), 0);
		pallet_escrow::Pallet::<Test>::check_invariant().unwrap();
	});
}

/// Issue 14: the heartbeat lapsed at block 7, but the deadline queue is behind (under load
/// deadlines run late), so at block 10 the lease is still marked active. A late heartbeat or usage
/// record does not revive it, and whoever closes it, the rate stops at the lapse.
#[test]
fn a_lapsed_lease_is_not_billed_past_its_lapse_when_deadlines_lag() {
	new_test_ext().execute_with(|| {
		let id = active(100_000); // started at 1; heartbeat timeout 6: lapses at 7
							// Blocks 2..=10 pass without the deadline being processed.
		System::set_block_number(10);
		assert_eq!(state(id), LeaseState::Active);
		assert_noop!(Market::heartbeat(RuntimeOrigin::signed(PROV), id), Error::<Test>::TimedOut);
		assert_ok!(usage(id, 1, 1));
		assert_eq!(Leases::<Test>::get(id).unwrap().last_seen, 1);
		assert_ok!(Market::close_lease(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(state(id), LeaseState::Closing(CloseReason::NoHeartbeat));
		assert_eq!(pallet_escrow::Escrows::<Test>::get(id).unwrap().accrue_until, Some(7));
		run_to(20);
		assert!(matches!(state(id), LeaseState::Closed(_)));
		assert_ok!(Escrow::settle(RuntimeOrigin::signed(EVE), id)); // the job, after its window
		let paid = Payouts::<Test>::get(PROV) + Payouts::<Test>::get(99);
		// 6 blocks at 10 and the one job (7).
		assert_eq!(paid, 67, "billed {} blocks; the lease lapsed after 6", (paid - 7) / 10);
	});
}

/// The same lag at the provision timeout: a matched lease past it is not started.
#[test]
fn a_lease_past_its_provision_timeout_is_not_started_when_deadlines_lag() {
	new_test_ext().execute_with(|| {
		let id = matched(1_000); // matched at 1; provision timeout 5
		System::set_block_number(6);
		assert_noop!(Market::start_lease(RuntimeOrigin::signed(PROV), id), Error::<Test>::TimedOut);
		assert_ok!(Market::close_lease(RuntimeOrigin::signed(PROV), id));
		assert_eq!(state(id), LeaseState::Closed(CloseReason::NotProvisioned));
		assert_eq!(Balances::balance_on_hold(&pallet_escrow::HoldReason::Escrow.into(), &ALICE), 0);
	});
}

/// Issue 14, item 10 (the market's side): the calls that protect a customer's funds ask nothing
/// but that it is the lease's or order's customer: not its identity tier, not the provider's
/// standing. A suspended account is confined by the runtime's `CheckAccountState`, which lets
/// exactly these through (`close_lease`, `dispute`, `cancel_order`).
#[test]
fn a_customer_can_always_close_dispute_and_cancel() {
	new_test_ext().execute_with(|| {
		let o = offering(PROV, Some(Tier::Basic));
		set_tier(ALICE, Some(Tier::Basic));
		let open = order(ALICE, o, 1_000);
		let id = order(ALICE, o, 10_000);
		assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, price(), 100));
		assert_ok!(Market::accept_bid(RuntimeOrigin::signed(ALICE), id, PROV, price(), None));
		assert_ok!(Market::start_lease(RuntimeOrigin::signed(PROV), id));
		run_to(3);
		assert_ok!(usage(id, 1, 2));
		// Alice loses her identity tier; the provider is suspended by governance.
		set_tier(ALICE, None);
		assert_ok!(Provider::suspend(RuntimeOrigin::root(), PROV));
		assert_ok!(Escrow::dispute(RuntimeOrigin::signed(ALICE), id, 1));
		assert_ok!(Market::close_lease(RuntimeOrigin::signed(ALICE), id));
		assert_ok!(Market::cancel_order(RuntimeOrigin::signed(ALICE), open));
		assert_eq!(state(id), LeaseState::Closing(CloseReason::ByCustomer));
		// The rate stopped at 3 (2 blocks); the disputed record waits for governance.
		run_to(10);
		assert_eq!(Payouts::<Test>::get(PROV) + Payouts::<Test>::get(99), 20);
		assert_eq!(
			Balances::balance_on_hold(&pallet_escrow::HoldReason::Escrow.into(), &ALICE),
			14
		);
	});
}
