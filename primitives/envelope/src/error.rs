//! Everything that can be wrong with an envelope, each a distinct variant.

use crate::KeyId;

/// Why an envelope was refused, or could not be sealed or opened.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Error {
	/// The format version is not one this code knows.
	UnknownVersion(u8),
	/// The algorithm id is not one this code knows.
	UnknownAlgorithm(u8),
	/// The sender signature scheme is not sr25519 or ed25519.
	UnknownSignatureScheme(u8),
	/// A field has the wrong length.
	WrongSize {
		/// Which field.
		field: &'static str,
		/// The length it must have.
		expected: usize,
		/// The length it has.
		actual: usize,
	},
	/// The envelope names no recipient.
	NoRecipients,
	/// More recipients than the limit.
	TooManyRecipients {
		/// The limit.
		max: u32,
		/// How many there are.
		actual: usize,
	},
	/// The ciphertext (or, when sealing, the plaintext plus tag) is over the limit.
	TooLarge {
		/// The limit, in bytes.
		max: u32,
		/// The size, in bytes.
		actual: usize,
	},
	/// The content type is over its limit.
	ContentTypeTooLong {
		/// The limit, in bytes.
		max: u32,
		/// The length, in bytes.
		actual: usize,
	},
	/// The same recipient key appears twice.
	DuplicateRecipient(KeyId),
	/// A public key has small order: every shared secret with it is predictable.
	SmallOrderKey,
	/// The key trying to open the envelope is not one of its recipients.
	NotARecipient,
	/// Authenticated decryption failed: the bytes were changed, or the key is wrong.
	Tampered,
	/// The sender's signature does not verify.
	BadSignature,
	/// Text that should be an envelope is not (JSON or hex malformed); says which field.
	Malformed(&'static str),
	/// No randomness was available for sealing.
	Randomness,
}

impl core::fmt::Display for Error {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Error::UnknownVersion(v) => write!(f, "unknown envelope version {v}"),
			Error::UnknownAlgorithm(a) => write!(f, "unknown envelope algorithm {a}"),
			Error::UnknownSignatureScheme(s) => write!(f, "unknown sender signature scheme {s}"),
			Error::WrongSize { field, expected, actual } => {
				write!(f, "{field} must be {expected} bytes, is {actual}")
			},
			Error::NoRecipients => write!(f, "the envelope has no recipients"),
			Error::TooManyRecipients { max, actual } => {
				write!(f, "{actual} recipients, at most {max} allowed")
			},
			Error::TooLarge { max, actual } => {
				write!(f, "ciphertext of {actual} bytes, at most {max} allowed")
			},
			Error::ContentTypeTooLong { max, actual } => {
				write!(f, "content type of {actual} bytes, at most {max} allowed")
			},
			Error::DuplicateRecipient(id) => {
				write!(f, "recipient key ")?;
				for b in id {
					write!(f, "{b:02x}")?;
				}
				write!(f, " appears twice")
			},
			Error::SmallOrderKey => write!(f, "a public key has small order"),
			Error::NotARecipient => write!(f, "this key is not a recipient of the envelope"),
			Error::Tampered => {
				write!(f, "decryption failed: the envelope was altered or the key is wrong")
			},
			Error::BadSignature => write!(f, "the sender's signature does not verify"),
			Error::Malformed(field) => write!(f, "malformed envelope: {field}"),
			Error::Randomness => write!(f, "no randomness available"),
		}
	}
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
