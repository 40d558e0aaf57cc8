//! One open request per account, the cooldown, and requests that time out: bounded per block,
//! with evidence against members that never revealed.

use super::*;

#[test]
fn one_open_request_per_account_then_a_timeout_then_the_cooldown() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
		assert_noop!(
			submit(&a.0, signed_upload(&a, &by_client)),
			Error::<Test>::RequestAlreadyOpen
		);
		run_to(6);
		// Timed out: rejected with TIMEOUT, envelope gone, deposit back.
		let identity = Identities::<Test>::get(&a.0).expect("record");
		assert_eq!(identity.status, Status::Rejected);
		assert_eq!(identity.reject_reason, Some(RejectReason::Timeout));
		assert!(Requests::<Test>::get(0).is_none());
		assert!(crate::Envelopes::<Test>::get(0).is_none(), "the ciphertext leaves state");
		assert_eq!(Balances::reserved_balance(&a.0), 0);
		// Uploaded at block 1, cooldown 10: not before block 11.
		assert_noop!(submit(&a.0, signed_upload(&a, &by_client)), Error::<Test>::TooSoon);
		run_to(11);
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
		assert_eq!(Veid::status(&a.0), Some(Status::Pending));
	});
}

#[test]
fn timeouts_per_block_are_bounded() {
	new_test_ext().execute_with(|| {
		register_client();
		for who in [alice(), bob()] {
			assert_ok!(submit(&who.0, signed_upload(&who, &by_client)));
		}
		// The block these would time out in already holds MaxTimeoutsPerBlock (2) requests.
		let c = charlie();
		assert_noop!(submit(&c.0, signed_upload(&c, &by_client)), Error::<Test>::TooManyDeadlines);
		run_to(2);
		assert_ok!(submit(&c.0, signed_upload(&c, &by_client)));
	});
}

#[test]
fn a_tie_has_no_quorum_and_times_out() {
	new_test_ext().execute_with(|| {
		open_request();
		commit(1, 84, DIGEST, MODELS);
		commit(2, 84, DIGEST, MODELS);
		commit(3, 80, [0xd2; 32], MODELS);
		commit(4, 80, [0xd2; 32], MODELS);
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		assert_ok!(reveal(2, 84, DIGEST, MODELS));
		assert_ok!(reveal(3, 80, [0xd2; 32], MODELS));
		assert_ok!(reveal(4, 80, [0xd2; 32], MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending));
		run_to(6);
		let identity = Identities::<Test>::get(alice().0).expect("record");
		assert_eq!(
			(identity.status, identity.reject_reason),
			(Status::Rejected, Some(RejectReason::Timeout))
		);
		assert!(Results::<Test>::get(alice().0).is_none());
		// Everyone revealed: no "missed" evidence.
		assert_eq!(Evidence::<Test>::get(member(1)), (0, 0));
	});
}

#[test]
fn missing_reveals_time_out_with_evidence() {
	new_test_ext().execute_with(|| {
		open_request();
		commit(1, 84, DIGEST, MODELS);
		run_to(6);
		assert_eq!(Veid::status(&alice().0), Some(Status::Rejected));
		for i in 1..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 1), "member {i} never revealed");
		}
	});
}
