//! The pallet's logic, called by the thin dispatchables and hooks in `lib.rs`: capture clients,
//! uploads, the committee's commit-reveal votes and their authorization, decisions, timeouts,
//! and the reads other pallets and the runtime API use ([`Pallet::status`], [`Pallet::tier`]).

use alloc::vec::Vec;

use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision, UnixTime},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	app_crypto::RuntimeAppPublic,
	traits::{Saturating, Verify, Zero},
	transaction_validity::TransactionValidityWithRefund,
};
use virtengine_envelope::Envelope;
use virtengine_veid_primitives::{
	commit_payload, key_payload, reveal_payload, upload_digest, user_message, verify_key_proof,
	vote_commitment, KeyProof, MemberId, MemberSignature, ScopeKind, Tier, Vote,
	UNREADABLE_FOR_MEMBER,
};

use crate::{
	pallet::{
		ActiveModelSet, BalanceOf, CaptureClients, Commits, Committee, CommitteeKeyOwners,
		CommitteeKeys, Config, Deadlines, Decided, Envelopes, Error, Event, Evidence, HoldReason,
		Identities, IdentityDigestOf, IdentityDigests, Members, NextMembers, NextRequestId, Pallet,
		RequestCommittee, Requests, Results, Reveals, Session,
	},
	types::Revealing,
	ClientId, ClientKey, Identity, IdentityResult, Member, Refused, RejectReason, Request, Status,
	WeightInfo,
};

/// The calls and the hook.
impl<T: Config> Pallet<T> {
	/// Approves capture client `id` with signing key `key`.
	pub(crate) fn do_register_client(id: ClientId, key: ClientKey) -> DispatchResult {
		ensure!(!CaptureClients::<T>::contains_key(id), Error::<T>::ClientAlreadyExists);
		CaptureClients::<T>::insert(id, key);
		Self::deposit_event(Event::ClientRegistered { id });
		Ok(())
	}

	/// Removes capture client `id`.
	pub(crate) fn do_remove_client(id: ClientId) -> DispatchResult {
		ensure!(CaptureClients::<T>::take(id).is_some(), Error::<T>::ClientNotFound);
		Self::deposit_event(Event::ClientRemoved { id });
		Ok(())
	}

	/// Checks `who`'s upload (cheap checks first, then both signatures over the upload digest,
	/// then the envelope and the committee it is sealed to), holds its deposit and opens the
	/// request.
	pub(crate) fn do_upload_scopes(
		who: T::AccountId,
		client: ClientId,
		scopes: BoundedVec<ScopeKind, T::MaxScopes>,
		salt: [u8; 32],
		name_commitment: [u8; 32],
		birth_date_commitment: [u8; 32],
		envelope: Vec<u8>,
		client_signature: [u8; 64],
		user_signature: T::UserSignature,
	) -> DispatchResult {
		// Cheap checks first.
		ensure!(
			envelope.len() <= T::MaxEnvelopeBytes::get() as usize,
			Error::<T>::EnvelopeTooLarge
		);
		ensure!(!scopes.is_empty(), Error::<T>::InvalidScopes);
		let mut sorted = scopes.clone().into_inner();
		sorted.sort();
		sorted.dedup();
		ensure!(sorted.len() == scopes.len(), Error::<T>::InvalidScopes);
		let now = frame_system::Pallet::<T>::block_number();
		let identity = Identities::<T>::get(&who);
		if let Some(identity) = &identity {
			ensure!(identity.request.is_none(), Error::<T>::RequestAlreadyOpen);
			ensure!(
				now >= identity.last_upload.saturating_add(T::UploadCooldown::get()),
				Error::<T>::TooSoon
			);
		}
		let key = CaptureClients::<T>::get(client).ok_or(Error::<T>::ClientNotFound)?;

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
		ensure!(key.verify(&digest, &client_signature), Error::<T>::InvalidClientSignature);
		// The user signs the digest as a wallet signs raw bytes (`<Bytes>…</Bytes>`).
		ensure!(
			user_signature.verify(&user_message(&digest)[..], &who),
			Error::<T>::InvalidUserSignature
		);

		// Then the envelope itself: sound, and sealed to exactly the current committee.
		let decoded =
			Envelope::decode(&mut &envelope[..]).map_err(|_| Error::<T>::InvalidEnvelope)?;
		let limits = virtengine_envelope::Limits {
			max_ciphertext: T::MaxEnvelopeBytes::get(),
			max_recipients: T::MaxCommittee::get(),
			..virtengine_envelope::Limits::DEFAULT
		};
		virtengine_envelope::verify_structure(&decoded, &limits)
			.map_err(|_| Error::<T>::InvalidEnvelope)?;
		let committee = Committee::<T>::get();
		ensure!(!committee.is_empty(), Error::<T>::CommitteeNotFound);
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
			.map_err(|_| Error::<T>::TooManyDeadlines)?;
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
		Self::deposit_event(Event::ScopesUploaded { request: request_id, account: who, deposit });
		Ok(())
	}

	/// Sets the model set votes must name.
	pub(crate) fn do_set_model_set(model_set: [u8; 32]) -> DispatchResult {
		ActiveModelSet::<T>::put(model_set);
		Self::deposit_event(Event::ModelSetChanged { model_set });
		Ok(())
	}

	/// Records `member`'s commitment (its signature was checked by the authorization).
	pub(crate) fn do_commit(
		request: u64,
		member: T::AccountId,
		commitment: [u8; 32],
	) -> DispatchResult {
		let _ = Self::check_commit(request, &member).map_err(Error::<T>::from)?;
		Commits::<T>::insert(request, &member, commitment);
		Self::deposit_event(Event::VoteCommitted { request, member });
		Ok(())
	}

	/// Records `member`'s revealed vote and decides the request on quorum; a late reveal on a
	/// decided request is compared with the agreed vote.
	pub(crate) fn do_reveal(
		request: u64,
		member: T::AccountId,
		vote: Vote,
		salt: [u8; 32],
	) -> DispatchResult {
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

	/// Stores `member`'s committee key for `session` (its proof of possession and signature
	/// were checked by the authorization); a key for the current session joins the committee.
	pub(crate) fn do_publish_committee_key(
		session: u32,
		member: T::AccountId,
		key: [u8; 32],
	) -> DispatchResult {
		Self::check_key(session, &member, &key).map_err(Error::<T>::from)?;
		CommitteeKeys::<T>::insert(session, &member, key);
		CommitteeKeyOwners::<T>::insert(session, key, &member);
		if session == Session::<T>::get() {
			Self::rebuild_committee();
		}
		Self::deposit_event(Event::CommitteeKeyPublished { session, member, key });
		Ok(())
	}

	/// The `on_initialize` hook: times out the requests whose deadline is `now` (at most
	/// `MaxTimeoutsPerBlock`, the bound of [`Deadlines`]), and returns the weight used.
	pub(crate) fn time_out_due(now: BlockNumberFor<T>) -> Weight {
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

	/// Open requests with ids in `from..from + limit` (at most 100 looked at), with their
	/// accounts and committees (the view function `pending_requests`).
	pub(crate) fn do_pending_requests(
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
		ensure!(frame_system::Pallet::<T>::block_number() < phase_end, Refused::CommitPhaseOver);
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
		ensure!(vote.score <= 100, Refused::InvalidScore);
		let commitment = Commits::<T>::get(request, member).ok_or(Refused::CommitNotFound)?;
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
		T::WeightInfo::reveal(c).saturating_add(T::DbWeight::get().reads_writes(u64::from(c), 1))
	}

	/// The member's VEID key, if it may publish `key` for `session`.
	fn check_key(session: u32, member: &T::AccountId, key: &[u8; 32]) -> Result<MemberId, Refused> {
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
		ensure!(!CommitteeKeys::<T>::contains_key(session, member), Refused::KeyAlreadyPublished);
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
			return Err(Refused::InvalidKeyProof.into());
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
				CommitteeKeys::<T>::get(session, &account).map(|key| Member { account, id, key })
			})
			.collect();
		Committee::<T>::put(BoundedVec::truncate_from(committee));
	}
}

/// Decisions, timeouts and the identity reads.
impl<T: Config> Pallet<T> {
	/// Records the agreed result, counts evidence against members who disagreed or did not
	/// reveal, drops the envelope and the votes, and returns the deposit (but for the
	/// uniqueness index entry a verification keeps). A verification whose feature digest
	/// already verified another account is rejected with `DuplicateIdentity` instead.
	fn decide(request_id: u64, request: Request<T>, vote: Vote) {
		let Vote { score, reasons, digest, model_set } = vote;
		let tier = Tier::of(score).unwrap_or(Tier::Rejected);
		let verified = tier != Tier::Rejected;
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
		let moved =
			T::Currency::release(&HoldReason::UploadDeposit.into(), who, share, Precision::Exact)
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
			(true, Some(agreed)) => Decided::<T>::insert(request_id, (agreed, request.deadline)),
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
	pub fn tier(who: &T::AccountId) -> Option<Tier> {
		match Self::status(who)? {
			Status::Verified => Results::<T>::get(who).map(|r| r.tier),
			_ => None,
		}
	}
}
