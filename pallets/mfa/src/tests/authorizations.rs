//! Authorizations: bound to the account and the call, expiring, refused clearly when odd; the
//! recipients they name become known.

use super::*;

#[test]
fn authorizations_are_bound_to_the_account_and_expire() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let call = action_call(Action::KeyRotation, 0, false, false);
		let p = alice.proofs(ALICE, &call, FactorSet::of(&[F2]));
		assert_ok!(authorize(ALICE, &call, p));
		// Bob cannot use Alice's authorization.
		assert_eq!(submit(BOB, call.clone()), refused(MFA_REQUIRED));
		// Another critical call is not covered.
		assert_eq!(
			submit(ALICE, action_call(Action::GovernanceProposal, 0, false, false)),
			refused(MFA_REQUIRED)
		);
		// After AuthorizationTtl (10 blocks) it is gone.
		System::set_block_number(12);
		assert_eq!(submit(ALICE, call), refused(MFA_REQUIRED));
	});
}

#[test]
fn odd_requests_are_refused_clearly() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		// Not sensitive.
		assert_noop!(authorize(ALICE, &transfer(KNOWN, VE), vec![]), Error::<Test>::NotSensitive);
		// Unclassifiable calls are refused by the extension and by authorize.
		let odd = RuntimeCall::System(frame_system::Call::remark_with_event { remark: vec![] });
		assert_eq!(submit(ALICE, odd.clone()), refused(UNCLASSIFIABLE));
		assert_noop!(authorize(ALICE, &odd, vec![]), Error::<Test>::Unclassifiable);
		// Authorizing an authorization.
		let inner = RuntimeCall::Mfa(crate::Call::authorize {
			call: Box::new(transfer(BOB, VE)),
			proofs: proofs(vec![]),
		});
		assert_noop!(authorize(ALICE, &inner, vec![]), Error::<Test>::NestedAuthorization);
		// The same factor twice.
		let t = transfer(BOB, VE);
		let p1 = fido2(ALICE, &mut alice.auth, &t);
		let p2 = fido2(ALICE, &mut alice.auth, &t);
		assert_noop!(authorize(ALICE, &t, vec![p1, p2]), Error::<Test>::DuplicateProof);
		// Bad public keys and set sizes.
		let mut other = SoftAuthenticator::from_secret(&[0x33; 32], b"other", RP_ID).unwrap();
		let a = to_assertion(&other.assert(&[0; 32], ORIGIN), b"other");
		assert_noop!(
			Mfa::register_credential(
				RuntimeOrigin::signed(BOB),
				vec![5u8; 33].try_into().unwrap(),
				false,
				a
			),
			Error::<Test>::InvalidPublicKey
		);
		assert_noop!(
			Mfa::set_requirement(RuntimeOrigin::signed(BOB), Action::LeaseClose, FactorSet(0x40)),
			Error::<Test>::InvalidFactorSet
		);
		// Governance only.
		assert_noop!(
			Mfa::set_policy(
				RuntimeOrigin::signed(ALICE),
				Rule::KeyRotation,
				Rule::KeyRotation.default_policy()
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn recipients_authorized_once_become_known() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let t = transfer(BOB, VE);
		let p = alice.proofs(ALICE, &t, FactorSet::of(&[F2]));
		assert_ok!(authorize(ALICE, &t, p));
		assert!(crate::KnownRecipients::<Test>::get(ALICE).contains(&BOB));
		System::set_block_number(500);
		// The session is over, but Bob is no longer a new address.
		assert_eq!(submit(ALICE, transfer(BOB, 2 * VE)).map(|_| ()), Ok(()));
		// The list is bounded (4 in the mock): the oldest is forgotten.
		for dest in 20..24 {
			let t = transfer(dest, VE);
			let p = alice.proofs(ALICE, &t, FactorSet::of(&[F2]));
			assert_ok!(authorize(ALICE, &t, p));
		}
		let known = crate::KnownRecipients::<Test>::get(ALICE);
		assert_eq!(known.into_inner(), vec![20, 21, 22, 23]);
	});
}
