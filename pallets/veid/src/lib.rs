#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
// `upload_scopes` takes every field the two signatures bind; the call macro's generated
// constructors inherit the count.
#![allow(clippy::too_many_arguments)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
mod impls;
mod offchain;
mod refused;
mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use refused::Refused;
pub use types::*;
pub use virtengine_veid_primitives::{MemberId, MemberSignature, ScopeKind, Tier, Vote};
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, MutateHold},
			UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{IdentifyAccount, Verify},
		transaction_validity::TransactionPriority,
	};
	use virtengine_veid_primitives::KeyProof;
	// Named, as the prelude's globs hold an `Identity` hasher and a `Member` trait too.
	use crate::types::{Identity, Member};

	/// The balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	#[pallet::config]
	pub trait Config:
		frame_system::Config + frame_system::offchain::CreateAuthorizedTransaction<Call<Self>>
	{
		/// Holds upload deposits.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		/// The runtime's hold reasons.
		type RuntimeHoldReason: From<HoldReason>;
		/// Who may register and remove capture clients.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The signature a user gives over the upload digest, verified against their account.
		type UserSignature: Parameter
			+ Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ MaxEncodedLen;
		/// Wall-clock time of the block (the pipeline's reference day).
		type Time: UnixTime;
		/// Deposit per stored byte of a request.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;
		/// Largest accepted envelope, in SCALE bytes.
		#[pallet::constant]
		type MaxEnvelopeBytes: Get<u32>;
		/// Most scope kinds in one upload.
		#[pallet::constant]
		type MaxScopes: Get<u32>;
		/// Blocks between two uploads of one account.
		#[pallet::constant]
		type UploadCooldown: Get<BlockNumberFor<Self>>;
		/// Blocks a verified identity stays valid.
		#[pallet::constant]
		type ValidityPeriod: Get<BlockNumberFor<Self>>;
		/// Blocks a request may stay pending before it is rejected with `TIMEOUT`.
		#[pallet::constant]
		type RequestTimeout: Get<BlockNumberFor<Self>>;
		/// Most requests that may time out in one block (bounds `on_initialize`).
		#[pallet::constant]
		type MaxTimeoutsPerBlock: Get<u32>;
		/// Largest committee (validators beyond it are not members).
		#[pallet::constant]
		type MaxCommittee: Get<u32>;
		/// Priority of members' votes and key publications in the transaction pool.
		#[pallet::constant]
		type VotePriority: Get<TransactionPriority>;
		/// Blocks after an upload during which members commit; reveals are accepted once every
		/// member has committed or this phase is over.
		#[pallet::constant]
		type CommitBlocks: Get<BlockNumberFor<Self>>;
		/// Fewest members with a committee key an upload may be sealed to; a session with
		/// fewer validators needs every one of them. Below it uploads are refused
		/// (`CommitteeTooSmall`), so no member ever decides alone for a larger session.
		#[pallet::constant]
		type MinCommittee: Get<u32>;
		/// Weights.
		type WeightInfo: WeightInfo;
		/// Accounts and signatures for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: crate::BenchmarkHelper<Self::AccountId, Self::UserSignature>;
	}

	/// Reasons this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of an open upload.
		UploadDeposit,
		/// The deposit of a verified identity's entry in the uniqueness index.
		IdentityIndex,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Approved capture clients.
	///
	/// Blake2 because client ids are chosen outside the chain.
	#[pallet::storage]
	pub type CaptureClients<T: Config> = StorageMap<_, Blake2_128Concat, ClientId, ClientKey>;

	/// Open requests by id.
	///
	/// Twox because request ids are assigned by the chain, one after another.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageMap<_, Twox64Concat, u64, Request<T>>;

	/// Open requests' sealed bundles (SCALE-encoded envelopes), apart from [`Requests`] so that
	/// closing a request never reads them (removing a value needs no proof of it). Twox: ids
	/// are the chain's.
	#[pallet::storage]
	pub type Envelopes<T: Config> =
		StorageMap<_, Twox64Concat, u64, BoundedVec<u8, T::MaxEnvelopeBytes>>;

	/// The next request id.
	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, u64, ValueQuery>;

	/// Identity records by account.
	///
	/// Blake2 because accounts are chosen by their owners.
	#[pallet::storage]
	pub type Identities<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Identity<T>>;

	/// The active model set (sha256 over the pinned models, the scoring model and the pipeline
	/// version, as `virtengine-scoring` computes it). Votes naming another set are refused.
	#[pallet::storage]
	pub type ActiveModelSet<T: Config> = StorageValue<_, [u8; 32], OptionQuery>;

	/// Each open request's committee, fixed at upload (Twox: request ids are the chain's).
	#[pallet::storage]
	pub type RequestCommittee<T: Config> = StorageMap<
		_,
		Twox64Concat,
		u64,
		BoundedVec<Member<T::AccountId>, T::MaxCommittee>,
		ValueQuery,
	>;

	/// The current session's index (counted by this pallet as a session handler).
	#[pallet::storage]
	pub type Session<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The current session's validators that registered a VEID session key.
	#[pallet::storage]
	pub type Members<T: Config> =
		StorageValue<_, BoundedVec<(T::AccountId, MemberId), T::MaxCommittee>, ValueQuery>;

	/// The next session's (queued) validators with their VEID session keys: they publish their
	/// committee keys for the next session ahead of it.
	#[pallet::storage]
	pub type NextMembers<T: Config> =
		StorageValue<_, BoundedVec<(T::AccountId, MemberId), T::MaxCommittee>, ValueQuery>;

	/// Published X25519 committee keys: (session, validator) → key. Kept for the current and
	/// the next session; the previous session's are cleared at each session change. Sessions
	/// are counted by the chain (Twox); accounts are chosen by their owners (Blake2).
	#[pallet::storage]
	pub type CommitteeKeys<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u32, Blake2_128Concat, T::AccountId, [u8; 32]>;

	/// Who published each committee key: (session, X25519 key) → validator, so that no key is
	/// published twice in a session. Cleared with [`CommitteeKeys`]. The key is chosen by the
	/// member, hence the cryptographic hasher.
	#[pallet::storage]
	pub type CommitteeKeyOwners<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u32, Blake2_128Concat, [u8; 32], T::AccountId>;

	/// The uniqueness index: a verified identity's feature digest → the account it verified.
	/// One identity verifies one account; a later request of another account whose quorum agrees
	/// on the same digest is rejected with `DuplicateIdentity`. The digest comes from the
	/// committee's quorum, hence the cryptographic hasher.
	#[pallet::storage]
	pub type IdentityDigests<T: Config> = StorageMap<_, Blake2_128Concat, [u8; 32], T::AccountId>;

	/// The reverse of [`IdentityDigests`]: an account's indexed digest and the deposit held for
	/// both entries (released when the account verifies again with another digest). Blake2:
	/// accounts are chosen by their owners.
	#[pallet::storage]
	pub type IdentityDigestOf<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ([u8; 32], BalanceOf<T>)>;

	/// The identity committee now: members with a committee key for the current session, in
	/// validator order. Uploads are sealed to exactly these keys.
	#[pallet::storage]
	pub type Committee<T: Config> =
		StorageValue<_, BoundedVec<Member<T::AccountId>, T::MaxCommittee>, ValueQuery>;

	/// Commitments: (request, member) → hash of (score, digest, model set, salt). Request ids
	/// are the chain's (Twox); accounts are chosen by their owners (Blake2).
	#[pallet::storage]
	pub type Commits<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u64, Blake2_128Concat, T::AccountId, [u8; 32]>;

	/// Revealed votes: (request, member) → vote. Hashers as [`Commits`].
	#[pallet::storage]
	pub type Reveals<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u64, Blake2_128Concat, T::AccountId, Vote>;

	/// Requests decided before every committed member revealed: the agreed vote and the
	/// request's deadline. Until then a member that committed may still reveal; its vote is
	/// compared with the agreed one (evidence if it differs), and at the deadline a member that
	/// committed and never revealed counts as such. The entry, the request's committee and the
	/// outstanding commitments leave state at the last reveal or at the deadline. Twox: request
	/// ids are the chain's.
	#[pallet::storage]
	pub type Decided<T: Config> = StorageMap<_, Twox64Concat, u64, (Vote, BlockNumberFor<T>)>;

	/// Final results, kept after the request and its envelope are gone (Blake2: accounts are
	/// chosen by their owners).
	#[pallet::storage]
	pub type Results<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, IdentityResult>;

	/// Evidence against committee members: votes that disagreed with the final result and votes
	/// never revealed, counted per member (for reputation or slashing later). Blake2: accounts
	/// are chosen by their owners.
	#[pallet::storage]
	pub type Evidence<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (u32, u32), ValueQuery>;

	/// Requests by the block they time out in, at most `MaxTimeoutsPerBlock` each (Twox: block
	/// numbers are the chain's).
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<u64, T::MaxTimeoutsPerBlock>,
		ValueQuery,
	>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The active model set at genesis.
		pub model_set: Option<[u8; 32]>,
		/// Capture clients approved at genesis.
		pub clients: Vec<(ClientId, ClientKey)>,
		/// Ties the configuration to the runtime; no data.
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(set) = self.model_set {
				ActiveModelSet::<T>::put(set);
			}
			for (id, key) in &self.clients {
				CaptureClients::<T>::insert(id, key);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A capture client was approved.
		ClientRegistered {
			/// The client's id.
			id: ClientId,
		},
		/// A capture client was removed; uploads it signed earlier stay valid.
		ClientRemoved {
			/// The client's id.
			id: ClientId,
		},
		/// Scopes were uploaded and wait for the committee.
		ScopesUploaded {
			/// The request opened for them.
			request: u64,
			/// The account that uploaded (whose identity is scored).
			account: T::AccountId,
			/// The deposit held from the account until the request is decided or times out.
			deposit: BalanceOf<T>,
		},
		/// The model set votes must name changed.
		ModelSetChanged {
			/// The new active model set.
			model_set: [u8; 32],
		},
		/// A committee member committed to a vote.
		VoteCommitted {
			/// The request voted on.
			request: u64,
			/// The member's (validator's) account.
			member: T::AccountId,
		},
		/// A committee member revealed its vote.
		VoteRevealed {
			/// The request voted on.
			request: u64,
			/// The member's (validator's) account.
			member: T::AccountId,
			/// The revealed vote's score (0-100).
			score: u8,
		},
		/// A quorum agreed: the request is decided and its envelope left state.
		IdentityScored {
			/// The decided request.
			request: u64,
			/// The account whose identity was scored.
			account: T::AccountId,
			/// The agreed result, as [`Results`] keeps it.
			result: IdentityResult,
		},
		/// A member published its committee key for a session.
		CommitteeKeyPublished {
			/// The session the key is for.
			session: u32,
			/// The member's (validator's) account.
			member: T::AccountId,
			/// The X25519 committee key.
			key: [u8; 32],
		},
		/// A request was rejected without a score.
		RequestRejected {
			/// The rejected request.
			request: u64,
			/// The account that uploaded it.
			account: T::AccountId,
			/// Why it was rejected.
			reason: RejectReason,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No approved capture client has this id.
		ClientNotFound,
		/// A client with this id is already approved.
		ClientAlreadyExists,
		/// The capture client's signature over the upload digest is not valid.
		InvalidClientSignature,
		/// The user's signature over the upload digest is not valid for the submitting account.
		InvalidUserSignature,
		/// The envelope is larger than `MaxEnvelopeBytes`.
		EnvelopeTooLarge,
		/// The envelope bytes do not decode, or its structure is not sound.
		InvalidEnvelope,
		/// More scope kinds than `MaxScopes`, none, or one twice.
		InvalidScopes,
		/// The account already has an open request.
		RequestAlreadyOpen,
		/// The account uploaded less than `UploadCooldown` blocks ago.
		TooSoon,
		/// Too many requests (`MaxTimeoutsPerBlock`) already time out in the block this one
		/// would: upload again in the next block.
		TooManyDeadlines,
		/// No request with this id is open.
		RequestNotOpen,
		/// The caller is not in the request's committee.
		NotCommitteeMember,
		/// The member already committed to this request.
		AlreadyCommitted,
		/// The member has not committed to this request.
		CommitNotFound,
		/// The member already revealed.
		AlreadyRevealed,
		/// Reveals open once every member committed or the commit phase is over.
		RevealTooEarly,
		/// The revealed vote does not match the commitment.
		CommitMismatch,
		/// The vote names another model set than the active one (or none is active).
		WrongModelSet,
		/// A score above 100.
		InvalidScore,
		/// No identity committee exists to score an upload.
		CommitteeNotFound,
		/// The envelope is not sealed to exactly the current committee's keys.
		WrongRecipients,
		/// Committee keys are published for the current or the next session only.
		WrongSession,
		/// The caller is not a validator with a VEID key in that session.
		NotSessionMember,
		/// The member already published its key for that session.
		KeyAlreadyPublished,
		/// The key is a small-order point.
		WeakKey,
		/// The commit phase is over (reveals may be visible): no more commits.
		CommitPhaseOver,
		/// Fewer members published a committee key than `MinCommittee` (or than the whole
		/// session, if it is smaller): no upload until more do.
		CommitteeTooSmall,
		/// Another member already published this committee key for the session.
		KeyInUse,
		/// The proof of possession of the committee key does not verify.
		InvalidKeyProof,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Times out the requests whose deadline is this block (at most `MaxTimeoutsPerBlock`).
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::time_out_due(now)
		}

		/// The committee member's worker: publishes committee keys, scores, commits, reveals
		/// (`offchain.rs`).
		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::run_offchain_worker(now);
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Approves a capture client: uploads it signs (with `key`, ed25519 or sr25519) are
		/// accepted from now on.
		///
		/// - Origin: `AdminOrigin`.
		/// - Emits: [`Event::ClientRegistered`].
		/// - Errors: [`Error::ClientAlreadyExists`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_client())]
		pub fn register_client(
			origin: OriginFor<T>,
			id: ClientId,
			key: ClientKey,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_register_client(id, key)
		}

		/// Removes a capture client: its new uploads are refused; uploads it signed earlier
		/// stay valid.
		///
		/// - Origin: `AdminOrigin`.
		/// - Emits: [`Event::ClientRemoved`].
		/// - Errors: [`Error::ClientNotFound`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_client())]
		pub fn remove_client(origin: OriginFor<T>, id: ClientId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_remove_client(id)
		}

		/// Uploads identity scopes for scoring: `envelope` sealed to exactly the current
		/// committee's keys, with the scope kinds, the salt and the salted commitments to the
		/// holder's name and birth date, signed over the upload digest by an approved capture
		/// client (`client_signature`) and by the caller (`user_signature`, over
		/// `<Bytes>digest</Bytes>`). Opens a request, pending until the committee decides or
		/// `RequestTimeout` passes, and holds a deposit for every stored byte. One open
		/// request per account, one upload per `UploadCooldown`.
		///
		/// - Origin: signed, the account whose identity is verified.
		/// - Emits: [`Event::ScopesUploaded`].
		/// - Errors: [`Error::EnvelopeTooLarge`], [`Error::InvalidScopes`],
		///   [`Error::RequestAlreadyOpen`], [`Error::TooSoon`], [`Error::ClientNotFound`],
		///   [`Error::InvalidClientSignature`], [`Error::InvalidUserSignature`],
		///   [`Error::InvalidEnvelope`], [`Error::CommitteeNotFound`],
		///   [`Error::CommitteeTooSmall`], [`Error::WrongRecipients`],
		///   [`Error::TooManyDeadlines`]; a balance error if the deposit cannot be held.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::upload_scopes(envelope.len() as u32))]
		pub fn upload_scopes(
			origin: OriginFor<T>,
			client: ClientId,
			scopes: BoundedVec<ScopeKind, T::MaxScopes>,
			salt: [u8; 32],
			name_commitment: [u8; 32],
			birth_date_commitment: [u8; 32],
			envelope: Vec<u8>,
			client_signature: [u8; 64],
			user_signature: T::UserSignature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_upload_scopes(
				who,
				client,
				scopes,
				salt,
				name_commitment,
				birth_date_commitment,
				envelope,
				client_signature,
				user_signature,
			)
		}

		/// Sets the active model set: the votes that count must name it; votes naming another
		/// are kept but never decide.
		///
		/// - Origin: `AdminOrigin`.
		/// - Emits: [`Event::ModelSetChanged`].
		/// - Errors: none of this pallet's.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_model_set())]
		pub fn set_model_set(origin: OriginFor<T>, model_set: [u8; 32]) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_model_set(model_set)
		}

		/// Commits `member` to a vote on an open request:
		/// `commitment = vote_commitment(request, member, vote, salt)`, during the request's
		/// commit phase (`CommitBlocks`). Submitted by the member's offchain worker; no fee.
		///
		/// - Origin: authorized by [`Pallet::authorize_commit`]: the member's VEID signature
		///   over `commit_payload`; the pool refuses a failed check with its refusal code.
		/// - Emits: [`Event::VoteCommitted`].
		/// - Errors: [`Error::RequestNotOpen`], [`Error::NotCommitteeMember`],
		///   [`Error::AlreadyCommitted`], [`Error::CommitPhaseOver`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::commit())]
		#[pallet::authorize(Pallet::<T>::authorize_commit)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_commit())]
		pub fn commit(
			origin: OriginFor<T>,
			request: u64,
			member: T::AccountId,
			commitment: [u8; 32],
			signature: MemberSignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			// Checked by the authorization.
			let _ = signature;
			Self::do_commit(request, member, commitment)
		}

		/// Reveals `member`'s committed vote, once every member of the request's committee
		/// committed or the commit phase is over. When ⌈2n/3⌉ of the n members revealed the
		/// same vote (naming the active model set) the request is decided: `Verified` or
		/// `Rejected` by tier, the envelope dropped, the deposit returned. A member may still
		/// reveal a decided request until its deadline; its vote is then compared with the
		/// result. Submitted by the member's offchain worker; no fee.
		///
		/// - Origin: authorized by [`Pallet::authorize_reveal`]: the member's VEID signature
		///   over `reveal_payload`.
		/// - Emits: [`Event::VoteRevealed`]; on quorum [`Event::IdentityScored`], or
		///   [`Event::RequestRejected`] if the identity already verified another account.
		/// - Errors: [`Error::RequestNotOpen`], [`Error::InvalidScore`],
		///   [`Error::CommitNotFound`], [`Error::AlreadyRevealed`], [`Error::RevealTooEarly`],
		///   [`Error::CommitMismatch`].
		#[pallet::call_index(5)]
		#[pallet::weight(Pallet::<T>::reveal_weight())]
		#[pallet::authorize(Pallet::<T>::authorize_reveal)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_reveal())]
		pub fn reveal(
			origin: OriginFor<T>,
			request: u64,
			member: T::AccountId,
			vote: Vote,
			salt: [u8; 32],
			signature: MemberSignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			// Checked by the authorization.
			let _ = signature;
			Self::do_reveal(request, member, vote, salt)
		}

		/// Publishes `member`'s X25519 committee key for `session` (the current or the next),
		/// with the proof that the member holds it (`proof`: the key's ed25519 form and its
		/// signature). A key for the current session joins the member to the [`Committee`].
		/// Submitted by the member's offchain worker; no fee.
		///
		/// - Origin: authorized by [`Pallet::authorize_publish_committee_key`]: the member's
		///   VEID signature over `key_payload` and the proof of possession (refused in the
		///   pool with `InvalidKeyProof`'s code).
		/// - Emits: [`Event::CommitteeKeyPublished`].
		/// - Errors: [`Error::WrongSession`], [`Error::NotSessionMember`],
		///   [`Error::KeyAlreadyPublished`], [`Error::KeyInUse`], [`Error::WeakKey`]
		///   ([`Error::InvalidKeyProof`] at authorization).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::publish_committee_key(T::MaxCommittee::get()))]
		#[pallet::authorize(Pallet::<T>::authorize_publish_committee_key)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_publish_committee_key())]
		pub fn publish_committee_key(
			origin: OriginFor<T>,
			session: u32,
			member: T::AccountId,
			key: [u8; 32],
			proof: KeyProof,
			signature: MemberSignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			// Both checked by the authorization.
			let _ = (proof, signature);
			Self::do_publish_committee_key(session, member, key)
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// An account's status (expiry applied), its tier if verified, and its last result.
		pub fn identity_of(
			who: T::AccountId,
		) -> (Option<Status>, Option<Tier>, Option<IdentityResult>) {
			(Self::status(&who), Self::tier(&who), Results::<T>::get(&who))
		}

		/// Open requests with ids in `from..from + limit` (at most 100 looked at), with their
		/// accounts and committees: what committee members' workers score.
		pub fn pending_requests(
			from: u64,
			limit: u32,
		) -> Vec<(u64, T::AccountId, Vec<T::AccountId>)> {
			Self::do_pending_requests(from, limit)
		}
	}
}
