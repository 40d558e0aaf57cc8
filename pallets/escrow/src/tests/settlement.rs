//! Lazy settlement: the fixed rate and the fee, rounded once over the whole accrual; rates.

use super::*;

#[test]
fn fixed_rate_accrues_per_block_rounded_once() {
	new_test_ext().execute_with(|| {
		// 7 an hour at 10 blocks an hour: 0.7 a block.
		lease(1, 1_000, rate(7, &[]));
		run_to(4); // 3 blocks: floor(2.1) = 2
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 2);
		run_to(6); // 5 blocks in all: floor(3.5) = 3, one more
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 3);
		run_to(11); // 10 blocks: exactly 7
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 7);
		// Per-settlement rounding would have paid 0 + 0 + 3 = far less; cumulative pays the hour.
		assert_eq!(Escrows::<Test>::get(1).unwrap().held, 993);
		invariant();
	});
}

#[test]
fn fee_is_a_share_of_the_cumulative_amount() {
	new_test_ext().execute_with(|| {
		// 10 a block, 1 % fee: each settlement of one block owes 0.1 fee.
		lease(1, 10_000, rate(100, &[]));
		for n in 2..=21 {
			run_to(n);
			settle(1);
		}
		// 20 blocks: 200 paid, fee floor(2.00) = 2, provider 198.
		assert_eq!(Payouts::<Test>::get(99), 2);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 198);
		let e = Escrows::<Test>::get(1).unwrap();
		assert_eq!((e.paid, e.fee, e.held), (200, 2, 9_800));
		assert_eq!(held(CUSTOMER) + held(PROVIDER) + held(99), 10_000);
		invariant();
	});
}

#[test]
fn double_settlement_pays_once() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(100, &[(Unit::Job, 50)]));
		assert_ok!(submit(PROVIDER, &record(1, 1, &[(Unit::Job, 2)])));
		run_to(10);
		settle(1);
		let after_first = Payouts::<Test>::get(PROVIDER) + Payouts::<Test>::get(99);
		assert_eq!(after_first, 90 + 100);
		settle(1);
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER) + Payouts::<Test>::get(99), after_first);
		invariant();
	});
}

#[test]
fn rates_compare_by_component() {
	let max = rate(100, &[(Unit::Job, 10), (Unit::GpuSecond, 5)]);
	assert!(rate(100, &[(Unit::Job, 10)]).within(&max));
	assert!(!rate(101, &[]).within(&max));
	assert!(!rate(1, &[(Unit::GpuSecond, 6)]).within(&max));
	assert!(!rate(1, &[(Unit::EgressGb, 1)]).within(&max));
	assert!(!rate(1, &[(Unit::Job, 1), (Unit::Job, 2)]).is_valid());
}
