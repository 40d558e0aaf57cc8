//! Register, rotate, revoke, remove; deposits; envelope checks.

use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_core::Pair;
use virtengine_envelope::{seal, Limits, SenderKey};

use crate::{
	mock::*, possession, AccountKeySet, EnvelopeCheckError, Error, Event, HoldReason, KeyProof,
	KeyState, Keys,
};

/// A recipient key as clients make it: an ed25519 seed, whose Montgomery form is the X25519 key.
struct TestKey(sp_core::ed25519::Pair);

impl TestKey {
	fn public(&self) -> [u8; 32] {
		possession::x25519_of_ed25519(&self.0.public().0).expect("a Montgomery form")
	}
	fn key_id(&self) -> [u8; 20] {
		virtengine_envelope::key_id(&self.public())
	}
	/// The proof that `who` holds this key.
	fn proof(&self, who: u64) -> KeyProof {
		let statement = possession::statement(&who, &self.public());
		KeyProof { ed25519: self.0.public().0, signature: self.0.sign(&statement).0 }
	}
}

fn key(n: u8) -> TestKey {
	TestKey(sp_core::ed25519::Pair::from_seed(&[n; 32]))
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&RuntimeHoldReason::Encryption(HoldReason::KeyDeposit), &who)
}

#[test]
fn register_holds_a_deposit_and_sets_the_active_key() {
	new_test_ext().execute_with(|| {
		let k = key(1);
		assert_ok!(Encryption::register_key(RuntimeOrigin::signed(1), k.public(), k.proof(1)));
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
			Encryption::register_key(RuntimeOrigin::signed(1), key(2).public(), key(2).proof(1)),
			Error::<Test>::ActiveKeyAlreadyExists
		);
	});
}

#[test]
fn bad_keys_are_refused_and_cost_nothing() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Encryption::register_key(RuntimeOrigin::signed(1), [0u8; 32], small_order_proof()),
			Error::<Test>::WeakKey
		);
		assert_ok!(Encryption::register_key(
			RuntimeOrigin::signed(1),
			key(1).public(),
			key(1).proof(1)
		));
		assert_noop!(
			Encryption::register_key(RuntimeOrigin::signed(2), key(1).public(), key(1).proof(2)),
			Error::<Test>::KeyAlreadyExists
		);
		assert_eq!(held(2), 0);
		// Too poor for the deposit: refused, nothing stored.
		assert!(Encryption::register_key(
			RuntimeOrigin::signed(9),
			key(9).public(),
			key(9).proof(9)
		)
		.is_err());
		assert!(AccountKeySet::<Test>::get(9).is_none());
		assert!(Keys::<Test>::get(key(9).key_id()).is_none());
	});
}

#[test]
fn rotate_retires_the_old_key_and_bumps_the_version() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Encryption::rotate_key(RuntimeOrigin::signed(1), key(2).public(), key(2).proof(1)),
			Error::<Test>::ActiveKeyNotFound
		);
		assert_ok!(Encryption::register_key(
			RuntimeOrigin::signed(1),
			key(1).public(),
			key(1).proof(1)
		));
		System::set_block_number(5);
		assert_ok!(Encryption::rotate_key(
			RuntimeOrigin::signed(1),
			key(2).public(),
			key(2).proof(1)
		));
		assert_eq!(Encryption::active_key(&1).map(|(id, _)| id), Some(key(2).key_id()));
		assert_eq!(
			Keys::<Test>::get(key(1).key_id()).map(|r| r.state),
			Some(KeyState::Retired { at: 5 })
		);
		assert_eq!(Keys::<Test>::get(key(2).key_id()).map(|r| r.version), Some(2));
		assert_eq!(held(1), 2 * Encryption::key_deposit());
		// At most three keys per account in this runtime.
		assert_ok!(Encryption::rotate_key(
			RuntimeOrigin::signed(1),
			key(3).public(),
			key(3).proof(1)
		));
		assert_noop!(
			Encryption::rotate_key(RuntimeOrigin::signed(1), key(4).public(), key(4).proof(1)),
			Error::<Test>::TooManyKeys
		);
	});
}

#[test]
fn revoke_and_remove_follow_the_rules_and_release_deposits() {
	new_test_ext().execute_with(|| {
		assert_ok!(Encryption::register_key(
			RuntimeOrigin::signed(1),
			key(1).public(),
			key(1).proof(1)
		));
		assert_ok!(Encryption::rotate_key(
			RuntimeOrigin::signed(1),
			key(2).public(),
			key(2).proof(1)
		));
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
			Error::<Test>::KeyNotFound
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
		assert_ok!(Encryption::register_key(
			RuntimeOrigin::signed(1),
			key(3).public(),
			key(3).proof(1)
		));
	});
}

#[test]
fn check_envelope_wants_registered_active_recipients() {
	new_test_ext().execute_with(|| {
		let sender = SenderKey::Sr25519(sp_core::Pair::from_seed(&[7; 32]));
		let (a, b) = (key(1), key(2));
		assert_ok!(Encryption::register_key(RuntimeOrigin::signed(1), a.public(), a.proof(1)));
		let to_a = seal(b"x", &[a.public()], &sender, b"t", 0, &Limits::DEFAULT).expect("seal");
		assert_eq!(Encryption::check_envelope(&to_a), Ok(()));

		let to_b = seal(b"x", &[a.public(), b.public()], &sender, b"t", 0, &Limits::DEFAULT)
			.expect("seal");
		assert_eq!(
			Encryption::check_envelope(&to_b),
			Err(EnvelopeCheckError::UnknownRecipient(b.key_id()))
		);

		assert_ok!(Encryption::rotate_key(RuntimeOrigin::signed(1), b.public(), b.proof(1)));
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

/// A "proof" for the small-order key u = 0, forged: its ed25519 form (0, −1) has order 2, so
/// the signature R = identity, s = 0 passes the cofactored check for any message. Possession
/// of a small-order key means nothing; the small-order refusal must still stand.
fn small_order_proof() -> KeyProof {
	let mut ed25519 = [0xff; 32];
	ed25519[0] = 0xec;
	ed25519[31] = 0x7f;
	let mut signature = [0u8; 64];
	signature[0] = 1;
	KeyProof { ed25519, signature }
}

#[test]
fn thief_registers_someone_elses_key_as_theirs() {
	new_test_ext().execute_with(|| {
		// The victim's public key is public: anyone may try to register it for themselves, so
		// that envelopes sealed to "the thief's key" are readable only by the victim, or to
		// squat the key before its owner registers it.
		let (victim, thief) = (key(1), key(2));
		let victims = victim.public();
		// With the thief's own ed25519 key: it does not map to the victim's key.
		assert_noop!(
			Encryption::register_key(RuntimeOrigin::signed(2), victims, thief.proof(2)),
			Error::<Test>::InvalidProof
		);
		// With the victim's proof (made for the victim's account, 1): bound to that account.
		assert_noop!(
			Encryption::register_key(RuntimeOrigin::signed(2), victims, victim.proof(1)),
			Error::<Test>::InvalidProof
		);
		// The same key in another encoding (the top bit set, which X25519 ignores) is refused,
		// not registered as a second key.
		let mut other_encoding = victims;
		other_encoding[31] |= 0x80;
		assert_noop!(
			Encryption::register_key(RuntimeOrigin::signed(1), other_encoding, victim.proof(1)),
			Error::<Test>::InvalidProof
		);
		assert_eq!(held(2), 0);
		// Rotation needs the proof too.
		assert_ok!(Encryption::register_key(
			RuntimeOrigin::signed(2),
			thief.public(),
			thief.proof(2)
		));
		assert_noop!(
			Encryption::rotate_key(RuntimeOrigin::signed(2), victims, thief.proof(2)),
			Error::<Test>::InvalidProof
		);
		// The owner registers its key with its proof.
		assert_ok!(Encryption::register_key(RuntimeOrigin::signed(1), victims, victim.proof(1)));
		assert_eq!(Keys::<Test>::get(victim.key_id()).map(|r| r.owner), Some(1));
	});
}

/// The benchmarks' fixed key and proofs are what the seed and the accounts give.
#[cfg(feature = "runtime-benchmarks")]
#[test]
fn benchmark_fixture_is_a_valid_proof() {
	use crate::benchmarking::fixture;
	let pair = sp_core::ed25519::Pair::from_seed(&[0x42; 32]);
	assert_eq!(pair.public().0, fixture::ED25519);
	assert_eq!(possession::x25519_of_ed25519(&fixture::ED25519), Some(fixture::PUBLIC));
	let who: u64 = frame_benchmarking::account("who", 0, 0);
	let proof = KeyProof { ed25519: fixture::ED25519, signature: fixture::SIGNATURE_U64 };
	assert!(possession::verify(&who, &fixture::PUBLIC, &proof));
	let who: sp_runtime::AccountId32 = frame_benchmarking::account("who", 0, 0);
	let proof = KeyProof { ed25519: fixture::ED25519, signature: fixture::SIGNATURE_ACCOUNT_ID32 };
	assert!(possession::verify(&who, &fixture::PUBLIC, &proof));
}
