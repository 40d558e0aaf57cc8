//! Factors and their changes: the first factor is free and later changes need the enrolled
//! ones; one-time codes (attempt limit, expiry, single use); TOTP attestations; trusted devices;
//! deposits.

use super::*;
use codec::MaxEncodedLen;
use frame_support::traits::Get;

#[test]
fn first_factor_is_free_then_changes_need_the_enrolled_key() {
	new_test_ext().execute_with(|| {
		let mut auth = authenticator();
		enroll(ALICE, &mut auth);
		// A second credential (a thief holding only the account key) is refused.
		let mut thief = SoftAuthenticator::from_secret(&[0x77; 32], b"thief", RP_ID).unwrap();
		let pk = thief.public_key();
		let challenge =
			webauthn::enroll_challenge(&Mfa::genesis(), &ALICE.encode(), &thief.credential_id, &pk);
		let a = to_assertion(&thief.assert(&challenge, ORIGIN), &thief.credential_id);
		let call = RuntimeCall::Mfa(crate::Call::register_credential {
			public_key: pk.to_vec().try_into().unwrap(),
			require_uv: true,
			assertion: a,
		});
		assert_eq!(submit(ALICE, call.clone()), refused(MFA_REQUIRED));
		// The thief's own key cannot authorize it: it is not enrolled.
		let p = fido2(ALICE, &mut thief, &call);
		assert_noop!(authorize(ALICE, &call, vec![p]), Error::<Test>::CredentialNotFound);
		// Removing the owner's credential is refused too.
		let remove = RuntimeCall::Mfa(crate::Call::remove_credential {
			credential_id: auth.credential_id.clone().try_into().unwrap(),
		});
		assert_eq!(submit(ALICE, remove.clone()), refused(MFA_REQUIRED));
		// The owner authorizes the removal (critical: this exact call, once).
		let p = fido2(ALICE, &mut auth, &remove);
		assert_ok!(authorize(ALICE, &remove, vec![p]));
		assert_eq!(submit(ALICE, remove), Ok(Ok(())));
		assert!(crate::Credentials::<Test>::get(ALICE).is_empty());
	});
}

#[test]
fn one_time_codes_single_use_expiry_and_attempt_limit() {
	new_test_ext().execute_with(|| {
		let call = action_call(Action::UpdateAccountSettings, 0, false, true);
		assert_ok!(Mfa::set_channel(RuntimeOrigin::signed(ALICE), ChannelKind::Sms, [1; 32]));
		// Only approved issuers issue codes, only to accounts with a channel, for at most
		// MaxCodeTtl blocks.
		let c = code_commitment(&[1; 32], &ALICE.encode(), 123456);
		assert_noop!(
			Mfa::issue_code(RuntimeOrigin::signed(BOB), ALICE, c, 10),
			Error::<Test>::NotAttester
		);
		assert_noop!(
			Mfa::issue_code(RuntimeOrigin::signed(ISSUER), BOB, c, 10),
			Error::<Test>::ChannelNotFound
		);
		assert_noop!(
			Mfa::issue_code(RuntimeOrigin::signed(ISSUER), ALICE, c, 101),
			Error::<Test>::TtlTooLong
		);
		assert_ok!(Mfa::issue_code(RuntimeOrigin::signed(ISSUER), ALICE, c, 10));

		// Three wrong attempts void the code; each is counted even though nothing is authorized.
		for left in [2u8, 1, 0] {
			assert_ok!(authorize(ALICE, &call, vec![Proof::Code { code: 111111, salt: [1; 32] }]));
			assert_eq!(
				last_event(),
				RuntimeEvent::Mfa(Event::CodeRejected { who: ALICE, attempts_left: left })
			);
		}
		assert!(crate::Codes::<Test>::get(ALICE).is_none());
		// The right code is now useless.
		assert_noop!(
			authorize(ALICE, &call, vec![Proof::Code { code: 123456, salt: [1; 32] }]),
			Error::<Test>::CodeNotFound
		);
		// A right code without its salt fails like a wrong one (the salt is part of the secret).
		assert_ok!(Mfa::issue_code(RuntimeOrigin::signed(ISSUER), ALICE, c, 10));
		assert_ok!(authorize(ALICE, &call, vec![Proof::Code { code: 123456, salt: [2; 32] }]));
		assert_eq!(crate::Codes::<Test>::get(ALICE).unwrap().attempts_left, 2);
		// The right code: authorized and used up.
		assert_ok!(authorize(ALICE, &call, vec![Proof::Code { code: 123456, salt: [1; 32] }]));
		assert!(crate::Codes::<Test>::get(ALICE).is_none());
		assert_eq!(submit(ALICE, call.clone()).map(|_| ()), Ok(()));
		// Expiry.
		assert_ok!(Mfa::issue_code(RuntimeOrigin::signed(ISSUER), ALICE, c, 10));
		System::set_block_number(12);
		assert_noop!(
			authorize(ALICE, &call, vec![Proof::Code { code: 123456, salt: [1; 32] }]),
			Error::<Test>::CodeNotFound
		);
		// 3 attempts per issued code, each needing the issuer: guessing one of 10^6 codes
		// succeeds with probability 3e-6 per code the issuer is made to send.
		assert_eq!(<<Test as crate::Config>::MaxCodeAttempts as Get<u8>>::get(), 3);
	});
}

#[test]
fn totp_verifier_attests_a_challenge() {
	new_test_ext().execute_with(|| {
		// Alice requires TOTP for leases (tier 3) after binding TOTP to the verifier.
		assert_noop!(
			Mfa::bind_totp(RuntimeOrigin::signed(ALICE), BOB, [3; 32]),
			Error::<Test>::NotAttester
		);
		assert_ok!(Mfa::bind_totp(RuntimeOrigin::signed(ALICE), ISSUER, [3; 32]));
		let set = RuntimeCall::Mfa(crate::Call::set_requirement {
			action: Action::LeaseClose,
			factors: FactorSet::of(&[Factor::Totp]),
		});
		// Changing requirements now needs the enrolled TOTP factor.
		assert_eq!(submit(ALICE, set.clone()), refused(MFA_REQUIRED));
		let challenge = Mfa::authorize_challenge(&ALICE, &set);
		// Only Alice's verifier attests for her.
		assert_ok!(Mfa::add_attester(RuntimeOrigin::root(), BOB));
		assert_noop!(
			Mfa::attest_totp(RuntimeOrigin::signed(BOB), ALICE, challenge, 10),
			Error::<Test>::NotTheVerifier
		);
		assert_noop!(
			authorize(ALICE, &set, vec![Proof::Totp]),
			Error::<Test>::TotpAttestationNotFound
		);
		// An attestation for another challenge does not count.
		assert_ok!(Mfa::attest_totp(RuntimeOrigin::signed(ISSUER), ALICE, [0; 32], 10));
		assert_noop!(
			authorize(ALICE, &set, vec![Proof::Totp]),
			Error::<Test>::TotpAttestationNotFound
		);
		assert_ok!(Mfa::attest_totp(RuntimeOrigin::signed(ISSUER), ALICE, challenge, 10));
		assert_ok!(authorize(ALICE, &set, vec![Proof::Totp]));
		assert!(crate::TotpAttestations::<Test>::get(ALICE).is_none());
		assert_eq!(submit(ALICE, set), Ok(Ok(())));
		assert_eq!(
			submit(ALICE, action_call(Action::LeaseClose, 0, false, false)),
			refused(MFA_REQUIRED)
		);
	});
}

#[test]
fn trusted_device_stands_in_for_one_factor_but_never_for_critical_or_veid() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let device = ed25519::Pair::from_seed(&[5; 32]);
		let key = device.public().0;
		// Trusting a device is a factor change: the enrolled FIDO2 key and code channel first.
		let sig = device.sign(&Mfa::device_enroll_challenge(&ALICE, &key)).0;
		let add = RuntimeCall::Mfa(crate::Call::add_device { key, signature: sig });
		assert_eq!(submit(ALICE, add.clone()), refused(MFA_REQUIRED));
		let p = alice.proofs(ALICE, &add, FactorSet::of(&[F2, Otp]));
		assert_ok!(authorize(ALICE, &add, p));
		assert_eq!(submit(ALICE, add.clone()), Ok(Ok(())));
		// A device cannot be added with another device's signature.
		let other = ed25519::Pair::from_seed(&[6; 32]);
		let bad =
			RuntimeCall::Mfa(crate::Call::add_device { key: other.public().0, signature: sig });
		// (Now the trusted device is an enrolled factor too.)
		let mut p = alice.proofs(ALICE, &bad, FactorSet::of(&[F2, Otp]));
		p.push(Proof::Device {
			key,
			signature: device.sign(&Mfa::authorize_challenge(&ALICE, &bad)).0,
		});
		assert_ok!(authorize(ALICE, &bad, p));
		assert_eq!(submit(ALICE, bad), Ok(Err(Error::<Test>::InvalidDeviceSignature.into())));

		let device_proof = |call: &RuntimeCall| Proof::Device {
			key,
			signature: device.sign(&Mfa::authorize_challenge(&ALICE, call)).0,
		};
		// Transfer to a new address (FIDO2): the device alone suffices.
		let t = transfer(BOB, VE);
		assert_ok!(authorize(ALICE, &t, vec![device_proof(&t)]));
		assert_eq!(submit(ALICE, t.clone()), Ok(Ok(())));
		// Large transfer (VEID + FIDO2): device + VEID suffice; without VEID, not.
		let large = transfer(KNOWN, 6_000 * VE);
		set_tier(ALICE, None);
		assert_noop!(
			authorize(ALICE, &large, vec![device_proof(&large)]),
			Error::<Test>::InsufficientFactors
		);
		set_tier(ALICE, Some(Tier::Premium));
		assert_ok!(authorize(ALICE, &large, vec![device_proof(&large)]));
		// Critical (key rotation): the device does not count.
		let rotate = action_call(Action::KeyRotation, 0, false, false);
		assert_noop!(
			authorize(ALICE, &rotate, vec![device_proof(&rotate)]),
			Error::<Test>::InsufficientFactors
		);
		// A forged device signature.
		let forged = Proof::Device { key, signature: [1; 64] };
		let t = transfer(30, VE);
		assert_noop!(authorize(ALICE, &t, vec![forged]), Error::<Test>::InvalidDeviceSignature);
	});
}

#[test]
fn deposits_cover_every_stored_byte() {
	new_test_ext().execute_with(|| {
		let held =
			|| Balances::balance_on_hold(&RuntimeHoldReason::Mfa(HoldReason::Factors), &ALICE);
		// Genesis knowledge (one known recipient) was not charged; the first change charges all.
		let mut auth = authenticator();
		enroll(ALICE, &mut auth);
		let expected = Mfa::footprint(&ALICE) as u64;
		assert_eq!(held(), expected);
		assert_eq!(expected, (crate::Credential::max_encoded_len() + 8) as u64);
		assert_ok!(Mfa::set_channel(RuntimeOrigin::signed(ALICE), ChannelKind::Sms, [1; 32]));
		assert_eq!(held(), Mfa::footprint(&ALICE) as u64);
		assert!(held() > expected);
	});
}
