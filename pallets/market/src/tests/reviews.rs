//! Reviews between the parties of a lease.

use super::*;

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
			Error::<Test>::NotLeaseParty
		);
		assert_noop!(
			Market::review(RuntimeOrigin::signed(ALICE), id, 0, Comment::default()),
			Error::<Test>::InvalidRating
		);
		assert_noop!(
			Market::review(RuntimeOrigin::signed(ALICE), id, 6, Comment::default()),
			Error::<Test>::InvalidRating
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
			Error::<Test>::LeaseNotFound
		);
		assert_eq!(Ratings::<Test>::get(PROV), (2, 1));
	});
}
