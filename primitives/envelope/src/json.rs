//! The stable JSON form of an envelope, for clients and files. Byte strings are lowercase hex;
//! ids are numbers; the content type is UTF-8 text.

use serde::{Deserialize, Serialize};

use crate::{Envelope, Error, Recipient, SenderSignature};

/// A recipient in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientJson {
	/// Hex of the 20-byte key id.
	pub key_id: String,
	/// Hex of the 72-byte wrapped data key.
	pub wrapped_key: String,
}

/// The sender signature in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderJson {
	/// 1 = sr25519, 2 = ed25519.
	pub scheme: u8,
	/// Hex of the 32-byte account public key.
	pub public: String,
	/// Hex of the 64-byte signature.
	pub signature: String,
}

/// An envelope in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeJson {
	/// Format version.
	pub version: u8,
	/// Algorithm id.
	pub algorithm: u8,
	/// Hex of the 32-byte ephemeral X25519 public key.
	pub ephemeral_public: String,
	/// The recipients.
	pub recipients: Vec<RecipientJson>,
	/// Hex of the 24-byte payload nonce.
	pub payload_nonce: String,
	/// Hex of `tag ‖ ciphertext`.
	pub ciphertext: String,
	/// The content type.
	pub content_type: String,
	/// Milliseconds since the Unix epoch.
	pub created_at: u64,
	/// The sender's signature.
	pub sender: SenderJson,
}

fn bytes(field: &'static str, text: &str) -> Result<Vec<u8>, Error> {
	hex::decode(text).map_err(|_| Error::Malformed(field))
}

fn array<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], Error> {
	let raw = bytes(field, text)?;
	raw.as_slice().try_into().map_err(|_| Error::WrongSize {
		field,
		expected: N,
		actual: raw.len(),
	})
}

impl From<&Envelope> for EnvelopeJson {
	fn from(e: &Envelope) -> Self {
		EnvelopeJson {
			version: e.version,
			algorithm: e.algorithm,
			ephemeral_public: hex::encode(e.ephemeral_public),
			recipients: e
				.recipients
				.iter()
				.map(|r| RecipientJson {
					key_id: hex::encode(r.key_id),
					wrapped_key: hex::encode(&r.wrapped_key),
				})
				.collect(),
			payload_nonce: hex::encode(e.payload_nonce),
			ciphertext: hex::encode(&e.ciphertext),
			content_type: String::from_utf8_lossy(&e.content_type).into_owned(),
			created_at: e.created_at,
			sender: SenderJson {
				scheme: e.sender.scheme,
				public: hex::encode(e.sender.public),
				signature: hex::encode(e.sender.signature),
			},
		}
	}
}

impl TryFrom<EnvelopeJson> for Envelope {
	type Error = Error;

	fn try_from(j: EnvelopeJson) -> Result<Self, Error> {
		let recipients = j
			.recipients
			.iter()
			.map(|r| {
				Ok(Recipient {
					key_id: array("key_id", &r.key_id)?,
					wrapped_key: bytes("wrapped_key", &r.wrapped_key)?,
				})
			})
			.collect::<Result<Vec<_>, Error>>()?;
		Ok(Envelope {
			version: j.version,
			algorithm: j.algorithm,
			ephemeral_public: array("ephemeral_public", &j.ephemeral_public)?,
			recipients,
			payload_nonce: array("payload_nonce", &j.payload_nonce)?,
			ciphertext: bytes("ciphertext", &j.ciphertext)?,
			content_type: j.content_type.into_bytes(),
			created_at: j.created_at,
			sender: SenderSignature {
				scheme: j.sender.scheme,
				public: array("sender.public", &j.sender.public)?,
				signature: array("sender.signature", &j.sender.signature)?,
			},
		})
	}
}

impl Envelope {
	/// The envelope as JSON text. A content type that is not UTF-8 cannot be written as JSON.
	pub fn to_json(&self) -> Result<String, Error> {
		if core::str::from_utf8(&self.content_type).is_err() {
			return Err(Error::Malformed("content_type is not UTF-8"));
		}
		serde_json::to_string_pretty(&EnvelopeJson::from(self))
			.map_err(|_| Error::Malformed("json"))
	}

	/// Parses the JSON form.
	pub fn from_json(text: &str) -> Result<Envelope, Error> {
		let parsed: EnvelopeJson =
			serde_json::from_str(text).map_err(|_| Error::Malformed("not an envelope in JSON"))?;
		Envelope::try_from(parsed)
	}
}
