//! The committee's commit-reveal votes: the quorum, late reveals, model sets, dissent and
//! evidence.

use super::*;

#[test]
fn two_thirds_of_identical_reveals_decide_and_the_envelope_leaves_state() {
	new_test_ext().execute_with(|| {
		let request = open_request();
		for i in 1..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		assert_ok!(reveal(2, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending), "2 of 4 is no quorum");
		assert_ok!(reveal(3, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		let result = Results::<Test>::get(alice().0).expect("result");
		assert_eq!(
			(result.score, result.tier, result.digest, result.model_set),
			(84, Tier::Standard, DIGEST, MODELS)
		);
		assert!(Requests::<Test>::get(request).is_none());
		assert!(crate::Envelopes::<Test>::get(request).is_none(), "the ciphertext leaves state");
		assert_eq!(
			Balances::reserved_balance(&alice().0),
			INDEX_BYTES as u64,
			"deposit returned but for the uniqueness index entry"
		);
		// The votes that decided are cleared; member 4, which committed and has not revealed
		// yet, may still reveal until the deadline.
		for i in 1..=3 {
			assert!(!Commits::<Test>::contains_key(request, member(i)), "vote {i} cleared");
		}
		assert!(Commits::<Test>::contains_key(request, member(4)));
		assert_eq!(Evidence::<Test>::get(member(1)), (0, 0));
		assert_eq!(Evidence::<Test>::get(member(4)), (0, 0), "not yet: it may reveal late");
		// It never does: at the deadline it counts as never revealed, and the rest leaves state.
		run_to(6);
		assert_eq!(Evidence::<Test>::get(member(4)), (0, 1));
		assert!(Commits::<Test>::iter_prefix(request).next().is_none(), "votes cleared");
		assert!(crate::Decided::<Test>::get(request).is_none());
		assert!(crate::RequestCommittee::<Test>::get(request).is_empty());
		assert_noop!(reveal(4, 84, DIGEST, MODELS), Error::<Test>::RequestNotOpen);
	});
}

/// The attack a review found: a member slower than the quorum (an honest one: its reveal
/// landed a block after the two that decided) was counted as never having revealed, evidence
/// against it for doing its work. Its late reveal is now compared with the result.
#[test]
fn a_member_slower_than_the_quorum_is_not_counted_against() {
	new_test_ext().execute_with(|| {
		let request = open_request();
		for i in 1..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		for i in 1..=3 {
			assert_ok!(reveal(i, 84, DIGEST, MODELS));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_ok!(reveal(4, 84, DIGEST, MODELS));
		run_to(6);
		for i in 1..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 0), "member {i}");
		}
		// The last reveal ended the request: nothing of it is left.
		assert!(crate::Decided::<Test>::get(request).is_none());
		assert!(crate::RequestCommittee::<Test>::get(request).is_empty());
		assert!(Commits::<Test>::iter_prefix(request).next().is_none());
	});
}

/// A member whose models differ from the chain's (another model set) is outvoted, whether its
/// reveal comes before the decision or after it, and recorded as disagreeing; two such
/// members cannot decide together.
#[test]
fn a_member_with_another_model_set_is_outvoted_and_recorded() {
	new_test_ext().execute_with(|| {
		open_request();
		let other = [0xbb; 32];
		commit(1, 84, DIGEST, other);
		commit(2, 84, DIGEST, other);
		commit(3, 84, DIGEST, MODELS);
		commit(4, 84, DIGEST, MODELS);
		// Two identical votes of another set: a quorum of 4 needs 3, but they count for nothing
		// even so; the reveals themselves are accepted.
		assert_ok!(reveal(1, 84, DIGEST, other));
		assert_ok!(reveal(2, 84, DIGEST, other));
		assert_ok!(reveal(3, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending));
		assert_ok!(reveal(4, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending), "2 of 4 with the chain's set");
		run_to(6);
		assert_eq!(Veid::status(&alice().0), Some(Status::Rejected), "timed out undecided");
		for i in 1..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 0), "no result to disagree with");
		}
	});
	// Before the decision: member 1's vote is kept, does not count, and is compared with the
	// result once three of the chain's set decide.
	new_test_ext().execute_with(|| {
		open_request();
		let other = [0xbb; 32];
		commit(1, 84, DIGEST, other);
		for i in 2..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		assert_ok!(reveal(1, 84, DIGEST, other));
		assert_ok!(reveal(2, 84, DIGEST, MODELS));
		assert_ok!(reveal(3, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending), "member 1 does not count");
		assert_ok!(reveal(4, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_eq!(Evidence::<Test>::get(member(1)), (1, 0), "outvoted before the decision");
		for i in 2..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 0));
		}
	});
	// After the decision: member 4's late reveal with another set is a disagreement.
	new_test_ext().execute_with(|| {
		let request = open_request();
		let other = [0xbb; 32];
		for i in 1..=3 {
			commit(i, 84, DIGEST, MODELS);
		}
		commit(4, 84, DIGEST, other);
		for i in 1..=3 {
			assert_ok!(reveal(i, 84, DIGEST, MODELS));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_ok!(reveal(4, 84, DIGEST, other));
		assert_eq!(Evidence::<Test>::get(member(4)), (1, 0), "outvoted after the decision");
		assert!(crate::Decided::<Test>::get(request).is_none(), "the last reveal ended it");
	});
}

#[test]
fn a_low_score_is_a_rejection_with_a_result() {
	new_test_ext().execute_with(|| {
		open_request();
		for i in 1..=3 {
			commit(i, 30, DIGEST, MODELS);
		}
		run_to(3); // member 4 never commits: reveals open when the commit phase ends
		for i in 1..=3 {
			assert_ok!(reveal(i, 30, DIGEST, MODELS));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Rejected));
		assert_eq!(Results::<Test>::get(alice().0).map(|r| r.tier), Some(Tier::Rejected));
	});
}

#[test]
fn the_dissenting_member_is_recorded() {
	new_test_ext().execute_with(|| {
		open_request();
		commit(1, 84, DIGEST, MODELS);
		commit(2, 84, DIGEST, MODELS);
		commit(3, 85, [0xd2; 32], MODELS);
		commit(4, 84, DIGEST, MODELS);
		assert_ok!(reveal(3, 85, [0xd2; 32], MODELS));
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		assert_ok!(reveal(2, 84, DIGEST, MODELS));
		assert_ok!(reveal(4, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_eq!(Evidence::<Test>::get(member(3)), (1, 0), "disagreed");
	});
}

#[test]
fn reveals_wait_for_every_commit_or_the_end_of_the_commit_phase() {
	new_test_ext().execute_with(|| {
		open_request();
		commit(1, 84, DIGEST, MODELS);
		assert_noop!(reveal(1, 84, DIGEST, MODELS), Error::<Test>::RevealTooEarly);
		run_to(3); // uploaded at 1, CommitBlocks 2
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
	});
}

#[test]
fn votes_that_do_not_match_their_commit_or_copy_another_are_refused() {
	new_test_ext().execute_with(|| {
		open_request();
		for i in 1..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		assert_noop!(reveal(1, 85, DIGEST, MODELS), Error::<Test>::CommitMismatch);
		// Member 2 replays member 1's commitment and reveal: bound to member 1, so refused.
		let copied = vote_commitment(0, &member(1), &v(84, DIGEST, MODELS), &salt(1));
		let payload = commit_payload(&genesis(), 0, &member(2), &copied);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: member(2),
				commitment: copied,
				signature: sign(2, &payload)
			}),
			Error::<Test>::AlreadyCommitted
		);
		assert_noop!(
			reveal_as(2, 2, v(84, DIGEST, MODELS), salt(1)),
			Error::<Test>::CommitMismatch
		);
		// Member 1's own reveal, replayed after it landed.
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		assert_noop!(reveal(1, 84, DIGEST, MODELS), Error::<Test>::AlreadyRevealed);
		// Not a member of the request's committee; a request that is not open.
		let payload = commit_payload(&genesis(), 0, &alice().0, &[0; 32]);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: alice().0,
				commitment: [0; 32],
				signature: sign(1, &payload)
			}),
			Error::<Test>::NotCommitteeMember
		);
		assert_noop!(
			reveal_as(5, 5, v(84, DIGEST, MODELS), salt(5)),
			Error::<Test>::CommitNotFound
		);
	});
}

#[test]
fn votes_with_another_model_set_never_decide() {
	new_test_ext().execute_with(|| {
		open_request();
		let old = [0xbb; 32];
		for i in 1..=3 {
			commit(i, 84, DIGEST, MODELS);
		}
		commit(4, 84, DIGEST, old);
		run_to(3);
		assert_ok!(reveal(4, 84, DIGEST, old));
		// Governance moves to a new set mid-request: the votes made with the set before no
		// longer decide, and with no result nobody is counted as disagreeing.
		assert_ok!(Veid::set_model_set(RuntimeOrigin::root(), [0xcc; 32]));
		for i in 1..=3 {
			assert_ok!(reveal(i, 84, DIGEST, MODELS));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending));
		assert!(ActiveModelSet::<Test>::get() == Some([0xcc; 32]));
		run_to(6);
		assert_eq!(Veid::status(&alice().0), Some(Status::Rejected));
		for i in 1..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 0), "member {i}");
		}
	});
}

#[test]
fn a_committee_change_does_not_move_an_open_request() {
	new_test_ext().execute_with(|| {
		open_request();
		new_session(&[6]);
		assert_ok!(publish(6, 1));
		assert_eq!(Committee::<Test>::get().len(), 1);
		assert_noop!(try_commit(6, v(90, DIGEST, MODELS)), Error::<Test>::NotCommitteeMember);
		for i in 1..=3 {
			commit(i, 90, DIGEST, MODELS);
		}
		run_to(3);
		for i in 1..=3 {
			assert_ok!(reveal(i, 90, DIGEST, MODELS));
		}
		assert_eq!(Results::<Test>::get(alice().0).map(|r| r.tier), Some(Tier::Premium));
	});
}

#[test]
fn a_commit_after_reveals_are_visible_is_refused() {
	new_test_ext().execute_with(|| {
		open_request();
		for i in 1..=3 {
			commit(i, 84, DIGEST, MODELS);
		}
		run_to(3); // the commit phase is over: reveals open
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		// Member 4 read member 1's reveal in the block and commits to the same vote.
		assert_noop!(try_commit(4, v(84, DIGEST, MODELS)), Error::<Test>::CommitPhaseOver);
	});
}

#[test]
fn a_member_the_uploader_made_unable_to_read_is_not_counted_against() {
	new_test_ext().execute_with(|| {
		open_request();
		let readable = v(84, DIGEST, MODELS);
		// The uploader broke member 4's wrapped key: its node votes "unreadable for me".
		let cannot_read = Vote {
			score: 0,
			reasons: virtengine_veid_primitives::UNREADABLE_FOR_MEMBER,
			digest: [0xee; 32],
			model_set: MODELS,
		};
		for i in 1..=3 {
			commit(i, 84, DIGEST, MODELS);
		}
		assert_ok!(try_commit(4, cannot_read));
		assert_ok!(reveal_as(4, 4, cannot_read, salt(4)));
		for i in 1..=3 {
			assert_ok!(reveal_to(0, i, readable));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_eq!(Evidence::<Test>::get(member(4)), (0, 0), "member 4 recorded as dissenting");
	});
}
