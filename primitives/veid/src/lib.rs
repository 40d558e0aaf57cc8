//! VEID definitions shared by the runtime, the node and clients (see `docs/veid.md`): the scope
//! kinds, the tiers, the upload digest that the capture client and the user both sign, the sealed
//! bundle's format, a committee member's vote and the hash it commits to before revealing it, the
//! reason codes, the members' signing key type and the payloads they sign.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Domain of the upload digest.
pub const UPLOAD_DOMAIN: &[u8] = b"virtengine/veid/upload/v1";
/// Domain of a vote commitment.
pub const VOTE_DOMAIN: &[u8] = b"virtengine/veid/vote/v1";
/// Domain of a member's signature on a commit.
pub const COMMIT_DOMAIN: &[u8] = b"virtengine/veid/commit/v1";
/// Domain of a member's signature on a reveal.
pub const REVEAL_DOMAIN: &[u8] = b"virtengine/veid/reveal/v1";
/// Domain of a member's signature on a published committee encryption key.
pub const KEY_DOMAIN: &[u8] = b"virtengine/veid/committee-key/v1";

/// The key type of a committee member's VEID signing key: a session key, so `--alice` style dev
/// seeds and `author_rotateKeys` create it like the aura key.
pub const KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"veid");

/// The VEID signing key (sr25519) as an application key.
pub mod crypto {
	use super::KEY_TYPE;
	use sp_application_crypto::{app_crypto, sr25519};
	app_crypto!(sr25519, KEY_TYPE);
}

/// A member's VEID signing key.
pub type MemberId = crypto::Public;
/// A member's signature.
pub type MemberSignature = crypto::Signature;

/// The model set the chain's presets activate: `virtengine-scoring`'s id of the pinned models
/// (`models/models.toml`), the committed scoring model and the pipeline version. A test of the
/// scoring crate recomputes it; when the models change, this changes with them (and governance
/// activates the new set on running chains with `set_model_set`).
pub const PINNED_MODEL_SET: [u8; 32] = [
	0x42, 0x1c, 0xca, 0x6d, 0x92, 0x35, 0x8a, 0x32, 0x81, 0xf0, 0x79, 0xb6, 0x14, 0x29, 0xe7, 0x38,
	0xc3, 0xcd, 0xc7, 0x6e, 0x45, 0x00, 0xa1, 0x20, 0x4e, 0x2a, 0x01, 0x9e, 0x65, 0x3f, 0x27, 0xf7,
];

/// The reason codes, by bit: bit `i` of a vote's `reasons` is `REASON_CODES[i]`. The scoring
/// pipeline's `Reason` enum is in this order (a test there checks it).
pub const REASON_CODES: [&str; 18] = [
	"NO_DOCUMENT_FACE",
	"NO_SELFIE_FACE",
	"MULTIPLE_SELFIE_FACES",
	"FACE_MISMATCH",
	"MRZ_NOT_FOUND",
	"MRZ_CHECK_DIGIT",
	"DOCUMENT_EXPIRED",
	"UNDERAGE",
	"NAME_MISMATCH",
	"BIRTH_DATE_MISMATCH",
	"BLURRY",
	"TOO_DARK",
	"TOO_BRIGHT",
	"FACE_TOO_SMALL",
	"FACE_OFF_CENTRE",
	// Set by the node, not the pipeline: the envelope opened but its sender signature, its
	// bundle or a photo in it is unusable. Every member sees the same bytes, so every member
	// votes the same rejection.
	"UNREADABLE_UPLOAD",
	// Set by the node: the bundle names another account or salt than the request it was
	// uploaded with (a replayed upload). Every member sees the same bytes and votes the same.
	"BUNDLE_MISMATCH",
	// Set by the node: this member's wrapped key (or the data key it unwraps to) does not open
	// the envelope, which only the uploader can cause for one member and not another. Such a
	// vote is an abstention: the chain never counts it as evidence against the member.
	"UNREADABLE_FOR_MEMBER",
];

/// The bit of [`REASON_CODES`]'s `UNREADABLE_UPLOAD`.
pub const UNREADABLE_UPLOAD: u32 = 1 << 15;
/// The bit of [`REASON_CODES`]'s `BUNDLE_MISMATCH`.
pub const BUNDLE_MISMATCH: u32 = 1 << 16;
/// The bit of [`REASON_CODES`]'s `UNREADABLE_FOR_MEMBER`.
pub const UNREADABLE_FOR_MEMBER: u32 = 1 << 17;

/// The codes set in a reason mask (unknown bits are ignored).
pub fn reason_codes(mask: u32) -> impl Iterator<Item = &'static str> {
	REASON_CODES.iter().enumerate().filter(move |(i, _)| mask & (1 << i) != 0).map(|(_, c)| *c)
}

/// What a committee member votes: the pipeline's score, reasons (a mask over
/// [`REASON_CODES`]), feature digest, and the model set it ran.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Vote {
	/// 0-100.
	pub score: u8,
	/// Reason mask.
	pub reasons: u32,
	/// SHA-256 of the quantised features.
	pub digest: [u8; 32],
	/// The model set id.
	pub model_set: [u8; 32],
}

/// The plaintext of an upload's envelope: the photos. Names and birth dates are not in it; the
/// chain holds only their salted commitments and the pipeline checks the document against those.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct ScopeBundle {
	/// [`ScopeBundle::VERSION`].
	pub version: u8,
	/// The document photo (JPEG or PNG).
	pub document: Vec<u8>,
	/// The selfie (JPEG or PNG).
	pub selfie: Vec<u8>,
}

impl ScopeBundle {
	/// The bundle format version.
	pub const VERSION: u8 = 1;
	/// The envelope context label uploads are sealed with.
	pub const CONTEXT: &'static [u8] = b"virtengine/veid/scopes/v1";
}

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
	serde::Serialize,
	serde::Deserialize,
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

/// What a committee member commits to before revealing: its vote for a request, bound to the
/// request and to the member (so a copied commit cannot be revealed by anyone else), blinded by a
/// salt.
pub fn vote_commitment<AccountId: Encode>(
	request: u64,
	member: &AccountId,
	vote: &Vote,
	salt: &[u8; 32],
) -> [u8; 32] {
	let mut data = Vec::with_capacity(VOTE_DOMAIN.len() + 160);
	data.extend_from_slice(VOTE_DOMAIN);
	(request, member, vote, salt).encode_to(&mut data);
	sp_io::hashing::blake2_256(&data)
}

/// What a member signs to commit: the chain (its genesis hash), the request, itself and the
/// commitment.
pub fn commit_payload<AccountId: Encode, Hash: Encode>(
	genesis: &Hash,
	request: u64,
	member: &AccountId,
	commitment: &[u8; 32],
) -> Vec<u8> {
	let mut data = COMMIT_DOMAIN.to_vec();
	(genesis, request, member, commitment).encode_to(&mut data);
	data
}

/// What a member signs to reveal.
pub fn reveal_payload<AccountId: Encode, Hash: Encode>(
	genesis: &Hash,
	request: u64,
	member: &AccountId,
	vote: &Vote,
	salt: &[u8; 32],
) -> Vec<u8> {
	let mut data = REVEAL_DOMAIN.to_vec();
	(genesis, request, member, vote, salt).encode_to(&mut data);
	data
}

/// What a member signs to publish its X25519 committee key for a session.
pub fn key_payload<AccountId: Encode, Hash: Encode>(
	genesis: &Hash,
	session: u32,
	member: &AccountId,
	key: &[u8; 32],
) -> Vec<u8> {
	let mut data = KEY_DOMAIN.to_vec();
	(genesis, session, member, key).encode_to(&mut data);
	data
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

	fn vote(score: u8, reasons: u32) -> Vote {
		Vote { score, reasons, digest: [2; 32], model_set: [3; 32] }
	}

	#[test]
	fn a_vote_commitment_is_bound_to_its_member() {
		let a = vote_commitment(7, &[1u8; 32], &vote(84, 0x401), &[4; 32]);
		assert_eq!(a, hex32(GOLDEN_VOTE));
		assert_ne!(a, vote_commitment(7, &[9u8; 32], &vote(84, 0x401), &[4; 32]));
		assert_ne!(a, vote_commitment(7, &[1u8; 32], &vote(85, 0x401), &[4; 32]));
		assert_ne!(a, vote_commitment(7, &[1u8; 32], &vote(84, 0x400), &[4; 32]));
		assert_ne!(a, vote_commitment(8, &[1u8; 32], &vote(84, 0x401), &[4; 32]));
		assert_ne!(a, vote_commitment(7, &[1u8; 32], &vote(84, 0x401), &[5; 32]));
	}

	/// Computed independently with Python's hashlib: BLAKE2b-256 of the domain and the SCALE
	/// bytes written out by hand (u64 LE request, member, u8 score, u32 LE reasons, digest, model
	/// set, salt).
	const GOLDEN_VOTE: &str = "c5e53f5f13ba5aea11221d37ae3a504bffedb4247df93d94a9023dc4103515d1";

	#[test]
	fn reason_masks_name_their_codes() {
		assert_eq!(reason_codes(0x401).collect::<Vec<_>>(), ["NO_DOCUMENT_FACE", "BLURRY"]);
		assert_eq!(reason_codes(1 << 31).count(), 0);
	}

	#[test]
	fn signed_payloads_are_domain_separated() {
		let (g, m) = ([9u8; 32], [1u8; 32]);
		let commit = commit_payload(&g, 7, &m, &[4; 32]);
		let key = key_payload(&g, 7, &m, &[4; 32]);
		assert!(commit.starts_with(COMMIT_DOMAIN) && key.starts_with(KEY_DOMAIN));
		assert_ne!(commit[COMMIT_DOMAIN.len()..], key[KEY_DOMAIN.len()..]);
		assert_ne!(commit_payload(&[8u8; 32], 7, &m, &[4; 32]), commit);
	}
}
