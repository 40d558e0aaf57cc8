//! # VEID pallet
//!
//! Approved capture clients, identity scope uploads, committee votes and the request lifecycle,
//! as designed in `docs/veid.md`:
//!
//! - governance registers capture clients (an id and an ed25519 or sr25519 signing key);
//! - `upload_scopes` stores one envelope sealed to the identity committee with the scope kinds,
//!   the salt and the commitments, after verifying **both** signatures over the upload digest
//!   (`virtengine_veid_primitives::upload_digest`): the capture client's and the submitting
//!   account's; it holds a deposit for every stored byte and allows one open request per
//!   account and one upload per cooldown;
//! - a request not finalised by its deadline is rejected with reason `TIMEOUT` in `on_initialize`,
//!   at most `MaxTimeoutsPerBlock` per block; its envelope leaves state and its deposit is
//!   returned.
//!
//! - governance sets the active model set; the committee of the moment is snapshotted per request;
//! - members `commit` to `vote_commitment(request, member, score, digest, model set, salt)`, then
//!   `reveal` once every member committed or the commit phase is over; when ⌈2n/3⌉ reveals agree
//!   on (score, digest, model set) the request is decided: `Verified` or `Rejected` by tier, the
//!   result kept, the envelope and votes dropped, the deposit returned, and members who
//!   disagreed or never revealed counted in `Evidence`.
//!
//! - a verified identity expires `ValidityPeriod` blocks after its decision, lazily (its status
//!   reads `Expired` from then on, no per-block work); the account may then upload again;
//! - view functions: `identity_of(account)` (status, tier, last result) and
//!   `pending_requests(from, limit)` (a page of open requests with their committees).
//!
//! The committee: the session's validators that registered a VEID session key (this pallet is a
//! session handler) and published an X25519 committee key for the session. Members vote with
//! *authorized* transactions (`#[pallet::authorize]`): no fee and no account nonce, validated on
//! chain with cheap state checks first and the member's VEID signature last, deduplicated by tag,
//! living until the request's deadline. The offchain worker (`offchain.rs`) publishes the node's
//! committee keys, scores pending requests through the `virtengine-veid-host` host function and
//! submits the commits and reveals.

#![cfg_attr(not(feature = "std"), no_std)]
// `upload_scopes` takes every field the two signatures bind; the call macro's generated
// constructors inherit the count.
#![allow(clippy::too_many_arguments)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
mod offchain;
mod refused;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use refused::Refused;
pub use virtengine_veid_primitives::{MemberId, MemberSignature, ScopeKind, Tier, Vote};
pub use weights::WeightInfo;

/// What the benchmarks need from the runtime: an account whose key is in the benchmark keystore,
/// and its signature (the pallet is generic over accounts and signatures).
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// A fresh account whose signing key is in the keystore.
	fn signer() -> AccountId;
	/// `who`'s signature of `message`.
	fn sign(who: &AccountId, message: &[u8]) -> Signature;
}

/// A capture client's id.
pub type ClientId = [u8; 16];

#[frame_support::pallet]
pub mod pallet {
	use alloc::vec::Vec;

	use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, MutateHold},
			tokens::Precision,
			UnixTime,
		},
	};
	use frame_system::pallet_prelude::*;
	use scale_info::TypeInfo;
	use sp_runtime::{
		app_crypto::{ed25519, sr25519, RuntimeAppPublic},
		traits::{IdentifyAccount, Saturating, Verify, Zero},
		transaction_validity::{TransactionPriority, TransactionValidityWithRefund},
	};
	use virtengine_envelope::Envelope;
	use virtengine_veid_primitives::{
		commit_payload, key_payload, reveal_payload, upload_digest, user_message, verify_key_proof,
		vote_commitment, KeyProof, MemberId, MemberSignature, ScopeKind, Vote,
		UNREADABLE_FOR_MEMBER,
	};

	use super::{ClientId, Refused, WeightInfo};

	impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
		type Public = MemberId;
	}

	/// The pallet follows the session: its validators with a VEID session key are the members.
	impl<T: Config> frame_support::traits::OneSessionHandler<T::AccountId> for Pallet<T> {
		type Key = MemberId;

		fn on_genesis_session<'a, I>(validators: I)
		where
			I: 'a + Iterator<Item = (&'a T::AccountId, MemberId)>,
			T::AccountId: 'a,
		{
			let members = Self::bound_members(validators);
			Members::<T>::put(members.clone());
			NextMembers::<T>::put(members);
			Session::<T>::put(0);
			Self::rebuild_committee();
		}

		fn on_new_session<'a, I>(_changed: bool, validators: I, queued: I)
		where
			I: 'a + Iterator<Item = (&'a T::AccountId, MemberId)>,
			T::AccountId: 'a,
		{
			let session = Session::<T>::get().saturating_add(1);
			Session::<T>::put(session);
			Members::<T>::put(Self::bound_members(validators));
			NextMembers::<T>::put(Self::bound_members(queued));
			if let Some(old) = session.checked_sub(1) {
				// At most one key per member of that session was stored.
				let _ = CommitteeKeys::<T>::clear_prefix(old, T::MaxCommittee::get(), None);
				let _ = CommitteeKeyOwners::<T>::clear_prefix(old, T::MaxCommittee::get(), None);
			}
			Self::rebuild_committee();
		}

		fn on_disabled(_validator_index: u32) {}
	}

	impl<T: Config> Pallet<T> {
		fn bound_members<'a, I>(
			validators: I,
		) -> BoundedVec<(T::AccountId, MemberId), T::MaxCommittee>
		where
			I: 'a + Iterator<Item = (&'a T::AccountId, MemberId)>,
			T::AccountId: 'a,
		{
			BoundedVec::truncate_from(
				validators
					.take(T::MaxCommittee::get() as usize)
					.map(|(account, id)| (account.clone(), id))
					.collect(),
			)
		}
	}

	/// The balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A committee member as a request records it: its account (the validator), its VEID signing
	/// key and the X25519 key uploads were sealed to.
	#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
	pub struct Member<AccountId> {
		/// The validator's account.
		pub account: AccountId,
		/// Its VEID signing key (a session key).
		pub id: MemberId,
		/// Its X25519 committee key for the session.
		pub key: [u8; 32],
	}

	/// A capture client's signing key.
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
		serde::Serialize,
		serde::Deserialize,
	)]
	pub enum ClientKey {
		/// ed25519 public key.
		Ed25519([u8; 32]),
		/// sr25519 public key.
		Sr25519([u8; 32]),
	}

	impl ClientKey {
		/// Whether `signature` is this key's signature of `message`.
		pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
			match self {
				ClientKey::Ed25519(public) => sp_io::crypto::ed25519_verify(
					&ed25519::Signature::from_raw(*signature),
					message,
					&ed25519::Public::from_raw(*public),
				),
				ClientKey::Sr25519(public) => sp_io::crypto::sr25519_verify(
					&sr25519::Signature::from_raw(*signature),
					message,
					&sr25519::Public::from_raw(*public),
				),
			}
		}
	}

	/// Where an account's identity is.
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
	pub enum Status {
		/// Scopes uploaded, waiting for the committee.
		Pending,
		/// Scored and accepted.
		Verified,
		/// Scored below 50, or timed out.
		Rejected,
		/// Verified, but the validity period is over: upload again to re-verify.
		Expired,
	}

	/// Why a request was rejected without a score.
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
	pub enum RejectReason {
		/// No quorum before the deadline.
		Timeout,
		/// The quorum's feature digest already verified another account: one identity verifies
		/// one account.
		DuplicateIdentity,
	}

	/// An open request: what the committee scores.
	#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
	#[scale_info(skip_type_params(T))]
	pub struct Request<T: Config> {
		/// Who uploaded.
		pub account: T::AccountId,
		/// The approved client that captured it.
		pub client: ClientId,
		/// What it contains.
		pub scopes: BoundedVec<ScopeKind, T::MaxScopes>,
		/// The commitments' salt.
		pub salt: [u8; 32],
		/// Salted commitment to the holder's name.
		pub name_commitment: [u8; 32],
		/// Salted commitment to the holder's birth date.
		pub birth_date_commitment: [u8; 32],
		/// BLAKE2-256 of the sealed bundle (the envelope itself is in [`Envelopes`]).
		pub envelope_hash: [u8; 32],
		/// Its length in bytes.
		pub envelope_len: u32,
		/// The deposit held for it.
		pub deposit: BalanceOf<T>,
		/// When it was uploaded.
		pub submitted_at: BlockNumberFor<T>,
		/// When it times out.
		pub deadline: BlockNumberFor<T>,
		/// The reference day of the pipeline (days since 1970-01-01 of the upload block's
		/// timestamp), the same for every member.
		pub today: u32,
	}

	/// A final result: what remains on chain once a request is decided.
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
	pub struct IdentityResult {
		/// 0-100.
		pub score: u8,
		/// Its tier.
		pub tier: super::Tier,
		/// Reason codes, a mask over `virtengine_veid_primitives::REASON_CODES`.
		pub reasons: u32,
		/// The pipeline's feature digest the quorum agreed on.
		pub digest: [u8; 32],
		/// The model set it was computed with.
		pub model_set: [u8; 32],
		/// The request it came from.
		pub request: u64,
	}

	/// An account's identity record.
	#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
	#[scale_info(skip_type_params(T))]
	pub struct Identity<T: Config> {
		/// Its status.
		pub status: Status,
		/// The open request, if any.
		pub request: Option<u64>,
		/// When the account last uploaded.
		pub last_upload: BlockNumberFor<T>,
		/// Why it was last rejected without a score.
		pub reject_reason: Option<RejectReason>,
		/// When a verified identity stops being valid.
		pub expires_at: Option<BlockNumberFor<T>>,
	}

	#[pallet::config]
	pub trait Config:
		frame_system::Config + frame_system::offchain::CreateAuthorizedTransaction<Call<Self>>
	{
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;
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
		type BenchmarkHelper: super::BenchmarkHelper<Self::AccountId, Self::UserSignature>;
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
	#[pallet::storage]
	pub type CaptureClients<T: Config> = StorageMap<_, Blake2_128Concat, ClientId, ClientKey>;

	/// Open requests by id.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageMap<_, Twox64Concat, u64, Request<T>>;

	/// Open requests' sealed bundles (SCALE-encoded envelopes), apart from [`Requests`] so that
	/// closing a request never reads them (removing a value needs no proof of it).
	#[pallet::storage]
	pub type Envelopes<T: Config> =
		StorageMap<_, Twox64Concat, u64, BoundedVec<u8, T::MaxEnvelopeBytes>>;

	/// The next request id.
	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, u64, ValueQuery>;

	/// Identity records by account.
	#[pallet::storage]
	pub type Identities<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Identity<T>>;

	/// The active model set (sha256 over the pinned models, the scoring model and the pipeline
	/// version, as `virtengine-scoring` computes it). Votes naming another set are refused.
	#[pallet::storage]
	pub type ActiveModelSet<T: Config> = StorageValue<_, [u8; 32], OptionQuery>;

	/// Each open request's committee, fixed at upload.
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
	/// the next session; the previous session's are cleared at each session change.
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
	/// both entries (released when the account verifies again with another digest).
	#[pallet::storage]
	pub type IdentityDigestOf<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ([u8; 32], BalanceOf<T>)>;

	/// The identity committee now: members with a committee key for the current session, in
	/// validator order. Uploads are sealed to exactly these keys.
	#[pallet::storage]
	pub type Committee<T: Config> =
		StorageValue<_, BoundedVec<Member<T::AccountId>, T::MaxCommittee>, ValueQuery>;

	/// Commitments: (request, member) → hash of (score, digest, model set, salt).
	#[pallet::storage]
	pub type Commits<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u64, Blake2_128Concat, T::AccountId, [u8; 32]>;

	/// Revealed votes: (request, member) → vote.
	#[pallet::storage]
	pub type Reveals<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u64, Blake2_128Concat, T::AccountId, Vote>;

	/// Requests decided before every committed member revealed: the agreed vote and the
	/// request's deadline. Until then a member that committed may still reveal; its vote is
	/// compared with the agreed one (evidence if it differs), and at the deadline a member that
	/// committed and never revealed counts as such. The entry, the request's committee and the
	/// outstanding commitments leave state at the last reveal or at the deadline.
	#[pallet::storage]
	pub type Decided<T: Config> = StorageMap<_, Twox64Concat, u64, (Vote, BlockNumberFor<T>)>;

	/// Final results, kept after the request and its envelope are gone.
	#[pallet::storage]
	pub type Results<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, IdentityResult>;

	/// Evidence against committee members: votes that disagreed with the final result and votes
	/// never revealed, counted per member (for reputation or slashing later).
	#[pallet::storage]
	pub type Evidence<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (u32, u32), ValueQuery>;

	/// Requests by the block they time out in.
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
			/// Its id.
			id: ClientId,
		},
		/// A capture client was removed.
		ClientRemoved {
			/// Its id.
			id: ClientId,
		},
		/// Scopes were uploaded and wait for the committee.
		ScopesUploaded {
			/// The request.
			request: u64,
			/// Who uploaded.
			account: T::AccountId,
			/// The deposit held.
			deposit: BalanceOf<T>,
		},
		/// The model set votes must name changed.
		ModelSetChanged {
			/// The new set.
			model_set: [u8; 32],
		},
		/// A committee member committed to a vote.
		VoteCommitted {
			/// The request.
			request: u64,
			/// The member.
			member: T::AccountId,
		},
		/// A committee member revealed its vote.
		VoteRevealed {
			/// The request.
			request: u64,
			/// The member.
			member: T::AccountId,
			/// Its score.
			score: u8,
		},
		/// A quorum agreed: the request is decided and its envelope left state.
		IdentityScored {
			/// The request.
			request: u64,
			/// Whose.
			account: T::AccountId,
			/// The result.
			result: IdentityResult,
		},
		/// A member published its committee key for a session.
		CommitteeKeyPublished {
			/// The session.
			session: u32,
			/// The member.
			member: T::AccountId,
			/// The X25519 key.
			key: [u8; 32],
		},
		/// A request was rejected without a score.
		RequestRejected {
			/// The request.
			request: u64,
			/// Whose.
			account: T::AccountId,
			/// Why.
			reason: RejectReason,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No approved capture client has this id.
		UnknownClient,
		/// A client with this id is already approved.
		ClientExists,
		/// The capture client's signature over the upload digest is not valid.
		BadClientSignature,
		/// The user's signature over the upload digest is not valid for the submitting account.
		BadUserSignature,
		/// The envelope is larger than `MaxEnvelopeBytes`.
		EnvelopeTooLarge,
		/// The envelope bytes do not decode.
		MalformedEnvelope,
		/// More scope kinds than `MaxScopes`, none, or one twice.
		BadScopes,
		/// The account already has an open request.
		RequestOpen,
		/// The account uploaded less than `UploadCooldown` blocks ago.
		TooSoon,
		/// Too many requests already time out in the block this one would.
		DeadlineFull,
		/// No request with this id is open.
		RequestNotOpen,
		/// The caller is not in the request's committee.
		NotCommitteeMember,
		/// The member already committed to this request.
		AlreadyCommitted,
		/// The member has not committed to this request.
		NoCommit,
		/// The member already revealed.
		AlreadyRevealed,
		/// Reveals open once every member committed or the commit phase is over.
		RevealTooEarly,
		/// The revealed vote does not match the commitment.
		CommitMismatch,
		/// The vote names another model set than the active one (or none is active).
		WrongModelSet,
		/// A score above 100.
		BadScore,
		/// No identity committee exists to score an upload.
		NoCommittee,
		/// The envelope is not sealed to exactly the current committee's keys.
		WrongRecipients,
		/// Committee keys are published for the current or the next session only.
		WrongSession,
		/// The caller is not a validator with a VEID key in that session.
		NotSessionMember,
		/// The member already published its key for that session.
		KeyPublished,
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
		KeyNotProven,
	}

	/// What a reveal does ([`Pallet::check_reveal`]): a vote on an open request, or a late one on
	/// a request already decided.
	pub(crate) enum Revealing<T: Config> {
		Open(Request<T>, BoundedVec<Member<T::AccountId>, T::MaxCommittee>),
		Late {
			agreed: Vote,
			deadline: BlockNumberFor<T>,
			committee: BoundedVec<Member<T::AccountId>, T::MaxCommittee>,
		},
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Deadlines::<T>::take(now);
			let n = due.len() as u32;
			for request in due {
				Self::time_out(request);
			}
			// Closing a request now also reads whether each member committed (a member that
			// did may reveal a decided request late): the benchmarked weight predates that.
			T::WeightInfo::on_initialize(n).saturating_add(
				T::DbWeight::get().reads(u64::from(n.saturating_mul(T::MaxCommittee::get()))),
			)
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::run_offchain_worker(now);
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Approves a capture client.
		///
		/// Origin: `AdminOrigin`. Emits [`Event::ClientRegistered`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_client())]
		pub fn register_client(
			origin: OriginFor<T>,
			id: ClientId,
			key: ClientKey,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(!CaptureClients::<T>::contains_key(id), Error::<T>::ClientExists);
			CaptureClients::<T>::insert(id, key);
			Self::deposit_event(Event::ClientRegistered { id });
			Ok(())
		}

		/// Removes a capture client; uploads it signed earlier stay valid.
		///
		/// Origin: `AdminOrigin`. Emits [`Event::ClientRemoved`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_client())]
		pub fn remove_client(origin: OriginFor<T>, id: ClientId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(CaptureClients::<T>::take(id).is_some(), Error::<T>::UnknownClient);
			Self::deposit_event(Event::ClientRemoved { id });
			Ok(())
		}

		/// Uploads identity scopes sealed to the committee, signed by an approved capture client
		/// and by the caller over the upload digest. Holds a deposit for every stored byte.
		///
		/// Origin: signed. Emits [`Event::ScopesUploaded`].
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
			// Cheap checks first.
			ensure!(
				envelope.len() <= T::MaxEnvelopeBytes::get() as usize,
				Error::<T>::EnvelopeTooLarge
			);
			ensure!(!scopes.is_empty(), Error::<T>::BadScopes);
			let mut sorted = scopes.clone().into_inner();
			sorted.sort();
			sorted.dedup();
			ensure!(sorted.len() == scopes.len(), Error::<T>::BadScopes);
			let now = frame_system::Pallet::<T>::block_number();
			let identity = Identities::<T>::get(&who);
			if let Some(identity) = &identity {
				ensure!(identity.request.is_none(), Error::<T>::RequestOpen);
				ensure!(
					now >= identity.last_upload.saturating_add(T::UploadCooldown::get()),
					Error::<T>::TooSoon
				);
			}
			let key = CaptureClients::<T>::get(client).ok_or(Error::<T>::UnknownClient)?;

			// Then the signatures over the digest.
			let envelope_hash = sp_io::hashing::blake2_256(&envelope);
			let digest = upload_digest(
				&Self::genesis(),
				&who,
				&scopes,
				&salt,
				&name_commitment,
				&birth_date_commitment,
				&envelope_hash,
			);
			ensure!(key.verify(&digest, &client_signature), Error::<T>::BadClientSignature);
			// The user signs the digest as a wallet signs raw bytes (`<Bytes>…</Bytes>`).
			ensure!(
				user_signature.verify(&user_message(&digest)[..], &who),
				Error::<T>::BadUserSignature
			);

			// Then the envelope itself: sound, and sealed to exactly the current committee.
			let decoded =
				Envelope::decode(&mut &envelope[..]).map_err(|_| Error::<T>::MalformedEnvelope)?;
			let limits = virtengine_envelope::Limits {
				max_ciphertext: T::MaxEnvelopeBytes::get(),
				max_recipients: T::MaxCommittee::get(),
				..virtengine_envelope::Limits::DEFAULT
			};
			virtengine_envelope::verify_structure(&decoded, &limits)
				.map_err(|_| Error::<T>::MalformedEnvelope)?;
			let committee = Committee::<T>::get();
			ensure!(!committee.is_empty(), Error::<T>::NoCommittee);
			// The session's size bounds the minimum: a dev chain with one collator works.
			let session_size = Members::<T>::decode_len().unwrap_or(0) as u32;
			ensure!(
				committee.len() as u32 >= T::MinCommittee::get().min(session_size),
				Error::<T>::CommitteeTooSmall
			);
			let sealed_to_committee = decoded.recipients.len() == committee.len()
				&& committee.iter().all(|m| {
					let id = virtengine_envelope::key_id(&m.key);
					decoded.recipient_ids().any(|r| *r == id)
				});
			ensure!(sealed_to_committee, Error::<T>::WrongRecipients);

			let envelope: BoundedVec<u8, T::MaxEnvelopeBytes> =
				envelope.try_into().map_err(|_| Error::<T>::EnvelopeTooLarge)?;
			let request_id = NextRequestId::<T>::get();
			let deadline = now.saturating_add(T::RequestTimeout::get());
			Deadlines::<T>::try_mutate(deadline, |due| due.try_push(request_id))
				.map_err(|_| Error::<T>::DeadlineFull)?;
			let today = (T::Time::now().as_secs() / 86_400) as u32;
			let envelope_len = envelope.len() as u32;
			let mut request = Request::<T> {
				account: who.clone(),
				client,
				scopes,
				salt,
				name_commitment,
				birth_date_commitment,
				envelope_hash,
				envelope_len,
				deposit: Default::default(),
				submitted_at: now,
				deadline,
				today,
			};
			// The request, its envelope, and the uniqueness index entries a verification keeps.
			let bytes = (request.encoded_size() as u32)
				.saturating_add(envelope.encoded_size() as u32)
				.saturating_add(Self::index_bytes(&who));
			let deposit = T::DepositPerByte::get().saturating_mul(bytes.into());
			T::Currency::hold(&HoldReason::UploadDeposit.into(), &who, deposit)?;
			request.deposit = deposit;
			Requests::<T>::insert(request_id, request);
			Envelopes::<T>::insert(request_id, envelope);
			RequestCommittee::<T>::insert(request_id, committee);
			NextRequestId::<T>::put(request_id.saturating_add(1));
			Identities::<T>::insert(
				&who,
				Identity::<T> {
					status: Status::Pending,
					request: Some(request_id),
					last_upload: now,
					reject_reason: None,
					expires_at: None,
				},
			);
			Self::deposit_event(Event::ScopesUploaded {
				request: request_id,
				account: who,
				deposit,
			});
			Ok(())
		}

		/// Sets the model set votes must name.
		///
		/// Origin: `AdminOrigin`. Emits [`Event::ModelSetChanged`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_model_set())]
		pub fn set_model_set(origin: OriginFor<T>, model_set: [u8; 32]) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ActiveModelSet::<T>::put(model_set);
			Self::deposit_event(Event::ModelSetChanged { model_set });
			Ok(())
		}

		/// Commits `member` to a vote: `vote_commitment(request, member, vote, salt)`.
		///
		/// Origin: authorized by [`Pallet::authorize_commit`] (the member's VEID signature over
		/// `commit_payload`). Emits [`Event::VoteCommitted`].
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
			let _ = signature;
			let _ = Self::check_commit(request, &member).map_err(Error::<T>::from)?;
			Commits::<T>::insert(request, &member, commitment);
			Self::deposit_event(Event::VoteCommitted { request, member });
			Ok(())
		}

		/// Reveals `member`'s committed vote; when a quorum of the request's committee revealed
		/// the same vote the request is decided.
		///
		/// Origin: authorized by [`Pallet::authorize_reveal`]. Emits [`Event::VoteRevealed`]
		/// and, on quorum, [`Event::IdentityScored`].
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
			let _ = signature;
			let revealing =
				Self::check_reveal(request, &member, &vote, &salt).map_err(Error::<T>::from)?;
			Self::deposit_event(Event::VoteRevealed {
				request,
				member: member.clone(),
				score: vote.score,
			});
			match revealing {
				Revealing::Open(open, committee) => {
					Reveals::<T>::insert(request, &member, vote);
					// A vote made with another model set is kept (and compared with the result
					// when there is one) but never counts towards a decision.
					if ActiveModelSet::<T>::get() != Some(vote.model_set) {
						return Ok(());
					}
					let agreeing = committee
						.iter()
						.filter(|m| Reveals::<T>::get(request, &m.account) == Some(vote))
						.count() as u32;
					if agreeing >= virtengine_veid_primitives::quorum(committee.len() as u32) {
						Self::decide(request, open, vote);
					}
				},
				Revealing::Late { agreed, committee, .. } => {
					Commits::<T>::remove(request, &member);
					Self::compare(&member, &vote, &agreed);
					if !committee.iter().any(|m| Commits::<T>::contains_key(request, &m.account)) {
						Decided::<T>::remove(request);
						RequestCommittee::<T>::remove(request);
					}
				},
			}
			Ok(())
		}

		/// Publishes `member`'s X25519 committee key for `session` (the current or the next), with
		/// the proof that the member holds it (`proof`: the key's ed25519 form and its signature).
		///
		/// Origin: authorized by [`Pallet::authorize_publish_committee_key`]. Emits
		/// [`Event::CommitteeKeyPublished`].
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
			let _ = (proof, signature);
			Self::check_key(session, &member, &key).map_err(Error::<T>::from)?;
			CommitteeKeys::<T>::insert(session, &member, key);
			CommitteeKeyOwners::<T>::insert(session, key, &member);
			if session == Session::<T>::get() {
				Self::rebuild_committee();
			}
			Self::deposit_event(Event::CommitteeKeyPublished { session, member, key });
			Ok(())
		}
	}

	/// Validation of the members' authorized calls: state checks first, the signature last.
	impl<T: Config> Pallet<T> {
		pub(crate) fn genesis() -> T::Hash {
			frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
		}

		fn valid(
			prefix: &'static str,
			tag: impl Encode,
			longevity: u64,
		) -> TransactionValidityWithRefund {
			ValidTransaction::with_tag_prefix(prefix)
				.priority(T::VotePriority::get())
				.and_provides(tag)
				.longevity(longevity.max(1))
				.propagate(true)
				.build()
				.map(|valid| (valid, Weight::zero()))
		}

		fn blocks_until(deadline: BlockNumberFor<T>) -> u64 {
			let now = frame_system::Pallet::<T>::block_number();
			TryInto::<u64>::try_into(deadline.saturating_sub(now)).unwrap_or(u64::MAX)
		}

		/// The member of an open request's committee and the end of its commit phase, if
		/// `member` is one, has not committed, and the commit phase is not over. Once it is,
		/// reveals may be in blocks, and a late commit could copy them.
		fn check_commit(
			request: u64,
			member: &T::AccountId,
		) -> Result<(MemberId, BlockNumberFor<T>), Refused> {
			let open = Requests::<T>::get(request).ok_or(Refused::RequestNotOpen)?;
			let id = RequestCommittee::<T>::get(request)
				.into_iter()
				.find(|m| m.account == *member)
				.map(|m| m.id)
				.ok_or(Refused::NotCommitteeMember)?;
			ensure!(!Commits::<T>::contains_key(request, member), Refused::AlreadyCommitted);
			let phase_end = open.submitted_at.saturating_add(T::CommitBlocks::get());
			ensure!(
				frame_system::Pallet::<T>::block_number() < phase_end,
				Refused::CommitPhaseOver
			);
			Ok((id, phase_end))
		}

		/// What revealing `vote` as `member` does now, if it may: a vote on an open request, or a
		/// late one on a request decided before the member revealed.
		fn check_reveal(
			request: u64,
			member: &T::AccountId,
			vote: &Vote,
			salt: &[u8; 32],
		) -> Result<Revealing<T>, Refused> {
			let open = Requests::<T>::get(request);
			let decided = if open.is_none() { Decided::<T>::get(request) } else { None };
			ensure!(open.is_some() || decided.is_some(), Refused::RequestNotOpen);
			ensure!(vote.score <= 100, Refused::BadScore);
			let commitment = Commits::<T>::get(request, member).ok_or(Refused::NoCommit)?;
			ensure!(!Reveals::<T>::contains_key(request, member), Refused::AlreadyRevealed);
			let committee = RequestCommittee::<T>::get(request);
			let revealing = match (open, decided) {
				(Some(open), _) => {
					let now = frame_system::Pallet::<T>::block_number();
					let all_committed =
						committee.iter().all(|m| Commits::<T>::contains_key(request, &m.account));
					ensure!(
						all_committed
							|| now >= open.submitted_at.saturating_add(T::CommitBlocks::get()),
						Refused::RevealTooEarly
					);
					Revealing::Open(open, committee)
				},
				(None, Some((agreed, deadline))) => Revealing::Late { agreed, deadline, committee },
				(None, None) => return Err(Refused::RequestNotOpen),
			};
			ensure!(
				vote_commitment(request, member, vote, salt) == commitment,
				Refused::CommitMismatch
			);
			Ok(revealing)
		}

		/// The weight of [`Pallet::reveal`]: the benchmarked deciding reveal of a full committee,
		/// plus what closing a decided request now does besides (the benchmark predates it):
		/// reading whether each member committed, and writing [`Decided`] for late reveals.
		pub(crate) fn reveal_weight() -> Weight {
			let c = T::MaxCommittee::get();
			T::WeightInfo::reveal(c)
				.saturating_add(T::DbWeight::get().reads_writes(u64::from(c), 1))
		}

		/// The member's VEID key, if it may publish `key` for `session`.
		fn check_key(
			session: u32,
			member: &T::AccountId,
			key: &[u8; 32],
		) -> Result<MemberId, Refused> {
			let current = Session::<T>::get();
			let members = if session == current {
				Members::<T>::get()
			} else if session == current.saturating_add(1) {
				NextMembers::<T>::get()
			} else {
				return Err(Refused::WrongSession);
			};
			let id = members
				.into_iter()
				.find(|(account, _)| account == member)
				.map(|(_, id)| id)
				.ok_or(Refused::NotSessionMember)?;
			ensure!(!CommitteeKeys::<T>::contains_key(session, member), Refused::KeyPublished);
			// Two members with one key make every upload unsealable (an envelope names each
			// recipient key once): a copied key is refused.
			ensure!(!CommitteeKeyOwners::<T>::contains_key(session, key), Refused::KeyInUse);
			ensure!(!virtengine_envelope::is_small_order(key), Refused::WeakKey);
			Ok(id)
		}

		/// Authorizes [`Pallet::commit`].
		pub fn authorize_commit(
			_source: TransactionSource,
			request: &u64,
			member: &T::AccountId,
			commitment: &[u8; 32],
			signature: &MemberSignature,
		) -> TransactionValidityWithRefund {
			let (id, phase_end) = Self::check_commit(*request, member)?;
			let payload = commit_payload(&Self::genesis(), *request, member, commitment);
			if !id.verify(&payload, signature) {
				return Err(InvalidTransaction::BadProof.into());
			}
			// Useless once the commit phase is over.
			Self::valid("VeidCommit", (request, member), Self::blocks_until(phase_end))
		}

		/// Authorizes [`Pallet::reveal`].
		pub fn authorize_reveal(
			_source: TransactionSource,
			request: &u64,
			member: &T::AccountId,
			vote: &Vote,
			salt: &[u8; 32],
			signature: &MemberSignature,
		) -> TransactionValidityWithRefund {
			let (committee, deadline) = match Self::check_reveal(*request, member, vote, salt)? {
				Revealing::Open(open, committee) => (committee, open.deadline),
				Revealing::Late { deadline, committee, .. } => (committee, deadline),
			};
			let id = committee
				.iter()
				.find(|m| m.account == *member)
				.map(|m| m.id.clone())
				.ok_or(InvalidTransaction::BadSigner)?;
			let payload = reveal_payload(&Self::genesis(), *request, member, vote, salt);
			if !id.verify(&payload, signature) {
				return Err(InvalidTransaction::BadProof.into());
			}
			Self::valid("VeidReveal", (request, member), Self::blocks_until(deadline))
		}

		/// Authorizes [`Pallet::publish_committee_key`].
		pub fn authorize_publish_committee_key(
			_source: TransactionSource,
			session: &u32,
			member: &T::AccountId,
			key: &[u8; 32],
			proof: &KeyProof,
			signature: &MemberSignature,
		) -> TransactionValidityWithRefund {
			let id = Self::check_key(*session, member, key)?;
			let genesis = Self::genesis();
			let payload = key_payload(&genesis, *session, member, key);
			if !id.verify(&payload, signature) {
				return Err(InvalidTransaction::BadProof.into());
			}
			// Possession of the key itself: without it a member could claim another's key (seen
			// in the pool) before its owner, and lock the owner out of the committee.
			if !verify_key_proof(&genesis, *session, member, key, proof) {
				return Err(Refused::KeyNotProven.into());
			}
			// Valid until the session changes; sessions are longer than this.
			Self::valid("VeidKey", (session, member), 64)
		}

		/// Recomputes [`Committee`]: the session's members with a key for it, in order.
		pub(crate) fn rebuild_committee() {
			let session = Session::<T>::get();
			let committee: Vec<_> = Members::<T>::get()
				.into_iter()
				.filter_map(|(account, id)| {
					CommitteeKeys::<T>::get(session, &account).map(|key| Member {
						account,
						id,
						key,
					})
				})
				.collect();
			Committee::<T>::put(BoundedVec::truncate_from(committee));
		}
	}

	#[pallet::view_functions]
	impl<T: Config> Pallet<T> {
		/// An account's status (expiry applied), its tier if verified, and its last result.
		pub fn identity_of(
			who: T::AccountId,
		) -> (Option<Status>, Option<super::Tier>, Option<IdentityResult>) {
			(Self::status(&who), Self::tier(&who), Results::<T>::get(&who))
		}

		/// Open requests with ids in `from..from + limit` (at most 100 looked at), with their
		/// accounts and committees: what committee members' workers score.
		pub fn pending_requests(
			from: u64,
			limit: u32,
		) -> Vec<(u64, T::AccountId, Vec<T::AccountId>)> {
			let end = from.saturating_add(u64::from(limit.min(100))).min(NextRequestId::<T>::get());
			(from..end)
				.filter_map(|id| {
					Requests::<T>::get(id).map(|r| {
						let committee = RequestCommittee::<T>::get(id);
						(id, r.account, committee.into_iter().map(|m| m.account).collect())
					})
				})
				.collect()
		}
	}

	impl<T: Config> Pallet<T> {
		/// Records the agreed result, counts evidence against members who disagreed or did not
		/// reveal, drops the envelope and the votes, and returns the deposit (but for the
		/// uniqueness index entry a verification keeps). A verification whose feature digest
		/// already verified another account is rejected with `DuplicateIdentity` instead.
		fn decide(request_id: u64, request: Request<T>, vote: Vote) {
			let Vote { score, reasons, digest, model_set } = vote;
			let tier = super::Tier::of(score).unwrap_or(super::Tier::Rejected);
			let verified = tier != super::Tier::Rejected;
			if verified {
				if let Some(owner) = IdentityDigests::<T>::get(digest) {
					if owner != request.account {
						Self::close(request_id, &request, Some(vote), Zero::zero());
						Self::reject_request(
							request_id,
							request.account,
							RejectReason::DuplicateIdentity,
						);
						return;
					}
				}
			}
			let kept = if verified { Self::index_identity(&request, digest) } else { Zero::zero() };
			Self::close(request_id, &request, Some(vote), kept);
			let result =
				IdentityResult { score, tier, reasons, digest, model_set, request: request_id };
			Results::<T>::insert(&request.account, result);
			let now = frame_system::Pallet::<T>::block_number();
			Identities::<T>::mutate(&request.account, |identity| {
				if let Some(identity) = identity {
					identity.status = if verified { Status::Verified } else { Status::Rejected };
					identity.request = None;
					identity.reject_reason = None;
					identity.expires_at =
						verified.then(|| now.saturating_add(T::ValidityPeriod::get()));
				}
			});
			Self::deposit_event(Event::IdentityScored {
				request: request_id,
				account: request.account,
				result,
			});
		}

		/// Bytes the uniqueness index keeps for `who`: both entries, keys and values.
		fn index_bytes(who: &T::AccountId) -> u32 {
			let digest = 32u32;
			let account = who.encoded_size() as u32;
			let balance = BalanceOf::<T>::max_encoded_len() as u32;
			// IdentityDigests: digest → account; IdentityDigestOf: account → (digest, deposit).
			digest
				.saturating_add(account)
				.saturating_mul(2)
				.saturating_add(digest)
				.saturating_add(balance)
		}

		/// Indexes `digest` as the request's account's identity, replacing the account's earlier
		/// entry (whose deposit is released), and moves the index's share of the request's
		/// deposit to the `IdentityIndex` hold. Returns that share.
		fn index_identity(request: &Request<T>, digest: [u8; 32]) -> BalanceOf<T> {
			let who = &request.account;
			if let Some((old, held)) = IdentityDigestOf::<T>::take(who) {
				IdentityDigests::<T>::remove(old);
				let _ = T::Currency::release(
					&HoldReason::IdentityIndex.into(),
					who,
					held,
					Precision::BestEffort,
				);
			}
			let share = T::DepositPerByte::get()
				.saturating_mul(Self::index_bytes(who).into())
				.min(request.deposit);
			// The share is already held (as part of the upload deposit): move it between reasons.
			let moved = T::Currency::release(
				&HoldReason::UploadDeposit.into(),
				who,
				share,
				Precision::Exact,
			)
			.and_then(|_| T::Currency::hold(&HoldReason::IdentityIndex.into(), who, share));
			let share = if moved.is_ok() { share } else { Zero::zero() };
			IdentityDigests::<T>::insert(digest, who);
			IdentityDigestOf::<T>::insert(who, (digest, share));
			share
		}

		/// Ends a request, decided (`agreed`) or not: drops it, its envelope and its revealed
		/// votes, counts evidence against members who revealed something other than the agreed
		/// vote or never committed, and returns the deposit but `kept` (already moved to another
		/// hold). Members that committed and have not revealed yet may still reveal a decided
		/// request until its deadline ([`Decided`]); on an undecided one (timed out) they count
		/// as never revealed. A member that revealed it could not read the envelope is not
		/// counted: only the uploader can make one member's wrapped key unreadable and not
		/// another's.
		fn close(request_id: u64, request: &Request<T>, agreed: Option<Vote>, kept: BalanceOf<T>) {
			let mut waiting = false;
			for Member { account: member, .. } in RequestCommittee::<T>::get(request_id) {
				let committed = Commits::<T>::contains_key(request_id, &member);
				match (Reveals::<T>::take(request_id, &member), agreed) {
					(Some(vote), Some(agreed)) => Self::compare(&member, &vote, &agreed),
					(Some(_), None) => {},
					(None, Some(_)) if committed => {
						waiting = true;
						continue;
					},
					(None, _) => Self::never_revealed(&member),
				}
				Commits::<T>::remove(request_id, &member);
			}
			match (waiting, agreed) {
				(true, Some(agreed)) => {
					Decided::<T>::insert(request_id, (agreed, request.deadline))
				},
				_ => RequestCommittee::<T>::remove(request_id),
			}
			Requests::<T>::remove(request_id);
			Envelopes::<T>::remove(request_id);
			let _ = T::Currency::release(
				&HoldReason::UploadDeposit.into(),
				&request.account,
				request.deposit.saturating_sub(kept),
				Precision::BestEffort,
			);
		}

		/// Counts a revealed vote against the agreed one: a different vote (or one made with
		/// another model set) is evidence, but for a member the uploader made unable to read.
		fn compare(member: &T::AccountId, vote: &Vote, agreed: &Vote) {
			if vote != agreed && vote.reasons & UNREADABLE_FOR_MEMBER == 0 {
				Evidence::<T>::mutate(member, |e| e.0 = e.0.saturating_add(1));
			}
		}

		fn never_revealed(member: &T::AccountId) {
			Evidence::<T>::mutate(member, |e| e.1 = e.1.saturating_add(1));
		}

		/// Marks the account's request rejected without a score.
		fn reject_request(request_id: u64, account: T::AccountId, reason: RejectReason) {
			Identities::<T>::mutate(&account, |identity| {
				if let Some(identity) = identity {
					identity.status = Status::Rejected;
					identity.request = None;
					identity.reject_reason = Some(reason);
				}
			});
			Self::deposit_event(Event::RequestRejected { request: request_id, account, reason });
		}

		/// At a request's deadline: rejects it with `TIMEOUT` if it is still open (its envelope
		/// dropped, its deposit returned), or ends the late reveals of a decided one.
		fn time_out(request_id: u64) {
			if let Some(request) = Requests::<T>::get(request_id) {
				Self::close(request_id, &request, None, Zero::zero());
				Self::reject_request(request_id, request.account, RejectReason::Timeout);
			} else if Decided::<T>::take(request_id).is_some() {
				// Decided earlier; members that committed and never revealed since.
				for Member { account: member, .. } in RequestCommittee::<T>::take(request_id) {
					if Commits::<T>::take(request_id, &member).is_some() {
						Self::never_revealed(&member);
					}
				}
			}
		}

		/// The status of an account's identity (`None`: never uploaded). Expiry is lazy: a
		/// verified identity reads as `Expired` from its expiry block on, with no per-block work.
		pub fn status(who: &T::AccountId) -> Option<Status> {
			let identity = Identities::<T>::get(who)?;
			let now = frame_system::Pallet::<T>::block_number();
			Some(match (identity.status, identity.expires_at) {
				(Status::Verified, Some(at)) if now >= at => Status::Expired,
				(status, _) => status,
			})
		}

		/// The tier other pallets gate on: `Some` only for a verified identity that has not
		/// expired.
		pub fn tier(who: &T::AccountId) -> Option<super::Tier> {
			match Self::status(who)? {
				Status::Verified => Results::<T>::get(who).map(|r| r.tier),
				_ => None,
			}
		}
	}
}
