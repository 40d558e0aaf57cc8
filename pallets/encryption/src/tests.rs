//! Register, rotate, revoke, remove; deposits; envelope checks.

use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use virtengine_envelope::{seal, Limits, RecipientSecret, SenderKey};

use crate::{mock::*, AccountKeySet, EnvelopeCheckError, Error, Event, HoldReason, KeyState, Keys};

fn key(n: u8) -> RecipientSecret {
	RecipientSecret::from_bytes([n; 32])
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&RuntimeHoldReason::Encryption(HoldReason::KeyDeposit), &who)
}

#[test]
fn register_holds_a_deposit_and_sets_the_active_key() {
	new_test_ext().execute_with(|| {
		let k = key(1);
		assert_ok!(Encryption::register_key(RuntimeOrigin::signed(1), k.public()));
		let deposit = Encryption::key_deposit();
		assert!(deposit > 100, "base plus bytes");
		assert_eq!(held(1), deposit);
		assert_eq!(Encryption::active_key(&1), Some((k.key_id(), k.public())));
		let record = Keys::<Test>::get(k.key_id()).expect("stored");
		assert_eq!((record.owner, record.version, record.state), (1, 1, KeyState::Active));
		System::assert_last_event(
			Event::KeyRegistered { who: 1, key_id: k.key_id(), version: 1, deposit }.into(),
		);
		// One active key per account: the second registration must be a rotation.
		assert_noop!(
			Encryption::register_key(RuntimeOrigin::signed(1), key(2).public()),
			Error::<Test>::AlreadyExists
		);
	});
}

#[test]
fn bad_keys_are_refused_and_cost_nothing() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Encryption::register_key(RuntimeOrigin::signed(1), [0u8; 32]),
			Error::<Test>::SmallOrderKey
		);
		assert_ok!(Encryption::register_key(RuntimeOrigin::signed(1), key(1).public()));
		assert_noop!(
			Encryption::register_key(RuntimeOrigin::signed(2), key(1).public()),
			Error::<Test>::KeyAlreadyRegistered
		);
		assert_eq!(held(2), 0);
		// Too poor for the deposit: refused, nothing stored.
		assert!(Encryption::register_key(RuntimeOrigin::signed(9), key(9).public()).is_err());
		assert!(AccountKeySet::<Test>::get(9).is_none());
		assert!(Keys::<Test>::get(key(9).key_id()).is_none());
	});
}

#[test]
fn rotate_retires_the_old_key_and_bumps_the_version() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Encryption::rotate_key(RuntimeOrigin::signed(1), key(2).public()),
			Error::<Test>::NoActiveKey
		);
		assert_ok!(Encryption::register_key(RuntimeOrigin::signed(1), key(1).public()));
		System::set_block_number(5);
		assert_ok!(Encryption::rotate_key(RuntimeOrigin::signed(1), key(2).public()));
		assert_eq!(Encryption::active_key(&1).map(|(id, _)| id), Some(key(2).key_id()));
		assert_eq!(
			Keys::<Test>::get(key(1).key_id()).map(|r| r.state),
			Some(KeyState::Retired { at: 5 })
		);
		assert_eq!(Keys::<Test>::get(key(2).key_id()).map(|r| r.version), Some(2));
		assert_eq!(held(1), 2 * Encryption::key_deposit());
		// At most three keys per account in this runtime.
		assert_ok!(Encryption::rotate_key(RuntimeOrigin::signed(1), key(3).public()));
		assert_noop!(
			Encryption::rotate_key(RuntimeOrigin::signed(1), key(4).public()),
			Error::<Test>::TooManyKeys
		);
	});
}

#[test]
fn revoke_and_remove_follow_the_rules_and_release_deposits() {
	new_test_ext().execute_with(|| {
		assert_ok!(Encryption::register_key(RuntimeOrigin::signed(1), key(1).public()));
		assert_ok!(Encryption::rotate_key(RuntimeOrigin::signed(1), key(2).public()));
		assert_noop!(
			Encryption::revoke_key(RuntimeOrigin::signed(2), key(1).key_id()),
			Error::<Test>::NotAuthorized
		);
		assert_noop!(
			Encryption::remove_key(RuntimeOrigin::signed(1), key(2).key_id()),
			Error::<Test>::KeyStillActive
		);
		assert_noop!(
			Encryption::remove_key(RuntimeOrigin::signed(1), key(7).key_id()),
			Error::<Test>::NotFound
		);
		// Remove the retired key: its deposit comes back.
		let before = held(1);
		assert_ok!(Encryption::remove_key(RuntimeOrigin::signed(1), key(1).key_id()));
		assert_eq!(held(1), before - Encryption::key_deposit());
		assert!(Keys::<Test>::get(key(1).key_id()).is_none());
		// Revoke the active key: no active key any more; then remove it too.
		assert_ok!(Encryption::revoke_key(RuntimeOrigin::signed(1), key(2).key_id()));
		assert_eq!(Encryption::active_key(&1), None);
		assert_noop!(
			Encryption::revoke_key(RuntimeOrigin::signed(1), key(2).key_id()),
			Error::<Test>::AlreadyRevoked
		);
		assert_ok!(Encryption::remove_key(RuntimeOrigin::signed(1), key(2).key_id()));
		assert_eq!(held(1), 0);
		assert!(AccountKeySet::<Test>::get(1).is_none(), "nothing left stored for the account");
		// After revoking, the account may register afresh.
		assert_ok!(Encryption::register_key(RuntimeOrigin::signed(1), key(3).public()));
	});
}

#[test]
fn check_envelope_wants_registered_active_recipients() {
	new_test_ext().execute_with(|| {
		let sender = SenderKey::Sr25519(sp_core::Pair::from_seed(&[7; 32]));
		let (a, b) = (key(1), key(2));
		assert_ok!(Encryption::register_key(RuntimeOrigin::signed(1), a.public()));
		let to_a = seal(b"x", &[a.public()], &sender, b"t", 0, &Limits::DEFAULT).expect("seal");
		assert_eq!(Encryption::check_envelope(&to_a), Ok(()));

		let to_b = seal(b"x", &[a.public(), b.public()], &sender, b"t", 0, &Limits::DEFAULT)
			.expect("seal");
		assert_eq!(
			Encryption::check_envelope(&to_b),
			Err(EnvelopeCheckError::UnknownRecipient(b.key_id()))
		);

		assert_ok!(Encryption::rotate_key(RuntimeOrigin::signed(1), b.public()));
		assert_eq!(
			Encryption::check_envelope(&to_a),
			Err(EnvelopeCheckError::InactiveRecipient(a.key_id()))
		);

		// The chain's limits apply: this runtime allows 4 recipients and 32-byte content types.
		let many: Vec<_> = (10..15).map(|n| key(n).public()).collect();
		let too_many = seal(b"x", &many, &sender, b"t", 0, &Limits::DEFAULT).expect("seal");
		assert!(matches!(
			Encryption::check_envelope(&too_many),
			Err(EnvelopeCheckError::Structure(
				virtengine_envelope::Error::TooManyRecipients { .. }
			))
		));
	});
}
