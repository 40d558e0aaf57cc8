//! MFA definitions shared by the runtime (`pallet-mfa`) and clients.
//!
//! - [`Factor`] and [`FactorSet`]: the seeds' factor registry (VEID, FIDO2, SMS/email code, TOTP,
//!   trusted device) with their on-chain identifiers.
//! - [`webauthn`]: the WebAuthn assertion (authenticatorData, clientDataJSON, ES256 signature),
//!   parsed and verified exactly as a relying party does, and the challenges the chain expects.
//! - [`otp`]: HOTP/TOTP (RFC 4226 / RFC 6238) and the salted commitment of a one-time code.
//!
//! Everything here is `no_std` and deterministic: validators must agree bit for bit.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod otp;
pub mod webauthn;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
/// BLAKE2b-256, the hash of every digest here.
pub use sp_crypto_hashing::blake2_256;

/// An MFA factor, numbered as in the seeds' factor registry.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Factor {
	/// A verified identity of at least the policy's tier (no proof: the chain reads the tier).
	Veid,
	/// A FIDO2/WebAuthn credential: an ES256 assertion verified on chain.
	Fido2,
	/// A one-time code sent by SMS or email: a salted commitment on chain.
	OneTimeCode,
	/// A TOTP app: a verifier holding the sealed seed attests the code (the seed never on chain).
	Totp,
	/// A trusted device: its key signs the challenge; lowers the required factors by one.
	TrustedDevice,
}

impl Factor {
	/// Every factor.
	pub const ALL: [Factor; 5] =
		[Factor::Veid, Factor::Fido2, Factor::OneTimeCode, Factor::Totp, Factor::TrustedDevice];

	/// The seeds' factor id (0x01..=0x05).
	pub const fn id(self) -> u8 {
		match self {
			Factor::Veid => 0x01,
			Factor::Fido2 => 0x02,
			Factor::OneTimeCode => 0x03,
			Factor::Totp => 0x04,
			Factor::TrustedDevice => 0x05,
		}
	}

	const fn bit(self) -> u8 {
		1 << (self.id() - 1)
	}

	/// The name clients print and parse.
	pub const fn name(self) -> &'static str {
		match self {
			Factor::Veid => "veid",
			Factor::Fido2 => "fido2",
			Factor::OneTimeCode => "code",
			Factor::Totp => "totp",
			Factor::TrustedDevice => "device",
		}
	}
}

/// A set of factors (a bit per factor id).
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct FactorSet(pub u8);

impl FactorSet {
	/// No factor.
	pub const EMPTY: FactorSet = FactorSet(0);

	/// The set of the given factors.
	pub const fn of(factors: &[Factor]) -> FactorSet {
		let mut bits = 0;
		let mut i = 0;
		while i < factors.len() {
			bits |= factors[i].bit();
			i += 1;
		}
		FactorSet(bits)
	}

	/// Whether `factor` is in the set.
	pub const fn has(self, factor: Factor) -> bool {
		self.0 & factor.bit() != 0
	}

	/// The set with `factor` added.
	#[must_use]
	pub const fn with(self, factor: Factor) -> FactorSet {
		FactorSet(self.0 | factor.bit())
	}

	/// The set without `factor`.
	#[must_use]
	pub const fn without(self, factor: Factor) -> FactorSet {
		FactorSet(self.0 & !factor.bit())
	}

	/// Both sets' factors.
	#[must_use]
	pub const fn union(self, other: FactorSet) -> FactorSet {
		FactorSet(self.0 | other.0)
	}

	/// The factors in both sets.
	#[must_use]
	pub const fn intersection(self, other: FactorSet) -> FactorSet {
		FactorSet(self.0 & other.0)
	}

	/// Whether every factor of `other` is in this set.
	pub const fn contains(self, other: FactorSet) -> bool {
		self.0 & other.0 == other.0
	}

	/// Whether the set is empty.
	pub const fn is_empty(self) -> bool {
		self.0 == 0
	}

	/// Whether the set only names known factors.
	pub const fn is_valid(self) -> bool {
		self.0 & !0b1_1111 == 0
	}

	/// The factors, in id order.
	pub fn iter(self) -> impl Iterator<Item = Factor> {
		Factor::ALL.into_iter().filter(move |f| self.has(*f))
	}
}

/// Hash of a call as the chain binds authorizations to it: BLAKE2b-256 of its SCALE encoding.
pub fn call_hash(encoded_call: &[u8]) -> [u8; 32] {
	sp_crypto_hashing::blake2_256(encoded_call)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn factor_ids_are_the_seeds_registry() {
		let ids: alloc::vec::Vec<u8> = Factor::ALL.iter().map(|f| f.id()).collect();
		assert_eq!(ids, [1, 2, 3, 4, 5]);
		let set = FactorSet::of(&[Factor::Veid, Factor::Fido2]);
		assert!(set.has(Factor::Veid) && set.has(Factor::Fido2) && !set.has(Factor::Totp));
		assert!(set.contains(FactorSet::of(&[Factor::Fido2])));
		assert!(!FactorSet::of(&[Factor::Fido2]).contains(set));
		assert_eq!(set.without(Factor::Veid), FactorSet::of(&[Factor::Fido2]));
		assert!(set.is_valid() && !FactorSet(0x20).is_valid());
		assert_eq!(set.iter().collect::<alloc::vec::Vec<_>>(), [Factor::Veid, Factor::Fido2]);
	}
}
