//! The encryption pallet's key registry, read from a node, and its calls.

use sp_core::crypto::Ss58Codec;
use virtengine_envelope::key_id;
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

/// `Encryption::register_key(public)`.
pub fn register_key(public: [u8; 32]) -> RuntimeCall {
	RuntimeCall::Encryption(pallet_encryption::Call::register_key { public })
}

/// `Encryption::rotate_key(public)`.
pub fn rotate_key(public: [u8; 32]) -> RuntimeCall {
	RuntimeCall::Encryption(pallet_encryption::Call::rotate_key { public })
}
