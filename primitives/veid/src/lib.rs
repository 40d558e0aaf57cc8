//! VEID definitions shared by the runtime, the node and clients (see `docs/veid.md`): the scope
//! kinds, the tiers, the upload digest that the capture client and the user both sign, the sealed
//! bundle's format, a committee member's vote and the hash it commits to before revealing it, the
//! reason codes, the members' signing key type and the payloads they sign.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Domain of the upload digest (v2: bound to the chain's genesis hash).
pub const UPLOAD_DOMAIN: &[u8] = b"virtengine/veid/upload/v2";
/// What a wallet puts before raw bytes it signs (polkadot.js `signRaw` with `type: 'bytes'`,
/// `u8aWrapBytes`), so that a signed message can never be an extrinsic payload.
pub const BYTES_PREFIX: &[u8] = b"<Bytes>";
/// What a wallet puts after them.
pub const BYTES_SUFFIX: &[u8] = b"</Bytes>";
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

/// The plaintext of an upload's envelope: the account it is for, the commitments' salt, and the
/// photos. Names and birth dates are not in it; the chain holds only their salted commitments and
/// the pipeline checks the document against those.
///
/// The account and the salt are what make a replay useless: everything an upload puts on chain
/// is public, so another account could resubmit the same envelope under its own signatures. The
/// envelope's authenticated encryption fixes the plaintext, so the bundle still names the
/// original account and salt, and the scorer refuses a bundle that does not match its request
/// ([`ScopeBundle::is_bound_to`], reason `BUNDLE_MISMATCH`).
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct ScopeBundle {
	/// [`ScopeBundle::VERSION`].
	pub version: u8,
	/// The SCALE encoding of the uploading account.
	pub account: Vec<u8>,
	/// The salt of the upload's commitments.
	pub salt: [u8; 32],
	/// The document photo (JPEG or PNG).
	pub document: Vec<u8>,
	/// The selfie (JPEG or PNG).
	pub selfie: Vec<u8>,
}

impl ScopeBundle {
	/// The bundle format version (2: bound to the account and the salt).
	pub const VERSION: u8 = 2;
	/// The envelope context label uploads are sealed with.
	pub const CONTEXT: &'static [u8] = b"virtengine/veid/scopes/v2";

	/// Whether the bundle was made for the request of `account` (SCALE-encoded) with `salt`.
	pub fn is_bound_to(&self, account: &[u8], salt: &[u8; 32]) -> bool {
		self.account == account && self.salt == *salt
	}
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

/// The digest both the capture client and the user sign: it binds the chain (its genesis hash),
/// the account, the scope kinds, the salt, both commitments and the hash of the sealed envelope.
/// The user signs it as [`user_message`], the capture client as it is.
pub fn upload_digest<AccountId: Encode, Hash: Encode>(
	genesis: &Hash,
	account: &AccountId,
	scopes: &[ScopeKind],
	salt: &[u8; 32],
	name_commitment: &[u8; 32],
	birth_date_commitment: &[u8; 32],
	envelope_hash: &[u8; 32],
) -> [u8; 32] {
	let mut data = Vec::with_capacity(UPLOAD_DOMAIN.len() + 240);
	data.extend_from_slice(UPLOAD_DOMAIN);
	(genesis, account, scopes, salt, name_commitment, birth_date_commitment, envelope_hash)
		.encode_to(&mut data);
	sp_io::hashing::blake2_256(&data)
}

/// What the user's account signs over an upload digest: `<Bytes>` ‖ digest ‖ `</Bytes>`, the
/// message a wallet signs for raw bytes (polkadot.js `signRaw` with `type: 'bytes'`), so that the
/// wallet shows it as a message and no signed message can pass for a transaction.
pub fn user_message(digest: &[u8; 32]) -> Vec<u8> {
	let mut message = Vec::with_capacity(BYTES_PREFIX.len() + 32 + BYTES_SUFFIX.len());
	message.extend_from_slice(BYTES_PREFIX);
	message.extend_from_slice(digest);
	message.extend_from_slice(BYTES_SUFFIX);
	message
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

/// Domain of a committee key's proof of possession.
pub const KEY_PROOF_DOMAIN: &[u8] = b"virtengine/veid/committee-key-proof/v1";

/// Proof that a member holds the secret of the X25519 committee key it publishes. X25519 keys
/// cannot sign, so the node makes each committee key from an ed25519 seed: the X25519 secret is
/// the seed's expanded scalar (`SHA-512(seed)[..32]`, as libsodium's
/// `crypto_sign_ed25519_sk_to_curve25519`), whose public key is the Montgomery form of the
/// ed25519 public key. The proof is that ed25519 key and its signature over
/// [`key_proof_payload`]; the chain checks that the key maps to the published X25519 key
/// ([`x25519_of_ed25519`]) and that the signature verifies. A member copying another's key has
/// neither.
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
pub struct KeyProof {
	/// The ed25519 public key whose Montgomery form is the committee key.
	pub ed25519: [u8; 32],
	/// Its signature over [`key_proof_payload`].
	pub signature: [u8; 64],
}

/// What a committee key's ed25519 form signs: the chain, the session, the member and the key.
pub fn key_proof_payload<AccountId: Encode, Hash: Encode>(
	genesis: &Hash,
	session: u32,
	member: &AccountId,
	key: &[u8; 32],
) -> Vec<u8> {
	let mut data = KEY_PROOF_DOMAIN.to_vec();
	(genesis, session, member, key).encode_to(&mut data);
	data
}

/// Whether `proof` proves possession of the X25519 committee `key` published by `member` for
/// `session`: its ed25519 key maps to `key`, and its signature verifies.
pub fn verify_key_proof<AccountId: Encode, Hash: Encode>(
	genesis: &Hash,
	session: u32,
	member: &AccountId,
	key: &[u8; 32],
	proof: &KeyProof,
) -> bool {
	maps_to(&proof.ed25519, key)
		&& sp_io::crypto::ed25519_verify(
			&sp_core::ed25519::Signature::from_raw(proof.signature),
			&key_proof_payload(genesis, session, member, key),
			&sp_core::ed25519::Public::from_raw(proof.ed25519),
		)
}

/// Whether the X25519 key `key` is the Montgomery form of the ed25519 key `ed25519`:
/// `u · (1 − y) = 1 + y`, both canonical (`u` below p, so its top bit is clear), `y ≠ 1`. What
/// the runtime checks: a multiplication rather than [`x25519_of_ed25519`]'s inversion.
pub fn maps_to(ed25519: &[u8; 32], key: &[u8; 32]) -> bool {
	let mut y = *ed25519;
	y[31] &= 0x7f;
	let (Some(y), Some(u)) = (field::Fe::from_canonical(&y), field::Fe::from_canonical(key)) else {
		return false;
	};
	let one = field::Fe::ONE;
	let denominator = one.sub(&y);
	!denominator.is_zero() && u.mul(&denominator) == one.add(&y)
}

/// The X25519 public key (Montgomery `u`) of an ed25519 public key (Edwards `y`, sign bit
/// ignored): `u = (1 + y) / (1 - y)` mod 2²⁵⁵ − 19. `None` for a non-canonical `y` or `y = 1`.
pub fn x25519_of_ed25519(ed25519: &[u8; 32]) -> Option<[u8; 32]> {
	let mut y = *ed25519;
	y[31] &= 0x7f;
	let y = field::Fe::from_canonical(&y)?;
	let one = field::Fe::ONE;
	let denominator = one.sub(&y);
	if denominator.is_zero() {
		return None;
	}
	Some(one.add(&y).mul(&denominator.invert()).to_bytes())
}

/// Arithmetic in GF(2²⁵⁵ − 19), only what [`x25519_of_ed25519`] needs: every value is kept
/// canonical (below p), so equality is byte equality. Not constant time: it only handles public
/// keys.
mod field {
	/// p = 2²⁵⁵ − 19, little-endian 64-bit limbs.
	const P: [u64; 4] = [
		0xffff_ffff_ffff_ffed,
		0xffff_ffff_ffff_ffff,
		0xffff_ffff_ffff_ffff,
		0x7fff_ffff_ffff_ffff,
	];

	/// A canonical field element.
	#[derive(Clone, Copy, PartialEq, Eq, Debug)]
	pub struct Fe([u64; 4]);

	fn limbs(bytes: &[u8; 32]) -> [u64; 4] {
		let mut out = [0u64; 4];
		for (limb, chunk) in out.iter_mut().zip(bytes.chunks_exact(8)) {
			let mut word = [0u8; 8];
			word.copy_from_slice(chunk);
			*limb = u64::from_le_bytes(word);
		}
		out
	}

	/// `a >= b` for 256-bit numbers.
	fn geq(a: &[u64; 4], b: &[u64; 4]) -> bool {
		for (x, y) in a.iter().rev().zip(b.iter().rev()) {
			if x != y {
				return x > y;
			}
		}
		true
	}

	/// `a - b` for `a >= b`.
	fn sub_raw(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
		let mut out = [0u64; 4];
		let mut borrow = false;
		for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
			let (d, b1) = x.overflowing_sub(*y);
			let (d, b2) = d.overflowing_sub(u64::from(borrow));
			*o = d;
			borrow = b1 || b2;
		}
		out
	}

	/// `a + extra` with 2²⁵⁶ ≡ 38 folded back in.
	fn add_small(a: &[u64; 4], extra: u64) -> [u64; 4] {
		let mut out = *a;
		let mut carry = extra;
		for limb in out.iter_mut() {
			let (s, c) = limb.overflowing_add(carry);
			*limb = s;
			carry = u64::from(c);
		}
		if carry != 0 {
			// Only when `out` wrapped past 2²⁵⁶, so it is now small: this cannot wrap again.
			out = add_small(&out, 38);
		}
		out
	}

	/// Any 256-bit number, reduced below p.
	fn reduce(a: &[u64; 4]) -> Fe {
		// 2²⁵⁵ ≡ 19: fold the top bit in, then subtract p at most once.
		let top = a[3] >> 63;
		let mut low = *a;
		low[3] &= 0x7fff_ffff_ffff_ffff;
		let folded = add_small(&low, top * 19);
		if geq(&folded, &P) {
			Fe(sub_raw(&folded, &P))
		} else {
			Fe(folded)
		}
	}

	impl Fe {
		pub const ONE: Fe = Fe([1, 0, 0, 0]);

		/// The element a little-endian encoding names, if it is below p.
		pub fn from_canonical(bytes: &[u8; 32]) -> Option<Fe> {
			let l = limbs(bytes);
			(!geq(&l, &P)).then_some(Fe(l))
		}

		pub fn to_bytes(self) -> [u8; 32] {
			let mut out = [0u8; 32];
			for (chunk, limb) in out.chunks_exact_mut(8).zip(self.0.iter()) {
				chunk.copy_from_slice(&limb.to_le_bytes());
			}
			out
		}

		pub fn is_zero(&self) -> bool {
			self.0 == [0; 4]
		}

		pub fn add(&self, other: &Fe) -> Fe {
			let mut out = [0u64; 4];
			let mut carry = false;
			for ((o, x), y) in out.iter_mut().zip(self.0.iter()).zip(other.0.iter()) {
				let (s, c1) = x.overflowing_add(*y);
				let (s, c2) = s.overflowing_add(u64::from(carry));
				*o = s;
				carry = c1 || c2;
			}
			// Both below p < 2²⁵⁵: no carry out of 256 bits.
			reduce(&out)
		}

		pub fn sub(&self, other: &Fe) -> Fe {
			if geq(&self.0, &other.0) {
				Fe(sub_raw(&self.0, &other.0))
			} else {
				// self + p - other: below p, as other > self.
				Fe(sub_raw(&P, &other.0)).add(self)
			}
		}

		pub fn mul(&self, other: &Fe) -> Fe {
			// Schoolbook 256 × 256 → 512 bits.
			let mut wide = [0u64; 8];
			for (i, x) in self.0.iter().enumerate() {
				let mut carry: u128 = 0;
				for (j, y) in other.0.iter().enumerate() {
					let Some(slot) = wide.get_mut(i + j) else { continue };
					let cur = u128::from(*slot) + u128::from(*x) * u128::from(*y) + carry;
					*slot = cur as u64;
					carry = cur >> 64;
				}
				if let Some(slot) = wide.get_mut(i + 4) {
					*slot = carry as u64;
				}
			}
			// low + 38 · high (2²⁵⁶ ≡ 38).
			let mut out = [0u64; 4];
			let mut carry: u128 = 0;
			for (i, o) in out.iter_mut().enumerate() {
				let low = u128::from(wide.get(i).copied().unwrap_or(0));
				let high = u128::from(wide.get(i + 4).copied().unwrap_or(0));
				let cur = low + 38 * high + carry;
				*o = cur as u64;
				carry = cur >> 64;
			}
			reduce(&add_small(&out, (carry as u64) * 38))
		}

		/// `self^(p-2)`, the inverse of a non-zero element.
		pub fn invert(&self) -> Fe {
			// p - 2 = 2²⁵⁵ - 21: bits from the top, square and multiply.
			let exponent = sub_raw(&P, &[2, 0, 0, 0]);
			let mut acc = Fe::ONE;
			for limb in exponent.iter().rev() {
				for bit in (0..64).rev() {
					acc = acc.mul(&acc);
					if (limb >> bit) & 1 == 1 {
						acc = acc.mul(self);
					}
				}
			}
			acc
		}
	}
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

	/// Genesis, account, scopes, salt, name and birth-date commitments, envelope hash.
	type Fields = ([u8; 32], [u8; 32], Vec<ScopeKind>, [u8; 32], [u8; 32], [u8; 32], [u8; 32]);

	#[test]
	fn the_upload_digest_binds_every_field() {
		let fields = || {
			(
				[8u8; 32],
				[1u8; 32],
				alloc::vec![ScopeKind::Document, ScopeKind::Selfie],
				[2u8; 32],
				[3u8; 32],
				[4u8; 32],
				[5u8; 32],
			)
		};
		let digest = |(g, a, k, s, n, b, e): Fields| upload_digest(&g, &a, &k, &s, &n, &b, &e);
		let base = digest(fields());
		let mut changed = Vec::new();
		for i in 0..7 {
			let mut f = fields();
			match i {
				0 => f.0[0] = 9,
				1 => f.1[0] = 9,
				2 => f.2 = alloc::vec![ScopeKind::Document],
				3 => f.3[0] = 9,
				4 => f.4[0] = 9,
				5 => f.5[0] = 9,
				_ => f.6[0] = 9,
			}
			changed.push(digest(f));
		}
		for (i, c) in changed.iter().enumerate() {
			assert_ne!(*c, base, "field {i} is not bound");
		}
		// Clients in other languages must produce the same bytes: this value was computed
		// independently with Python's hashlib (BLAKE2b-256 of the domain and the SCALE bytes
		// written out by hand: genesis, account, compact length and scope indices, salt,
		// commitments, envelope hash).
		assert_eq!(base, hex32("7bcd6311b4d9bd8bf3e94f557b029902336766320d887d1d864322d007f3b686"));
	}

	#[test]
	fn the_user_signs_the_digest_as_a_wallet_wraps_raw_bytes() {
		let message = user_message(&[7; 32]);
		assert_eq!(&message[..7], b"<Bytes>");
		assert_eq!(&message[7..39], &[7; 32]);
		assert_eq!(&message[39..], b"</Bytes>");
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
	fn ed25519_keys_map_to_their_x25519_form() {
		// RFC 8032's first test key; its Montgomery u computed independently in Python
		// ((1 + y) * pow(1 - y, p - 2, p) % p, little-endian).
		let ed = hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
		assert_eq!(x25519_of_ed25519(&ed), Some(hex32(GOLDEN_X25519)));
		assert!(maps_to(&ed, &hex32(GOLDEN_X25519)));
		assert!(!maps_to(&ed, &[9; 32]));
		// A non-canonical encoding (u with its top bit set, above p) is refused.
		let mut high = hex32(GOLDEN_X25519);
		high[31] |= 0x80;
		assert!(!maps_to(&ed, &high));
		// y = 1 has no Montgomery form; y ≥ p is not canonical.
		let mut one = [0u8; 32];
		one[0] = 1;
		assert_eq!(x25519_of_ed25519(&one), None);
		assert_eq!(x25519_of_ed25519(&[0xff; 32]), None);
		// y = 0 maps to u = 1.
		assert_eq!(x25519_of_ed25519(&[0; 32]), Some(one));
		// A real key pair: the seed's expanded scalar as an X25519 secret (what the node
		// publishes) has the Montgomery form of the ed25519 key as its public key. Python
		// (hashlib.sha512 and RFC 7748's ladder) gives the same value as above.
		use sp_core::Pair;
		let pair = sp_core::ed25519::Pair::from_seed(&hex32(
			"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		));
		assert_eq!(pair.public().0, ed);
		let member = [1u8; 32];
		let proof = KeyProof {
			ed25519: ed,
			signature: pair
				.sign(&key_proof_payload(&[9u8; 32], 3, &member, &hex32(GOLDEN_X25519)))
				.0,
		};
		assert!(verify_key_proof(&[9u8; 32], 3, &member, &hex32(GOLDEN_X25519), &proof));
		// Another session, member, chain or key: refused.
		assert!(!verify_key_proof(&[9u8; 32], 4, &member, &hex32(GOLDEN_X25519), &proof));
		assert!(!verify_key_proof(&[9u8; 32], 3, &[2u8; 32], &hex32(GOLDEN_X25519), &proof));
		assert!(!verify_key_proof(&[8u8; 32], 3, &member, &hex32(GOLDEN_X25519), &proof));
		assert!(!verify_key_proof(&[9u8; 32], 3, &member, &[9; 32], &proof));
	}

	#[test]
	fn field_inverse_is_an_inverse() {
		let mut bytes = [0u8; 32];
		for (i, b) in bytes.iter_mut().enumerate() {
			*b = (i as u8).wrapping_mul(37).wrapping_add(11);
		}
		bytes[31] &= 0x3f;
		let x = field::Fe::from_canonical(&bytes).expect("canonical");
		assert_eq!(x.mul(&x.invert()), field::Fe::ONE);
		assert_eq!(x.sub(&x), field::Fe::from_canonical(&[0; 32]).expect("zero"));
		assert_eq!(field::Fe::ONE.sub(&x).add(&x), field::Fe::ONE);
	}

	const GOLDEN_X25519: &str = "d85e07ec22b0ad881537c2f44d662d1a143cf830c57aca4305d85c7a90f6b62e";

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
