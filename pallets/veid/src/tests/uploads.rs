//! Uploads: what an accepted upload stores and holds, the size and scope limits, and the
//! committee an upload must be sealed to (present, and large enough).

use super::*;

#[test]
fn an_upload_signed_by_an_approved_client_and_the_user_is_pending_with_a_deposit() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		let u = signed_upload(&a, &by_client);
		let len = u.envelope.len();
		assert_ok!(submit(&a.0, u));
		assert_eq!(Veid::status(&a.0), Some(Status::Pending));
		let request = Requests::<Test>::get(0).expect("stored");
		let envelope = crate::Envelopes::<Test>::get(0).expect("stored");
		assert_eq!((envelope.len(), request.envelope_len as usize), (len, len));
		assert_eq!(request.deadline, 1 + 5);
		// The deposit covers every stored byte of the request, and of the uniqueness index
		// entries a verification keeps (digest → account, account → (digest, deposit)).
		assert_eq!(
			request.deposit,
			(request.encoded_size() + envelope.encoded_size() + INDEX_BYTES) as u64
		);
		assert_eq!(Balances::reserved_balance(&a.0), request.deposit);
		System::assert_last_event(
			Event::ScopesUploaded { request: 0, account: a.0.clone(), deposit: request.deposit }
				.into(),
		);
	});
}

#[test]
fn limits_on_size_and_scopes() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		let mut u = signed_upload(&a, &by_client);
		u.envelope = envelope_bytes(70_000);
		assert_noop!(submit(&a.0, u), Error::<Test>::EnvelopeTooLarge);
		let mut u = signed_upload(&a, &by_client);
		u.scopes = vec![ScopeKind::Selfie, ScopeKind::Selfie].try_into().expect("bounded");
		assert_noop!(submit(&a.0, u), Error::<Test>::InvalidScopes);
		let mut u = signed_upload(&a, &by_client);
		u.scopes = Default::default();
		assert_noop!(submit(&a.0, u), Error::<Test>::InvalidScopes);
		// Signed garbage instead of an envelope.
		let u = signed_upload_of(&a, &by_client, vec![0xff; 64]);
		assert_noop!(submit(&a.0, u), Error::<Test>::InvalidEnvelope);
	});
}

#[test]
fn no_upload_without_a_committee() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		let u = signed_upload(&a, &by_client);
		new_session(&[]);
		assert_noop!(submit(&a.0, u), Error::<Test>::CommitteeNotFound);
	});
}

#[test]
fn a_lone_member_cannot_decide_for_a_larger_session() {
	new_test_ext().execute_with(|| {
		register_client();
		assert_ok!(Veid::set_model_set(RuntimeOrigin::root(), MODELS));
		// A session of four; only member 1 has published its key so far.
		new_session(&[1, 2, 3, 4]);
		assert_ok!(publish(1, 1));
		assert_eq!(Committee::<Test>::get().len(), 1);
		let a = alice();
		let u = signed_upload(&a, &by_client);
		let attempt = submit(&a.0, u);
		if attempt.is_ok() {
			// The attack: member 1 alone decides the request.
			assert_ok!(try_commit(1, v(95, DIGEST, MODELS)));
			assert_ok!(reveal(1, 95, DIGEST, MODELS));
			panic!("a committee of 1 in a session of 4 decided alone: {:?}", Veid::tier(&a.0));
		}
		assert_noop!(submit(&a.0, signed_upload(&a, &by_client)), Error::<Test>::CommitteeTooSmall);
		// Once MinCommittee (3) members published, uploads are accepted.
		assert_ok!(publish(2, 1));
		assert_ok!(publish(3, 1));
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
	});
}

#[test]
fn a_session_smaller_than_the_minimum_needs_every_member() {
	new_test_ext().execute_with(|| {
		register_client();
		new_session(&[1, 2]);
		assert_ok!(publish(1, 1));
		let a = alice();
		assert_noop!(submit(&a.0, signed_upload(&a, &by_client)), Error::<Test>::CommitteeTooSmall);
		assert_ok!(publish(2, 1));
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
	});
}
