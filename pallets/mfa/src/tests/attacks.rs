//! Attacks on MFA found in review, each carried out by a thief holding only the account key (or
//! by a stranger), and the clear refusal that now stops it.

use super::*;

/// A trusted device for `who`, trusted while the account had no other factor (free).
fn trust_device(who: u64, seed: u8) -> ed25519::Pair {
	let device = ed25519::Pair::from_seed(&[seed; 32]);
	let key = device.public().0;
	let sig = device.sign(&Mfa::device_enroll_challenge(&who, &key)).0;
	assert_ok!(Mfa::add_device(RuntimeOrigin::signed(who), key, sig));
	device
}

fn device_proof(who: u64, device: &ed25519::Pair, call: &RuntimeCall) -> Proof {
	Proof::Device {
		key: device.public().0,
		signature: device.sign(&Mfa::authorize_challenge(&who, call)).0,
	}
}

/// The thief's own FIDO2 credential, registered on `who` (the enroll proof is the thief's own).
fn thiefs_credential(who: u64) -> RuntimeCall {
	let mut thief = SoftAuthenticator::from_secret(&[0x77; 32], b"thief", RP_ID).unwrap();
	let pk = thief.public_key();
	let challenge =
		webauthn::enroll_challenge(&Mfa::genesis(), &who.encode(), &thief.credential_id, &pk);
	let a = to_assertion(&thief.assert(&challenge, ORIGIN), &thief.credential_id);
	RuntimeCall::Mfa(crate::Call::register_credential {
		public_key: pk.to_vec().try_into().unwrap(),
		require_uv: true,
		assertion: a,
	})
}

#[test]
fn thief_enrolls_own_fido2_on_an_account_protected_only_by_a_trusted_device() {
	new_test_ext().execute_with(|| {
		let device = trust_device(ALICE, 5);
		let register = thiefs_credential(ALICE);
		// Changing factors needs the enrolled device now.
		assert_eq!(submit(ALICE, register.clone()), refused(MFA_REQUIRED));
		// So do removing it and dropping the user's own requirements.
		let remove = RuntimeCall::Mfa(crate::Call::remove_device { key: device.public().0 });
		assert_eq!(submit(ALICE, remove.clone()), refused(MFA_REQUIRED));
		let clear = RuntimeCall::Mfa(crate::Call::set_requirement {
			action: Action::TransferTokens,
			factors: FactorSet::EMPTY,
		});
		assert_eq!(submit(ALICE, clear), refused(MFA_REQUIRED));
		// A VEID tier is no proof of possession: it does not stand in.
		set_tier(ALICE, Some(Tier::Premium));
		assert_noop!(authorize(ALICE, &register, vec![]), Error::<Test>::InsufficientFactors);
		// The owner, with the device, may.
		assert_ok!(authorize(ALICE, &remove, vec![device_proof(ALICE, &device, &remove)]));
		assert_eq!(submit(ALICE, remove), Ok(Ok(())));
	});
}

#[test]
fn thief_enrolls_own_fido2_on_an_account_protected_only_by_a_code_channel() {
	new_test_ext().execute_with(|| {
		assert_ok!(Mfa::set_channel(RuntimeOrigin::signed(ALICE), ChannelKind::Sms, [1; 32]));
		let register = thiefs_credential(ALICE);
		assert_eq!(submit(ALICE, register.clone()), refused(MFA_REQUIRED));
		// Removing the channel or pointing it elsewhere needs the code too.
		let remove = RuntimeCall::Mfa(crate::Call::remove_channel { kind: ChannelKind::Sms });
		assert_eq!(submit(ALICE, remove), refused(MFA_REQUIRED));
		let redirect = RuntimeCall::Mfa(crate::Call::set_channel {
			kind: ChannelKind::Email,
			destination: [9; 32],
		});
		assert_eq!(submit(ALICE, redirect), refused(MFA_REQUIRED));
		// With a code sent to the owner's channel, the owner registers a key.
		let p = code_proof(ALICE, 123456);
		assert_ok!(authorize(ALICE, &register, vec![p]));
		assert_eq!(submit(ALICE, register), Ok(Ok(())));
	});
}

#[test]
fn stranger_burns_the_owners_code_attempts_through_recovery() {
	new_test_ext().execute_with(|| {
		const STRANGER: u64 = 7;
		let _bob = equipped(BOB);
		let _ = code_proof(BOB, 654321);
		// Three wrong guesses with no other factor: each is refused before the code is looked at.
		for guess in [1, 2, 3] {
			assert_noop!(
				Mfa::initiate_recovery(
					RuntimeOrigin::signed(STRANGER),
					BOB,
					proofs(vec![Proof::Code { code: guess, salt: [0; 32] }])
				),
				Error::<Test>::InsufficientFactors
			);
		}
		// The owner's code is intact, all attempts left.
		let issued = crate::Codes::<Test>::get(BOB).expect("the code is still outstanding");
		assert_eq!(issued.attempts_left, 3);
	});
}

#[test]
fn suspended_or_terminated_account_is_recovered_away() {
	new_test_ext().execute_with(|| {
		const RESCUER: u64 = 7;
		let mut bob = equipped(BOB);
		let proofs_for = |bob: &mut Equipped, code: u32| {
			let challenge = Mfa::recovery_challenge(&BOB, &RESCUER);
			let a = bob.auth.assert(&challenge, ORIGIN);
			proofs(vec![
				Proof::Fido2(to_assertion(&a, &bob.auth.credential_id)),
				code_proof(BOB, code),
			])
		};
		set_restricted(BOB, true);
		let p = proofs_for(&mut bob, 111111);
		assert_noop!(
			Mfa::initiate_recovery(RuntimeOrigin::signed(RESCUER), BOB, p),
			Error::<Test>::AccountRestricted
		);
		// Suspended after the recovery started: the claim is refused.
		set_restricted(BOB, false);
		let p = proofs_for(&mut bob, 222222);
		assert_ok!(Mfa::initiate_recovery(RuntimeOrigin::signed(RESCUER), BOB, p));
		set_restricted(BOB, true);
		System::set_block_number(100);
		assert_noop!(
			Mfa::claim_recovery(RuntimeOrigin::signed(RESCUER), BOB),
			Error::<Test>::AccountRestricted
		);
		set_restricted(BOB, false);
		assert_ok!(Mfa::claim_recovery(RuntimeOrigin::signed(RESCUER), BOB));
	});
}

#[test]
fn required_trusted_device_is_silently_satisfied() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let device = ed25519::Pair::from_seed(&[5; 32]);
		let key = device.public().0;
		crate::Devices::<Test>::insert(ALICE, BoundedVec::truncate_from(vec![key]));
		// The owner demands the device for every transfer.
		crate::UserRequirements::<Test>::insert(
			ALICE,
			BoundedVec::truncate_from(vec![(
				Action::TransferTokens,
				FactorSet::of(&[Factor::TrustedDevice]),
			)]),
		);
		let t = transfer(KNOWN, VE);
		// FIDO2 alone does not prove the device.
		let p = alice.proofs(ALICE, &t, FactorSet::of(&[F2]));
		assert_noop!(authorize(ALICE, &t, p), Error::<Test>::InsufficientFactors);
		// With the device, it passes.
		assert_ok!(authorize(ALICE, &t, vec![device_proof(ALICE, &device, &t)]));
		assert_eq!(submit(ALICE, t), Ok(Ok(())));
	});
}

#[test]
fn wrong_code_leaves_the_fido2_proof_reusable() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let call = action_call(Action::AccountRecovery, 0, false, false);
		let fido = fido2(ALICE, &mut alice.auth, &call);
		let _ = code_proof(ALICE, 111111);
		// A wrong code: the attempt is counted and nothing authorized.
		let wrong = Proof::Code { code: 999999, salt: [111111u32 as u8; 32] };
		assert_ok!(authorize(ALICE, &call, vec![fido.clone(), wrong]));
		assert!(matches!(last_event(), RuntimeEvent::Mfa(Event::CodeRejected { .. })));
		assert_eq!(submit(ALICE, call.clone()), refused(MFA_REQUIRED));
		// The same FIDO2 assertion (public on chain) with a new code is spent.
		let code = code_proof(ALICE, 222222);
		assert_noop!(authorize(ALICE, &call, vec![fido, code]), Error::<Test>::ChallengeMismatch);
	});
}

#[test]
fn value_split_over_transactions_escapes_the_large_transfer_rule() {
	new_test_ext().execute_with(|| {
		let _ = equipped(ALICE);
		// 4,000 VE to a known recipient: under the 5,000 VE threshold.
		assert_eq!(submit(ALICE, transfer(KNOWN, 4_000 * VE)), Ok(Ok(())));
		// Another 4,000 VE within the window: 8,000 VE moved without MFA is a large transfer.
		assert_eq!(submit(ALICE, transfer(KNOWN, 4_000 * VE)), refused(MFA_REQUIRED));
		let req = Mfa::requirement_of(&ALICE, &transfer(KNOWN, 4_000 * VE)).unwrap();
		assert_eq!(req.requirement.factors, FactorSet::of(&[V, F2]));
		// Small amounts still pass until the window's total reaches the threshold.
		assert_eq!(submit(ALICE, transfer(KNOWN, 1_000 * VE)), Ok(Ok(())));
		assert_eq!(submit(ALICE, transfer(KNOWN, 1)), refused(MFA_REQUIRED));
		// Two windows later (100 blocks each in the mock) the account starts afresh.
		System::set_block_number(201);
		assert_eq!(submit(ALICE, transfer(KNOWN, 4_000 * VE)), Ok(Ok(())));
	});
}

#[test]
fn authorized_value_does_not_count_against_the_window() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let large = transfer(KNOWN, 6_000 * VE);
		let p = alice.proofs(ALICE, &large, FactorSet::of(&[F2]));
		assert_ok!(authorize(ALICE, &large, p));
		assert_eq!(submit(ALICE, large), Ok(Ok(())));
		// The session for transfers covers more within its timeout…
		System::set_block_number(1 + crate::policy::DEFAULT_SESSION_BLOCKS as u64 + 1);
		// …and after it, what was authorized is not held against the account.
		assert_eq!(submit(ALICE, transfer(KNOWN, 4_000 * VE)), Ok(Ok(())));
	});
}
