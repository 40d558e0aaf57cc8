#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

mod error;
#[cfg(feature = "std")]
mod json;
pub mod kdf;
mod open;
#[cfg(feature = "std")]
mod seal;
pub mod secretbox;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sha2::{Digest, Sha256};

pub use error::Error;
#[cfg(feature = "std")]
pub use json::EnvelopeJson;
pub use open::{open, verify_sender, verify_structure};
#[cfg(feature = "std")]
pub use seal::{seal, seal_with_rng, RecipientSecret, SenderKey};

/// The only envelope format version so far.
pub const VERSION_1: u8 = 1;
/// X25519 key agreement, XSalsa20-Poly1305 for the wrapped data keys (libsodium `crypto_box`)
/// and for the payload (libsodium `crypto_secretbox`).
pub const ALGORITHM_X25519_XSALSA20_POLY1305: u8 = 1;
/// Signature schemes of the sender's account key.
pub const SCHEME_SR25519: u8 = 1;
/// See [`SCHEME_SR25519`].
pub const SCHEME_ED25519: u8 = 2;

/// Length of a key id: the first 20 bytes of SHA-256 of the X25519 public key.
pub const KEY_ID_LEN: usize = 20;
/// Length of an XSalsa20 nonce.
pub const NONCE_LEN: usize = 24;
/// Length of a Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Length of a data-encryption key.
pub const DATA_KEY_LEN: usize = 32;
/// Length of a wrapped data key: `nonce(24) ‖ tag(16) ‖ encrypted key(32)`.
pub const WRAPPED_KEY_LEN: usize = NONCE_LEN + TAG_LEN + DATA_KEY_LEN;

/// The domain every sender signature is separated by.
pub const SIGNATURE_DOMAIN: &[u8] = b"virtengine:envelope:v1:signature";

/// A recipient key id.
pub type KeyId = [u8; KEY_ID_LEN];

/// The key id of an X25519 public key: the first 20 bytes of its SHA-256.
pub fn key_id(public: &[u8; 32]) -> KeyId {
	let digest = Sha256::digest(public);
	let mut id = [0u8; KEY_ID_LEN];
	id.copy_from_slice(&digest[..KEY_ID_LEN]);
	id
}

/// One recipient of an envelope: who (by key id) and the data key, boxed to that key.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct Recipient {
	/// The recipient's key id ([`key_id`] of its X25519 public key).
	pub key_id: KeyId,
	/// `nonce(24) ‖ crypto_box(data key)`, boxed from the envelope's ephemeral key to the
	/// recipient's key; [`WRAPPED_KEY_LEN`] bytes.
	pub wrapped_key: Vec<u8>,
}

/// The sender's signature over everything else in the envelope.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo, MaxEncodedLen,
)]
pub struct SenderSignature {
	/// [`SCHEME_SR25519`] or [`SCHEME_ED25519`].
	pub scheme: u8,
	/// The sender's account public key (an sr25519 or ed25519 key is also its account id).
	pub public: [u8; 32],
	/// The signature over [`Envelope::signing_hash`].
	pub signature: [u8; 64],
}

/// An encrypted envelope, format version 1. SCALE-encoded on chain; [`EnvelopeJson`] is its
/// stable JSON form for clients.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, TypeInfo)]
pub struct Envelope {
	/// Format version: [`VERSION_1`].
	pub version: u8,
	/// Algorithm id: [`ALGORITHM_X25519_XSALSA20_POLY1305`].
	pub algorithm: u8,
	/// A fresh X25519 public key, made for this envelope only.
	pub ephemeral_public: [u8; 32],
	/// Who can open the envelope.
	pub recipients: Vec<Recipient>,
	/// The payload's nonce.
	pub payload_nonce: [u8; NONCE_LEN],
	/// `secretbox(plaintext, data key)`: `tag(16) ‖ ciphertext`.
	pub ciphertext: Vec<u8>,
	/// What the plaintext is (e.g. `identity-scope`, `order-config`), in the clear for routing.
	pub content_type: Vec<u8>,
	/// When it was sealed: milliseconds since the Unix epoch, as the sender claims.
	pub created_at: u64,
	/// The sender's signature.
	pub sender: SenderSignature,
}

/// Bounds an envelope must stay within; the chain and clients choose them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Limits {
	/// At most this many recipients.
	pub max_recipients: u32,
	/// At most this many bytes of ciphertext (plaintext + 16).
	pub max_ciphertext: u32,
	/// At most this many bytes of content type.
	pub max_content_type: u32,
}

impl Limits {
	/// Generous defaults for clients: 64 recipients, 16 MiB, 64-byte content types.
	pub const DEFAULT: Limits =
		Limits { max_recipients: 64, max_ciphertext: 16 << 20, max_content_type: 64 };
}

impl Default for Limits {
	fn default() -> Self {
		Self::DEFAULT
	}
}

impl Envelope {
	/// The hash the sender signs: BLAKE2-256 of the signature domain and the SCALE encoding of
	/// every other field, the signer's scheme and public key included. Changing any byte of any
	/// field changes it.
	pub fn signing_hash(&self) -> [u8; 32] {
		let mut data = Vec::with_capacity(SIGNATURE_DOMAIN.len() + self.ciphertext.len() + 256);
		data.extend_from_slice(SIGNATURE_DOMAIN);
		(
			self.version,
			self.algorithm,
			&self.ephemeral_public,
			&self.recipients,
			&self.payload_nonce,
		)
			.encode_to(&mut data);
		(
			&self.ciphertext,
			&self.content_type,
			self.created_at,
			self.sender.scheme,
			&self.sender.public,
		)
			.encode_to(&mut data);
		sp_io::hashing::blake2_256(&data)
	}

	/// The key ids of the recipients, in envelope order.
	pub fn recipient_ids(&self) -> impl Iterator<Item = &KeyId> {
		self.recipients.iter().map(|r| &r.key_id)
	}

	/// BLAKE2-256 of the whole SCALE-encoded envelope, for other records to refer to it.
	pub fn hash(&self) -> [u8; 32] {
		sp_io::hashing::blake2_256(&self.encode())
	}
}

/// A clamped scalar (a multiple of the cofactor) to test public keys with: the result of
/// X25519 with it is all zeros exactly when the point has small order.
const SMALL_ORDER_PROBE: [u8; 32] = {
	let mut k = [0x5au8; 32];
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	k
};

/// Whether an X25519 public key has small order (a contributory-behaviour failure: every
/// shared secret with it is predictable). libsodium refuses such keys; so do we.
pub fn is_small_order(public: &[u8; 32]) -> bool {
	x25519_dalek::x25519(SMALL_ORDER_PROBE, *public) == [0u8; 32]
}

#[cfg(test)]
mod tests;
