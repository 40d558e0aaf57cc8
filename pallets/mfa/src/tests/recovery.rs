//! Account recovery with the lost account's own factors, after a delay the owner may cancel.

use super::*;
use frame_support::traits::Get;

#[test]
fn account_recovery_with_the_lost_accounts_factors_after_a_delay() {
	new_test_ext().execute_with(|| {
		const RESCUER: u64 = 7;
		// Bob (the lost account) has FIDO2, an SMS channel and a Premium identity.
		let mut bob = equipped(BOB);
		let proofs_for = |bob: &mut Equipped, rescuer: u64, code: u32| {
			let challenge = Mfa::recovery_challenge(&BOB, &rescuer);
			let a = bob.auth.assert(&challenge, ORIGIN);
			vec![Proof::Fido2(to_assertion(&a, &bob.auth.credential_id)), code_proof(BOB, code)]
		};
		let initiate = |lost: u64, by: u64, p: Vec<Proof>| {
			Mfa::initiate_recovery(RuntimeOrigin::signed(by), lost, proofs(p))
		};

		// Without the code (two of three factors): refused.
		let challenge = Mfa::recovery_challenge(&BOB, &RESCUER);
		let only_fido = vec![Proof::Fido2(to_assertion(
			&bob.auth.assert(&challenge, ORIGIN),
			&bob.auth.credential_id,
		))];
		assert_noop!(initiate(BOB, RESCUER, only_fido), Error::<Test>::InsufficientFactors);
		// Without a verified identity: refused.
		set_tier(BOB, None);
		let p = proofs_for(&mut bob, RESCUER, 111111);
		assert_noop!(initiate(BOB, RESCUER, p), Error::<Test>::RecoveryDisabled);
		set_tier(BOB, Some(Tier::Basic));
		let p = proofs_for(&mut bob, RESCUER, 111112);
		assert_noop!(initiate(BOB, RESCUER, p), Error::<Test>::InsufficientFactors);
		set_tier(BOB, Some(Tier::Standard));
		// Proofs made for another rescuer do not transfer.
		let p = proofs_for(&mut bob, ALICE, 111113);
		assert_noop!(initiate(BOB, RESCUER, p), Error::<Test>::ChallengeMismatch);
		// Nobody recovers themselves; an account without the factors cannot be recovered.
		let p = proofs_for(&mut bob, BOB, 111114);
		assert_noop!(initiate(BOB, BOB, p), Error::<Test>::RecoverSelf);
		assert_noop!(initiate(KNOWN, RESCUER, vec![]), Error::<Test>::RecoveryDisabled);

		// All three: initiated, claimable after the delay (20 blocks in the mock).
		let p = proofs_for(&mut bob, RESCUER, 222222);
		assert_ok!(initiate(BOB, RESCUER, p));
		assert_eq!(
			last_event(),
			RuntimeEvent::Mfa(Event::RecoveryInitiated {
				lost: BOB,
				rescuer: RESCUER,
				executable_at: 21
			})
		);
		// A second recovery while one is under way: refused.
		let p = proofs_for(&mut bob, RESCUER, 333333);
		assert_noop!(initiate(BOB, RESCUER, p), Error::<Test>::RecoveryAlreadyExists);
		assert_noop!(
			Mfa::claim_recovery(RuntimeOrigin::signed(ALICE), BOB),
			Error::<Test>::NotRescuer
		);
		assert_noop!(
			Mfa::claim_recovery(RuntimeOrigin::signed(RESCUER), BOB),
			Error::<Test>::TooEarly
		);

		// The owner (who still has the key after all) cancels; a new recovery starts over.
		assert_ok!(Mfa::cancel_recovery(RuntimeOrigin::signed(BOB)));
		assert_noop!(
			Mfa::claim_recovery(RuntimeOrigin::signed(RESCUER), BOB),
			Error::<Test>::RecoveryNotFound
		);
		let p = proofs_for(&mut bob, RESCUER, 444444);
		assert_ok!(initiate(BOB, RESCUER, p));

		System::set_block_number(21);
		let bob_free = Balances::free_balance(BOB);
		let held = Balances::balance_on_hold(&RuntimeHoldReason::Mfa(HoldReason::Factors), &BOB);
		assert!(held > 0);
		assert_ok!(Mfa::claim_recovery(RuntimeOrigin::signed(RESCUER), BOB));
		// Bob's factors are gone and his deposit returned; all but the existential deposit moved.
		assert!(crate::Credentials::<Test>::get(BOB).is_empty());
		assert!(crate::Channels::<Test>::get(BOB).is_empty());
		assert_eq!(
			Balances::balance_on_hold(&RuntimeHoldReason::Mfa(HoldReason::Factors), &BOB),
			0
		);
		let ed: u64 = <Test as pallet_balances::Config>::ExistentialDeposit::get();
		assert_eq!(Balances::free_balance(RESCUER), bob_free + held - ed);
		assert_eq!(Balances::free_balance(BOB), ed);
		assert!(crate::Recoveries::<Test>::get(BOB).is_none());
	});
}
