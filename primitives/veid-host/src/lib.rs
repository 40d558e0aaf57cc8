//! The VEID host function (see `docs/veid.md`).
//!
//! A runtime interface the pallet's offchain worker calls: the node opens a scope envelope with
//! its committee key, runs the scoring pipeline natively and returns a [`Vote`]; plaintext never
//! crosses into the runtime. The node implements [`VeidScorer`] and registers it as the
//! [`VeidScorerExt`] extension of offchain-worker runs only, so in block execution (and on relay
//! chain validators, which do not have these host functions at all) nothing can depend on it:
//! without the extension every call reports [`ScoreFailure::Unavailable`] or `None`.
//!
//! The committee's X25519 keys are per session: [`veid_host::committee_key`] returns the
//! node's key for a session (creating it on first use) and [`veid_host::retire_committee_keys`]
//! destroys the keys of sessions that ended, which is what makes old uploads unreadable.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, Encode};
use sp_runtime_interface::{
	pass_by::{AllocateAndReturnByCodec, PassFatPointerAndDecode, PassFatPointerAndRead},
	runtime_interface,
};
pub use virtengine_veid_primitives::{KeyProof, Vote};

#[cfg(feature = "std")]
use sp_externalities::ExternalitiesExt;

/// A request as the committee scores it: the sealed bundle and what the chain holds about it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub struct ScoreJob {
	/// The SCALE-encoded envelope of the upload.
	pub envelope: Vec<u8>,
	/// The SCALE-encoded account that uploaded it: the bundle inside must name it.
	pub account: Vec<u8>,
	/// The commitments' salt: the bundle inside must name it too.
	pub salt: [u8; 32],
	/// The salted name commitment.
	pub name_commitment: [u8; 32],
	/// The salted birth-date commitment.
	pub birth_date_commitment: [u8; 32],
	/// The reference day for expiry and age: days since 1970-01-01 (UTC) of the upload block's
	/// timestamp, the same for every member.
	pub today: u32,
}

/// Why this node produced no vote (a bad upload is not a failure: it is a rejecting vote).
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode)]
pub enum ScoreFailure {
	/// This node runs no VEID scorer (no extension, or it was started without models).
	Unavailable,
	/// None of this node's committee keys is a recipient of the envelope.
	NotARecipient,
	/// The envelope is not a well-formed envelope at all.
	Malformed,
	/// The models could not be loaded or run; the message says why.
	Pipeline(Vec<u8>),
}

/// What the node provides behind the host functions.
#[cfg(feature = "std")]
pub trait VeidScorer: Send + Sync {
	/// The node's X25519 committee public key for `session`, created on first use.
	fn committee_key(&self, session: u32) -> Result<[u8; 32], alloc::string::String>;
	/// Proves possession of the committee key for `session`: its ed25519 form and that key's
	/// signature of `message` (`virtengine_veid_primitives::KeyProof`).
	fn prove_committee_key(&self, session: u32, message: &[u8]) -> Option<KeyProof>;
	/// Destroys the committee keys of sessions before `session`.
	fn retire_committee_keys(&self, session: u32);
	/// Opens and scores a request.
	fn score(&self, job: ScoreJob) -> Result<Vote, ScoreFailure>;
}

#[cfg(feature = "std")]
sp_externalities::decl_extension! {
	/// The node's VEID scorer, registered in offchain-worker runs.
	pub struct VeidScorerExt(std::sync::Arc<dyn VeidScorer>);
}

#[cfg(feature = "std")]
impl VeidScorerExt {
	/// Wraps a scorer.
	pub fn new(scorer: std::sync::Arc<dyn VeidScorer>) -> Self {
		Self(scorer)
	}
}

/// The host functions, for the node's executor.
#[cfg(feature = "std")]
pub type HostFunctions = (veid_host::HostFunctions,);

/// VEID scoring on the node, for offchain workers.
#[runtime_interface]
pub trait VeidHost {
	/// The node's X25519 committee key for `session` (created on first use); `None` if the node
	/// has no VEID scorer or cannot store the key.
	fn committee_key(&mut self, session: u32) -> AllocateAndReturnByCodec<Option<[u8; 32]>> {
		self.extension::<VeidScorerExt>()
			.and_then(|VeidScorerExt(scorer)| scorer.committee_key(session).ok())
	}

	/// Proves the node holds its committee key for `session`: the key's ed25519 form signs
	/// `message` (the chain's `key_proof_payload`). `None` without a scorer or a key.
	fn prove_committee_key(
		&mut self,
		session: u32,
		message: PassFatPointerAndRead<&[u8]>,
	) -> AllocateAndReturnByCodec<Option<KeyProof>> {
		self.extension::<VeidScorerExt>()
			.and_then(|VeidScorerExt(scorer)| scorer.prove_committee_key(session, message))
	}

	/// Destroys the node's committee keys of sessions before `session`.
	fn retire_committee_keys(&mut self, session: u32) {
		if let Some(VeidScorerExt(scorer)) = self.extension::<VeidScorerExt>() {
			scorer.retire_committee_keys(session);
		}
	}

	/// Opens the job's envelope with a committee key of this node and scores it.
	fn score(
		&mut self,
		job: PassFatPointerAndDecode<ScoreJob>,
	) -> AllocateAndReturnByCodec<Result<Vote, ScoreFailure>> {
		match self.extension::<VeidScorerExt>() {
			Some(VeidScorerExt(scorer)) => scorer.score(job),
			None => Err(ScoreFailure::Unavailable),
		}
	}
}
