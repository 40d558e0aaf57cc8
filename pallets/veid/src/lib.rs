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
//! Not yet: benchmarks (the pallet is not in the runtime yet) and the offchain worker that votes.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use virtengine_veid_primitives::{ScopeKind, Tier};
pub use weights::WeightInfo;

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
		},
	};
	use frame_system::pallet_prelude::*;
	use scale_info::TypeInfo;
	use sp_runtime::{
		app_crypto::{ed25519, sr25519},
		traits::{IdentifyAccount, Saturating, Verify},
	};
	use virtengine_envelope::Envelope;
	use virtengine_veid_primitives::{upload_digest, ScopeKind};

	use super::{ClientId, WeightInfo};

	/// The balance type of the deposit currency.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// Checks that an envelope may be stored: sound structure, every recipient an active key
	/// (the runtime implements it with the encryption pallet).
	pub trait EnvelopeCheck {
		/// `Ok` if the envelope is acceptable.
		fn check(envelope: &Envelope) -> Result<(), DispatchError>;
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
		/// The sealed bundle (SCALE-encoded envelope).
		pub envelope: BoundedVec<u8, T::MaxEnvelopeBytes>,
		/// The deposit held for it.
		pub deposit: BalanceOf<T>,
		/// When it was uploaded.
		pub submitted_at: BlockNumberFor<T>,
		/// When it times out.
		pub deadline: BlockNumberFor<T>,
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
	pub trait Config: frame_system::Config {
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
		/// Checks envelopes before they are stored.
		type Envelopes: EnvelopeCheck;
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
		/// The identity committee: who scores new requests (a snapshot is taken per request, so a
		/// committee change does not move an open request's quorum).
		type Committee: Committee<Self::AccountId>;
		/// Largest committee.
		#[pallet::constant]
		type MaxCommittee: Get<u32>;
		/// Blocks after an upload during which members commit; reveals are accepted once every
		/// member has committed or this phase is over.
		#[pallet::constant]
		type CommitBlocks: Get<BlockNumberFor<Self>>;
		/// Weights.
		type WeightInfo: WeightInfo;
	}

	/// The identity committee.
	pub trait Committee<AccountId> {
		/// The current members, at most `MaxCommittee` (more are ignored).
		fn members() -> Vec<AccountId>;
	}

	/// Reasons this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of an open upload.
		UploadDeposit,
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Approved capture clients.
	#[pallet::storage]
	pub type CaptureClients<T: Config> = StorageMap<_, Blake2_128Concat, ClientId, ClientKey>;

	/// Open requests by id.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageMap<_, Twox64Concat, u64, Request<T>>;

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
	pub type RequestCommittee<T: Config> =
		StorageMap<_, Twox64Concat, u64, BoundedVec<T::AccountId, T::MaxCommittee>, ValueQuery>;

	/// Commitments: (request, member) → hash of (score, digest, model set, salt).
	#[pallet::storage]
	pub type Commits<T: Config> =
		StorageDoubleMap<_, Twox64Concat, u64, Blake2_128Concat, T::AccountId, [u8; 32]>;

	/// Revealed votes: (request, member) → (score, feature digest, model set).
	#[pallet::storage]
	pub type Reveals<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		u64,
		Blake2_128Concat,
		T::AccountId,
		(u8, [u8; 32], [u8; 32]),
	>;

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
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let due = Deadlines::<T>::take(now);
			let n = due.len() as u32;
			for request in due {
				Self::time_out(request);
			}
			T::WeightInfo::on_initialize(n)
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
		#[allow(clippy::too_many_arguments)]
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
				&who,
				&scopes,
				&salt,
				&name_commitment,
				&birth_date_commitment,
				&envelope_hash,
			);
			ensure!(key.verify(&digest, &client_signature), Error::<T>::BadClientSignature);
			ensure!(user_signature.verify(&digest[..], &who), Error::<T>::BadUserSignature);

			// Then the envelope itself.
			let decoded =
				Envelope::decode(&mut &envelope[..]).map_err(|_| Error::<T>::MalformedEnvelope)?;
			T::Envelopes::check(&decoded)?;

			let envelope: BoundedVec<u8, T::MaxEnvelopeBytes> =
				envelope.try_into().map_err(|_| Error::<T>::EnvelopeTooLarge)?;
			let committee: BoundedVec<T::AccountId, T::MaxCommittee> =
				BoundedVec::truncate_from(T::Committee::members());
			ensure!(!committee.is_empty(), Error::<T>::NoCommittee);
			let request_id = NextRequestId::<T>::get();
			let deadline = now.saturating_add(T::RequestTimeout::get());
			Deadlines::<T>::try_mutate(deadline, |due| due.try_push(request_id))
				.map_err(|_| Error::<T>::DeadlineFull)?;
			let mut request = Request::<T> {
				account: who.clone(),
				client,
				scopes,
				salt,
				name_commitment,
				birth_date_commitment,
				envelope,
				deposit: Default::default(),
				submitted_at: now,
				deadline,
			};
			let bytes = request.encoded_size() as u32;
			let deposit = T::DepositPerByte::get().saturating_mul(bytes.into());
			T::Currency::hold(&HoldReason::UploadDeposit.into(), &who, deposit)?;
			request.deposit = deposit;
			Requests::<T>::insert(request_id, request);
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

		/// Commits to a vote: `vote_commitment(request, member, score, digest, model_set, salt)`.
		///
		/// Origin: signed, a member of the request's committee. Emits [`Event::VoteCommitted`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::commit())]
		pub fn commit(origin: OriginFor<T>, request: u64, commitment: [u8; 32]) -> DispatchResult {
			let member = ensure_signed(origin)?;
			ensure!(Requests::<T>::contains_key(request), Error::<T>::RequestNotOpen);
			ensure!(
				RequestCommittee::<T>::get(request).contains(&member),
				Error::<T>::NotCommitteeMember
			);
			ensure!(!Commits::<T>::contains_key(request, &member), Error::<T>::AlreadyCommitted);
			Commits::<T>::insert(request, &member, commitment);
			Self::deposit_event(Event::VoteCommitted { request, member });
			Ok(())
		}

		/// Reveals a committed vote; when a quorum of the request's committee revealed the same
		/// (score, digest, model set) the request is decided.
		///
		/// Origin: signed, a member that committed. Emits [`Event::VoteRevealed`] and, on quorum,
		/// [`Event::IdentityScored`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::reveal(T::MaxCommittee::get()))]
		pub fn reveal(
			origin: OriginFor<T>,
			request: u64,
			score: u8,
			digest: [u8; 32],
			model_set: [u8; 32],
			salt: [u8; 32],
		) -> DispatchResult {
			let member = ensure_signed(origin)?;
			let open = Requests::<T>::get(request).ok_or(Error::<T>::RequestNotOpen)?;
			ensure!(score <= 100, Error::<T>::BadScore);
			ensure!(ActiveModelSet::<T>::get() == Some(model_set), Error::<T>::WrongModelSet);
			let commitment = Commits::<T>::get(request, &member).ok_or(Error::<T>::NoCommit)?;
			ensure!(!Reveals::<T>::contains_key(request, &member), Error::<T>::AlreadyRevealed);
			let committee = RequestCommittee::<T>::get(request);
			let now = frame_system::Pallet::<T>::block_number();
			let all_committed = committee.iter().all(|m| Commits::<T>::contains_key(request, m));
			ensure!(
				all_committed || now >= open.submitted_at.saturating_add(T::CommitBlocks::get()),
				Error::<T>::RevealTooEarly
			);
			let expected = virtengine_veid_primitives::vote_commitment(
				request, &member, score, &digest, &model_set, &salt,
			);
			ensure!(expected == commitment, Error::<T>::CommitMismatch);
			Reveals::<T>::insert(request, &member, (score, digest, model_set));
			Self::deposit_event(Event::VoteRevealed { request, member, score });

			let vote = (score, digest, model_set);
			let agreeing =
				committee.iter().filter(|m| Reveals::<T>::get(request, *m) == Some(vote)).count()
					as u32;
			if agreeing >= virtengine_veid_primitives::quorum(committee.len() as u32) {
				Self::decide(request, open, vote);
			}
			Ok(())
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
					Requests::<T>::get(id)
						.map(|r| (id, r.account, RequestCommittee::<T>::get(id).into_inner()))
				})
				.collect()
		}
	}

	impl<T: Config> Pallet<T> {
		/// Records the agreed result, counts evidence against members who disagreed or did not
		/// reveal, drops the envelope and the votes, and returns the deposit.
		fn decide(
			request_id: u64,
			request: Request<T>,
			(score, digest, model_set): (u8, [u8; 32], [u8; 32]),
		) {
			let tier = super::Tier::of(score).unwrap_or(super::Tier::Rejected);
			Self::close(request_id, &request, Some((score, digest, model_set)));
			let result = IdentityResult { score, tier, digest, model_set, request: request_id };
			Results::<T>::insert(&request.account, result);
			let now = frame_system::Pallet::<T>::block_number();
			Identities::<T>::mutate(&request.account, |identity| {
				if let Some(identity) = identity {
					let verified = tier != super::Tier::Rejected;
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

		/// Ends a request, decided (`agreed`) or not: drops it, its committee and its votes,
		/// counts evidence against members who never revealed or revealed something other than
		/// the agreed vote, and returns the deposit.
		fn close(request_id: u64, request: &Request<T>, agreed: Option<(u8, [u8; 32], [u8; 32])>) {
			for member in RequestCommittee::<T>::take(request_id) {
				match (Reveals::<T>::take(request_id, &member), agreed) {
					(None, _) => Evidence::<T>::mutate(&member, |e| e.1 = e.1.saturating_add(1)),
					(Some(vote), Some(agreed)) if vote != agreed => {
						Evidence::<T>::mutate(&member, |e| e.0 = e.0.saturating_add(1))
					},
					_ => {},
				}
				Commits::<T>::remove(request_id, &member);
			}
			Requests::<T>::remove(request_id);
			let _ = T::Currency::release(
				&HoldReason::UploadDeposit.into(),
				&request.account,
				request.deposit,
				Precision::BestEffort,
			);
		}

		/// Rejects a request that is still open with `TIMEOUT`, drops its envelope and returns
		/// its deposit.
		fn time_out(request_id: u64) {
			let Some(request) = Requests::<T>::get(request_id) else { return };
			Self::close(request_id, &request, None);
			Identities::<T>::mutate(&request.account, |identity| {
				if let Some(identity) = identity {
					identity.status = Status::Rejected;
					identity.request = None;
					identity.reject_reason = Some(RejectReason::Timeout);
				}
			});
			Self::deposit_event(Event::RequestRejected {
				request: request_id,
				account: request.account,
				reason: RejectReason::Timeout,
			});
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
