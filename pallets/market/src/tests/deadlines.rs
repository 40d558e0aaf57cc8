//! The deadline queue: bounded work per block, nothing lost.

use super::*;

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
