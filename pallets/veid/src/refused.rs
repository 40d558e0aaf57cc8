//! [`Refused`]: why the authorization of a member's call (commit, reveal, committee key) fails.
//! The pool sees a refusal as `InvalidTransaction::Custom` with its own code from the runtime's
//! table (`virtengine_primitives::refusal::veid`); the same check at dispatch fails with the
//! pallet error of the same name. Both maps are exhaustive matches, so a new refusal cannot go
//! without a code or an error.

use sp_runtime::transaction_validity::{InvalidTransaction, TransactionValidityError};
use virtengine_primitives::refusal::veid as code;

use crate::Error;

/// A failed state check of a member's authorized call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Refused {
	/// No request with this id is open.
	RequestNotOpen,
	/// The caller is not in the request's committee.
	NotCommitteeMember,
	/// The member already committed to this request.
	AlreadyCommitted,
	/// The commit phase is over.
	CommitPhaseOver,
	/// A score above 100.
	InvalidScore,
	/// The vote names another model set than the active one (or none is active).
	WrongModelSet,
	/// The member has not committed to this request.
	CommitNotFound,
	/// The member already revealed.
	AlreadyRevealed,
	/// Reveals open once every member committed or the commit phase is over.
	RevealTooEarly,
	/// The revealed vote does not match the commitment.
	CommitMismatch,
	/// Committee keys are published for the current or the next session only.
	WrongSession,
	/// The caller is not a validator with a VEID key in that session.
	NotSessionMember,
	/// The member already published its key for that session.
	KeyAlreadyPublished,
	/// Another member already published this committee key for the session.
	KeyInUse,
	/// The key is a small-order point.
	WeakKey,
	/// The proof of possession of the committee key does not verify.
	InvalidKeyProof,
}

impl Refused {
	/// Every refusal.
	pub const ALL: [Refused; 16] = [
		Self::RequestNotOpen,
		Self::NotCommitteeMember,
		Self::AlreadyCommitted,
		Self::CommitPhaseOver,
		Self::InvalidScore,
		Self::WrongModelSet,
		Self::CommitNotFound,
		Self::AlreadyRevealed,
		Self::RevealTooEarly,
		Self::CommitMismatch,
		Self::WrongSession,
		Self::NotSessionMember,
		Self::KeyAlreadyPublished,
		Self::KeyInUse,
		Self::WeakKey,
		Self::InvalidKeyProof,
	];

	/// Its `InvalidTransaction::Custom` code.
	pub const fn code(self) -> u8 {
		match self {
			Self::RequestNotOpen => code::REQUEST_NOT_OPEN,
			Self::NotCommitteeMember => code::NOT_COMMITTEE_MEMBER,
			Self::AlreadyCommitted => code::ALREADY_COMMITTED,
			Self::CommitPhaseOver => code::COMMIT_PHASE_OVER,
			Self::InvalidScore => code::INVALID_SCORE,
			Self::WrongModelSet => code::WRONG_MODEL_SET,
			Self::CommitNotFound => code::COMMIT_NOT_FOUND,
			Self::AlreadyRevealed => code::ALREADY_REVEALED,
			Self::RevealTooEarly => code::REVEAL_TOO_EARLY,
			Self::CommitMismatch => code::COMMIT_MISMATCH,
			Self::WrongSession => code::WRONG_SESSION,
			Self::NotSessionMember => code::NOT_SESSION_MEMBER,
			Self::KeyAlreadyPublished => code::KEY_ALREADY_PUBLISHED,
			Self::KeyInUse => code::KEY_IN_USE,
			Self::WeakKey => code::WEAK_KEY,
			Self::InvalidKeyProof => code::INVALID_KEY_PROOF,
		}
	}

	/// The refusal with this code, if it is one of this pallet's.
	pub fn from_code(code: u8) -> Option<Self> {
		Self::ALL.into_iter().find(|r| r.code() == code)
	}
}

impl From<Refused> for TransactionValidityError {
	fn from(refused: Refused) -> Self {
		InvalidTransaction::Custom(refused.code()).into()
	}
}

impl<T> From<Refused> for Error<T> {
	fn from(refused: Refused) -> Self {
		match refused {
			Refused::RequestNotOpen => Error::RequestNotOpen,
			Refused::NotCommitteeMember => Error::NotCommitteeMember,
			Refused::AlreadyCommitted => Error::AlreadyCommitted,
			Refused::CommitPhaseOver => Error::CommitPhaseOver,
			Refused::InvalidScore => Error::InvalidScore,
			Refused::WrongModelSet => Error::WrongModelSet,
			Refused::CommitNotFound => Error::CommitNotFound,
			Refused::AlreadyRevealed => Error::AlreadyRevealed,
			Refused::RevealTooEarly => Error::RevealTooEarly,
			Refused::CommitMismatch => Error::CommitMismatch,
			Refused::WrongSession => Error::WrongSession,
			Refused::NotSessionMember => Error::NotSessionMember,
			Refused::KeyAlreadyPublished => Error::KeyAlreadyPublished,
			Refused::KeyInUse => Error::KeyInUse,
			Refused::WeakKey => Error::WeakKey,
			Refused::InvalidKeyProof => Error::InvalidKeyProof,
		}
	}
}
