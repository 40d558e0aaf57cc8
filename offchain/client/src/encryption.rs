//! The encryption pallet's key registry, read from a node, and its calls.

use sha2::Digest;
use sp_core::Pair;
use virtengine_envelope::{key_id, RecipientSecret};

use crate::{
	runtime::{
		self,
		runtime_types::pallet_encryption::{pallet::Call, types::KeyState},
	},
	AccountId, Client, Error, RuntimeCall,
};

pub use runtime::runtime_types::pallet_encryption::possession::KeyProof;

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
	pub async fn active_encryption_key(&self, who: &AccountId) -> Result<ActiveKey, Error> {
		let account = who.to_string();
		let storage = runtime::storage().encryption();
		let keys = self
			.fetch(storage.account_key_set(), (who.clone(),), "the account's key set")
			.await?
			.ok_or_else(|| {
				Error::Invalid(format!("{account} has no registered encryption key (it can register one with `virtengine envelope register`)"))
			})?;
		let id = keys.active.ok_or_else(|| {
			Error::Invalid(format!(
				"{account} has no active encryption key (all its keys are retired or revoked)"
			))
		})?;
		let record = self.fetch(storage.keys(), (id,), "a key record").await?.ok_or_else(|| {
			Error::Invalid(format!("{account}'s active key {} is not stored", hex(&id)))
		})?;
		if record.state != KeyState::Active || record.owner != *who {
			return Err(Error::Invalid(format!(
				"{account}'s key {} is not an active key of that account",
				hex(&id)
			)));
		}
		if key_id(&record.public) != id {
			return Err(Error::Invalid(format!("key {} does not match its public key", hex(&id))));
		}
		Ok(ActiveKey { public: record.public, version: record.version })
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `Encryption::register_key(public, proof)`.
pub fn register_key(public: [u8; 32], proof: KeyProof) -> RuntimeCall {
	RuntimeCall::Encryption(Call::register_key { public, proof })
}

/// `Encryption::rotate_key(public, proof)`.
pub fn rotate_key(public: [u8; 32], proof: KeyProof) -> RuntimeCall {
	RuntimeCall::Encryption(Call::rotate_key { public, proof })
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
		let mut expanded: [u8; 64] = sha2::Sha512::digest(seed).into();
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
		let statement = virtengine_primitives::signing::possession_statement(who, &self.public());
		KeyProof { ed25519: self.pair.public().0, signature: self.pair.sign(&statement).0 }
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The key a seed expands to is the Montgomery form of the seed's ed25519 key (the map the
	/// chain checks), and its proof's signature verifies over the shared statement.
	#[test]
	fn seed_keys_prove_their_possession() {
		for n in 0..8u8 {
			let seed = [n.wrapping_mul(37).wrapping_add(1); 32];
			let key = EnvelopeKey::from_seed(&seed);
			let ed = sp_core::ed25519::Pair::from_seed(&seed).public().0;
			assert!(virtengine_veid_primitives::maps_to(&ed, &key.public()));
			let who = AccountId::from([n; 32]);
			let proof = key.proof(&who);
			let statement =
				virtengine_primitives::signing::possession_statement(&who, &key.public());
			assert!(sp_core::ed25519::Pair::verify(
				&sp_core::ed25519::Signature::from_raw(proof.signature),
				&statement[..],
				&sp_core::ed25519::Public::from_raw(proof.ed25519),
			));
		}
	}
}
