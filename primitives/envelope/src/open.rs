//! Checking and opening envelopes. No randomness and no secrets except the recipient's own key:
//! `verify_structure` and `verify_sender` run in the runtime.

use alloc::vec::Vec;
use zeroize::Zeroizing;

use crate::{
	is_small_order, key_id, secretbox, Envelope, Error, Limits, ALGORITHM_X25519_XSALSA20_POLY1305,
	DATA_KEY_LEN, NONCE_LEN, SCHEME_ED25519, SCHEME_SR25519, TAG_LEN, VERSION_1, WRAPPED_KEY_LEN,
};

/// The checks that need no limits: known version, algorithm and scheme, right sizes, at least
/// one recipient, a ciphertext with room for its tag.
fn check_format(envelope: &Envelope) -> Result<(), Error> {
	if envelope.version != VERSION_1 {
		return Err(Error::UnknownVersion(envelope.version));
	}
	if envelope.algorithm != ALGORITHM_X25519_XSALSA20_POLY1305 {
		return Err(Error::UnknownAlgorithm(envelope.algorithm));
	}
	if !matches!(envelope.sender.scheme, SCHEME_SR25519 | SCHEME_ED25519) {
		return Err(Error::UnknownSignatureScheme(envelope.sender.scheme));
	}
	if envelope.recipients.is_empty() {
		return Err(Error::NoRecipients);
	}
	for recipient in &envelope.recipients {
		if recipient.wrapped_key.len() != WRAPPED_KEY_LEN {
			return Err(Error::WrongSize {
				field: "wrapped_key",
				expected: WRAPPED_KEY_LEN,
				actual: recipient.wrapped_key.len(),
			});
		}
	}
	if envelope.ciphertext.len() < TAG_LEN {
		return Err(Error::WrongSize {
			field: "ciphertext",
			expected: TAG_LEN,
			actual: envelope.ciphertext.len(),
		});
	}
	Ok(())
}

/// Checks an envelope's structure against `limits`, cheaply enough for the runtime: known
/// version, algorithm and signature scheme; sizes; recipient count; no duplicate recipient; an
/// ephemeral key that is not of small order. It does not check the signature
/// ([`verify_sender`]) nor decrypt anything.
pub fn verify_structure(envelope: &Envelope, limits: &Limits) -> Result<(), Error> {
	check_format(envelope)?;
	let count = envelope.recipients.len();
	if count > limits.max_recipients as usize {
		return Err(Error::TooManyRecipients { max: limits.max_recipients, actual: count });
	}
	if envelope.ciphertext.len() > limits.max_ciphertext as usize {
		return Err(Error::TooLarge {
			max: limits.max_ciphertext,
			actual: envelope.ciphertext.len(),
		});
	}
	if envelope.content_type.len() > limits.max_content_type as usize {
		return Err(Error::ContentTypeTooLong {
			max: limits.max_content_type,
			actual: envelope.content_type.len(),
		});
	}
	// The recipient count is bounded by the limit above, so sorting a copy of the ids is too.
	let mut ids: Vec<_> = envelope.recipient_ids().collect();
	ids.sort_unstable();
	if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
		return Err(Error::DuplicateRecipient(*pair[0]));
	}
	if is_small_order(&envelope.ephemeral_public) {
		return Err(Error::SmallOrderKey);
	}
	Ok(())
}

/// Verifies the sender's signature over every other field.
pub fn verify_sender(envelope: &Envelope) -> Result<(), Error> {
	let hash = envelope.signing_hash();
	let ok = match envelope.sender.scheme {
		SCHEME_SR25519 => sp_io::crypto::sr25519_verify(
			&sp_core::sr25519::Signature::from_raw(envelope.sender.signature),
			&hash,
			&sp_core::sr25519::Public::from_raw(envelope.sender.public),
		),
		SCHEME_ED25519 => sp_io::crypto::ed25519_verify(
			&sp_core::ed25519::Signature::from_raw(envelope.sender.signature),
			&hash,
			&sp_core::ed25519::Public::from_raw(envelope.sender.public),
		),
		other => return Err(Error::UnknownSignatureScheme(other)),
	};
	if ok {
		Ok(())
	} else {
		Err(Error::BadSignature)
	}
}

/// A fixed-size view of a slice whose length `check_format` already checked.
fn array<const N: usize>(bytes: &[u8]) -> Result<&[u8; N], Error> {
	bytes.try_into().map_err(|_| Error::Tampered)
}

/// Opens an envelope with a recipient's X25519 secret key: checks its format and the sender's
/// signature, finds the recipient's entry, unwraps the data key and decrypts the payload.
pub fn open(envelope: &Envelope, recipient_secret: &[u8; 32]) -> Result<Vec<u8>, Error> {
	check_format(envelope)?;
	verify_sender(envelope)?;
	let own_id = key_id(&crate::kdf::public_key(recipient_secret));
	let entry =
		envelope.recipients.iter().find(|r| r.key_id == own_id).ok_or(Error::NotARecipient)?;

	let (nonce, rest) = entry.wrapped_key.split_at(NONCE_LEN);
	let (tag, boxed_key) = rest.split_at(TAG_LEN);
	// Refuses a small-order ephemeral key, as libsodium does.
	let box_key = crate::kdf::box_key(recipient_secret, &envelope.ephemeral_public)?;
	let mut data_key = Zeroizing::new([0u8; DATA_KEY_LEN]);
	data_key.copy_from_slice(boxed_key);
	secretbox::open_detached(&box_key, array(nonce)?, &mut data_key[..], array(tag)?)?;

	let (tag, ciphertext) = envelope.ciphertext.split_at(TAG_LEN);
	let mut plaintext = ciphertext.to_vec();
	secretbox::open_detached(&data_key, &envelope.payload_nonce, &mut plaintext, array(tag)?)?;
	Ok(plaintext)
}
