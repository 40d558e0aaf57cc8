//! The daemon's three keys, each from its own owner-only file, in the formats the `virtengine`
//! CLI writes: the provider account (a secret URI), the daemon's usage-signing key
//! (`market provider daemon-keygen`) and the order-decryption key (`envelope keygen`).

use std::{io::Write, path::Path, str::FromStr};

use sp_core::{ed25519, Pair};
use virtengine_client::{encryption::EnvelopeKey, AccountId, Keypair};
use virtengine_envelope::RecipientSecret;
use zeroize::Zeroizing;

/// Why a key is unusable.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
	/// The file could not be read or written.
	#[error("{path}: {source}")]
	Io {
		/// The file.
		path: String,
		/// The error.
		source: std::io::Error,
	},
	/// Others may read it.
	#[error(
		"{path}: readable by others (mode {mode:o}); a key others can read is a key they can copy: chmod 600 {path}"
	)]
	NotPrivate {
		/// The file.
		path: String,
		/// Its mode.
		mode: u32,
	},
	/// Not a key of the expected kind.
	#[error("{path}: not {what}")]
	Bad {
		/// The file.
		path: String,
		/// What it should be.
		what: &'static str,
	},
	/// A file exists where a new key would go.
	#[error("{path} exists: not overwriting a key")]
	Exists {
		/// The file.
		path: String,
	},
}

/// The daemon's keys.
pub struct Keys {
	/// Signs the provider's transactions.
	pub account: Keypair,
	/// Signs usage records.
	pub daemon: ed25519::Pair,
	/// Opens order configurations.
	pub encryption: RecipientSecret,
}

impl Keys {
	/// Reads the three files.
	pub fn load(config: &crate::config::Keys) -> Result<Keys, KeyError> {
		Ok(Keys {
			account: load_account(&config.account)?,
			daemon: load_daemon(&config.daemon)?,
			encryption: load_encryption(&config.encryption)?,
		})
	}

	/// The provider account.
	pub fn account_id(&self) -> AccountId {
		self.account.public_key().to_account_id()
	}
}

fn display(path: &Path) -> String {
	path.display().to_string()
}

/// Reads a secret file after checking that only its owner may access it.
pub fn read_secret(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyError> {
	let io = |source| KeyError::Io { path: display(path), source };
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
		if mode & 0o077 != 0 {
			return Err(KeyError::NotPrivate { path: display(path), mode });
		}
	}
	Ok(Zeroizing::new(std::fs::read(path).map_err(io)?))
}

fn load_account(path: &Path) -> Result<Keypair, KeyError> {
	let bad = || KeyError::Bad { path: display(path), what: "a secret URI (mnemonic or 0x seed)" };
	let bytes = read_secret(path)?;
	let text = std::str::from_utf8(&bytes).map_err(|_| bad())?.trim();
	let uri = subxt_signer::SecretUri::from_str(text).map_err(|_| bad())?;
	Keypair::from_uri(&uri).map_err(|_| bad())
}

fn hex32(json: &serde_json::Value, field: &str) -> Option<[u8; 32]> {
	json.get(field)?.as_str().and_then(|s| hex::decode(s).ok())?.try_into().ok()
}

fn load_daemon(path: &Path) -> Result<ed25519::Pair, KeyError> {
	let bad = || KeyError::Bad { path: display(path), what: "a daemon key file" };
	let json: serde_json::Value = serde_json::from_slice(&read_secret(path)?).map_err(|_| bad())?;
	let secret = Zeroizing::new(hex32(&json, "secret").ok_or_else(bad)?);
	Ok(ed25519::Pair::from_seed(&secret))
}

fn load_encryption(path: &Path) -> Result<RecipientSecret, KeyError> {
	let bad = || KeyError::Bad { path: display(path), what: "an envelope key file" };
	let json: serde_json::Value = serde_json::from_slice(&read_secret(path)?).map_err(|_| bad())?;
	let secret = RecipientSecret::from_bytes(hex32(&json, "secret").ok_or_else(bad)?);
	if let Some(seed) = hex32(&json, "seed") {
		if EnvelopeKey::from_seed(&seed).public() != secret.public() {
			return Err(bad());
		}
	}
	Ok(secret)
}

fn random32() -> Zeroizing<[u8; 32]> {
	use rand_core::RngCore;
	let mut bytes = Zeroizing::new([0u8; 32]);
	rand_core::OsRng.fill_bytes(&mut bytes[..]);
	bytes
}

/// Writes `bytes` to a new owner-only file (never over an existing one).
pub fn write_new_secret(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
	let io = |source| KeyError::Io { path: display(path), source };
	if path.exists() {
		return Err(KeyError::Exists { path: display(path) });
	}
	if let Some(dir) = path.parent() {
		std::fs::create_dir_all(dir).map_err(io)?;
	}
	let mut options = std::fs::OpenOptions::new();
	options.write(true).create_new(true);
	#[cfg(unix)]
	{
		use std::os::unix::fs::OpenOptionsExt;
		options.mode(0o600);
	}
	let mut file = options.open(path).map_err(io)?;
	file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io)
}

/// New keys for `init`: an account seed, a daemon key and an envelope key, written to the
/// configured files; the public parts, to register.
pub fn generate(config: &crate::config::Keys) -> Result<serde_json::Value, KeyError> {
	let account_seed = random32();
	let uri = Zeroizing::new(format!("0x{}\n", hex::encode(&account_seed[..])));
	let daemon_seed = random32();
	let daemon = ed25519::Pair::from_seed(&daemon_seed);
	let envelope_seed = random32();
	let envelope = EnvelopeKey::from_seed(&envelope_seed);
	let daemon_json = Zeroizing::new(
		serde_json::json!({
			"secret": hex::encode(&daemon_seed[..]),
			"public": hex::encode(daemon.public().0),
		})
		.to_string(),
	);
	let envelope_json = Zeroizing::new(
		serde_json::json!({
			"seed": hex::encode(&envelope_seed[..]),
			"secret": hex::encode(envelope.secret().as_bytes()),
			"public": hex::encode(envelope.public()),
		})
		.to_string(),
	);
	for path in [&config.account, &config.daemon, &config.encryption] {
		if path.exists() {
			return Err(KeyError::Exists { path: display(path) });
		}
	}
	write_new_secret(&config.account, uri.as_bytes())?;
	write_new_secret(&config.daemon, daemon_json.as_bytes())?;
	write_new_secret(&config.encryption, envelope_json.as_bytes())?;
	let account = load_account(&config.account)?.public_key().to_account_id();
	Ok(serde_json::json!({
		"account": account.to_string(),
		"daemon_key": hex::encode(daemon.public().0),
		"encryption_key": hex::encode(envelope.public()),
	}))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn generated_keys_load_and_are_private() {
		let dir = tempfile::tempdir().expect("dir");
		let config = crate::config::Keys {
			account: dir.path().join("k/account.suri"),
			daemon: dir.path().join("k/daemon.json"),
			encryption: dir.path().join("k/encryption.json"),
		};
		let public = generate(&config).expect("generate");
		let keys = Keys::load(&config).expect("load");
		assert_eq!(keys.account_id().to_string(), public["account"]);
		assert_eq!(hex::encode(keys.daemon.public().0), public["daemon_key"]);
		assert_eq!(hex::encode(keys.encryption.public()), public["encryption_key"]);
		assert!(matches!(generate(&config), Err(KeyError::Exists { .. })));

		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			std::fs::set_permissions(&config.daemon, std::fs::Permissions::from_mode(0o644))
				.expect("chmod");
			let err = Keys::load(&config).err().expect("readable by others");
			assert!(err.to_string().contains("chmod 600"), "{err}");
		}
		std::fs::write(dir.path().join("junk"), b"{}").expect("write");
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			std::fs::set_permissions(
				dir.path().join("junk"),
				std::fs::Permissions::from_mode(0o600),
			)
			.expect("chmod");
		}
		assert!(matches!(load_daemon(&dir.path().join("junk")), Err(KeyError::Bad { .. })));
	}
}
