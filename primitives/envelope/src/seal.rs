//! Sealing envelopes (clients only: it needs randomness and the sender's secret key).

use rand_core::{CryptoRng, OsRng, RngCore};
use sp_core::Pair;
use zeroize::{Zeroize, Zeroizing};

use crate::{
	key_id, secretbox, Envelope, Error, KeyId, Limits, Recipient, SenderSignature,
	ALGORITHM_X25519_XSALSA20_POLY1305, DATA_KEY_LEN, NONCE_LEN, SCHEME_ED25519, SCHEME_SR25519,
	TAG_LEN, VERSION_1, WRAPPED_KEY_LEN,
};

/// The sender's account key, which signs the envelope.
pub enum SenderKey {
	/// An sr25519 account key (the usual Substrate account).
	Sr25519(sp_core::sr25519::Pair),
	/// An ed25519 account key.
	Ed25519(sp_core::ed25519::Pair),
}

impl SenderKey {
	/// The signature scheme id.
	pub fn scheme(&self) -> u8 {
		match self {
			SenderKey::Sr25519(_) => SCHEME_SR25519,
			SenderKey::Ed25519(_) => SCHEME_ED25519,
		}
	}

	/// The account public key.
	pub fn public(&self) -> [u8; 32] {
		match self {
			SenderKey::Sr25519(p) => p.public().0,
			SenderKey::Ed25519(p) => p.public().0,
		}
	}

	fn sign(&self, message: &[u8]) -> [u8; 64] {
		match self {
			SenderKey::Sr25519(p) => p.sign(message).0,
			SenderKey::Ed25519(p) => p.sign(message).0,
		}
	}
}

/// A recipient's X25519 secret key. Zeroed when dropped.
#[derive(Clone)]
pub struct RecipientSecret([u8; 32]);

impl RecipientSecret {
	/// A new random key.
	pub fn generate() -> Self {
		let mut bytes = [0u8; 32];
		OsRng.fill_bytes(&mut bytes);
		Self(bytes)
	}

	/// The key with these bytes.
	pub fn from_bytes(bytes: [u8; 32]) -> Self {
		Self(bytes)
	}

	/// The secret bytes.
	pub fn as_bytes(&self) -> &[u8; 32] {
		&self.0
	}

	/// The matching public key.
	pub fn public(&self) -> [u8; 32] {
		crate::kdf::public_key(&self.0)
	}

	/// The key id of the matching public key.
	pub fn key_id(&self) -> KeyId {
		key_id(&self.public())
	}
}

impl Drop for RecipientSecret {
	fn drop(&mut self) {
		self.0.zeroize();
	}
}

/// Seals `plaintext` for `recipients` (X25519 public keys), signed by `sender`, with randomness
/// from the operating system.
pub fn seal(
	plaintext: &[u8],
	recipients: &[[u8; 32]],
	sender: &SenderKey,
	content_type: &[u8],
	created_at: u64,
	limits: &Limits,
) -> Result<Envelope, Error> {
	seal_with_rng(&mut OsRng, plaintext, recipients, sender, content_type, created_at, limits)
}

/// [`seal`] with a caller-provided random number generator.
#[allow(clippy::too_many_arguments)]
pub fn seal_with_rng<R: RngCore + CryptoRng>(
	rng: &mut R,
	plaintext: &[u8],
	recipients: &[[u8; 32]],
	sender: &SenderKey,
	content_type: &[u8],
	created_at: u64,
	limits: &Limits,
) -> Result<Envelope, Error> {
	if recipients.is_empty() {
		return Err(Error::NoRecipients);
	}
	if recipients.len() > limits.max_recipients as usize {
		return Err(Error::TooManyRecipients {
			max: limits.max_recipients,
			actual: recipients.len(),
		});
	}
	let ciphertext_len = plaintext.len().saturating_add(TAG_LEN);
	if ciphertext_len > limits.max_ciphertext as usize {
		return Err(Error::TooLarge { max: limits.max_ciphertext, actual: ciphertext_len });
	}
	if content_type.len() > limits.max_content_type as usize {
		return Err(Error::ContentTypeTooLong {
			max: limits.max_content_type,
			actual: content_type.len(),
		});
	}
	let mut ids = Vec::with_capacity(recipients.len());
	for public in recipients {
		let id = key_id(public);
		if ids.contains(&id) {
			return Err(Error::DuplicateRecipient(id));
		}
		ids.push(id);
	}

	let mut ephemeral = Zeroizing::new([0u8; 32]);
	rng.fill_bytes(&mut ephemeral[..]);
	let mut data_key = Zeroizing::new([0u8; DATA_KEY_LEN]);
	rng.fill_bytes(&mut data_key[..]);
	let mut payload_nonce = [0u8; NONCE_LEN];
	rng.fill_bytes(&mut payload_nonce);

	let mut ciphertext = Vec::with_capacity(ciphertext_len);
	ciphertext.extend_from_slice(&[0u8; TAG_LEN]);
	ciphertext.extend_from_slice(plaintext);
	let tag = secretbox::seal_detached(&data_key, &payload_nonce, &mut ciphertext[TAG_LEN..]);
	ciphertext[..TAG_LEN].copy_from_slice(&tag);

	let mut entries = Vec::with_capacity(recipients.len());
	for (public, id) in recipients.iter().zip(ids) {
		// A small-order recipient key fails here, as in libsodium.
		let box_key = crate::kdf::box_key(&ephemeral, public)?;
		let mut nonce = [0u8; NONCE_LEN];
		rng.fill_bytes(&mut nonce);
		let mut boxed = Zeroizing::new(*data_key);
		let tag = secretbox::seal_detached(&box_key, &nonce, &mut boxed[..]);
		let mut wrapped_key = Vec::with_capacity(WRAPPED_KEY_LEN);
		wrapped_key.extend_from_slice(&nonce);
		wrapped_key.extend_from_slice(&tag);
		wrapped_key.extend_from_slice(&boxed[..]);
		entries.push(Recipient { key_id: id, wrapped_key });
	}

	let ephemeral_public = crate::kdf::public_key(&ephemeral);
	let mut envelope = Envelope {
		version: VERSION_1,
		algorithm: ALGORITHM_X25519_XSALSA20_POLY1305,
		ephemeral_public,
		recipients: entries,
		payload_nonce,
		ciphertext,
		content_type: content_type.to_vec(),
		created_at,
		sender: SenderSignature {
			scheme: sender.scheme(),
			public: sender.public(),
			signature: [0u8; 64],
		},
	};
	// The signature covers every other field, the signer's scheme and key included.
	envelope.sender.signature = sender.sign(&envelope.signing_hash());
	Ok(envelope)
}
