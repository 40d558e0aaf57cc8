//! Committee keys: published by session members once per session, with a proof of possession;
//! sessions change the committee.

use super::*;

#[test]
fn committee_keys_are_published_by_session_members_once_per_session() {
	new_test_ext().execute_with(|| {
		assert_eq!(Committee::<Test>::get().len(), 4);
		assert_eq!(Committee::<Test>::get()[0].key, member_key(1, 0));
		assert_noop!(publish(1, 0), Error::<Test>::KeyAlreadyPublished);
		assert_noop!(publish(1, 2), Error::<Test>::WrongSession);
		assert_noop!(publish(7, 0), Error::<Test>::NotSessionMember);
		// The next session's key, ahead of it.
		assert_ok!(publish(1, 1));
		// A small-order point is refused.
		let weak = [0u8; 32];
		let payload = key_payload(&genesis(), 1, &member(2), &weak);
		assert_noop!(
			authorized(Call::publish_committee_key {
				session: 1,
				member: member(2),
				key: weak,
				proof: proof_by(2, 1, 2, &weak),
				signature: sign(2, &payload)
			}),
			Error::<Test>::WeakKey
		);
		// Signed by another member.
		let key = member_key(2, 1);
		let payload = key_payload(&genesis(), 1, &member(2), &key);
		assert_noop!(
			authorized(Call::publish_committee_key {
				session: 1,
				member: member(2),
				key,
				proof: proof_by(2, 1, 2, &key),
				signature: sign(3, &payload)
			}),
			sp_runtime::DispatchError::Other("bad proof")
		);
	});
}

#[test]
fn a_new_session_changes_the_committee_and_clears_old_keys() {
	new_test_ext().execute_with(|| {
		assert_ok!(publish(1, 1));
		assert_ok!(publish(2, 1));
		new_session(&[1, 2, 5]);
		assert_eq!(Session::<Test>::get(), 1);
		// Members 1 and 2 published for session 1 ahead; 5 has not yet.
		let committee: Vec<_> = Committee::<Test>::get().into_iter().map(|m| m.account).collect();
		assert_eq!(committee, vec![member(1), member(2)]);
		assert!(CommitteeKeys::<Test>::iter_prefix(0).next().is_none(), "session 0 keys cleared");
		assert_ok!(publish(5, 1));
		assert_eq!(Committee::<Test>::get().len(), 3);
		// Uploads sealed to the old committee's keys are refused.
		register_client();
		let a = alice();
		let old_keys: Vec<_> = (1..=4).map(|i| member_key(i, 0)).collect();
		let u = signed_upload_of(&a, &by_client, sealed_to(&old_keys, 300));
		assert_noop!(submit(&a.0, u), Error::<Test>::WrongRecipients);
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
	});
}

#[test]
fn a_member_cannot_publish_another_members_committee_key() {
	new_test_ext().execute_with(|| {
		assert_ok!(publish(1, 1));
		// Member 2 publishes member 1's key as its own for the next session.
		let copied = member_key(1, 1);
		let payload = key_payload(&genesis(), 1, &member(2), &copied);
		let attempt = authorized(Call::publish_committee_key {
			session: 1,
			member: member(2),
			key: copied,
			proof: proof_by(2, 1, 2, &copied),
			signature: sign(2, &payload),
		});
		assert_eq!(attempt, Err(Error::<Test>::KeyInUse.into()));
		// So the next session's committee stays sealable.
		new_session(&[1, 2]);
		assert_ok!(publish(2, 1));
		register_client();
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
	});
}

#[test]
fn a_member_cannot_claim_a_committee_key_it_does_not_hold() {
	new_test_ext().execute_with(|| {
		// Member 2 front-runs member 1's key for the next session (seen in the pool).
		let stolen = member_key(1, 1);
		let payload = key_payload(&genesis(), 1, &member(2), &stolen);
		let attempt = authorized(Call::publish_committee_key {
			session: 1,
			member: member(2),
			key: stolen,
			// Member 2 holds only its own committee key: the proof cannot be for this one.
			proof: proof_by(2, 1, 2, &stolen),
			signature: sign(2, &payload),
		});
		assert_eq!(attempt, Err(Error::<Test>::InvalidKeyProof.into()));
		// Member 1's own key still goes through.
		assert_ok!(publish(1, 1));
	});
}
