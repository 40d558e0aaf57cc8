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
use sp_runtime::{
	app_crypto::ed25519,
	traits::{BlakeTwo256, Hash, Verify},
};

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
pub const STATEMENT_DOMAIN: &[u8; 37] = b"virtengine:envelope-key:possession:v1";

/// What the key's ed25519 form signs: BLAKE2-256(domain ‖ SCALE(account) ‖ X25519 key). It binds
/// the account, so the proof cannot be used to register the key for anyone else. (No chain is
/// named: replaying it elsewhere registers the same key for the same account.)
pub fn statement<AccountId: Encode>(who: &AccountId, public: &[u8; 32]) -> [u8; 32] {
	BlakeTwo256::hash_of(&(STATEMENT_DOMAIN, who, public)).0
}

/// Whether `proof` proves that `who` holds the secret of `public`.
pub fn verify<AccountId: Encode>(who: &AccountId, public: &[u8; 32], proof: &KeyProof) -> bool {
	maps_to(&proof.ed25519, public)
		&& ed25519::Signature::from_raw(proof.signature)
			.verify(&statement(who, public)[..], &ed25519::Public::from_raw(proof.ed25519))
}

/// Whether the ed25519 public key `ed25519` (Edwards `y`, sign bit ignored) has the Montgomery
/// form `public`: `u · (1 − y) = 1 + y` in GF(2²⁵⁵ − 19), both canonical. Refuses `y = 1`
/// (no Montgomery form) and non-canonical encodings of either key (`≥ p`, or `u` with its top
/// bit set), so that one key has one registrable encoding.
pub fn maps_to(ed25519: &[u8; 32], public: &[u8; 32]) -> bool {
	let mut y = *ed25519;
	y[31] &= 0x7f;
	let (Some(y), Some(u)) = (fe::from_bytes(&y), fe::from_bytes(public)) else { return false };
	let one_minus_y = fe::sub(&fe::ONE, &y);
	one_minus_y != fe::ZERO && fe::mul(&u, &one_minus_y) == fe::add(&fe::ONE, &y)
}

/// The X25519 public key of an ed25519 public key, `u = (1 + y) / (1 − y)`; `None` for `y = 1`
/// or a non-canonical `y`. For clients and benchmarks; the runtime only checks [`maps_to`].
pub fn x25519_of_ed25519(ed25519: &[u8; 32]) -> Option<[u8; 32]> {
	let mut y = *ed25519;
	y[31] &= 0x7f;
	let y = fe::from_bytes(&y)?;
	let one_minus_y = fe::sub(&fe::ONE, &y);
	if one_minus_y == fe::ZERO {
		return None;
	}
	Some(fe::to_bytes(&fe::mul(&fe::add(&fe::ONE, &y), &fe::invert(&one_minus_y))))
}

/// Arithmetic in GF(p), p = 2²⁵⁵ − 19, on four little-endian 64-bit limbs; every value canonical
/// (< p). Only what the map above needs; not constant time (it handles public keys only).
mod fe {
	/// A field element.
	pub type Fe = [u64; 4];

	pub const ZERO: Fe = [0; 4];
	pub const ONE: Fe = [1, 0, 0, 0];
	const P: Fe = [0xffff_ffff_ffff_ffed, u64::MAX, u64::MAX, 0x7fff_ffff_ffff_ffff];

	/// A canonical encoding (< p), or `None`.
	pub fn from_bytes(bytes: &[u8; 32]) -> Option<Fe> {
		let mut a = ZERO;
		for (limb, chunk) in a.iter_mut().zip(bytes.chunks_exact(8)) {
			let mut word = [0u8; 8];
			word.copy_from_slice(chunk);
			*limb = u64::from_le_bytes(word);
		}
		(!at_least(&a, &P)).then_some(a)
	}

	pub fn to_bytes(a: &Fe) -> [u8; 32] {
		let mut bytes = [0u8; 32];
		for (chunk, limb) in bytes.chunks_exact_mut(8).zip(a) {
			chunk.copy_from_slice(&limb.to_le_bytes());
		}
		bytes
	}

	fn at_least(a: &Fe, b: &Fe) -> bool {
		for i in (0..4).rev() {
			if a[i] != b[i] {
				return a[i] > b[i];
			}
		}
		true
	}

	/// `a + b` mod 2²⁵⁶ and the carry.
	fn add_raw(a: &Fe, b: &Fe) -> (Fe, bool) {
		let mut r = ZERO;
		let mut carry = false;
		for i in 0..4 {
			let (s, c1) = a[i].overflowing_add(b[i]);
			let (s, c2) = s.overflowing_add(u64::from(carry));
			r[i] = s;
			carry = c1 || c2;
		}
		(r, carry)
	}

	/// `a − b` mod 2²⁵⁶ and the borrow.
	fn sub_raw(a: &Fe, b: &Fe) -> (Fe, bool) {
		let mut r = ZERO;
		let mut borrow = false;
		for i in 0..4 {
			let (d, b1) = a[i].overflowing_sub(b[i]);
			let (d, b2) = d.overflowing_sub(u64::from(borrow));
			r[i] = d;
			borrow = b1 || b2;
		}
		(r, borrow)
	}

	/// Reduces a value below 2²⁵⁶ (< 3p) to canonical form.
	fn reduce(mut a: Fe) -> Fe {
		while at_least(&a, &P) {
			a = sub_raw(&a, &P).0;
		}
		a
	}

	pub fn add(a: &Fe, b: &Fe) -> Fe {
		// a + b < 2p < 2²⁵⁶: no carry out.
		reduce(add_raw(a, b).0)
	}

	pub fn sub(a: &Fe, b: &Fe) -> Fe {
		let (d, borrow) = sub_raw(a, b);
		if borrow {
			add_raw(&d, &P).0
		} else {
			d
		}
	}

	pub fn mul(a: &Fe, b: &Fe) -> Fe {
		// The 512-bit product.
		let mut w = [0u64; 8];
		for i in 0..4 {
			let mut carry: u128 = 0;
			for j in 0..4 {
				let cur = u128::from(a[i]) * u128::from(b[j]) + u128::from(w[i + j]) + carry;
				w[i + j] = cur as u64;
				carry = cur >> 64;
			}
			w[i + 4] = carry as u64;
		}
		// 2²⁵⁶ ≡ 38 (mod p): fold the high half onto the low one.
		let mut r = ZERO;
		let mut carry: u128 = 0;
		for i in 0..4 {
			let cur = u128::from(w[i]) + 38 * u128::from(w[i + 4]) + carry;
			r[i] = cur as u64;
			carry = cur >> 64;
		}
		// The carry (at most 38) is worth 38 each; a second wrap leaves a tiny value.
		let mut fold = carry * 38;
		while fold != 0 {
			let mut c = fold;
			for limb in r.iter_mut() {
				let cur = u128::from(*limb) + c;
				*limb = cur as u64;
				c = cur >> 64;
			}
			fold = c * 38;
		}
		reduce(r)
	}

	/// `a^(p − 2)`, the inverse of a non-zero `a` (Fermat).
	pub fn invert(a: &Fe) -> Fe {
		// p − 2 = 2²⁵⁵ − 21: bits 254..5 set, then 01011.
		let mut e = P;
		e[0] -= 2;
		let mut r = ONE;
		for i in (0..255).rev() {
			r = mul(&r, &r);
			if (e[i / 64] >> (i % 64)) & 1 == 1 {
				r = mul(&r, a);
			}
		}
		r
	}
}

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

	#[test]
	fn field_arithmetic_matches_python() {
		// (p − 1)² = 1, 2 · 2⁻¹ = 1, and a product checked in Python.
		let minus_one = fe::sub(&fe::ZERO, &fe::ONE);
		assert_eq!(fe::mul(&minus_one, &minus_one), fe::ONE);
		let two = fe::add(&fe::ONE, &fe::ONE);
		assert_eq!(fe::mul(&two, &fe::invert(&two)), fe::ONE);
		let a = fe::from_bytes(&[0xab; 32].map(|b| b & 0x7f)).unwrap();
		let b = fe::from_bytes(&hex32(GOLDEN_U)).unwrap();
		assert_eq!(fe::to_bytes(&fe::mul(&a, &b)), hex32(GOLDEN_PRODUCT));
	}

	/// The Montgomery form of RFC 8032 test 1's public key.
	const GOLDEN_U: &str = "d85e07ec22b0ad881537c2f44d662d1a143cf830c57aca4305d85c7a90f6b62e";
	/// `0x2b2b…2b (every byte 0xab & 0x7f) · GOLDEN_U mod p`.
	const GOLDEN_PRODUCT: &str = "2193c4e2d930bf4f7b2420fd80b28bdbec8bce77f4f493448c03018aa1452f5c";
}
