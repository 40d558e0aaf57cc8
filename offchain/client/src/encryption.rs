//! The encryption pallet's key registry, read from a node, and its calls.

use pallet_encryption::KeyProof;
use sp_core::{crypto::Ss58Codec, Pair};
use virtengine_envelope::{key_id, RecipientSecret};
use virtengine_runtime::{AccountId, Runtime, RuntimeCall};

use crate::{Client, Error};

/// An account's registered key that new envelopes must be sealed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveKey {
	/// The X25519 public key.
	pub public: [u8; 32],
	/// Its version among the account's keys.
	pub version: u32,
}

impl Client {
	/// The active encryption key of `who`, checked: registered, active, and its id matching its
	/// public key. A clear error otherwise.
	pub fn active_encryption_key(&self, who: &AccountId) -> Result<ActiveKey, Error> {
		let account = who.to_ss58check();
		let keys = self
			.storage_value::<pallet_encryption::AccountKeysOf<Runtime>>(
				&pallet_encryption::AccountKeySet::<Runtime>::hashed_key_for(who),
				"the account's key set",
			)?
			.ok_or_else(|| {
				Error::Key(format!("{account} has no registered encryption key (it can register one with `virtengine envelope register`)"))
			})?;
		let id = keys.active.ok_or_else(|| {
			Error::Key(format!(
				"{account} has no active encryption key (all its keys are retired or revoked)"
			))
		})?;
		let record = self
			.storage_value::<pallet_encryption::KeyRecordOf<Runtime>>(
				&pallet_encryption::Keys::<Runtime>::hashed_key_for(id),
				"a key record",
			)?
			.ok_or_else(|| {
				Error::Key(format!("{account}'s active key {} is not stored", hex(&id)))
			})?;
		if record.state != pallet_encryption::KeyState::Active || record.owner != *who {
			return Err(Error::Key(format!(
				"{account}'s key {} is not an active key of that account",
				hex(&id)
			)));
		}
		if key_id(&record.public) != id {
			return Err(Error::Key(format!("key {} does not match its public key", hex(&id))));
		}
		Ok(ActiveKey { public: record.public, version: record.version })
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Encryption::register_key(public, proof)`.
pub fn register_key(public: [u8; 32], proof: KeyProof) -> RuntimeCall {
	RuntimeCall::Encryption(pallet_encryption::Call::register_key { public, proof })
}

/// `Encryption::rotate_key(public, proof)`.
pub fn rotate_key(public: [u8; 32], proof: KeyProof) -> RuntimeCall {
	RuntimeCall::Encryption(pallet_encryption::Call::rotate_key { public, proof })
}

/// An envelope recipient key that can prove its possession: an ed25519 seed, whose expanded
/// scalar is the X25519 secret and whose ed25519 key signs the proof
/// (`pallet_encryption::possession`).
pub struct EnvelopeKey {
	pair: sp_core::ed25519::Pair,
	secret: RecipientSecret,
}

impl EnvelopeKey {
	/// The key of `seed`.
	pub fn from_seed(seed: &[u8; 32]) -> EnvelopeKey {
		// As libsodium's crypto_sign_ed25519_sk_to_curve25519: the first half of SHA-512(seed),
		// which X25519 clamps exactly as ed25519 clamps its scalar.
		let mut expanded = sha512(seed);
		let mut secret = [0u8; 32];
		secret.copy_from_slice(&expanded[..32]);
		expanded.fill(0);
		let key = EnvelopeKey {
			pair: sp_core::ed25519::Pair::from_seed(seed),
			secret: RecipientSecret::from_bytes(secret),
		};
		secret.fill(0);
		key
	}

	/// The X25519 secret (what opens envelopes).
	pub fn secret(&self) -> &RecipientSecret {
		&self.secret
	}

	/// The X25519 public key.
	pub fn public(&self) -> [u8; 32] {
		self.secret.public()
	}

	/// The proof that `who` holds this key, for `register_key` and `rotate_key`.
	pub fn proof(&self, who: &AccountId) -> KeyProof {
		let statement = pallet_encryption::possession::statement(who, &self.public());
		KeyProof { ed25519: self.pair.public().0, signature: self.pair.sign(&statement).0 }
	}
}

/// SHA-512 (FIPS 180-4), for [`EnvelopeKey::from_seed`]: no other crate of the client has it.
fn sha512(data: &[u8]) -> [u8; 64] {
	const K: [u64; 80] = [
		0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
		0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
		0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
		0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
		0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
		0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
		0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
		0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
		0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
		0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
		0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
		0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
		0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
		0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
		0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
		0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
		0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
		0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
		0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
		0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
	];
	let mut h: [u64; 8] = [
		0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
		0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
	];
	let mut message = data.to_vec();
	let bits = (data.len() as u128).wrapping_mul(8);
	message.push(0x80);
	while message.len() % 128 != 112 {
		message.push(0);
	}
	message.extend_from_slice(&bits.to_be_bytes());
	for block in message.chunks_exact(128) {
		let mut w = [0u64; 80];
		for (t, word) in block.chunks_exact(8).enumerate() {
			let mut bytes = [0u8; 8];
			bytes.copy_from_slice(word);
			w[t] = u64::from_be_bytes(bytes);
		}
		for t in 16..80 {
			let s0 = w[t - 15].rotate_right(1) ^ w[t - 15].rotate_right(8) ^ (w[t - 15] >> 7);
			let s1 = w[t - 2].rotate_right(19) ^ w[t - 2].rotate_right(61) ^ (w[t - 2] >> 6);
			w[t] = w[t - 16].wrapping_add(s0).wrapping_add(w[t - 7]).wrapping_add(s1);
		}
		let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
		for t in 0..80 {
			let s1 = e.rotate_right(14) ^ e.rotate_right(18) ^ e.rotate_right(41);
			let ch = (e & f) ^ (!e & g);
			let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[t]).wrapping_add(w[t]);
			let s0 = a.rotate_right(28) ^ a.rotate_right(34) ^ a.rotate_right(39);
			let maj = (a & b) ^ (a & c) ^ (b & c);
			let t2 = s0.wrapping_add(maj);
			hh = g;
			g = f;
			f = e;
			e = d.wrapping_add(t1);
			d = c;
			c = b;
			b = a;
			a = t1.wrapping_add(t2);
		}
		for (state, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
			*state = state.wrapping_add(v);
		}
	}
	message.fill(0);
	let mut out = [0u8; 64];
	for (chunk, word) in out.chunks_exact_mut(8).zip(h) {
		chunk.copy_from_slice(&word.to_be_bytes());
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	fn hex(bytes: &[u8]) -> String {
		super::hex(bytes)
	}

	#[test]
	fn sha512_matches_fips_180_vectors() {
		assert_eq!(
			hex(&sha512(b"abc")),
			"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
			 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
		);
		assert_eq!(
			hex(&sha512(b"")),
			"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
			 47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
		);
		// Two blocks (112 bytes: the padding spills over).
		assert_eq!(
			hex(&sha512(b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")),
			"8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018\
			 501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
		);
	}

	/// The key a seed expands to is the Montgomery form of the seed's ed25519 key (checked with
	/// the ed25519 implementation of sp-core, which has its own SHA-512), and its proof verifies.
	#[test]
	fn seed_keys_prove_their_possession() {
		for n in 0..8u8 {
			let seed = [n.wrapping_mul(37).wrapping_add(1); 32];
			let key = EnvelopeKey::from_seed(&seed);
			let ed = sp_core::ed25519::Pair::from_seed(&seed).public().0;
			assert_eq!(pallet_encryption::possession::x25519_of_ed25519(&ed), Some(key.public()));
			let who = AccountId::from([n; 32]);
			let proof = key.proof(&who);
			assert!(pallet_encryption::possession::verify(&who, &key.public(), &proof));
			let other = AccountId::from([n.wrapping_add(1); 32]);
			assert!(!pallet_encryption::possession::verify(&other, &key.public(), &proof));
		}
	}
}
