//! The committee member's offchain worker.
//!
//! It runs on every imported block (the node's offchain-worker runner is fed by block-import
//! notifications) with this block's state, and for each VEID session key of the local keystore
//! that belongs to a member:
//!
//! 1. publishes the node's committee key for the current and the next session if the chain does
//!    not have it yet, and destroys the node's keys of sessions that ended;
//! 2. for every open request whose committee holds the member: scores it through the
//!    `virtengine-veid-host` host function (once: the vote and its salt are kept in the node's
//!    persistent offchain storage, and a lock keeps two overlapping runs from scoring the same
//!    request), commits, and reveals once the reveal phase is open. Requests another member
//!    already committed to go first: that is the re-verification of the imported commit.
//!
//! Everything it submits is an authorized transaction signed with the member's VEID key; the pool
//! deduplicates by tag, so re-submitting in every run until inclusion is harmless. Nothing here
//! is consensus: a node that fails to score simply does not vote.

use alloc::vec::Vec;
use codec::Encode;
use frame_support::traits::Get;
use frame_system::{
	offchain::{CreateAuthorizedTransaction, SubmitTransaction},
	pallet_prelude::BlockNumberFor,
};
use sp_runtime::{
	app_crypto::RuntimeAppPublic,
	offchain::{
		storage::StorageValueRef,
		storage_lock::{StorageLock, Time},
		Duration,
	},
	traits::Saturating,
};
use virtengine_veid_host::{veid_host, ScoreFailure, ScoreJob};
use virtengine_veid_primitives::{
	commit_payload, key_payload, key_proof_payload, reveal_payload, vote_commitment, MemberId, Vote,
};

use crate::{
	Call, Commits, CommitteeKeys, Config, Decided, Envelopes, Members, NextMembers, Pallet,
	RequestCommittee, Requests, Reveals, Session,
};

const LOG: &str = "runtime::veid";
/// Blocks before a failed scoring is tried again.
const RETRY_BLOCKS: u32 = 10;

fn vote_key(request: u64, member: &[u8]) -> Vec<u8> {
	let mut key = b"virtengine/veid/vote/".to_vec();
	(request, member).encode_to(&mut key);
	key
}

fn failure_key(request: u64, member: &[u8]) -> Vec<u8> {
	let mut key = b"virtengine/veid/failed/".to_vec();
	(request, member).encode_to(&mut key);
	key
}

impl<T: Config> Pallet<T> {
	/// The offchain worker's entry point.
	pub(crate) fn run_offchain_worker(now: BlockNumberFor<T>) {
		let local = MemberId::all();
		if local.is_empty() {
			return;
		}
		let session = Session::<T>::get();
		let mut member_here = false;
		for (s, set) in
			[(session, Members::<T>::get()), (session.saturating_add(1), NextMembers::<T>::get())]
		{
			for (account, id) in set.into_iter().filter(|(_, id)| local.contains(id)) {
				member_here = true;
				if !CommitteeKeys::<T>::contains_key(s, &account) {
					Self::publish_key(s, &account, &id);
				}
			}
		}
		if member_here {
			veid_host::retire_committee_keys(session.saturating_sub(1));
		}

		// Open requests this node is a member of, those others already committed to first.
		let mut work: Vec<(bool, u64, T::AccountId, MemberId)> = Vec::new();
		for (request, _) in Requests::<T>::iter() {
			let committee = RequestCommittee::<T>::get(request);
			for m in committee.iter().filter(|m| local.contains(&m.id)) {
				let others = committee.iter().any(|o| {
					o.account != m.account && Commits::<T>::contains_key(request, &o.account)
				});
				work.push((!others, request, m.account.clone(), m.id.clone()));
			}
		}
		work.sort_by_key(|(later, request, _, _)| (*later, *request));
		for (_, request, account, id) in work {
			Self::vote(now, request, &account, &id);
		}

		// Requests decided before this node's members revealed: reveal now, so that the vote
		// is compared with the result rather than counted as never revealed.
		for (request, _) in Decided::<T>::iter() {
			for m in RequestCommittee::<T>::get(request).iter().filter(|m| local.contains(&m.id)) {
				if !Commits::<T>::contains_key(request, &m.account) {
					continue;
				}
				let key = vote_key(request, m.id.as_ref());
				let stored = StorageValueRef::persistent(&key);
				if let Ok(Some((vote, salt))) = stored.get::<(Vote, [u8; 32])>() {
					Self::submit_reveal(request, &m.account, &m.id, vote, salt);
				}
			}
		}
	}

	fn submit_reveal(
		request: u64,
		account: &T::AccountId,
		id: &MemberId,
		vote: Vote,
		salt: [u8; 32],
	) {
		let payload = reveal_payload(&Self::genesis(), request, account, &vote, &salt);
		let Some(signature) = id.sign(&payload) else { return };
		Self::submit(
			Call::reveal { request, member: account.clone(), vote, salt, signature },
			"reveal",
		);
	}

	fn submit(call: Call<T>, what: &str) {
		let xt =
			<T as CreateAuthorizedTransaction<Call<T>>>::create_authorized_transaction(call.into());
		if SubmitTransaction::<T, Call<T>>::submit_transaction(xt).is_err() {
			// Usually: the same transaction is already in the pool.
			log::debug!(target: LOG, "{what}: not submitted (already pending?)");
		}
	}

	fn publish_key(session: u32, account: &T::AccountId, id: &MemberId) {
		let Some(key) = veid_host::committee_key(session) else {
			log::warn!(target: LOG, "no VEID scorer on this node: cannot publish a committee key");
			return;
		};
		let genesis = Self::genesis();
		let Some(proof) = veid_host::prove_committee_key(
			session,
			&key_proof_payload(&genesis, session, account, &key),
		) else {
			log::warn!(target: LOG, "the node cannot prove its committee key for session {session}");
			return;
		};
		let payload = key_payload(&genesis, session, account, &key);
		let Some(signature) = id.sign(&payload) else { return };
		log::info!(target: LOG, "publishing the committee key for session {session}");
		Self::submit(
			Call::publish_committee_key { session, member: account.clone(), key, proof, signature },
			"committee key",
		);
	}

	fn vote(now: BlockNumberFor<T>, request: u64, account: &T::AccountId, id: &MemberId) {
		if Reveals::<T>::contains_key(request, account) {
			return;
		}
		let key = vote_key(request, id.as_ref());
		let stored = StorageValueRef::persistent(&key);
		let mine = match stored.get::<(Vote, [u8; 32])>() {
			Ok(Some(vote)) => vote,
			_ => match Self::score(now, request, id) {
				Some(vote) => vote,
				None => return,
			},
		};
		let (vote, salt) = mine;
		let genesis = Self::genesis();
		let Some(open) = Requests::<T>::get(request) else { return };
		let phase_end = open.submitted_at.saturating_add(T::CommitBlocks::get());
		match Commits::<T>::get(request, account) {
			// The chain refuses commits once reveals may be visible; the commit lands in a later
			// block than this state's, hence the `+ 1`.
			None if now.saturating_add(1u32.into()) >= phase_end => {
				log::info!(target: LOG, "request {request}: too late to commit");
			},
			None => {
				let commitment = vote_commitment(request, account, &vote, &salt);
				let payload = commit_payload(&genesis, request, account, &commitment);
				let Some(signature) = id.sign(&payload) else { return };
				Self::submit(
					Call::commit { request, member: account.clone(), commitment, signature },
					"commit",
				);
			},
			Some(_) => {
				let committee = RequestCommittee::<T>::get(request);
				let all = committee.iter().all(|m| Commits::<T>::contains_key(request, &m.account));
				// The reveal lands in a later block than this state's, hence the `+ 1`.
				let phase_over = now.saturating_add(1u32.into()) >= phase_end;
				if !(all || phase_over) {
					return;
				}
				Self::submit_reveal(request, account, id, vote, salt);
			},
		}
	}

	/// Scores a request once (under a lock), keeping the vote and a fresh salt.
	fn score(now: BlockNumberFor<T>, request: u64, id: &MemberId) -> Option<(Vote, [u8; 32])> {
		let failed_key = failure_key(request, id.as_ref());
		let failed = StorageValueRef::persistent(&failed_key);
		if let Ok(Some(at)) = failed.get::<BlockNumberFor<T>>() {
			if now < at.saturating_add(RETRY_BLOCKS.into()) {
				return None;
			}
		}
		let mut lock_key = b"virtengine/veid/lock/".to_vec();
		request.encode_to(&mut lock_key);
		let mut lock =
			StorageLock::<Time>::with_deadline(&lock_key, Duration::from_millis(120_000));
		let Ok(_guard) = lock.try_lock() else { return None };
		let key = vote_key(request, id.as_ref());
		let stored = StorageValueRef::persistent(&key);
		if let Ok(Some(vote)) = stored.get::<(Vote, [u8; 32])>() {
			return Some(vote);
		}
		let open = Requests::<T>::get(request)?;
		let job = ScoreJob {
			envelope: Envelopes::<T>::get(request)?.into_inner(),
			account: open.account.encode(),
			salt: open.salt,
			name_commitment: open.name_commitment,
			birth_date_commitment: open.birth_date_commitment,
			today: open.today,
		};
		log::info!(target: LOG, "scoring request {request}");
		match veid_host::score(job) {
			Ok(vote) => {
				let salt = sp_io::offchain::random_seed();
				stored.set(&(vote, salt));
				log::info!(target: LOG, "request {request}: score {}", vote.score);
				Some((vote, salt))
			},
			Err(failure) => {
				let why = match &failure {
					ScoreFailure::Unavailable => "this node has no VEID scorer",
					ScoreFailure::NotARecipient => "no committee key of this node opens it",
					ScoreFailure::Malformed => "the envelope is malformed",
					ScoreFailure::Pipeline(_) => "the pipeline failed",
				};
				log::warn!(target: LOG, "request {request} not scored: {why}");
				failed.set(&now);
				None
			},
		}
	}
}
