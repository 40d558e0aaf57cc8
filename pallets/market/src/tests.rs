#![allow(clippy::unwrap_used)]

use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use pallet_escrow::{Payouts, Rate, Unit, UsageRecord};
use sp_core::Pair;
use sp_runtime::DispatchError;
use virtengine_veid_primitives::Tier;

use crate::{
	mock::*, Bids, Blocked, Category, CloseReason, Comment, DeadlineCount, Error, LeaseState,
	Leases, OpenLeases, OrderId, OrderState, Orders, Plan, Ratings, Reviews, Target,
};

fn rate(per_hour: u64, units: &[(Unit, u64)]) -> Rate<u64> {
	Rate { per_hour, per_unit: BoundedVec::truncate_from(units.to_vec()) }
}

fn plans(r: Rate<u64>) -> BoundedVec<Plan<u64>, frame_support::traits::ConstU32<4>> {
	BoundedVec::truncate_from(vec![Plan {
		name: BoundedVec::truncate_from(b"std".to_vec()),
		rate: r,
	}])
}

/// The standard price: 100 an hour (10 a block) and 7 per job.
fn price() -> Rate<u64> {
	rate(100, &[(Unit::Job, 7)])
}

fn offering(provider: u64, tier: Option<Tier>) -> u64 {
	let id = crate::NextOffering::<Test>::get();
	assert_ok!(Market::create_offering(
		RuntimeOrigin::signed(provider),
		Category::Compute,
		plans(price()),
		tier,
		sealed(provider, &[enc_secret(provider).public()]),
	));
	id
}

fn order(customer: u64, offering: u64, funds: u64) -> OrderId {
	let id = crate::NextOrder::<Test>::get();
	let provider = crate::Offerings::<Test>::get(offering).unwrap().provider;
	assert_ok!(Market::create_order(
		RuntimeOrigin::signed(customer),
		Target::Offering { id: offering, plan: 0 },
		Some(sealed(customer, &[enc_secret(provider).public()])),
		price(),
		funds,
	));
	id
}

/// An open order of Alice's for PROV's offering, with PROV's bid at the standard price.
fn open_with_bid(funds: u64) -> OrderId {
	let o = offering(PROV, None);
	let id = order(ALICE, o, funds);
	assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, price(), 100));
	id
}

fn matched(funds: u64) -> OrderId {
	let id = open_with_bid(funds);
	assert_ok!(Market::accept_bid(RuntimeOrigin::signed(ALICE), id, PROV, price(), None));
	id
}

fn active(funds: u64) -> OrderId {
	let id = matched(funds);
	assert_ok!(Market::start_lease(RuntimeOrigin::signed(PROV), id));
	id
}

fn state(id: OrderId) -> LeaseState {
	Leases::<Test>::get(id).unwrap().state
}

fn usage(id: OrderId, seq: u32, jobs: u64) -> Result<(), DispatchError> {
	let record = UsageRecord {
		lease: id,
		seq,
		quantities: BoundedVec::truncate_from(vec![(Unit::Job, jobs)]),
	};
	let sig = daemon(PROV).sign(&pallet_escrow::usage_message(&Escrow::genesis(), &record)).0;
	Escrow::submit_usage(RuntimeOrigin::signed(PROV), record, sig)
}

fn total(who: u64) -> u64 {
	Balances::total_balance(&who)
}

#[test]
fn offerings_need_an_active_provider_valid_plans_and_sealed_details() {
	new_test_ext().execute_with(|| {
		let mine = sealed(PROV, &[enc_secret(PROV).public()]);
		let create = |who: u64, p, details| {
			Market::create_offering(RuntimeOrigin::signed(who), Category::Gpu, p, None, details)
		};
		assert_noop!(create(EVE, plans(price()), mine.clone()), Error::<Test>::NotActiveProvider);
		assert_noop!(create(PROV, Default::default(), mine.clone()), Error::<Test>::BadPlan);
		assert_noop!(
			create(PROV, plans(rate(1, &[(Unit::Job, 1), (Unit::Job, 2)])), mine.clone()),
			Error::<Test>::BadRate
		);
		let theirs = sealed(PROV, &[enc_secret(PROV2).public()]);
		assert_noop!(create(PROV, plans(price()), theirs), Error::<Test>::NotSealedToProvider);
		let garbage = BoundedVec::truncate_from(vec![1, 2, 3]);
		assert_noop!(create(PROV, plans(price()), garbage), Error::<Test>::BadEnvelope);
		let mut tampered = mine.clone();
		let n = tampered.len();
		tampered[n - 70] ^= 1;
		assert_noop!(create(PROV, plans(price()), tampered), Error::<Test>::BadEnvelope);
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
			Error::<Test>::NotOwner
		);
		assert_ok!(Market::remove_offering(RuntimeOrigin::signed(PROV), 0));
		assert_eq!(Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &PROV), before);
	});
}

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
			Error::<Test>::BadPlan
		);
		assert_noop!(
			create(ALICE, Target::Offering { id: 9, plan: 0 }, Some(to_prov.clone()), 10),
			Error::<Test>::NoOffering
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
		assert_noop!(Market::cancel_order(RuntimeOrigin::signed(BOB), 0), Error::<Test>::NotOwner);
		assert_ok!(Market::cancel_order(RuntimeOrigin::signed(ALICE), 0));
		assert_eq!(Balances::balance(&ALICE), START);
		assert!(Orders::<Test>::get(0).is_none());
	});
}

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
		assert_noop!(bid(PROV, price(), 1), Error::<Test>::BadExpiry);
		// Only the offering's provider bids on its orders.
		assert_noop!(bid(PROV2, price(), 10), Error::<Test>::RequirementsNotMet);
		assert_ok!(bid(PROV, rate(90, &[(Unit::Job, 7)]), 10));
		assert_ok!(bid(PROV, rate(80, &[]), 10));
		assert_eq!(Orders::<Test>::get(id).unwrap().bids, 1);
		assert_eq!(Bids::<Test>::get(id, PROV).unwrap().price, rate(80, &[]));
		let held = Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &PROV);
		assert_ok!(Market::withdraw_bid(RuntimeOrigin::signed(PROV), id));
		assert!(Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &PROV) < held);
		assert_noop!(Market::withdraw_bid(RuntimeOrigin::signed(PROV), id), Error::<Test>::NoBid);
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
			Error::<Test>::NoBid
		);
	});
}

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
			pallet_provider::Error::<Test>::OpenLeases
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

/// Issue 16: the provider tells the customer how to reach the workload, sealed to the customer,
/// paying for every byte until the lease's records go.
#[test]
fn access_details_are_sealed_to_the_customer_and_paid_for() {
	new_test_ext().execute_with(|| {
		let storage = |who| Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &who);
		let id = matched(100_000);
		let to_alice = sealed(PROV, &[enc_secret(ALICE).public()]);
		let set = |who, details: &crate::Sealed| {
			Market::set_access_details(RuntimeOrigin::signed(who), id, details.clone())
		};
		// Alice has no envelope key yet: nothing could be sealed to her.
		assert_noop!(set(PROV, &to_alice), Error::<Test>::NoCustomerKey);
		set_envelope_key(ALICE, Some(enc_secret(ALICE).public()));
		// Sealed to someone else; malformed; not the lease's provider.
		assert_noop!(
			set(PROV, &sealed(PROV, &[enc_secret(BOB).public()])),
			Error::<Test>::NotSealedToCustomer
		);
		assert_noop!(
			set(PROV, &BoundedVec::truncate_from(b"not an envelope".to_vec())),
			Error::<Test>::BadEnvelope
		);
		for who in [ALICE, EVE, PROV2] {
			assert_noop!(set(who, &to_alice), Error::<Test>::NotParty);
		}
		assert_noop!(
			Market::set_access_details(RuntimeOrigin::signed(PROV), 77, to_alice.clone()),
			Error::<Test>::NoLease
		);

		// Set while matched: the deposit is every byte of the record and its key.
		let before = storage(PROV);
		assert_ok!(set(PROV, &to_alice));
		System::assert_last_event(crate::Event::AccessDetailsSet { id }.into());
		let access = crate::LeaseAccess::<Test>::get(id).unwrap();
		assert_eq!(access.details, to_alice);
		assert_eq!(access.deposit, to_alice.len() as u64 + 40);
		assert_eq!(storage(PROV), before + access.deposit);
		// Replaced while active, by a longer envelope: only the new deposit stays held.
		assert_ok!(Market::start_lease(RuntimeOrigin::signed(PROV), id));
		let longer = sealed(PROV, &[enc_secret(ALICE).public(), enc_secret(BOB).public()]);
		assert!(longer.len() > to_alice.len());
		assert_ok!(set(PROV, &longer));
		assert_eq!(storage(PROV), before + longer.len() as u64 + 40);
		// Not once the lease is closing.
		assert_ok!(Market::close_lease(RuntimeOrigin::signed(ALICE), id));
		assert_noop!(set(PROV, &to_alice), Error::<Test>::BadState);
		// The records go after the review window: the deposit comes back.
		run_to(60);
		assert!(Leases::<Test>::get(id).is_none());
		assert!(crate::LeaseAccess::<Test>::get(id).is_none());
		assert_eq!(storage(PROV), before);
	});
}

#[test]
fn closing_a_matched_lease_refunds_at_once() {
	new_test_ext().execute_with(|| {
		let id = matched(1_000);
		assert_noop!(Market::close_lease(RuntimeOrigin::signed(EVE), id), Error::<Test>::NotParty);
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

#[test]
fn reviews_only_between_the_parties_once_within_the_window() {
	new_test_ext().execute_with(|| {
		let id = active(1_000);
		assert_noop!(
			Market::review(RuntimeOrigin::signed(ALICE), id, 5, Comment::default()),
			Error::<Test>::CannotReview
		);
		assert_ok!(Market::close_lease(RuntimeOrigin::signed(PROV), id));
		run_to(4);
		assert_noop!(
			Market::review(RuntimeOrigin::signed(EVE), id, 5, Comment::default()),
			Error::<Test>::NotParty
		);
		assert_noop!(
			Market::review(RuntimeOrigin::signed(ALICE), id, 0, Comment::default()),
			Error::<Test>::BadRating
		);
		assert_noop!(
			Market::review(RuntimeOrigin::signed(ALICE), id, 6, Comment::default()),
			Error::<Test>::BadRating
		);
		assert_ok!(Market::review(RuntimeOrigin::signed(ALICE), id, 2, Comment::default()));
		assert_noop!(
			Market::review(RuntimeOrigin::signed(ALICE), id, 2, Comment::default()),
			Error::<Test>::CannotReview
		);
		assert!(Reviews::<Test>::get(id, ALICE).is_some());
		run_to(30);
		assert!(Reviews::<Test>::get(id, ALICE).is_none());
		assert_noop!(
			Market::review(RuntimeOrigin::signed(PROV), id, 2, Comment::default()),
			Error::<Test>::NoLease
		);
		assert_eq!(Ratings::<Test>::get(PROV), (2, 1));
	});
}

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

#[test]
fn deadlines_are_bounded_per_block_and_none_is_lost() {
	new_test_ext().execute_with(|| {
		let o = offering(PROV, None);
		let ids: Vec<OrderId> = (0..7)
			.map(|_| {
				let id = order(ALICE, o, 100);
				assert_ok!(Market::bid(RuntimeOrigin::signed(PROV), id, price(), 100));
				assert_ok!(Market::accept_bid(
					RuntimeOrigin::signed(ALICE),
					id,
					PROV,
					price(),
					None
				));
				id
			})
			.collect();
		assert_eq!(DeadlineCount::<Test>::get(), 7);
		let closed =
			|| ids.iter().filter(|id| matches!(state(**id), LeaseState::Closed(_))).count();
		run_to(6);
		assert_eq!(closed(), 3);
		run_to(7);
		assert_eq!(closed(), 6);
		run_to(8);
		assert_eq!(closed(), 7);
		assert_eq!(DeadlineCount::<Test>::get(), 7);
		run_to(40);
		assert_eq!(DeadlineCount::<Test>::get(), 0);
		assert_eq!(Balances::balance(&ALICE), START);
	});
}

/// Writes the envelope the benchmarks use (`src/bench_envelope.scale`): the largest
/// configuration, sealed to the benchmark provider's key. Run by hand when the envelope format
/// changes; `benchmark_envelope_is_sealed_to_the_benchmark_key` checks the committed one.
#[test]
#[ignore]
fn write_benchmark_envelope() {
	use codec::Encode;
	let public = virtengine_envelope::kdf::public_key(&crate::BENCH_ENC_SECRET);
	let key = virtengine_envelope::SenderKey::Sr25519(sp_core::sr25519::Pair::from_seed(&[3; 32]));
	let envelope = virtengine_envelope::seal(
		&vec![b'x'; 3_700],
		&[public],
		&key,
		b"order-config",
		0,
		&virtengine_envelope::Limits::DEFAULT,
	)
	.unwrap();
	let bytes = envelope.encode();
	assert!(bytes.len() <= 4096, "{}", bytes.len());
	let path = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
		.join("src/bench_envelope.scale");
	std::fs::write(path, bytes).unwrap();
}

#[test]
fn benchmark_envelope_is_sealed_to_the_benchmark_key() {
	new_test_ext().execute_with(|| {
		let public = virtengine_envelope::kdf::public_key(&crate::BENCH_ENC_SECRET);
		let bytes = std::fs::read(
			std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
				.join("src/bench_envelope.scale"),
		)
		.unwrap();
		assert!(bytes.len() > 3_700 && bytes.len() <= 4096);
		assert_ok!(Market::check_sealed(&bytes, &public));
		assert_noop!(
			Market::check_sealed(&bytes, &enc_secret(PROV).public()),
			Error::<Test>::NotSealedToProvider
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
