//! VEID definitions shared by the runtime, the node and clients (see `docs/veid.md`): the scope
//! kinds, the tiers, the upload digest that the capture client and the user both sign, and the
//! hash a committee member commits to before revealing its score.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Domain of the upload digest.
pub const UPLOAD_DOMAIN: &[u8] = b"virtengine/veid/upload/v1";
/// Domain of a vote commitment.
pub const VOTE_DOMAIN: &[u8] = b"virtengine/veid/vote/v1";

/// What an upload contains.
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
)]
pub enum ScopeKind {
	/// A photo of an identity document.
	Document,
	/// A selfie.
	Selfie,
	/// Proof of an e-mail address.
	Email,
	/// Proof of a phone number.
	Phone,
	/// Proof of control of a domain.
	Domain,
	/// A single-sign-on assertion.
	Sso,
}

/// The identity tiers of the seeds' table.
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
)]
pub enum Tier {
	/// 0-49.
	Rejected,
	/// 50-69.
	Basic,
	/// 70-84.
	Standard,
	/// 85-100.
	Premium,
}

impl Tier {
	/// The tier of a score; `None` above 100.
	pub fn of(score: u8) -> Option<Tier> {
		match score {
			0..=49 => Some(Tier::Rejected),
			50..=69 => Some(Tier::Basic),
			70..=84 => Some(Tier::Standard),
			85..=100 => Some(Tier::Premium),
			_ => None,
		}
	}
}

/// The digest both the capture client and the user sign: it binds the account, the scope kinds,
/// the salt, both commitments and the hash of the sealed envelope.
pub fn upload_digest<AccountId: Encode>(
	account: &AccountId,
	scopes: &[ScopeKind],
	salt: &[u8; 32],
	name_commitment: &[u8; 32],
	birth_date_commitment: &[u8; 32],
	envelope_hash: &[u8; 32],
) -> [u8; 32] {
	let mut data = Vec::with_capacity(UPLOAD_DOMAIN.len() + 200);
	data.extend_from_slice(UPLOAD_DOMAIN);
	(account, scopes, salt, name_commitment, birth_date_commitment, envelope_hash)
		.encode_to(&mut data);
	sp_io::hashing::blake2_256(&data)
}

/// What a committee member commits to before revealing: its score, feature digest and model set
/// for a request, bound to the request and to the member (so a copied commit cannot be revealed
/// by anyone else), blinded by a salt.
pub fn vote_commitment<AccountId: Encode>(
	request: u64,
	member: &AccountId,
	score: u8,
	digest: &[u8; 32],
	model_set: &[u8; 32],
	salt: &[u8; 32],
) -> [u8; 32] {
	let mut data = Vec::with_capacity(VOTE_DOMAIN.len() + 160);
	data.extend_from_slice(VOTE_DOMAIN);
	(request, member, score, digest, model_set, salt).encode_to(&mut data);
	sp_io::hashing::blake2_256(&data)
}

/// The quorum for a committee of `n`: at least two thirds, rounded up (1 of 1, 2 of 2, 2 of 3,
/// 3 of 4, 7 of 10).
pub fn quorum(n: u32) -> u32 {
	n.saturating_mul(2).div_ceil(3)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn hex32(text: &str) -> [u8; 32] {
		let mut out = [0u8; 32];
		for (i, b) in out.iter_mut().enumerate() {
			*b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0);
		}
		out
	}

	#[test]
	fn tiers_follow_the_seeds_table() {
		for (score, tier) in [
			(0, Tier::Rejected),
			(49, Tier::Rejected),
			(50, Tier::Basic),
			(69, Tier::Basic),
			(70, Tier::Standard),
			(84, Tier::Standard),
			(85, Tier::Premium),
			(100, Tier::Premium),
		] {
			assert_eq!(Tier::of(score), Some(tier), "score {score}");
		}
		assert_eq!(Tier::of(101), None);
	}

	#[test]
	fn quorum_is_two_thirds_rounded_up() {
		assert_eq!([1, 2, 3, 4, 5, 6, 7, 10].map(quorum), [1, 2, 2, 3, 4, 4, 5, 7]);
		assert_eq!(quorum(0), 0);
	}

	#[test]
	fn the_upload_digest_binds_every_field() {
		let base = upload_digest(
			&[1u8; 32],
			&[ScopeKind::Document, ScopeKind::Selfie],
			&[2; 32],
			&[3; 32],
			&[4; 32],
			&[5; 32],
		);
		let changed = [
			upload_digest(
				&[9u8; 32],
				&[ScopeKind::Document, ScopeKind::Selfie],
				&[2; 32],
				&[3; 32],
				&[4; 32],
				&[5; 32],
			),
			upload_digest(
				&[1u8; 32],
				&[ScopeKind::Document],
				&[2; 32],
				&[3; 32],
				&[4; 32],
				&[5; 32],
			),
			upload_digest(
				&[1u8; 32],
				&[ScopeKind::Document, ScopeKind::Selfie],
				&[9; 32],
				&[3; 32],
				&[4; 32],
				&[5; 32],
			),
			upload_digest(
				&[1u8; 32],
				&[ScopeKind::Document, ScopeKind::Selfie],
				&[2; 32],
				&[9; 32],
				&[4; 32],
				&[5; 32],
			),
			upload_digest(
				&[1u8; 32],
				&[ScopeKind::Document, ScopeKind::Selfie],
				&[2; 32],
				&[3; 32],
				&[9; 32],
				&[5; 32],
			),
			upload_digest(
				&[1u8; 32],
				&[ScopeKind::Document, ScopeKind::Selfie],
				&[2; 32],
				&[3; 32],
				&[4; 32],
				&[9; 32],
			),
		];
		for (i, c) in changed.iter().enumerate() {
			assert_ne!(*c, base, "field {i} is not bound");
		}
		// Clients in other languages must produce the same bytes: this value was computed
		// independently with Python's hashlib (BLAKE2b-256 of the domain and the SCALE bytes
		// written out by hand).
		assert_eq!(base, hex32("e578abde7b2ecb1a911219f8c353297f56975cb979c8cc61e9ca76bc956ecae9"));
	}

	#[test]
	fn a_vote_commitment_is_bound_to_its_member() {
		let a = vote_commitment(7, &[1u8; 32], 84, &[2; 32], &[3; 32], &[4; 32]);
		assert_eq!(a, hex32("6bb6d054320cebffde7470d6b49f6ef630a08c81e336824cce766f101b571b52"));
		assert_ne!(a, vote_commitment(7, &[9u8; 32], 84, &[2; 32], &[3; 32], &[4; 32]));
		assert_ne!(a, vote_commitment(7, &[1u8; 32], 85, &[2; 32], &[3; 32], &[4; 32]));
		assert_ne!(a, vote_commitment(8, &[1u8; 32], 84, &[2; 32], &[3; 32], &[4; 32]));
	}
}
