//! Account keys: where the signing key comes from, and polkadot.js key files.
//!
//! A secret never has to be typed on the command line: it comes from a file holding the secret
//! URI (`--suri-file`), from `VIRTENGINE_SURI`, or from a polkadot.js-compatible encrypted JSON
//! key file (`--key-file`, its password from `VIRTENGINE_KEY_PASSWORD` or a prompt). `--suri`
//! takes development accounts only (`//Alice`, derived from the public development phrase).
//! Every file holding a secret must be readable by its owner only.

use std::{path::PathBuf, str::FromStr};

use sp_core::Pair as _;
use virtengine_client::{AccountId, Keypair};
use zeroize::Zeroizing;

use crate::{files, Error};

/// The environment variable that may hold the signing account's secret URI.
pub const SURI_ENV: &str = "VIRTENGINE_SURI";
/// The environment variable that may hold a JSON key file's password.
pub const PASSWORD_ENV: &str = "VIRTENGINE_KEY_PASSWORD";

/// Where the signing account's key comes from (global options).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct KeyArgs {
	/// A file holding your account's secret URI (a mnemonic, a 0x seed, with any //derivation);
	/// readable by you only (chmod 600). Or set VIRTENGINE_SURI.
	#[arg(long, global = true, value_name = "PATH")]
	pub suri_file: Option<PathBuf>,
	/// A polkadot.js JSON key file (encrypted; the password from VIRTENGINE_KEY_PASSWORD or a
	/// prompt); readable by you only.
	#[arg(long, global = true, value_name = "PATH")]
	pub key_file: Option<PathBuf>,
	/// A development account: //Alice, //Bob, ... (derived from the public development phrase,
	/// so not a secret). Real keys go in --suri-file, --key-file or VIRTENGINE_SURI.
	#[arg(long, global = true, value_name = "DEV_URI")]
	pub suri: Option<String>,
}

/// An account's sr25519 key: subxt's signer (transactions), and on demand sp-core's form
/// (envelopes and signatures over payloads), which a JSON key file yields only by decrypting it
/// a second time (scrypt is slow on purpose).
#[derive(Clone)]
pub struct Signer {
	/// Signs transactions.
	pub keypair: Keypair,
	source: Source,
}

#[derive(Clone)]
enum Source {
	Pair(sp_core::sr25519::Pair),
	Json { json: Zeroizing<String>, password: Zeroizing<String>, from: String },
}

impl Signer {
	/// The account.
	pub fn account(&self) -> AccountId {
		self.keypair.public_key().to_account_id()
	}

	/// The key in sp-core's form.
	pub fn pair(&self) -> Result<sp_core::sr25519::Pair, Error> {
		match &self.source {
			Source::Pair(pair) => Ok(pair.clone()),
			Source::Json { json, password, from } => polkadot_js::decrypt_pair(json, password)
				.map_err(|why| Error::Key(format!("{from}: {why}"))),
		}
	}

	/// A signer from a secret URI; `from` names where it came from (for errors, which never
	/// repeat the secret).
	pub fn from_uri(uri: &str, from: &str) -> Result<Signer, Error> {
		let bad = || {
			Error::Key(format!(
				"{from}: not a secret URI (a BIP-39 mnemonic or a 0x-prefixed 32-byte seed, \
				 optionally followed by //derivations and ///password)"
			))
		};
		let pair = sp_core::sr25519::Pair::from_string(uri, None).map_err(|_| bad())?;
		let secret = subxt_signer::SecretUri::from_str(uri).map_err(|_| bad())?;
		let keypair = Keypair::from_uri(&secret).map_err(|_| bad())?;
		if keypair.public_key().0 != pair.public().0 {
			return Err(Error::Key(format!("{from}: the two sr25519 derivations disagree")));
		}
		Ok(Signer { keypair, source: Source::Pair(pair) })
	}

	/// A signer from a polkadot.js JSON key file's text.
	pub fn from_json(json: &str, password: &str, from: &str) -> Result<Signer, Error> {
		let keypair =
			subxt_signer::polkadot_js_compat::decrypt_json(json, password).map_err(|e| {
				Error::Key(match e {
					subxt_signer::polkadot_js_compat::Error::Secretbox(_) => {
						format!("{from}: wrong password (or a damaged file)")
					},
					other => format!("{from}: {other}"),
				})
			})?;
		let source = Source::Json {
			json: Zeroizing::new(json.to_string()),
			password: Zeroizing::new(password.to_string()),
			from: from.to_string(),
		};
		Ok(Signer { keypair, source })
	}
}

/// A development account URI: one derived from the public development phrase (`//Alice`,
/// `//Bob//stash`), with no password. Anything else is a secret and is refused on the command
/// line (without repeating it).
pub fn dev_uri<'a>(flag: &str, uri: &'a str) -> Result<&'a str, Error> {
	if uri.starts_with("//") && !uri.contains("///") && uri.len() > 2 {
		Ok(uri)
	} else {
		Err(Error::Key(format!(
			"{flag}: only development accounts (//Alice, //Bob, ... derived from the public \
			 development phrase) may be given on the command line; put a real secret in a file \
			 readable by you only and pass the file instead"
		)))
	}
}

impl KeyArgs {
	fn sources(&self) -> usize {
		usize::from(self.suri_file.is_some())
			+ usize::from(self.key_file.is_some())
			+ usize::from(self.suri.is_some())
	}

	/// The signing account's secret URI (not for JSON key files, whose key has no URI).
	pub fn secret_uri(&self) -> Result<(Zeroizing<String>, String), Error> {
		if self.sources() > 1 {
			return Err(Error::Key(
				"give one signing key: --suri-file, --key-file or --suri".into(),
			));
		}
		if let Some(path) = &self.suri_file {
			let bytes = files::read_secret(path)?;
			let text = std::str::from_utf8(&bytes).map_err(|_| {
				Error::Key(format!("--suri-file {}: not UTF-8 text", path.display()))
			})?;
			let uri = Zeroizing::new(text.trim().to_string());
			if uri.is_empty() {
				return Err(Error::Key(format!(
					"--suri-file {}: the file is empty",
					path.display()
				)));
			}
			return Ok((uri, format!("--suri-file {}", path.display())));
		}
		if let Some(path) = &self.key_file {
			return Err(Error::Key(format!(
				"--key-file {}: a polkadot.js key file holds an sr25519 key only; this needs a \
				 secret URI (--suri-file or {SURI_ENV})",
				path.display()
			)));
		}
		if let Some(uri) = &self.suri {
			return Ok((Zeroizing::new(dev_uri("--suri", uri)?.to_string()), "--suri".into()));
		}
		if let Ok(uri) = std::env::var(SURI_ENV) {
			return Ok((Zeroizing::new(uri.trim().to_string()), SURI_ENV.into()));
		}
		Err(Error::Key(format!(
			"no signing key: give --suri-file <PATH>, --key-file <PATH> (polkadot.js JSON), \
			 {SURI_ENV}, or --suri //Alice for a development account"
		)))
	}

	/// The signing account.
	pub fn signer(&self) -> Result<Signer, Error> {
		if let (Some(path), 1) = (&self.key_file, self.sources()) {
			let from = format!("--key-file {}", path.display());
			let json = files::read_secret(path)?;
			let json = std::str::from_utf8(&json)
				.map_err(|_| Error::Key(format!("{from}: not a JSON key file")))?;
			let password = password(&from, false)?;
			return Signer::from_json(json, &password, &from);
		}
		let (uri, from) = self.secret_uri()?;
		Signer::from_uri(&uri, &from)
	}
}

/// A key file's password: `VIRTENGINE_KEY_PASSWORD`, or asked on the terminal (twice when
/// `confirm`, for a new file).
pub fn password(what: &str, confirm: bool) -> Result<Zeroizing<String>, Error> {
	use std::io::IsTerminal;
	if let Ok(password) = std::env::var(PASSWORD_ENV) {
		return Ok(Zeroizing::new(password));
	}
	if !std::io::stdin().is_terminal() {
		return Err(Error::Key(format!(
			"{what}: a password is needed: set {PASSWORD_ENV} or run on a terminal"
		)));
	}
	let ask = |prompt: String| {
		rpassword::prompt_password(prompt)
			.map(Zeroizing::new)
			.map_err(|e| Error::Key(format!("{what}: reading the password: {e}")))
	};
	let first = ask(format!("password for {what}: "))?;
	if confirm && *ask("again: ".into())? != *first {
		return Err(Error::Key(format!("{what}: the passwords differ")));
	}
	Ok(first)
}

/// The polkadot.js JSON key format (version 3, as polkadot.js apps and the extension export):
/// the sr25519 secret in the ed25519-expanded form, PKCS#8-framed, encrypted with
/// XSalsa20-Poly1305 under a key derived by scrypt from the password.
pub mod polkadot_js {
	use base64ct::{Base64, Encoding};
	use serde_json::{json, Value};
	use sp_core::Pair as _;
	use xsalsa20poly1305::{aead::Aead, KeyInit, XSalsa20Poly1305};
	use zeroize::Zeroizing;

	const PKCS8_HEADER: [u8; 16] = [48, 83, 2, 1, 1, 48, 5, 6, 3, 43, 101, 112, 4, 34, 4, 32];
	const PKCS8_DIVIDER: [u8; 5] = [161, 35, 3, 33, 0];
	/// scrypt's parameters `(log2 N, p, r)` as polkadot.js writes them (N = 2^15, p = 1, r = 8).
	const SCRYPT: (u8, u32, u32) = (15, 1, 8);
	/// The parameter sets polkadot.js accepts (as subxt-signer does): anything else is refused
	/// before scrypt runs, so a crafted file cannot make it take hours.
	const ALLOWED: [(u32, u32, u32); 6] = [
		(1 << 13, 10, 8),
		(1 << 14, 5, 8),
		(1 << 15, 3, 8),
		(1 << 15, 1, 8),
		(1 << 16, 2, 8),
		(1 << 17, 1, 8),
	];

	fn derive(
		password: &str,
		salt: &[u8],
		log_n: u8,
		p: u32,
		r: u32,
	) -> Result<Zeroizing<[u8; 32]>, String> {
		let params = scrypt::Params::new(log_n, r, p, 32).map_err(|e| format!("scrypt: {e}"))?;
		let mut key = Zeroizing::new([0u8; 32]);
		scrypt::scrypt(password.as_bytes(), salt, &params, &mut key[..])
			.map_err(|e| format!("scrypt: {e}"))?;
		Ok(key)
	}

	/// `pair` as a polkadot.js JSON key file encrypted with `password`.
	pub fn encrypt(
		pair: &sp_core::sr25519::Pair,
		password: &str,
		name: &str,
		now_ms: u64,
	) -> Result<String, String> {
		let canonical = Zeroizing::new(pair.to_raw_vec());
		let secret = schnorrkel::SecretKey::from_bytes(&canonical)
			.map_err(|e| format!("the secret key: {e}"))?;
		let expanded = Zeroizing::new(secret.to_ed25519_bytes());
		let mut plain = Zeroizing::new(Vec::with_capacity(117));
		plain.extend_from_slice(&PKCS8_HEADER);
		plain.extend_from_slice(&expanded[..]);
		plain.extend_from_slice(&PKCS8_DIVIDER);
		plain.extend_from_slice(&pair.public().0);
		let salt: [u8; 32] = crate::random();
		let nonce: [u8; 24] = crate::random();
		let (log_n, p, r) = SCRYPT;
		let key = derive(password, &salt, log_n, p, r)?;
		let cipher = XSalsa20Poly1305::new((&*key).into());
		let sealed = cipher
			.encrypt((&nonce).into(), &plain[..])
			.map_err(|_| "encryption failed".to_string())?;
		let mut encoded = Vec::with_capacity(68 + sealed.len());
		encoded.extend_from_slice(&salt);
		encoded.extend_from_slice(&(1u32 << log_n).to_le_bytes());
		encoded.extend_from_slice(&p.to_le_bytes());
		encoded.extend_from_slice(&r.to_le_bytes());
		encoded.extend_from_slice(&nonce);
		encoded.extend_from_slice(&sealed);
		let address = virtengine_client::AccountId::from(pair.public().0).to_string();
		let json = json!({
			"encoded": Base64::encode_string(&encoded),
			"encoding": {
				"content": ["pkcs8", "sr25519"],
				"type": ["scrypt", "xsalsa20-poly1305"],
				"version": "3",
			},
			"address": address,
			"meta": { "name": name, "genesisHash": "", "whenCreated": now_ms },
		});
		Ok(format!("{json:#}\n"))
	}

	/// The key in a polkadot.js JSON key file, in sp-core's form (subxt-signer decrypts the same
	/// file for transactions: [`super::Signer::from_json`]).
	pub fn decrypt_pair(json: &str, password: &str) -> Result<sp_core::sr25519::Pair, String> {
		let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
		let encoded = v
			.get("encoded")
			.and_then(Value::as_str)
			.and_then(|s| Base64::decode_vec(s).ok())
			.filter(|b| b.len() > 68)
			.ok_or("no base64 `encoded` field")?;
		let word = |at: usize| {
			u32::from_le_bytes([encoded[at], encoded[at + 1], encoded[at + 2], encoded[at + 3]])
		};
		let (n, p, r) = (word(32), word(36), word(40));
		if !ALLOWED.contains(&(n, p, r)) {
			return Err(format!("unsupported scrypt parameters N={n} p={p} r={r}"));
		}
		let key = derive(password, &encoded[..32], n.trailing_zeros() as u8, p, r)?;
		let cipher = XSalsa20Poly1305::new((&*key).into());
		let nonce: [u8; 24] = encoded[44..68].try_into().map_err(|_| "short nonce")?;
		let plain = Zeroizing::new(
			cipher
				.decrypt((&nonce).into(), &encoded[68..])
				.map_err(|_| "wrong password (or a damaged file)")?,
		);
		if plain.len() != 117 || plain[..16] != PKCS8_HEADER || plain[80..85] != PKCS8_DIVIDER {
			return Err("not an sr25519 key in PKCS#8 form".into());
		}
		let secret = schnorrkel::SecretKey::from_ed25519_bytes(&plain[16..80])
			.map_err(|e| format!("the secret key: {e}"))?;
		let canonical = Zeroizing::new(secret.to_bytes());
		let pair = sp_core::sr25519::Pair::from_seed_slice(&canonical[..])
			.map_err(|_| "the secret key is not valid".to_string())?;
		if pair.public().0[..] != plain[85..117] {
			return Err("the file's public key does not match its secret".into());
		}
		Ok(pair)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_development_uris_on_the_command_line() {
		assert!(dev_uri("--suri", "//Alice").is_ok());
		assert!(dev_uri("--suri", "//Bob//stash").is_ok());
		for secret in [
			"bottom drive obey lake curtain smoke basket hold race lonely fit walk",
			"0x1234",
			"//Alice///password",
			"//",
		] {
			let err = dev_uri("--suri", secret).expect_err(secret).to_string();
			assert!(err.starts_with("--suri:"), "{err}");
			assert!(!err.contains(secret) || secret == "//", "the secret is not repeated: {err}");
		}
	}

	#[test]
	fn exported_key_files_round_trip_through_subxt_signer() {
		let alice = Signer::from_uri("//Alice", "test").expect("alice");
		let alice_pair = alice.pair().expect("pair");
		let json = polkadot_js::encrypt(&alice_pair, "correct horse", "Alice", 1).expect("encrypt");
		let back =
			Signer::from_json(&json, "correct horse", "test").expect("subxt-signer reads it");
		assert_eq!(back.keypair.public_key().0, alice.keypair.public_key().0);
		let pair = back.pair().expect("our reading of it");
		assert_eq!(pair.public(), alice_pair.public());
		// Both forms sign as Alice.
		let message = b"virtengine";
		assert!(sp_core::sr25519::Pair::verify(&pair.sign(message), message, &alice_pair.public()));
		let signature = back.keypair.sign(message);
		assert!(subxt_signer::sr25519::verify(&signature, message, &alice.keypair.public_key()));
		let wrong = Signer::from_json(&json, "wrong", "--key-file k.json").err().expect("refused");
		assert!(wrong.to_string().contains("--key-file k.json: wrong password"), "{wrong}");
	}

	/// A file exported by polkadot.js apps (subxt-signer's test vector: Alice, `whoisalice`),
	/// read in sp-core's form.
	#[test]
	fn reads_a_polkadot_js_export() {
		let json = r#"{"encoded":"DumgApKCTqoCty1OZW/8WS+sgo6RdpHhCwAkA2IoDBMAgAAAAQAAAAgAAAB6IG/q24EeVf0JqWqcBd5m2tKq5BlyY84IQ8oamLn9DZe9Ouhgunr7i36J1XxUnTI801axqL/ym1gil0U8440Qvj0lFVKwGuxq38zuifgoj0B3Yru0CI6QKEvQPU5xxj4MpyxdSxP+2PnTzYao0HDH0fulaGvlAYXfqtU89xrx2/z9z7IjSwS3oDFPXRQ9kAdDebtyCVreZ9Otw9v3","encoding":{"content":["pkcs8","sr25519"],"type":["scrypt","xsalsa20-poly1305"],"version":"3"},"address":"5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY","meta":{"genesisHash":"","name":"Alice","whenCreated":1718265838755}}"#;
		let pair = polkadot_js::decrypt_pair(json, "whoisalice").expect("decrypt");
		let alice = Signer::from_uri("//Alice", "test").expect("alice").pair().expect("pair");
		assert_eq!(pair.public(), alice.public());
	}
}
