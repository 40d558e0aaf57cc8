//! Funds running out: the runway, exhaustion and the lease told.

use super::*;

#[test]
fn funds_running_out_stop_the_lease_at_the_last_covered_block() {
	new_test_ext().execute_with(|| {
		// 13 an hour, 10 blocks an hour, 100 held: floor(13·n/10) ≤ 100 up to n = 77.
		lease(1, 100, rate(13, &[]));
		assert_eq!(Escrow::runway_end(1), Some(1 + 77));
		run_to(50);
		settle(1);
		assert!(exhausted().is_empty());
		run_to(90);
		settle(1);
		assert_eq!(exhausted(), vec![(1, 78)]);
		let e = Escrows::<Test>::get(1).unwrap();
		assert_eq!(e.accrue_until, Some(78));
		// Paid floor(13·77/10) = 100: everything, and nothing beyond.
		assert_eq!(e.held, 0);
		assert_eq!(e.paid, 100);
		run_to(200);
		settle(1);
		assert_eq!(Escrows::<Test>::get(1).unwrap().paid, 100);
		invariant();
		// A top-up before the end moves it.
		lease(2, 100, rate(13, &[]));
		assert_ok!(Escrow::top_up(RuntimeOrigin::signed(CUSTOMER), 2, 100));
		assert_eq!(Escrow::runway_end(2), Some(1 + 154));
	});
}

#[test]
fn usage_beyond_the_funds_exhausts_and_is_paid_as_far_as_it_goes() {
	new_test_ext().execute_with(|| {
		lease(1, 100, rate(0, &[(Unit::Job, 60)]));
		assert_ok!(submit(PROVIDER, &record(1, 1, &[(Unit::Job, 1)])));
		assert!(exhausted().is_empty());
		assert_ok!(submit(PROVIDER, &record(1, 2, &[(Unit::Job, 1)])));
		assert_eq!(exhausted(), vec![(1, 1)]);
		run_to(6);
		settle(1);
		System::assert_has_event(
			Event::Settled { id: 1, to_payee: 99, fee: 1, shortfall: 20 }.into(),
		);
		assert_eq!(Escrows::<Test>::get(1).unwrap().held, 0);
		assert_ok!(Escrow::finish(1));
		assert!(!Escrows::<Test>::contains_key(1));
		invariant();
	});
}

#[test]
fn covered_blocks_is_the_exact_bound() {
	for p in [1u128, 3, 7, 13, 100, 999] {
		for b in [1u128, 10, 600] {
			for x in [0u128, 1, 5, 99, 1_000, 12_345] {
				let n = covered_blocks(p, b, x).unwrap();
				assert!(fixed_charge(p, n, b) <= x, "p={p} b={b} x={x} n={n}");
				assert!(fixed_charge(p, n + 1, b) > x, "p={p} b={b} x={x} n={n}");
			}
		}
	}
	assert_eq!(covered_blocks(0, 10, 5), None);
}
