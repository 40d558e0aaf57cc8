//! Proof of possession of an X25519 recipient key.
//!
//! An X25519 key cannot sign, so a registered key is the Montgomery form of an ed25519 key: its
//! owner holds an ed25519 seed, the X25519 secret is the seed's expanded scalar (the first half
//! of SHA-512(seed), as libsodium's `crypto_sign_ed25519_sk_to_curve25519`; X25519 clamps it
//! exactly as ed25519 does), and the X25519 public key is the Montgomery `u` of the ed25519
//! public key `y`: `u = (1 + y) / (1 − y)` (RFC 7748 §4.1). The registrant proves possession
//! with the ed25519 key's signature over [`statement`], which names the account: the chain checks
//! that the ed25519 key maps to the registered X25519 key ([`maps_to`]) and the signature.
//!
//! Whoever signs knows the scalar of the ed25519 key, which is the X25519 secret (up to sign,
//! which X25519 ignores), so nobody can register a key whose secret they do not hold, and a proof
//! made for one account is worthless for another.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{app_crypto::ed25519, traits::Verify};

/// What proves possession of a registered key's secret.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct KeyProof {
	/// The ed25519 public key whose Montgomery form is the registered X25519 key.
	pub ed25519: [u8; 32],
	/// Its signature over [`statement`].
	pub signature: [u8; 64],
}

/// Domain of [`statement`].
pub use virtengine_primitives::signing::POSSESSION_DOMAIN as STATEMENT_DOMAIN;

/// What the ed25519 key signs: BLAKE2-256 of the domain, the account and the X25519 key
/// (`virtengine_primitives::signing::possession_statement`, shared with clients).
pub fn statement<AccountId: Encode>(who: &AccountId, public: &[u8; 32]) -> [u8; 32] {
	virtengine_primitives::signing::possession_statement(who, public)
}

/// Whether `proof` proves that `who` holds the secret of `public`.
pub fn verify<AccountId: Encode>(who: &AccountId, public: &[u8; 32], proof: &KeyProof) -> bool {
	maps_to(&proof.ed25519, public)
		&& ed25519::Signature::from_raw(proof.signature)
			.verify(&statement(who, public)[..], &ed25519::Public::from_raw(proof.ed25519))
}

/// The map from ed25519 to X25519 keys and its check (`u · (1 − y) = 1 + y`, both encodings
/// canonical, so that one key has one registrable encoding): one implementation, shared with the
/// VEID committee keys' proofs of possession.
pub use virtengine_veid_primitives::{maps_to, x25519_of_ed25519};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
	use super::*;

	fn hex32(s: &str) -> [u8; 32] {
		let bytes: Vec<u8> =
			(0..32).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect();
		bytes.try_into().unwrap()
	}

	#[test]
	fn ed25519_keys_map_to_their_x25519_form() {
		// RFC 8032 §7.1 test 1's public key; u computed independently in Python
		// ((1 + y) * pow(1 - y, p - 2, p) % p).
		let ed = hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
		let u = hex32(GOLDEN_U);
		assert_eq!(x25519_of_ed25519(&ed), Some(u));
		assert!(maps_to(&ed, &u));
		let mut other = u;
		other[0] ^= 1;
		assert!(!maps_to(&ed, &other));
		// y = 1 has no Montgomery form; y ≥ p and u ≥ p are not canonical.
		let mut one = [0u8; 32];
		one[0] = 1;
		assert_eq!(x25519_of_ed25519(&one), None);
		assert!(!maps_to(&one, &u));
		assert_eq!(x25519_of_ed25519(&[0xff; 32]), None);
		let mut u_plus_p = u;
		// u + p (< 2²⁵⁶ for this u): the same point, another encoding.
		let mut carry = 0u16;
		let p = hex32("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
		for i in 0..32 {
			let s = u16::from(u_plus_p[i]) + u16::from(p[i]) + carry;
			u_plus_p[i] = s as u8;
			carry = s >> 8;
		}
		assert!(!maps_to(&ed, &u_plus_p));
		// y = 0 maps to u = 1.
		assert_eq!(x25519_of_ed25519(&[0; 32]), Some(one));
	}

	#[test]
	fn the_x25519_key_of_a_seed_is_the_montgomery_form_of_its_ed25519_key() {
		use sp_core::Pair;
		// RFC 8032 §7.1 test 1: the seed's expanded scalar (first half of SHA-512(seed),
		// from Python's hashlib) as an X25519 secret has public key u.
		let pair = sp_core::ed25519::Pair::from_seed(&hex32(
			"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		));
		let scalar = hex32("357c83864f2833cb427a2ef1c00a013cfdff2768d980c0a3a520f006904de90f");
		assert_eq!(virtengine_envelope::kdf::public_key(&scalar), hex32(GOLDEN_U));
		assert_eq!(x25519_of_ed25519(&pair.public().0), Some(hex32(GOLDEN_U)));
	}

	/// The Montgomery form of RFC 8032 test 1's public key.
	const GOLDEN_U: &str = "d85e07ec22b0ad881537c2f44d662d1a143cf830c57aca4305d85c7a90f6b62e";
}
