//! Known-answer tests: libsodium's own `crypto_box` and `crypto_secretbox` vectors
//! (test/default/box.c, secretbox.c and their .exp files: the NaCl paper's example), and the
//! Wycheproof X25519 vectors, through the primitives and the byte layout the envelope uses.

use crypto_box::{
	aead::{generic_array::GenericArray, AeadInPlace, KeyInit},
	SalsaBox,
};
use xsalsa20poly1305::XSalsa20Poly1305;

fn h(text: &str) -> Vec<u8> {
	hex::decode(text).expect("hex")
}

fn a32(text: &str) -> [u8; 32] {
	h(text).try_into().expect("32 bytes")
}

const ALICE_SK: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const BOB_PK: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const NONCE: &str = "69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37";
/// `crypto_box_beforenm(bobpk, alicesk)`: secretbox.c's `firstkey`.
const SHARED_KEY: &str = "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389";
const SMALL_ORDER_P: &str = "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800";
const MESSAGE: &str = "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705";
/// box.exp / secretbox.exp: `MAC(16) ‖ ciphertext(131)`.
const EXPECTED: &str = "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5";

/// `tag ‖ ciphertext`, the libsodium `_easy` layout the envelope uses.
fn seal_detached(cipher: &impl AeadInPlace, nonce: &[u8], plaintext: &[u8]) -> Vec<u8> {
	let mut buffer = plaintext.to_vec();
	let tag = cipher
		.encrypt_in_place_detached(GenericArray::from_slice(nonce), b"", &mut buffer)
		.expect("encrypt");
	[tag.as_slice(), &buffer].concat()
}

fn open_detached(cipher: &impl AeadInPlace, nonce: &[u8], boxed: &[u8]) -> Option<Vec<u8>> {
	let (tag, ciphertext) = boxed.split_at(16);
	let mut buffer = ciphertext.to_vec();
	cipher
		.decrypt_in_place_detached(
			GenericArray::from_slice(nonce),
			b"",
			&mut buffer,
			GenericArray::from_slice(tag),
		)
		.ok()
		.map(|()| buffer)
}

#[test]
fn libsodium_crypto_box_vector() {
	let salsa_box = SalsaBox::new(
		&crypto_box::PublicKey::from(a32(BOB_PK)),
		&crypto_box::SecretKey::from(a32(ALICE_SK)),
	);
	let boxed = seal_detached(&salsa_box, &h(NONCE), &h(MESSAGE));
	assert_eq!(hex::encode(&boxed), EXPECTED);
	assert_eq!(open_detached(&salsa_box, &h(NONCE), &boxed), Some(h(MESSAGE)));
	let mut forged = boxed.clone();
	forged[20] ^= 0x80;
	assert_eq!(open_detached(&salsa_box, &h(NONCE), &forged), None);
}

#[test]
fn libsodium_crypto_secretbox_vector() {
	let cipher = XSalsa20Poly1305::new(GenericArray::from_slice(&h(SHARED_KEY)));
	let boxed = seal_detached(&cipher, &h(NONCE), &h(MESSAGE));
	assert_eq!(hex::encode(&boxed), EXPECTED);
	assert_eq!(open_detached(&cipher, &h(NONCE), &boxed), Some(h(MESSAGE)));
}

#[test]
fn libsodium_vectors_through_the_envelope_secretbox() {
	use virtengine_envelope::{kdf, secretbox};
	let key = kdf::box_key(&a32(ALICE_SK), &a32(BOB_PK)).expect("contributory");
	assert_eq!(hex::encode(&key[..]), SHARED_KEY);
	let nonce: [u8; 24] = h(NONCE).try_into().expect("24 bytes");
	let mut buffer = h(MESSAGE);
	let tag = secretbox::seal_detached(&key, &nonce, &mut buffer);
	assert_eq!(hex::encode([&tag[..], &buffer].concat()), EXPECTED);
	secretbox::open_detached(&key, &nonce, &mut buffer, &tag).expect("opens");
	assert_eq!(buffer, h(MESSAGE));
}

#[test]
fn libsodium_small_order_point_is_refused() {
	assert!(virtengine_envelope::is_small_order(&a32(SMALL_ORDER_P)));
	assert!(!virtengine_envelope::is_small_order(&a32(BOB_PK)));
}

#[test]
fn wycheproof_x25519() {
	use wycheproof::xdh::{TestName, TestSet};
	let set = TestSet::load(TestName::X25519).expect("wycheproof x25519 vectors");
	let mut checked = 0;
	let mut small_order = 0;
	for group in &set.test_groups {
		for test in &group.tests {
			let (Ok(private), Ok(public)) = (
				<[u8; 32]>::try_from(test.private_key.as_ref()),
				<[u8; 32]>::try_from(test.public_key.as_ref()),
			) else {
				continue;
			};
			let shared = x25519_dalek::x25519(private, public);
			assert_eq!(shared.as_slice(), test.shared_secret.as_ref(), "tcId {}", test.tc_id);
			// Small order is exactly "every shared secret is zero".
			let zero = test.shared_secret.iter().all(|b| *b == 0);
			assert_eq!(virtengine_envelope::is_small_order(&public), zero, "tcId {}", test.tc_id);
			small_order += usize::from(zero);
			checked += 1;
		}
	}
	assert!(checked > 500, "only {checked} vectors checked");
	assert!(small_order > 10, "only {small_order} small-order vectors");
	println!("{checked} Wycheproof X25519 vectors, {small_order} with small-order public keys");
}

#[test]
fn box_key_is_libsodium_beforenm() {
	// secretbox.c's `firstkey` is crypto_box_beforenm(bobpk, alicesk).
	let key =
		virtengine_envelope::kdf::box_key(&a32(ALICE_SK), &a32(BOB_PK)).expect("contributory");
	assert_eq!(hex::encode(&key[..]), SHARED_KEY);
	assert_eq!(
		virtengine_envelope::kdf::box_key(&a32(ALICE_SK), &a32(SMALL_ORDER_P)),
		Err(virtengine_envelope::Error::SmallOrderKey)
	);
	// And the public key of alicesk is the one in the NaCl paper.
	assert_eq!(
		hex::encode(virtengine_envelope::kdf::public_key(&a32(ALICE_SK))),
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
	);
}

#[test]
fn box_matches_rustcrypto_crypto_box_for_contributory_keys() {
	for seed in 1..=20u8 {
		let secret = [seed; 32];
		let public =
			virtengine_envelope::kdf::public_key(&[seed.wrapping_mul(7).wrapping_add(3); 32]);
		let ours = XSalsa20Poly1305::new(GenericArray::from_slice(
			&virtengine_envelope::kdf::box_key(&secret, &public).expect("key")[..],
		));
		let theirs = SalsaBox::new(
			&crypto_box::PublicKey::from(public),
			&crypto_box::SecretKey::from(secret),
		);
		let message = vec![seed; 100];
		assert_eq!(
			seal_detached(&ours, &h(NONCE), &message),
			seal_detached(&theirs, &h(NONCE), &message)
		);
	}
}
