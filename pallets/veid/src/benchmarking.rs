//! Benchmarks of every call, authorization and hook, each in its worst case: the largest
//! committee, the largest envelope, every member voting.

use alloc::vec::Vec;
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{
		fungible::{Inspect, Mutate},
		Authorize, Get, Hooks, OneSessionHandler,
	},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_runtime::{
	app_crypto::{ed25519, RuntimeAppPublic},
	traits::Saturating,
	KeyTypeId,
};
use virtengine_envelope::{
	kdf::public_key, Envelope, Recipient, SenderSignature, ALGORITHM_X25519_XSALSA20_POLY1305,
	SCHEME_SR25519, TAG_LEN, VERSION_1, WRAPPED_KEY_LEN,
};
use virtengine_veid_primitives::{
	commit_payload, key_payload, key_proof_payload, reveal_payload, vote_commitment,
	x25519_of_ed25519, KeyProof, MemberId, MemberSignature, Vote,
};

use crate::{pallet::*, BenchmarkHelper, ClientId, ClientKey, ScopeKind, Status};

const CLIENT: ClientId = *b"benchmark-client";
const BENCH_KEYS: KeyTypeId = KeyTypeId(*b"bvei");
const MODELS: [u8; 32] = [0xaa; 32];

/// A distinct, valid X25519 public key per `n`.
fn x25519(n: u32) -> [u8; 32] {
	let mut secret = [9u8; 32];
	secret[1..5].copy_from_slice(&n.to_le_bytes());
	public_key(&secret)
}

fn member_account<T: Config>(i: u32) -> T::AccountId {
	account("member", i, 0)
}

/// `c` session members with VEID keys in the keystore and committee keys published.
fn committee<T: Config>(c: u32) -> Vec<(T::AccountId, MemberId)> {
	let members: Vec<(T::AccountId, MemberId)> =
		(0..c).map(|i| (member_account::<T>(i), MemberId::generate_pair(None))).collect();
	<Pallet<T> as OneSessionHandler<T::AccountId>>::on_genesis_session(
		members.iter().map(|(a, id)| (a, id.clone())),
	);
	for (i, (account, _)) in members.iter().enumerate() {
		CommitteeKeys::<T>::insert(0, account, x25519(i as u32));
		CommitteeKeyOwners::<T>::insert(0, x25519(i as u32), account);
	}
	Pallet::<T>::rebuild_committee();
	members
}

/// An envelope of `b` bytes (SCALE) sealed, structurally, to the current committee.
fn envelope<T: Config>(b: u32) -> Vec<u8> {
	let recipients: Vec<Recipient> = Committee::<T>::get()
		.iter()
		.map(|m| Recipient {
			key_id: virtengine_envelope::key_id(&m.key),
			wrapped_key: [0u8; WRAPPED_KEY_LEN].to_vec(),
		})
		.collect();
	let mut envelope = Envelope {
		version: VERSION_1,
		algorithm: ALGORITHM_X25519_XSALSA20_POLY1305,
		ephemeral_public: x25519(u32::MAX),
		recipients,
		payload_nonce: [0u8; 24],
		ciphertext: [0u8; TAG_LEN].to_vec(),
		content_type: b"virtengine/veid/scopes/v1".to_vec(),
		created_at: 0,
		sender: SenderSignature { scheme: SCHEME_SR25519, public: [0u8; 32], signature: [0u8; 64] },
	};
	let overhead = envelope.encoded_size() as u32 + 4;
	envelope.ciphertext = alloc::vec![0u8; b.saturating_sub(overhead).max(TAG_LEN as u32) as usize];
	envelope.encode()
}

/// A funded user with an upload signed by the client and by itself: the call's arguments.
#[allow(clippy::type_complexity)]
fn signed_upload<T: Config>(
	b: u32,
) -> (T::AccountId, BoundedVec<ScopeKind, T::MaxScopes>, Vec<u8>, [u8; 64], T::UserSignature)
where
	T::Currency: Mutate<T::AccountId>,
{
	let client = sp_io::crypto::ed25519_generate(BENCH_KEYS, None);
	CaptureClients::<T>::insert(CLIENT, ClientKey::Ed25519(client.0));
	let who = T::BenchmarkHelper::signer();
	// Enough for the largest deposit, twice, without straining the total issuance.
	let deposit = T::DepositPerByte::get()
		.saturating_mul(T::MaxEnvelopeBytes::get().saturating_mul(2).into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
	T::Currency::set_balance(&who, deposit);
	let scopes: BoundedVec<ScopeKind, T::MaxScopes> =
		BoundedVec::truncate_from(alloc::vec![ScopeKind::Document, ScopeKind::Selfie]);
	let envelope = envelope::<T>(b);
	let digest = virtengine_veid_primitives::upload_digest(
		&Pallet::<T>::genesis(),
		&who,
		&scopes,
		&[1; 32],
		&[2; 32],
		&[3; 32],
		&sp_io::hashing::blake2_256(&envelope),
	);
	let client_signature = sp_io::crypto::ed25519_sign(BENCH_KEYS, &client, &digest)
		.map(|s: ed25519::Signature| s.0)
		.unwrap_or([0; 64]);
	let user_signature =
		T::BenchmarkHelper::sign(&who, &virtengine_veid_primitives::user_message(&digest));
	(who, scopes, envelope, client_signature, user_signature)
}

/// A fresh user uploads 1 KiB: closing or timing out a request removes its envelope without
/// reading it, so its size does not matter where a request is only set up.
fn upload<T: Config>() -> Result<(), BenchmarkError>
where
	T::Currency: Mutate<T::AccountId>,
{
	let (who, scopes, envelope, client_signature, user_signature) = signed_upload::<T>(1_024);
	Pallet::<T>::upload_scopes(
		RawOrigin::Signed(who).into(),
		CLIENT,
		scopes,
		[1; 32],
		[2; 32],
		[3; 32],
		envelope,
		client_signature,
		user_signature,
	)
	.map_err(|_| BenchmarkError::Stop("upload failed"))
}

/// An open request (id 0) from a fresh user, with a committee of `c`.
fn open_request<T: Config>(c: u32) -> Result<Vec<(T::AccountId, MemberId)>, BenchmarkError>
where
	T::Currency: Mutate<T::AccountId>,
{
	let members = committee::<T>(c);
	ActiveModelSet::<T>::put(MODELS);
	upload::<T>()?;
	Ok(members)
}

fn vote(score: u8) -> Vote {
	Vote { score, reasons: 0, digest: [0xd1; 32], model_set: MODELS }
}

fn salt(i: u32) -> [u8; 32] {
	let mut s = [0u8; 32];
	s[..4].copy_from_slice(&i.to_le_bytes());
	s
}

/// A placeholder proof of possession: dispatch does not look at it (authorization checked it).
fn unproven() -> KeyProof {
	KeyProof { ed25519: [0; 32], signature: [0; 64] }
}

/// A placeholder signature: dispatch does not look at it (authorization checked it before).
fn unsigned() -> MemberSignature {
	MemberSignature::from(sp_runtime::app_crypto::sr25519::Signature::from_raw([0; 64]))
}

fn commit_as<T: Config>(i: u32, account: &T::AccountId, v: Vote) {
	Commits::<T>::insert(0, account, vote_commitment(0, account, &v, &salt(i)));
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_client() {
		#[extrinsic_call]
		_(RawOrigin::Root, CLIENT, ClientKey::Ed25519([1; 32]));
		assert!(CaptureClients::<T>::contains_key(CLIENT));
	}

	#[benchmark]
	fn remove_client() {
		CaptureClients::<T>::insert(CLIENT, ClientKey::Ed25519([1; 32]));
		#[extrinsic_call]
		_(RawOrigin::Root, CLIENT);
		assert!(!CaptureClients::<T>::contains_key(CLIENT));
	}

	#[benchmark]
	fn set_model_set() {
		#[extrinsic_call]
		_(RawOrigin::Root, MODELS);
		assert_eq!(ActiveModelSet::<T>::get(), Some(MODELS));
	}

	#[benchmark]
	fn upload_scopes(b: Linear<1_024, { T::MaxEnvelopeBytes::get() }>) {
		committee::<T>(T::MaxCommittee::get());
		let (who, scopes, envelope, client_signature, user_signature) = signed_upload::<T>(b);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			CLIENT,
			scopes,
			[1; 32],
			[2; 32],
			[3; 32],
			envelope,
			client_signature,
			user_signature,
		);
		assert_eq!(Pallet::<T>::status(&who), Some(Status::Pending));
	}

	/// `n` requests time out in one block, each with a full committee that committed and
	/// revealed nothing (every member gets evidence).
	#[benchmark]
	fn on_initialize(
		n: Linear<0, { T::MaxTimeoutsPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		committee::<T>(T::MaxCommittee::get());
		ActiveModelSet::<T>::put(MODELS);
		let mut deadline = BlockNumberFor::<T>::default();
		for _ in 0..n {
			upload::<T>()?;
			deadline =
				frame_system::Pallet::<T>::block_number().saturating_add(T::RequestTimeout::get());
		}
		#[block]
		{
			Pallet::<T>::on_initialize(deadline);
		}
		assert!(Requests::<T>::iter().next().is_none());
		Ok(())
	}

	#[benchmark]
	fn commit() -> Result<(), BenchmarkError> {
		let members = open_request::<T>(T::MaxCommittee::get())?;
		let (account, _) = members.last().cloned().ok_or(BenchmarkError::Weightless)?;
		let commitment = vote_commitment(0, &account, &vote(90), &salt(0));
		#[extrinsic_call]
		_(RawOrigin::Authorized, 0, account.clone(), commitment, unsigned());
		assert!(Commits::<T>::contains_key(0, &account));
		Ok(())
	}

	#[benchmark]
	fn authorize_commit() -> Result<(), BenchmarkError> {
		let members = open_request::<T>(T::MaxCommittee::get())?;
		let (account, id) = members.last().cloned().ok_or(BenchmarkError::Weightless)?;
		let commitment = vote_commitment(0, &account, &vote(90), &salt(0));
		let payload = commit_payload(&Pallet::<T>::genesis(), 0, &account, &commitment);
		let signature = id.sign(&payload).ok_or(BenchmarkError::Weightless)?;
		let call = Call::<T>::commit { request: 0, member: account, commitment, signature };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("not authorized")?
				.map_err(|_| "invalid")?;
		}
		Ok(())
	}

	/// The deciding reveal of a committee of `c`: every other member committed, the quorum minus
	/// one revealed the same vote, the rest something else; closing walks the whole committee.
	#[benchmark]
	fn reveal(c: Linear<1, { T::MaxCommittee::get() }>) -> Result<(), BenchmarkError> {
		let members = open_request::<T>(c)?;
		let quorum = virtengine_veid_primitives::quorum(c);
		for (i, (account, _)) in members.iter().enumerate() {
			commit_as::<T>(i as u32, account, vote(90));
		}
		for (account, _) in members.iter().take(quorum as usize - 1) {
			Reveals::<T>::insert(0, account, vote(90));
		}
		// The uploader verified before with other photos: its old index entry is replaced.
		let uploader =
			Requests::<T>::get(0).map(|r| r.account).ok_or(BenchmarkError::Weightless)?;
		IdentityDigests::<T>::insert([0xee; 32], &uploader);
		IdentityDigestOf::<T>::insert(&uploader, ([0xee; 32], BalanceOf::<T>::default()));
		let last = (quorum - 1) as usize;
		let (account, _) = members[last].clone();
		#[extrinsic_call]
		_(RawOrigin::Authorized, 0, account, vote(90), salt(last as u32), unsigned());
		assert!(Requests::<T>::get(0).is_none(), "decided");
		assert_eq!(IdentityDigests::<T>::get([0xd1; 32]), Some(uploader));
		Ok(())
	}

	#[benchmark]
	fn authorize_reveal() -> Result<(), BenchmarkError> {
		let members = open_request::<T>(T::MaxCommittee::get())?;
		for (i, (account, _)) in members.iter().enumerate() {
			commit_as::<T>(i as u32, account, vote(90));
		}
		let (account, id) = members[0].clone();
		let payload = reveal_payload(&Pallet::<T>::genesis(), 0, &account, &vote(90), &salt(0));
		let signature = id.sign(&payload).ok_or(BenchmarkError::Weightless)?;
		let call = Call::<T>::reveal {
			request: 0,
			member: account,
			vote: vote(90),
			salt: salt(0),
			signature,
		};
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("not authorized")?
				.map_err(|_| "invalid")?;
		}
		Ok(())
	}

	#[benchmark]
	fn publish_committee_key(
		c: Linear<1, { T::MaxCommittee::get() }>,
	) -> Result<(), BenchmarkError> {
		let members = committee::<T>(c);
		let (account, _) = members.last().cloned().ok_or(BenchmarkError::Weightless)?;
		CommitteeKeys::<T>::remove(0, &account);
		#[extrinsic_call]
		_(RawOrigin::Authorized, 0, account.clone(), x25519(10_000), unproven(), unsigned());
		assert_eq!(CommitteeKeys::<T>::get(0, &account), Some(x25519(10_000)));
		Ok(())
	}

	#[benchmark]
	fn authorize_publish_committee_key() -> Result<(), BenchmarkError> {
		let members = committee::<T>(T::MaxCommittee::get());
		let (account, id) = members.last().cloned().ok_or(BenchmarkError::Weightless)?;
		CommitteeKeys::<T>::remove(0, &account);
		// A committee key made from an ed25519 key, with its proof of possession.
		let ed = sp_io::crypto::ed25519_generate(BENCH_KEYS, None);
		let key = x25519_of_ed25519(&ed.0).ok_or(BenchmarkError::Weightless)?;
		let genesis = Pallet::<T>::genesis();
		let proof = KeyProof {
			ed25519: ed.0,
			signature: sp_io::crypto::ed25519_sign(
				BENCH_KEYS,
				&ed,
				&key_proof_payload(&genesis, 0, &account, &key),
			)
			.map(|s: ed25519::Signature| s.0)
			.ok_or(BenchmarkError::Weightless)?,
		};
		let payload = key_payload(&genesis, 0, &account, &key);
		let signature = id.sign(&payload).ok_or(BenchmarkError::Weightless)?;
		let call =
			Call::<T>::publish_committee_key { session: 0, member: account, key, proof, signature };
		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("not authorized")?
				.map_err(|_| "invalid")?;
		}
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
