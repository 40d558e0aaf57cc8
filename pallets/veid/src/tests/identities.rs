//! Identities once decided: expiry, the uniqueness index (one identity verifies one account),
//! and the pending-requests view.

use super::*;

#[test]
fn verified_identities_expire_and_can_be_verified_again() {
	new_test_ext().execute_with(|| {
		open_request();
		for i in 1..=4 {
			commit(i, 75, DIGEST, MODELS);
		}
		for i in 1..=3 {
			assert_ok!(reveal(i, 75, DIGEST, MODELS));
		}
		assert_eq!(Veid::tier(&alice().0), Some(Tier::Standard));
		let (status, tier, result) = Veid::identity_of(alice().0);
		assert_eq!(
			(status, tier, result.map(|r| r.score)),
			(Some(Status::Verified), Some(Tier::Standard), Some(75))
		);
		run_to(50);
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		run_to(51); // decided at block 1, valid for 50 blocks
		assert_eq!(Veid::status(&alice().0), Some(Status::Expired));
		assert_eq!(Veid::tier(&alice().0), None, "an expired identity gates nothing");
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending));
	});
}

#[test]
fn pending_requests_are_listed_a_page_at_a_time() {
	new_test_ext().execute_with(|| {
		open_request();
		let b = bob();
		assert_ok!(submit(&b.0, signed_upload(&b, &by_client)));
		let all = Veid::pending_requests(0, 10);
		assert_eq!(
			all.iter().map(|(id, who, _)| (*id, who.clone())).collect::<Vec<_>>(),
			vec![(0, alice().0), (1, bob().0)]
		);
		assert_eq!(all[0].2.len(), 4, "with the committee to score it");
		assert_eq!(Veid::pending_requests(1, 10).len(), 1);
		assert_eq!(Veid::pending_requests(0, 1).len(), 1);
		run_to(6);
		assert!(Veid::pending_requests(0, 10).is_empty(), "timed out");
	});
}

#[test]
fn replayed_upload_under_another_account_is_refused() {
	new_test_ext().execute_with(|| {
		let request = open_request();
		let victim = signed_upload(&alice(), &by_client);
		decide_with(request, v(90, DIGEST, MODELS));
		assert_eq!(Veid::tier(&alice().0), Some(Tier::Premium));
		// Everything in the victim's upload is public: Bob resubmits its envelope, salt and
		// commitments under his own account, with his own signature and an approved client's.
		let b = bob();
		let mut replay = signed_upload_of(&b, &by_client, victim.envelope.clone());
		assert_eq!(replay.salt, victim.salt);
		replay.name = victim.name;
		replay.birth = victim.birth;
		let digest = upload_digest(
			&genesis(),
			&b.0,
			&replay.scopes,
			&replay.salt,
			&replay.name,
			&replay.birth,
			&sp_io::hashing::blake2_256(&replay.envelope),
		);
		replay.client_signature = by_client(&digest);
		replay.user_signature = MultiSignature::Sr25519(b.1.sign(&user_message(&digest)));
		assert_ok!(submit(&b.0, replay));
		// The committee sees the victim's photos, so its features are the victim's.
		decide_with(1, v(90, DIGEST, MODELS));
		assert_eq!(Veid::tier(&b.0), None, "Bob verified with Alice's identity");
		let identity = Identities::<Test>::get(&b.0).expect("record");
		assert_eq!(
			(identity.status, identity.reject_reason),
			(Status::Rejected, Some(RejectReason::DuplicateIdentity))
		);
		System::assert_has_event(
			Event::RequestRejected {
				request: 1,
				account: b.0.clone(),
				reason: RejectReason::DuplicateIdentity,
			}
			.into(),
		);
		assert_eq!(Veid::tier(&alice().0), Some(Tier::Premium), "the victim keeps hers");
	});
}

#[test]
fn verifying_again_with_other_photos_moves_the_index_entry_and_its_deposit() {
	new_test_ext().execute_with(|| {
		let request = open_request();
		decide_with(request, v(90, DIGEST, MODELS));
		assert_eq!(crate::IdentityDigests::<Test>::get(DIGEST), Some(alice().0));
		run_to(51); // expired: Alice verifies again, with other photos
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
		decide_with(1, v(88, [0xd2; 32], MODELS));
		assert_eq!(Veid::tier(&a.0), Some(Tier::Premium));
		assert_eq!(crate::IdentityDigests::<Test>::get(DIGEST), None, "the old digest is freed");
		assert_eq!(crate::IdentityDigests::<Test>::get([0xd2; 32]), Some(a.0.clone()));
		assert_eq!(Balances::reserved_balance(&a.0), INDEX_BYTES as u64, "one entry's deposit");
		// The freed digest may now verify another account.
		let b = bob();
		assert_ok!(submit(&b.0, signed_upload(&b, &by_client)));
		decide_with(2, v(90, DIGEST, MODELS));
		assert_eq!(Veid::tier(&b.0), Some(Tier::Premium));
	});
}
