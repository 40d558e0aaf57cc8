//! Unit tests: round trips, every rejection path, and tampering with any bit of any field.

use codec::{Decode, Encode};
use proptest::prelude::*;
use sp_core::Pair;

use crate::*;

fn alice() -> SenderKey {
	SenderKey::Sr25519(sp_core::sr25519::Pair::from_string("//Alice", None).expect("dev seed"))
}

fn secrets(n: usize) -> Vec<RecipientSecret> {
	(0..n).map(|i| RecipientSecret::from_bytes([i as u8 + 1; 32])).collect()
}

fn publics(secrets: &[RecipientSecret]) -> Vec<[u8; 32]> {
	secrets.iter().map(|s| s.public()).collect()
}

fn sealed(plaintext: &[u8], recipients: &[RecipientSecret]) -> Envelope {
	seal(plaintext, &publics(recipients), &alice(), b"test", 1_700_000_000_000, &Limits::DEFAULT)
		.expect("seal")
}

#[test]
fn every_recipient_opens_and_nobody_else() {
	let keys = secrets(10);
	let envelope = sealed(b"the secret", &keys);
	assert_eq!(envelope.recipients.len(), 10);
	verify_structure(&envelope, &Limits::DEFAULT).expect("structure");
	verify_sender(&envelope).expect("signature");
	for key in &keys {
		assert_eq!(open(&envelope, key.as_bytes()).expect("open"), b"the secret");
	}
	let stranger = RecipientSecret::from_bytes([99; 32]);
	assert_eq!(open(&envelope, stranger.as_bytes()), Err(Error::NotARecipient));
}

#[test]
fn ed25519_senders_sign_too() {
	let keys = secrets(1);
	let sender =
		SenderKey::Ed25519(sp_core::ed25519::Pair::from_string("//Bob", None).expect("seed"));
	let envelope = seal(b"x", &publics(&keys), &sender, b"", 0, &Limits::DEFAULT).expect("seal");
	assert_eq!(envelope.sender.scheme, SCHEME_ED25519);
	assert_eq!(open(&envelope, keys[0].as_bytes()).expect("open"), b"x");
}

#[test]
fn empty_and_large_payloads() {
	let keys = secrets(2);
	assert_eq!(open(&sealed(b"", &keys), keys[1].as_bytes()).expect("open"), b"");
	let big = vec![7u8; 1 << 20];
	assert_eq!(open(&sealed(&big, &keys), keys[0].as_bytes()).expect("open"), big);
}

#[test]
fn each_envelope_has_fresh_ephemeral_key_and_nonces() {
	let keys = secrets(1);
	let a = sealed(b"same", &keys);
	let b = sealed(b"same", &keys);
	assert_ne!(a.ephemeral_public, b.ephemeral_public);
	assert_ne!(a.payload_nonce, b.payload_nonce);
	assert_ne!(a.ciphertext, b.ciphertext);
}

#[test]
fn key_id_is_first_20_bytes_of_sha256() {
	// SHA-256 of 32 zero bytes starts 66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925.
	assert_eq!(hex::encode(key_id(&[0u8; 32])), "66687aadf862bd776c8fc18b8e9f8e2008971485");
}

#[test]
fn limits_are_enforced_when_sealing() {
	let keys = secrets(3);
	let tight = Limits { max_recipients: 2, max_ciphertext: 20, max_content_type: 3 };
	let s = alice();
	assert_eq!(
		seal(b"x", &publics(&keys), &s, b"", 0, &tight),
		Err(Error::TooManyRecipients { max: 2, actual: 3 })
	);
	assert_eq!(
		seal(b"12345", &publics(&keys[..1]), &s, b"", 0, &tight),
		Err(Error::TooLarge { max: 20, actual: 21 })
	);
	assert_eq!(
		seal(b"x", &publics(&keys[..1]), &s, b"long", 0, &tight),
		Err(Error::ContentTypeTooLong { max: 3, actual: 4 })
	);
	assert_eq!(seal(b"x", &[], &s, b"", 0, &tight), Err(Error::NoRecipients));
	let dup = [keys[0].public(), keys[0].public()];
	assert_eq!(
		seal(b"x", &dup, &s, b"", 0, &Limits::DEFAULT),
		Err(Error::DuplicateRecipient(keys[0].key_id()))
	);
	assert_eq!(seal(b"x", &[[0u8; 32]], &s, b"", 0, &Limits::DEFAULT), Err(Error::SmallOrderKey));
}

#[test]
fn structure_errors_are_distinct() {
	let keys = secrets(2);
	let good = sealed(b"payload", &keys);
	let limits = Limits::DEFAULT;

	let mut e = good.clone();
	e.version = 2;
	assert_eq!(verify_structure(&e, &limits), Err(Error::UnknownVersion(2)));
	let mut e = good.clone();
	e.algorithm = 9;
	assert_eq!(verify_structure(&e, &limits), Err(Error::UnknownAlgorithm(9)));
	let mut e = good.clone();
	e.sender.scheme = 3;
	assert_eq!(verify_structure(&e, &limits), Err(Error::UnknownSignatureScheme(3)));
	let mut e = good.clone();
	e.recipients[1].wrapped_key.pop();
	assert_eq!(
		verify_structure(&e, &limits),
		Err(Error::WrongSize { field: "wrapped_key", expected: 72, actual: 71 })
	);
	let mut e = good.clone();
	e.recipients[1] = e.recipients[0].clone();
	assert_eq!(
		verify_structure(&e, &limits),
		Err(Error::DuplicateRecipient(e.recipients[0].key_id))
	);
	let mut e = good.clone();
	e.recipients.clear();
	assert_eq!(verify_structure(&e, &limits), Err(Error::NoRecipients));
	let mut e = good.clone();
	e.ciphertext.truncate(3);
	assert!(matches!(
		verify_structure(&e, &limits),
		Err(Error::WrongSize { field: "ciphertext", .. })
	));
	let mut e = good.clone();
	e.ephemeral_public = [0u8; 32];
	assert_eq!(verify_structure(&e, &limits), Err(Error::SmallOrderKey));
	let tight = Limits { max_recipients: 1, ..Limits::DEFAULT };
	assert_eq!(
		verify_structure(&good, &tight),
		Err(Error::TooManyRecipients { max: 1, actual: 2 })
	);
	let tight = Limits { max_ciphertext: 10, ..Limits::DEFAULT };
	assert!(matches!(verify_structure(&good, &tight), Err(Error::TooLarge { .. })));
}

#[test]
fn signature_covers_recipients_and_signer() {
	let keys = secrets(2);
	let good = sealed(b"payload", &keys);
	let mut e = good.clone();
	e.recipients.swap(0, 1);
	assert_eq!(verify_sender(&e), Err(Error::BadSignature));
	let mut e = good.clone();
	e.sender.public = sp_core::sr25519::Pair::from_string("//Bob", None).expect("seed").public().0;
	assert_eq!(verify_sender(&e), Err(Error::BadSignature));
	let mut e = good;
	e.created_at += 1;
	assert_eq!(open(&e, keys[0].as_bytes()), Err(Error::BadSignature));
}

#[test]
fn a_forged_envelope_with_a_valid_signature_still_fails_to_decrypt() {
	// An attacker who re-signs after changing the ciphertext gets a valid signature but no
	// plaintext: authenticated decryption catches it.
	let keys = secrets(1);
	let mut e = sealed(b"payload", &keys);
	let last = e.ciphertext.len() - 1;
	e.ciphertext[last] ^= 1;
	let pair = sp_core::sr25519::Pair::from_string("//Alice", None).expect("seed");
	e.sender.signature = pair.sign(&e.signing_hash()).0;
	verify_sender(&e).expect("re-signed");
	assert_eq!(open(&e, keys[0].as_bytes()), Err(Error::Tampered));
}

#[test]
fn scale_and_json_round_trip() {
	let keys = secrets(3);
	let e = sealed(b"round trip", &keys);
	let decoded = Envelope::decode(&mut &e.encode()[..]).expect("scale");
	assert_eq!(decoded, e);
	let json = e.to_json().expect("json");
	assert_eq!(Envelope::from_json(&json).expect("parse"), e);
	assert!(json.contains("\"key_id\""));
	let broken = json.replace(&hex::encode(e.payload_nonce), "abcd");
	assert_eq!(
		Envelope::from_json(&broken),
		Err(Error::WrongSize { field: "payload_nonce", expected: 24, actual: 2 })
	);
	assert_eq!(Envelope::from_json("{}"), Err(Error::Malformed("not an envelope in JSON")));
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

	/// Flipping any single bit of the SCALE encoding is rejected: the envelope no longer
	/// decodes, is structurally invalid, fails the signature, or fails decryption.
	#[test]
	fn any_single_bit_flip_is_rejected(plaintext in proptest::collection::vec(any::<u8>(), 0..64), bit in any::<prop::sample::Index>()) {
		let keys = secrets(2);
		let e = sealed(&plaintext, &keys);
		let mut bytes = e.encode();
		let bit = bit.index(bytes.len() * 8);
		bytes[bit / 8] ^= 1 << (bit % 8);
		let outcome = Envelope::decode(&mut &bytes[..])
			.map_err(|_| ())
			.and_then(|tampered| {
				verify_structure(&tampered, &Limits::DEFAULT).map_err(|_| ())?;
				open(&tampered, keys[0].as_bytes()).map_err(|_| ())
			});
		prop_assert!(outcome.is_err(), "bit {} flipped and the envelope still opened", bit);
	}

	#[test]
	fn every_recipient_opens_random_payloads(plaintext in proptest::collection::vec(any::<u8>(), 0..2048), n in 1usize..8) {
		let keys = secrets(n);
		let e = sealed(&plaintext, &keys);
		for key in &keys {
			prop_assert_eq!(open(&e, key.as_bytes()).expect("open"), plaintext.clone());
		}
	}
}
