//! WebAuthn (Level 2/3) assertions with ES256 credentials, verified as a relying party verifies
//! them (WebAuthn §7.2 "Verifying an Authentication Assertion"), and the challenges the chain
//! issues.
//!
//! The chain is the relying party: it keeps the credential's P-256 public key, computes the
//! challenge itself from the call being authorized (so a challenge is never stored and never
//! reused), and checks, cheapest first: the authenticator data's length and flags (user present;
//! user verified where the credential demands it), the RP ID hash, the client data's type,
//! challenge and origin, and last the signature over `authenticatorData || SHA-256(clientDataJSON)`.
//! The signature counter is returned for the caller to compare with the stored one.

use alloc::{string::String, vec::Vec};
use base64ct::{Base64UrlUnpadded, Encoding};
use p256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// Flag: the user was present (touched the authenticator).
pub const FLAG_UP: u8 = 0x01;
/// Flag: the user was verified (PIN, biometrics).
pub const FLAG_UV: u8 = 0x04;
/// Flag: attested credential data follows (registration only).
pub const FLAG_AT: u8 = 0x40;
/// Flag: extension data follows.
pub const FLAG_ED: u8 = 0x80;

/// The fixed part of authenticator data: RP ID hash, flags, counter.
pub const AUTHENTICATOR_DATA_MIN: usize = 37;

/// Why an assertion was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Error {
	/// Authenticator data shorter than 37 bytes, or with trailing bytes but no extension flag.
	MalformedAuthenticatorData,
	/// Authenticator data carried attested credential data, which belongs to registration.
	UnexpectedAttestedData,
	/// clientDataJSON is not a JSON object with string `type`, `challenge` and `origin`.
	MalformedClientData,
	/// clientDataJSON's type is not `webauthn.get`.
	WrongType,
	/// clientDataJSON's challenge is not the one the chain expects for this call.
	ChallengeMismatch,
	/// clientDataJSON's origin is not the relying party's.
	OriginMismatch,
	/// The assertion was made in a cross-origin iframe.
	CrossOrigin,
	/// The RP ID hash is not SHA-256 of the relying party's id.
	RpIdMismatch,
	/// The user-present flag is not set.
	UserNotPresent,
	/// The credential requires user verification and the flag is not set.
	UserNotVerified,
	/// The public key is not a valid SEC1 P-256 point.
	BadPublicKey,
	/// The signature is not DER-encoded ECDSA.
	BadSignatureEncoding,
	/// The signature does not verify.
	BadSignature,
}

/// The fixed part of authenticator data.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AuthenticatorData {
	/// SHA-256 of the RP ID the authenticator scoped the credential to.
	pub rp_id_hash: [u8; 32],
	/// UP, UV, BE, BS, AT, ED flags.
	pub flags: u8,
	/// The signature counter (0 if the authenticator keeps none).
	pub sign_count: u32,
}

impl AuthenticatorData {
	/// Parses an assertion's authenticator data.
	pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
		if bytes.len() < AUTHENTICATOR_DATA_MIN {
			return Err(Error::MalformedAuthenticatorData);
		}
		let mut rp_id_hash = [0u8; 32];
		rp_id_hash.copy_from_slice(&bytes[..32]);
		let flags = bytes[32];
		let sign_count = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
		if flags & FLAG_AT != 0 {
			return Err(Error::UnexpectedAttestedData);
		}
		if bytes.len() > AUTHENTICATOR_DATA_MIN && flags & FLAG_ED == 0 {
			return Err(Error::MalformedAuthenticatorData);
		}
		Ok(AuthenticatorData { rp_id_hash, flags, sign_count })
	}
}

/// The members of clientDataJSON a relying party checks.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ClientData {
	/// `webauthn.get` for assertions.
	pub ty: String,
	/// The challenge, base64url-decoded.
	pub challenge: Vec<u8>,
	/// The origin of the page (or app) that asked.
	pub origin: String,
	/// Whether it asked from a cross-origin iframe.
	pub cross_origin: bool,
}

#[derive(serde::Deserialize)]
struct RawClientData {
	#[serde(rename = "type")]
	ty: String,
	challenge: String,
	origin: String,
	#[serde(rename = "crossOrigin", default)]
	cross_origin: bool,
}

impl ClientData {
	/// Parses clientDataJSON (any member order and whitespace; unknown members such as
	/// `topOrigin` or `tokenBinding` ignored; duplicate members refused).
	pub fn parse(json: &[u8]) -> Result<Self, Error> {
		let raw: RawClientData =
			serde_json::from_slice(json).map_err(|_| Error::MalformedClientData)?;
		let challenge = Base64UrlUnpadded::decode_vec(&raw.challenge)
			.map_err(|_| Error::MalformedClientData)?;
		Ok(ClientData { ty: raw.ty, challenge, origin: raw.origin, cross_origin: raw.cross_origin })
	}
}

/// What the relying party (the chain) expects of an assertion.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
	/// The challenge for the call being authorized.
	pub challenge: &'a [u8; 32],
	/// SHA-256 of the relying party id.
	pub rp_id_hash: &'a [u8; 32],
	/// The relying party's origin, e.g. `https://app.virtengine.network`.
	pub origin: &'a [u8],
	/// Whether the credential demands user verification.
	pub require_uv: bool,
}

/// SHA-256 of a relying party id, as authenticators scope credentials.
pub fn rp_id_hash(rp_id: &[u8]) -> [u8; 32] {
	Sha256::digest(rp_id).into()
}

/// Verifies an ES256 assertion against a SEC1-encoded P-256 public key (33 or 65 bytes) and
/// returns its authenticator data (for the caller's counter check).
pub fn verify_assertion(
	public_key: &[u8],
	authenticator_data: &[u8],
	client_data_json: &[u8],
	signature_der: &[u8],
	expected: &Expected,
) -> Result<AuthenticatorData, Error> {
	let data = AuthenticatorData::parse(authenticator_data)?;
	if data.flags & FLAG_UP == 0 {
		return Err(Error::UserNotPresent);
	}
	if expected.require_uv && data.flags & FLAG_UV == 0 {
		return Err(Error::UserNotVerified);
	}
	if &data.rp_id_hash != expected.rp_id_hash {
		return Err(Error::RpIdMismatch);
	}
	let client = ClientData::parse(client_data_json)?;
	if client.ty != "webauthn.get" {
		return Err(Error::WrongType);
	}
	if client.challenge.as_slice() != expected.challenge.as_slice() {
		return Err(Error::ChallengeMismatch);
	}
	if client.origin.as_bytes() != expected.origin {
		return Err(Error::OriginMismatch);
	}
	if client.cross_origin {
		return Err(Error::CrossOrigin);
	}
	let key = parse_key(public_key)?;
	let signature = Signature::from_der(signature_der).map_err(|_| Error::BadSignatureEncoding)?;
	let mut message = Vec::with_capacity(authenticator_data.len() + 32);
	message.extend_from_slice(authenticator_data);
	message.extend_from_slice(&Sha256::digest(client_data_json));
	key.verify(&message, &signature).map_err(|_| Error::BadSignature)?;
	Ok(data)
}

/// A P-256 public key in its 33-byte compressed SEC1 form (from 33 or 65 bytes), after checking
/// it is a point of the curve.
pub fn compress_public_key(sec1: &[u8]) -> Result<[u8; 33], Error> {
	let key = parse_key(sec1)?;
	let point = key.to_encoded_point(true);
	point.as_bytes().try_into().map_err(|_| Error::BadPublicKey)
}

/// A SEC1 point in the two standard encodings only (the `sec1` crate also takes the "compact"
/// 0x05 form and the identity, which no authenticator produces).
fn parse_key(sec1: &[u8]) -> Result<VerifyingKey, Error> {
	match (sec1.first(), sec1.len()) {
		(Some(0x02 | 0x03), 33) | (Some(0x04), 65) => {},
		_ => return Err(Error::BadPublicKey),
	}
	VerifyingKey::from_sec1_bytes(sec1).map_err(|_| Error::BadPublicKey)
}

fn challenge(domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
	let mut data = Vec::with_capacity(256);
	data.extend_from_slice(domain);
	for part in parts {
		data.extend_from_slice(part);
	}
	sp_crypto_hashing::blake2_256(&data)
}

/// The challenge an assertion authorizing a call must sign: bound to the chain (genesis hash),
/// the account, the account's MFA nonce (so no two authorizations share a challenge, even for
/// authenticators without a counter) and the hash of the exact call.
pub fn authorize_challenge(
	genesis: &[u8; 32],
	account: &[u8],
	nonce: u64,
	call_hash: &[u8; 32],
) -> [u8; 32] {
	challenge(b"virtengine/mfa/authorize/v1", &[genesis, account, &nonce.to_le_bytes(), call_hash])
}

/// The challenge the lost account's factors sign to hand it to a rescuer: the lost account's
/// authorize challenge (its nonce included) over the hash of the recovery intent naming the
/// rescuer (`rescuer` is the rescuer's encoded account).
pub fn recovery_challenge(genesis: &[u8; 32], lost: &[u8], nonce: u64, rescuer: &[u8]) -> [u8; 32] {
	let mut intent = Vec::with_capacity(32 + rescuer.len());
	intent.extend_from_slice(b"virtengine/mfa/recover/v1");
	intent.extend_from_slice(rescuer);
	authorize_challenge(genesis, lost, nonce, &sp_crypto_hashing::blake2_256(&intent))
}

/// The challenge an assertion enrolling a credential must sign (proof that the enrolling account
/// holds the private key): bound to the chain, the account, the credential id and the compressed
/// public key. Not to the MFA nonce: enrolling a further factor is itself authorized first, which
/// moves the nonce, and replaying an enrollment only re-proves possession of the same key by the
/// same account.
pub fn enroll_challenge(
	genesis: &[u8; 32],
	account: &[u8],
	credential_id: &[u8],
	public_key: &[u8; 33],
) -> [u8; 32] {
	let id_len = (credential_id.len() as u32).to_le_bytes();
	challenge(b"virtengine/mfa/enroll/v1", &[genesis, account, &id_len, credential_id, public_key])
}

/// The challenge encoded as clientDataJSON carries it (base64url without padding).
pub fn encode_challenge(challenge: &[u8; 32]) -> String {
	Base64UrlUnpadded::encode_string(challenge)
}

/// A software authenticator: one ES256 credential, a counter, and assertions shaped as a browser
/// returns them. For development, tests and benchmarks; it is not a security key.
pub mod soft {
	use super::*;
	use p256::ecdsa::{signature::Signer, SigningKey};

	/// A software authenticator holding one credential.
	#[derive(Clone)]
	pub struct SoftAuthenticator {
		key: SigningKey,
		/// The credential id.
		pub credential_id: Vec<u8>,
		/// The RP ID the credential is scoped to.
		pub rp_id: String,
		/// The signature counter of the last assertion.
		pub counter: u32,
		/// Whether assertions claim user verification.
		pub user_verified: bool,
	}

	/// An assertion as `navigator.credentials.get()` returns it.
	#[derive(Clone, PartialEq, Eq, Debug)]
	pub struct SoftAssertion {
		/// authenticatorData.
		pub authenticator_data: Vec<u8>,
		/// clientDataJSON.
		pub client_data_json: Vec<u8>,
		/// DER-encoded ES256 signature.
		pub signature: Vec<u8>,
	}

	impl SoftAuthenticator {
		/// A credential from a 32-byte secret scalar (`None` if it is zero or not below the
		/// group order).
		pub fn from_secret(secret: &[u8; 32], credential_id: &[u8], rp_id: &str) -> Option<Self> {
			let key = SigningKey::from_slice(secret).ok()?;
			Some(Self {
				key,
				credential_id: credential_id.to_vec(),
				rp_id: rp_id.into(),
				counter: 0,
				user_verified: true,
			})
		}

		/// The 33-byte compressed public key.
		pub fn public_key(&self) -> [u8; 33] {
			let point = self.key.verifying_key().to_encoded_point(true);
			let mut out = [0u8; 33];
			out.copy_from_slice(point.as_bytes());
			out
		}

		/// Signs `challenge` for `origin`, advancing the counter.
		pub fn assert(&mut self, challenge: &[u8; 32], origin: &str) -> SoftAssertion {
			self.counter = self.counter.saturating_add(1);
			let mut authenticator_data = Vec::with_capacity(AUTHENTICATOR_DATA_MIN);
			authenticator_data.extend_from_slice(&rp_id_hash(self.rp_id.as_bytes()));
			authenticator_data.push(if self.user_verified { FLAG_UP | FLAG_UV } else { FLAG_UP });
			authenticator_data.extend_from_slice(&self.counter.to_be_bytes());
			let client_data_json = alloc::format!(
				"{{\"type\":\"webauthn.get\",\"challenge\":\"{}\",\"origin\":\"{}\",\"crossOrigin\":false}}",
				encode_challenge(challenge),
				origin
			)
			.into_bytes();
			let mut message = authenticator_data.clone();
			message.extend_from_slice(&Sha256::digest(&client_data_json));
			let signature: Signature = self.key.sign(&message);
			SoftAssertion {
				authenticator_data,
				client_data_json,
				signature: signature.to_der().as_bytes().to_vec(),
			}
		}
	}
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
	use super::{soft::SoftAuthenticator, *};

	const ORIGIN: &str = "https://app.virtengine.test";

	fn setup() -> (SoftAuthenticator, [u8; 32], [u8; 32]) {
		let auth = SoftAuthenticator::from_secret(&[9u8; 32], b"cred", "virtengine.test").unwrap();
		let challenge = authorize_challenge(&[1; 32], &[2; 32], 0, &[3; 32]);
		(auth, challenge, rp_id_hash(b"virtengine.test"))
	}

	fn expected<'a>(challenge: &'a [u8; 32], rp: &'a [u8; 32]) -> Expected<'a> {
		Expected { challenge, rp_id_hash: rp, origin: ORIGIN.as_bytes(), require_uv: true }
	}

	#[test]
	fn software_assertion_verifies_and_every_check_bites() {
		let (mut auth, challenge, rp) = setup();
		let a = auth.assert(&challenge, ORIGIN);
		let pk = auth.public_key();
		let ok = verify_assertion(
			&pk,
			&a.authenticator_data,
			&a.client_data_json,
			&a.signature,
			&expected(&challenge, &rp),
		)
		.unwrap();
		assert_eq!(ok.sign_count, 1);

		let other = authorize_challenge(&[1; 32], &[2; 32], 1, &[3; 32]);
		let verify = |a: &soft::SoftAssertion, e: &Expected| {
			verify_assertion(&pk, &a.authenticator_data, &a.client_data_json, &a.signature, e)
		};
		assert_eq!(verify(&a, &expected(&other, &rp)), Err(Error::ChallengeMismatch));
		let other_rp = rp_id_hash(b"evil.test");
		assert_eq!(verify(&a, &expected(&challenge, &other_rp)), Err(Error::RpIdMismatch));
		let mut e = expected(&challenge, &rp);
		e.origin = b"https://evil.test";
		assert_eq!(verify(&a, &e), Err(Error::OriginMismatch));

		// A flipped bit anywhere in the signed data breaks the signature.
		let mut tampered = a.clone();
		tampered.authenticator_data[36] ^= 1;
		assert_eq!(verify(&tampered, &expected(&challenge, &rp)), Err(Error::BadSignature));
		let mut tampered = a.clone();
		tampered.client_data_json.extend_from_slice(b" ");
		assert_eq!(verify(&tampered, &expected(&challenge, &rp)), Err(Error::BadSignature));
		let mut tampered = a.clone();
		tampered.signature[10] ^= 1;
		assert!(verify(&tampered, &expected(&challenge, &rp)).is_err());

		// Flags.
		let mut tampered = a.clone();
		tampered.authenticator_data[32] = 0;
		assert_eq!(verify(&tampered, &expected(&challenge, &rp)), Err(Error::UserNotPresent));
		auth.user_verified = false;
		let up_only = auth.assert(&challenge, ORIGIN);
		assert_eq!(verify(&up_only, &expected(&challenge, &rp)), Err(Error::UserNotVerified));
		let mut e = expected(&challenge, &rp);
		e.require_uv = false;
		assert_eq!(verify(&up_only, &e).unwrap().sign_count, 2);

		// Another key.
		let other_key =
			SoftAuthenticator::from_secret(&[8u8; 32], b"cred", "virtengine.test").unwrap();
		assert_eq!(
			verify_assertion(
				&other_key.public_key(),
				&a.authenticator_data,
				&a.client_data_json,
				&a.signature,
				&expected(&challenge, &rp)
			),
			Err(Error::BadSignature)
		);
	}

	#[test]
	fn client_data_is_parsed_as_json_not_as_a_prefix() {
		let c = encode_challenge(&[5; 32]);
		// Spaces, another member order, unknown members: fine.
		let json = alloc::format!(
			"{{ \"origin\" : \"{ORIGIN}\", \"challenge\": \"{c}\", \"type\": \"webauthn.get\", \"topOrigin\": \"x\", \"other\": {{\"a\": [1, 2]}} }}"
		);
		let parsed = ClientData::parse(json.as_bytes()).unwrap();
		assert_eq!(parsed.challenge, [5; 32]);
		assert_eq!(parsed.origin, ORIGIN);
		// Duplicate members, a padded or non-base64url challenge, a missing member, trailing
		// garbage: refused.
		for bad in [
			alloc::format!("{{\"type\":\"webauthn.get\",\"type\":\"webauthn.get\",\"challenge\":\"{c}\",\"origin\":\"o\"}}"),
			alloc::format!("{{\"type\":\"webauthn.get\",\"challenge\":\"{c}=\",\"origin\":\"o\"}}"),
			alloc::format!("{{\"type\":\"webauthn.get\",\"challenge\":\"{c}+\",\"origin\":\"o\"}}"),
			"{\"type\":\"webauthn.get\",\"origin\":\"o\"}".into(),
			alloc::format!("{{\"type\":\"webauthn.get\",\"challenge\":\"{c}\",\"origin\":\"o\"}} x"),
			"[\"webauthn.get\"]".into(),
		] {
			assert_eq!(ClientData::parse(bad.as_bytes()), Err(Error::MalformedClientData), "{bad}");
		}
	}

	#[test]
	fn authenticator_data_layout() {
		assert_eq!(AuthenticatorData::parse(&[0; 36]), Err(Error::MalformedAuthenticatorData));
		let mut d = [0u8; 37];
		d[32] = FLAG_UP;
		d[33..37].copy_from_slice(&7u32.to_be_bytes());
		assert_eq!(AuthenticatorData::parse(&d).unwrap().sign_count, 7);
		d[32] = FLAG_UP | FLAG_AT;
		assert_eq!(AuthenticatorData::parse(&d), Err(Error::UnexpectedAttestedData));
		let mut long = [0u8; 40].to_vec();
		long[32] = FLAG_UP;
		assert_eq!(AuthenticatorData::parse(&long), Err(Error::MalformedAuthenticatorData));
		long[32] = FLAG_UP | FLAG_ED;
		assert!(AuthenticatorData::parse(&long).is_ok());
	}

	#[test]
	fn public_keys_are_checked_and_compressed() {
		let (auth, ..) = setup();
		let pk = auth.public_key();
		assert_eq!(compress_public_key(&pk).unwrap(), pk);
		let mut bad = pk;
		bad[0] = 0x05;
		assert_eq!(compress_public_key(&bad), Err(Error::BadPublicKey));
		assert_eq!(compress_public_key(&[4u8; 65]), Err(Error::BadPublicKey));
		let mut off_curve = [0xffu8; 33];
		off_curve[0] = 0x02;
		assert_eq!(compress_public_key(&off_curve), Err(Error::BadPublicKey));
		assert_eq!(compress_public_key(&[0u8; 1]), Err(Error::BadPublicKey));
	}

	/// Golden challenge, computed independently with Python's hashlib (blake2b, digest_size=32,
	/// over the domain, genesis, account, nonce as 8 little-endian bytes and call hash): a client
	/// in any language must derive the same challenge.
	#[test]
	fn authorize_challenge_golden() {
		let c = authorize_challenge(&[1; 32], &[2; 32], 5, &[3; 32]);
		assert_eq!(hex::encode(c), GOLDEN_AUTHORIZE);
	}
	const GOLDEN_AUTHORIZE: &str =
		"dfe38cbd0615e1f69b78f18fb20117bbfe248df7addec673912cb19301881da1";
}
