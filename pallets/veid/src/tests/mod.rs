//! Behaviour tests of the pallet on the mock runtime, by feature; the helpers they share.

#![allow(clippy::panic)]

mod authorization;
mod clients;
mod committee_keys;
mod identities;
mod offchain_worker;
mod timeouts;
mod uploads;
mod votes;

use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::Hooks, BoundedVec};
use sp_core::{ed25519, sr25519, Pair};
use sp_runtime::{AccountId32, MultiSignature};
use virtengine_envelope::{seal, Limits, SenderKey};
use virtengine_veid_primitives::{upload_digest, user_message, ScopeKind};

use crate::{
	mock::*, Call, ClientKey, Committee, CommitteeKeys, Error, Event, Identities, RejectReason,
	Requests, Session, Status,
};

use crate::{ActiveModelSet, Commits, Evidence, Results, Tier};
use frame_support::{
	pallet_prelude::{InvalidTransaction, TransactionSource, TransactionValidityError},
	traits::{Authorize, OneSessionHandler},
};
use sp_core::crypto::ByteArray;
use virtengine_veid_primitives::{
	commit_payload, key_payload, key_proof_payload, reveal_payload, vote_commitment,
	x25519_of_ed25519, KeyProof, MemberId, Vote,
};

// --- Users, the capture client and uploads ---------------------------------------------------

fn user(seed: &str) -> (AccountId32, sr25519::Pair) {
	let pair = sr25519::Pair::from_string(seed, None).expect("seed");
	(AccountId32::from(pair.public().0), pair)
}

pub fn alice() -> (AccountId32, sr25519::Pair) {
	user("//Alice")
}
pub fn bob() -> (AccountId32, sr25519::Pair) {
	user("//Bob")
}
pub fn charlie() -> (AccountId32, sr25519::Pair) {
	user("//Charlie")
}

const CLIENT: [u8; 16] = *b"capture-app-0001";

/// The uniqueness index's bytes for one verified account: (digest 32 + account 32) twice, the
/// digest again and the deposit (u64).
const INDEX_BYTES: usize = (32 + 32) * 2 + 32 + 8;

fn client_pair() -> ed25519::Pair {
	ed25519::Pair::from_seed(&[42; 32])
}

fn register_client() {
	assert_ok!(Veid::register_client(
		RuntimeOrigin::root(),
		CLIENT,
		ClientKey::Ed25519(client_pair().public().0)
	));
}

/// A signed upload for `who`: (scopes, salt, commitments, envelope bytes, client sig, user sig).
struct Upload {
	scopes: BoundedVec<ScopeKind, <Test as crate::Config>::MaxScopes>,
	salt: [u8; 32],
	name: [u8; 32],
	birth: [u8; 32],
	envelope: Vec<u8>,
	client_signature: [u8; 64],
	user_signature: MultiSignature,
}

/// An envelope of `size` bytes sealed to the current committee.
fn envelope_bytes(size: usize) -> Vec<u8> {
	let keys: Vec<[u8; 32]> = Committee::<Test>::get().iter().map(|m| m.key).collect();
	sealed_to(&keys, size)
}

fn sealed_to(keys: &[[u8; 32]], size: usize) -> Vec<u8> {
	let sender = SenderKey::Sr25519(sr25519::Pair::from_string("//Alice", None).expect("seed"));
	let limits = Limits { max_ciphertext: 1 << 22, ..Limits::DEFAULT };
	seal(&vec![7u8; size], keys, &sender, b"veid/scopes", 0, &limits).expect("seal").encode()
}

fn signed_upload(who: &(AccountId32, sr25519::Pair), client: &dyn Fn(&[u8]) -> [u8; 64]) -> Upload {
	signed_upload_of(who, client, envelope_bytes(300))
}

/// An upload of `envelope` (any bytes), signed by `client` and by `who` over its digest.
fn signed_upload_of(
	who: &(AccountId32, sr25519::Pair),
	client: &dyn Fn(&[u8]) -> [u8; 64],
	envelope: Vec<u8>,
) -> Upload {
	let scopes: BoundedVec<_, _> =
		vec![ScopeKind::Document, ScopeKind::Selfie].try_into().expect("bounded");
	let (salt, name, birth) = ([1u8; 32], [2u8; 32], [3u8; 32]);
	let digest = upload_digest(
		&genesis(),
		&who.0,
		&scopes,
		&salt,
		&name,
		&birth,
		&sp_io::hashing::blake2_256(&envelope),
	);
	Upload {
		client_signature: client(&digest),
		user_signature: MultiSignature::Sr25519(who.1.sign(&user_message(&digest))),
		scopes,
		salt,
		name,
		birth,
		envelope,
	}
}

fn by_client(digest: &[u8]) -> [u8; 64] {
	client_pair().sign(digest).0
}

fn submit(who: &AccountId32, u: Upload) -> frame_support::dispatch::DispatchResult {
	Veid::upload_scopes(
		RuntimeOrigin::signed(who.clone()),
		CLIENT,
		u.scopes,
		u.salt,
		u.name,
		u.birth,
		u.envelope,
		u.client_signature,
		u.user_signature,
	)
}

fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Veid::on_initialize(next);
	}
}

// --- Committee, keys and votes --------------------------------------------------------------

const MODELS: [u8; 32] = [0xaa; 32];
const DIGEST: [u8; 32] = [0xd1; 32];

/// Committee member `i`'s validator account.
pub fn member(i: u8) -> AccountId32 {
	AccountId32::from([100 + i; 32])
}

fn member_pair(i: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[100 + i; 32])
}

fn member_id(i: u8) -> MemberId {
	MemberId::from_slice(&member_pair(i).public().0).expect("32 bytes")
}

/// The ed25519 pair member `i`'s node makes its committee key for `session` from.
fn committee_pair(i: u8, session: u32) -> ed25519::Pair {
	ed25519::Pair::from_seed(&[i.wrapping_mul(31).wrapping_add(session as u8 + 1); 32])
}

/// Member `i`'s X25519 committee key for `session`: the Montgomery form of its ed25519 key.
fn member_key(i: u8, session: u32) -> [u8; 32] {
	x25519_of_ed25519(&committee_pair(i, session).public().0).expect("a valid key")
}

/// A proof of possession of `key`, published by member `i`, made with member `holder`'s
/// committee key for `session`.
fn proof_by(holder: u8, session: u32, i: u8, key: &[u8; 32]) -> KeyProof {
	let pair = committee_pair(holder, session);
	KeyProof {
		ed25519: pair.public().0,
		signature: pair.sign(&key_proof_payload(&genesis(), session, &member(i), key)).0,
	}
}

fn sign(i: u8, payload: &[u8]) -> virtengine_veid_primitives::MemberSignature {
	let raw = member_pair(i).sign(payload);
	virtengine_veid_primitives::MemberSignature::from_slice(&raw.0).expect("64 bytes")
}

/// Runs a member's call as the chain would: authorization (state checks and signature), then
/// dispatch with the authorized origin. An authorization failure comes back as the pallet error
/// its refusal code stands for, or `Other("bad proof")`.
fn authorized(call: Call<Test>) -> frame_support::dispatch::DispatchResult {
	match call.authorize(TransactionSource::External).expect("an authorized call") {
		Ok(_) => {},
		Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(code))) => {
			let refused = crate::Refused::from_code(code).expect("one of the pallet's codes");
			return Err(Error::<Test>::from(refused).into());
		},
		Err(TransactionValidityError::Invalid(InvalidTransaction::BadProof)) => {
			return Err(sp_runtime::DispatchError::Other("bad proof"))
		},
		Err(e) => panic!("unexpected validity error {e:?}"),
	}
	let origin: RuntimeOrigin = frame_system::RawOrigin::Authorized.into();
	frame_support::traits::UnfilteredDispatchable::dispatch_bypass_filter(call, origin)
		.map(|_| ())
		.map_err(|e| e.error)
}

fn publish(i: u8, session: u32) -> frame_support::dispatch::DispatchResult {
	let key = member_key(i, session);
	let payload = key_payload(&genesis(), session, &member(i), &key);
	authorized(Call::publish_committee_key {
		session,
		member: member(i),
		key,
		proof: proof_by(i, session, i, &key),
		signature: sign(i, &payload),
	})
}

fn genesis() -> sp_core::H256 {
	System::block_hash(0)
}

/// Members 1..=n are the genesis session's validators and publish their keys.
pub fn start_committee(n: u8) {
	let accounts: Vec<_> = (1..=n).map(member).collect();
	<Veid as OneSessionHandler<AccountId32>>::on_genesis_session(
		accounts.iter().zip(1..=n).map(|(a, i)| (a, member_id(i))),
	);
	for i in 1..=n {
		assert_ok!(publish(i, 0));
	}
}

/// A new session whose validators are `members` (queued: the same).
fn new_session(members: &[u8]) {
	let accounts: Vec<_> = members.iter().map(|i| member(*i)).collect();
	let with_ids = || accounts.iter().zip(members).map(|(a, i)| (a, member_id(*i)));
	<Veid as OneSessionHandler<AccountId32>>::on_new_session(true, with_ids(), with_ids());
}

fn open_request() -> u64 {
	register_client();
	assert_ok!(Veid::set_model_set(RuntimeOrigin::root(), MODELS));
	let a = alice();
	assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
	0
}

fn salt(i: u8) -> [u8; 32] {
	[i; 32]
}

fn v(score: u8, digest: [u8; 32], models: [u8; 32]) -> Vote {
	Vote { score, reasons: 0, digest, model_set: models }
}

fn try_commit(i: u8, vote: Vote) -> frame_support::dispatch::DispatchResult {
	let commitment = vote_commitment(0, &member(i), &vote, &salt(i));
	let payload = commit_payload(&genesis(), 0, &member(i), &commitment);
	authorized(Call::commit {
		request: 0,
		member: member(i),
		commitment,
		signature: sign(i, &payload),
	})
}

fn commit(i: u8, score: u8, digest: [u8; 32], models: [u8; 32]) {
	assert_ok!(try_commit(i, v(score, digest, models)));
}

fn reveal(
	i: u8,
	score: u8,
	digest: [u8; 32],
	models: [u8; 32],
) -> frame_support::dispatch::DispatchResult {
	reveal_as(i, i, v(score, digest, models), salt(i))
}

/// Member `signer` signs a reveal in member `i`'s name.
fn reveal_as(
	i: u8,
	signer: u8,
	vote: Vote,
	salt: [u8; 32],
) -> frame_support::dispatch::DispatchResult {
	let payload = reveal_payload(&genesis(), 0, &member(i), &vote, &salt);
	authorized(Call::reveal {
		request: 0,
		member: member(i),
		vote,
		salt,
		signature: sign(signer, &payload),
	})
}

fn commit_to(request: u64, i: u8, vote: Vote) -> frame_support::dispatch::DispatchResult {
	let commitment = vote_commitment(request, &member(i), &vote, &salt(i));
	let payload = commit_payload(&genesis(), request, &member(i), &commitment);
	authorized(Call::commit {
		request,
		member: member(i),
		commitment,
		signature: sign(i, &payload),
	})
}

fn reveal_to(request: u64, i: u8, vote: Vote) -> frame_support::dispatch::DispatchResult {
	let payload = reveal_payload(&genesis(), request, &member(i), &vote, &salt(i));
	authorized(Call::reveal {
		request,
		member: member(i),
		vote,
		salt: salt(i),
		signature: sign(i, &payload),
	})
}

/// Members 1-4 commit to and reveal `vote` on `request` (three reveals decide).
fn decide_with(request: u64, vote: Vote) {
	for i in 1..=4 {
		assert_ok!(commit_to(request, i, vote));
	}
	for i in 1..=3 {
		assert_ok!(reveal_to(request, i, vote));
	}
}
