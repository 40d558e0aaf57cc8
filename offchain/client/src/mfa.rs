//! MFA on chain (`pallet_mfa`): read an account's factors, enroll a FIDO2 credential and
//! authorize a call with it, using a software authenticator kept in a key file.
//!
//! The software authenticator is for development and tests: its private key sits in a file
//! (mode 0600), so it proves possession of that file, not of a security key. A browser with a real
//! authenticator produces the same assertion format, which the chain verifies the same way.

use std::path::Path;

use codec::Encode;
use serde_json::{json, Value};
use virtengine_mfa_primitives::webauthn::{self, soft::SoftAuthenticator};

use crate::{
	runtime::runtime_types::pallet_mfa::{pallet::Call, types},
	AccountId, Client, Error, Included, Keypair, RuntimeCall, Status, TxOptions,
};

pub use types::{
	Assertion, CallAuthorization, Channel, ChannelKind, Credential, Proof, Recovery,
	RelyingPartyConfig, SessionGrant, TotpBinding,
};

/// A software FIDO2 credential in a key file.
pub struct SoftKey {
	/// The authenticator (secret, credential id, RP ID, counter).
	pub authenticator: SoftAuthenticator,
	secret: [u8; 32],
}

impl SoftKey {
	/// A new credential from 32 random bytes, scoped to `rp_id`. `None` if the bytes are not a
	/// valid P-256 scalar (probability about 2^-32: draw again).
	pub fn new(secret: [u8; 32], credential_id: [u8; 16], rp_id: &str) -> Option<SoftKey> {
		let authenticator = SoftAuthenticator::from_secret(&secret, &credential_id, rp_id)?;
		Some(SoftKey { authenticator, secret })
	}

	/// Reads a key file.
	pub fn load(path: &Path) -> Result<SoftKey, Error> {
		let bad = |why: String| Error::Invalid(format!("{}: {why}", path.display()));
		let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
		let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
		let field = |name: &str| {
			v.get(name).and_then(Value::as_str).ok_or_else(|| bad(format!("no `{name}`")))
		};
		let secret: [u8; 32] = hex::decode(field("secret")?)
			.ok()
			.and_then(|b| b.try_into().ok())
			.ok_or_else(|| bad("`secret` is not 32 hex bytes".into()))?;
		let credential_id =
			hex::decode(field("credential_id")?).map_err(|_| bad("bad `credential_id`".into()))?;
		let rp_id = field("rp_id")?.to_string();
		let counter = v
			.get("counter")
			.and_then(Value::as_u64)
			.and_then(|c| u32::try_from(c).ok())
			.ok_or_else(|| bad("no `counter`".into()))?;
		let mut authenticator = SoftAuthenticator::from_secret(&secret, &credential_id, &rp_id)
			.ok_or_else(|| bad("`secret` is not a P-256 key".into()))?;
		authenticator.counter = counter;
		Ok(SoftKey { authenticator, secret })
	}

	/// Writes the key file atomically, readable by its owner only.
	pub fn save(&self, path: &Path) -> Result<(), Error> {
		let a = &self.authenticator;
		let text = serde_json::to_string_pretty(&json!({
			"kind": "virtengine software FIDO2 credential (development only)",
			"secret": hex::encode(self.secret),
			"credential_id": hex::encode(&a.credential_id),
			"rp_id": a.rp_id,
			"counter": a.counter,
		}))
		.unwrap_or_default();
		let bad = |e: std::io::Error| Error::Invalid(format!("{}: {e}", path.display()));
		let tmp = path.with_extension("tmp");
		{
			use std::io::Write;
			let mut options = std::fs::OpenOptions::new();
			options.write(true).create(true).truncate(true);
			#[cfg(unix)]
			{
				use std::os::unix::fs::OpenOptionsExt;
				options.mode(0o600);
			}
			let mut file = options.open(&tmp).map_err(bad)?;
			file.write_all(text.as_bytes()).map_err(bad)?;
			file.sync_all().map_err(bad)?;
		}
		std::fs::rename(&tmp, path).map_err(bad)
	}
}

/// The chain's limits on an assertion's parts (`pallet_mfa::Assertion`).
const ASSERTION_LIMITS: [(&str, usize); 4] =
	[("credential id", 255), ("authenticator data", 512), ("client data", 1024), ("signature", 80)];

fn to_assertion(
	a: &webauthn::soft::SoftAssertion,
	credential_id: &[u8],
) -> Result<Assertion, Error> {
	let parts =
		[credential_id, &a.authenticator_data[..], &a.client_data_json[..], &a.signature[..]];
	for ((what, limit), part) in ASSERTION_LIMITS.iter().zip(parts) {
		if part.len() > *limit {
			return Err(Error::Invalid(format!(
				"the assertion's {what} is {} bytes, the chain takes at most {limit}",
				part.len()
			)));
		}
	}
	Ok(Assertion {
		credential_id: credential_id.to_vec(),
		authenticator_data: a.authenticator_data.clone(),
		client_data_json: a.client_data_json.clone(),
		signature: a.signature.clone(),
	})
}

/// An account's MFA state as stored.
#[derive(Debug, Default)]
pub struct MfaStatus {
	/// FIDO2 credentials.
	pub credentials: Vec<Credential>,
	/// Code channels.
	pub channels: Vec<Channel>,
	/// Trusted device keys.
	pub devices: Vec<[u8; 32]>,
	/// Authorizations made so far.
	pub nonce: u64,
	/// The pending single-use authorization.
	pub pending: Option<CallAuthorization<u32>>,
	/// Open sessions.
	pub sessions: Vec<SessionGrant<u32>>,
}

impl Client {
	/// The chain's WebAuthn relying party.
	pub async fn relying_party(&self) -> Result<Option<RelyingPartyConfig>, Error> {
		self.fetch(crate::runtime::storage().mfa().relying_party(), (), "the MFA relying party")
			.await
	}

	/// An account's factors, nonce, pending authorization and sessions.
	pub async fn mfa_status(&self, who: &AccountId) -> Result<MfaStatus, Error> {
		let storage = crate::runtime::storage().mfa();
		let key = (who.clone(),);
		Ok(MfaStatus {
			credentials: self
				.fetch(storage.credentials(), key.clone(), "MFA credentials")
				.await?
				.unwrap_or_default(),
			channels: self
				.fetch(storage.channels(), key.clone(), "MFA channels")
				.await?
				.unwrap_or_default(),
			devices: self
				.fetch(storage.devices(), key.clone(), "MFA devices")
				.await?
				.unwrap_or_default(),
			nonce: self.mfa_nonce(who).await?,
			pending: self.fetch(storage.pending(), key.clone(), "MFA authorization").await?,
			sessions: self
				.fetch(storage.sessions(), key, "MFA sessions")
				.await?
				.unwrap_or_default(),
		})
	}

	async fn require_relying_party(&self, key: &SoftKey) -> Result<RelyingPartyConfig, Error> {
		let rp = self.relying_party().await?.ok_or_else(|| {
			Error::Invalid("the chain has no WebAuthn relying party configured (pallet_mfa)".into())
		})?;
		if rp.id.as_slice() != key.authenticator.rp_id.as_bytes() {
			return Err(Error::Invalid(format!(
				"the key is scoped to `{}`, the chain's relying party is `{}`",
				key.authenticator.rp_id,
				String::from_utf8_lossy(&rp.id)
			)));
		}
		Ok(rp)
	}

	/// Registers `key`'s credential for `signer` (the assertion over the enroll challenge proves
	/// possession). The counter advances and `save` is called before anything is submitted, so a
	/// counter is never reused.
	pub async fn mfa_enroll(
		&self,
		signer: &Keypair,
		key: &mut SoftKey,
		mut save: impl FnMut(&SoftKey) -> Result<(), Error>,
		options: &TxOptions,
		progress: impl FnMut(&Status),
	) -> Result<Included, Error> {
		let rp = self.require_relying_party(key).await?;
		let who = signer.public_key().to_account_id();
		let pk = key.authenticator.public_key();
		let challenge = webauthn::enroll_challenge(
			&self.genesis().0,
			&who.encode(),
			&key.authenticator.credential_id,
			&pk,
		);
		let origin = String::from_utf8_lossy(&rp.origin).into_owned();
		let a = key.authenticator.assert(&challenge, &origin);
		save(key)?;
		let call = RuntimeCall::Mfa(Call::register_credential {
			public_key: pk.to_vec(),
			require_uv: key.authenticator.user_verified,
			assertion: to_assertion(&a, &key.authenticator.credential_id)?,
		});
		self.submit(signer, &call, options, progress).await
	}

	/// Authorizes `call` for `signer` with `key`'s credential (if given), `extra` proofs (a
	/// one-time code, a TOTP attestation) and the account's VEID tier, which the chain reads
	/// itself.
	#[allow(clippy::too_many_arguments)]
	pub async fn mfa_authorize(
		&self,
		signer: &Keypair,
		key: Option<&mut SoftKey>,
		call: RuntimeCall,
		extra: Vec<Proof>,
		mut save: impl FnMut(&SoftKey) -> Result<(), Error>,
		options: &TxOptions,
		progress: impl FnMut(&Status),
	) -> Result<Included, Error> {
		let who = signer.public_key().to_account_id();
		let status = self.mfa_status(&who).await?;
		let challenge = challenge_for(&self.genesis().0, &who, status.nonce, &call);
		let mut proofs = Vec::new();
		if let Some(key) = key {
			let rp = self.require_relying_party(key).await?;
			if !status
				.credentials
				.iter()
				.any(|c| c.id.as_slice() == key.authenticator.credential_id)
			{
				return Err(Error::Invalid(
					"this key's credential is not registered for the account: run `virtengine mfa enroll` first"
						.into(),
				));
			}
			let origin = String::from_utf8_lossy(&rp.origin).into_owned();
			let a = key.authenticator.assert(&challenge, &origin);
			save(key)?;
			proofs.push(Proof::Fido2(to_assertion(&a, &key.authenticator.credential_id)?));
		}
		proofs.extend(extra);
		if proofs.len() > MAX_PROOFS {
			return Err(Error::Invalid(format!(
				"{} proofs given, an authorization carries at most {MAX_PROOFS}",
				proofs.len()
			)));
		}
		let authorize = RuntimeCall::Mfa(Call::authorize { call: Box::new(call), proofs });
		self.submit(signer, &authorize, options, progress).await
	}

	/// Sets the account's SMS or email channel; `destination` is the salted hash of the address
	/// ([`contact_hash`]).
	pub async fn mfa_set_channel(
		&self,
		signer: &Keypair,
		kind: ChannelKind,
		destination: [u8; 32],
		options: &TxOptions,
		progress: impl FnMut(&Status),
	) -> Result<Included, Error> {
		let call = RuntimeCall::Mfa(Call::set_channel { kind, destination });
		self.submit(signer, &call, options, progress).await
	}

	/// As an approved issuer, records the code sent to `who`; the user needs `code` and `salt`.
	#[allow(clippy::too_many_arguments)]
	pub async fn mfa_issue_code(
		&self,
		issuer: &Keypair,
		who: &AccountId,
		code: u32,
		salt: [u8; 32],
		ttl_blocks: u32,
		options: &TxOptions,
		progress: impl FnMut(&Status),
	) -> Result<Included, Error> {
		let commitment =
			virtengine_mfa_primitives::otp::code_commitment(&salt, &who.encode(), code);
		let call =
			RuntimeCall::Mfa(Call::issue_code { who: who.clone(), commitment, ttl: ttl_blocks });
		self.submit(issuer, &call, options, progress).await
	}

	/// Starts recovering `lost` to `rescuer` with the lost account's FIDO2 key and a code sent
	/// to its channel (its VEID tier is read by the chain).
	#[allow(clippy::too_many_arguments)]
	pub async fn mfa_initiate_recovery(
		&self,
		rescuer: &Keypair,
		lost: &AccountId,
		key: &mut SoftKey,
		code: Option<(u32, [u8; 32])>,
		mut save: impl FnMut(&SoftKey) -> Result<(), Error>,
		options: &TxOptions,
		progress: impl FnMut(&Status),
	) -> Result<Included, Error> {
		let rp = self.require_relying_party(key).await?;
		let nonce = self.mfa_nonce(lost).await?;
		let rescuer_id = rescuer.public_key().to_account_id();
		let challenge = webauthn::recovery_challenge(
			&self.genesis().0,
			&lost.encode(),
			nonce,
			&rescuer_id.encode(),
		);
		let origin = String::from_utf8_lossy(&rp.origin).into_owned();
		let a = key.authenticator.assert(&challenge, &origin);
		save(key)?;
		let mut proofs = vec![Proof::Fido2(to_assertion(&a, &key.authenticator.credential_id)?)];
		proofs.extend(code.map(|(code, salt)| Proof::Code { code, salt }));
		let call = RuntimeCall::Mfa(Call::initiate_recovery { lost: lost.clone(), proofs });
		self.submit(rescuer, &call, options, progress).await
	}

	/// A recovery under way for `lost`.
	pub async fn mfa_recovery(
		&self,
		lost: &AccountId,
	) -> Result<Option<Recovery<AccountId, u32>>, Error> {
		self.fetch(
			crate::runtime::storage().mfa().recoveries(),
			(lost.clone(),),
			"the recovery under way",
		)
		.await
	}

	/// The challenge an authorization of `call` by `who` must carry now.
	pub async fn mfa_challenge(
		&self,
		who: &AccountId,
		call: &RuntimeCall,
	) -> Result<[u8; 32], Error> {
		Ok(challenge_for(&self.genesis().0, who, self.mfa_nonce(who).await?, call))
	}

	/// An account's MFA nonce (authorizations made so far).
	pub async fn mfa_nonce(&self, who: &AccountId) -> Result<u64, Error> {
		Ok(self
			.fetch(crate::runtime::storage().mfa().nonces(), (who.clone(),), "MFA nonce")
			.await?
			.unwrap_or_default())
	}

	/// An account's TOTP binding.
	pub async fn mfa_totp_binding(
		&self,
		who: &AccountId,
	) -> Result<Option<TotpBinding<AccountId>>, Error> {
		self.fetch(crate::runtime::storage().mfa().totp(), (who.clone(),), "the TOTP binding").await
	}
}

/// The most proofs one authorization carries (`pallet_mfa`'s bound).
pub const MAX_PROOFS: usize = 4;

/// The salted hash of a contact address the chain keeps for a code channel: the issuer, given
/// the address and the salt by the user, checks it against the chain.
pub fn contact_hash(kind: ChannelKind, address: &str, salt: &[u8; 32]) -> [u8; 32] {
	virtengine_mfa_primitives::blake2_256(
		&(b"virtengine/mfa/contact/v1", kind, salt, address).encode(),
	)
}

/// The challenge an authorization of `call` by `who` at MFA nonce `nonce` signs on the chain
/// with genesis `genesis`.
pub fn challenge_for(
	genesis: &[u8; 32],
	who: &AccountId,
	nonce: u64,
	call: &RuntimeCall,
) -> [u8; 32] {
	let call_hash = virtengine_mfa_primitives::call_hash(&call.encode());
	webauthn::authorize_challenge(genesis, &who.encode(), nonce, &call_hash)
}

/// RFC 4648 base32 without padding: how authenticator apps take a TOTP seed.
pub fn base32(bytes: &[u8]) -> String {
	const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
	let mut buffer = 0u16;
	let mut bits = 0;
	for byte in bytes {
		buffer = (buffer << 8) | u16::from(*byte);
		bits += 8;
		while bits >= 5 {
			bits -= 5;
			out.push(ALPHABET[usize::from((buffer >> bits) & 31)] as char);
		}
	}
	if bits > 0 {
		out.push(ALPHABET[usize::from((buffer << (5 - bits)) & 31)] as char);
	}
	out
}

/// Decodes RFC 4648 base32 (padding, spaces and case ignored).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
	let mut out = Vec::new();
	let mut buffer = 0u32;
	let mut bits = 0;
	for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
		let value = match c.to_ascii_uppercase() {
			c @ 'A'..='Z' => c as u32 - 'A' as u32,
			c @ '2'..='7' => c as u32 - '2' as u32 + 26,
			_ => return None,
		};
		buffer = (buffer << 5) | value;
		bits += 5;
		if bits >= 8 {
			bits -= 8;
			out.push((buffer >> bits) as u8);
		}
	}
	Some(out)
}

/// The `otpauth://` URI an authenticator app scans (TOTP, SHA-1, 6 digits, 30 s).
pub fn otpauth_uri(account: &AccountId, seed: &[u8]) -> String {
	format!(
		"otpauth://totp/VirtEngine:{}?secret={}&issuer=VirtEngine&algorithm=SHA1&digits=6&period=30",
		account,
		base32(seed)
	)
}

/// Whether `code` is the TOTP code of `seed` at `unix_time`, one 30-second step either side
/// allowed for clock drift (RFC 6238 §5.2).
pub fn totp_matches(seed: &[u8], unix_time: u64, code: u32) -> bool {
	use virtengine_mfa_primitives::otp::{totp, Algorithm};
	[unix_time.saturating_sub(30), unix_time, unix_time.saturating_add(30)]
		.iter()
		.any(|t| totp(Algorithm::Sha1, seed, *t, 0, 30, 6) == code)
}

/// Hash of a sealed TOTP seed as `bind_totp` records it: BLAKE2b-256 of the envelope's JSON.
pub fn sealed_seed_hash(envelope_json: &[u8]) -> [u8; 32] {
	virtengine_mfa_primitives::blake2_256(envelope_json)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
	use super::*;

	/// RFC 4648 §10 test vectors (without padding).
	#[test]
	fn base32_rfc4648_vectors() {
		for (plain, encoded) in [
			("", ""),
			("f", "MY"),
			("fo", "MZXQ"),
			("foo", "MZXW6"),
			("foob", "MZXW6YQ"),
			("fooba", "MZXW6YTB"),
			("foobar", "MZXW6YTBOI"),
		] {
			assert_eq!(base32(plain.as_bytes()), encoded);
			assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
		}
		assert_eq!(base32_decode("mzxw 6ytb oi======").unwrap(), b"foobar");
		assert!(base32_decode("MZXW1").is_none());
	}

	#[test]
	fn totp_window_is_one_step_either_side() {
		use virtengine_mfa_primitives::otp::{totp, Algorithm};
		let seed = b"12345678901234567890";
		let at = |t| totp(Algorithm::Sha1, seed, t, 0, 30, 6);
		let now = 1_111_111_111;
		assert!(totp_matches(seed, now, at(now)));
		assert!(totp_matches(seed, now, at(now - 30)));
		assert!(totp_matches(seed, now, at(now + 30)));
		assert!(!totp_matches(seed, now, at(now - 90)));
	}

	#[test]
	fn soft_key_files_round_trip_and_refuse_damage() {
		let dir = std::env::temp_dir().join(format!("ve-softkey-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let path = dir.join("k.json");
		let mut key = SoftKey::new([7; 32], [1; 16], "localhost").unwrap();
		key.authenticator.counter = 5;
		key.save(&path).unwrap();
		let back = SoftKey::load(&path).unwrap();
		assert_eq!(back.authenticator.public_key(), key.authenticator.public_key());
		assert_eq!(back.authenticator.counter, 5);
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
		}
		std::fs::write(&path, "{\"secret\": \"zz\"}").unwrap();
		let err = SoftKey::load(&path).err().expect("damaged").to_string();
		assert!(err.contains("k.json") && err.contains("secret"), "{err}");
		std::fs::remove_dir_all(&dir).ok();
	}
}
