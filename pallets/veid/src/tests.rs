//! Behaviour tests of the pallet on the mock runtime.

#![allow(clippy::panic)]

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

#[test]
fn only_the_admin_manages_capture_clients() {
	new_test_ext().execute_with(|| {
		let key = ClientKey::Ed25519(client_pair().public().0);
		assert_noop!(
			Veid::register_client(RuntimeOrigin::signed(alice().0), CLIENT, key),
			sp_runtime::DispatchError::BadOrigin
		);
		register_client();
		assert_noop!(
			Veid::register_client(RuntimeOrigin::root(), CLIENT, key),
			Error::<Test>::ClientExists
		);
		assert_ok!(Veid::remove_client(RuntimeOrigin::root(), CLIENT));
		assert_noop!(
			Veid::remove_client(RuntimeOrigin::root(), CLIENT),
			Error::<Test>::UnknownClient
		);
	});
}

#[test]
fn an_upload_signed_by_an_approved_client_and_the_user_is_pending_with_a_deposit() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		let u = signed_upload(&a, &by_client);
		let len = u.envelope.len();
		assert_ok!(submit(&a.0, u));
		assert_eq!(Veid::status(&a.0), Some(Status::Pending));
		let request = Requests::<Test>::get(0).expect("stored");
		let envelope = crate::Envelopes::<Test>::get(0).expect("stored");
		assert_eq!((envelope.len(), request.envelope_len as usize), (len, len));
		assert_eq!(request.deadline, 1 + 5);
		// The deposit covers every stored byte of the request, and of the uniqueness index
		// entries a verification keeps (digest → account, account → (digest, deposit)).
		assert_eq!(
			request.deposit,
			(request.encoded_size() + envelope.encoded_size() + INDEX_BYTES) as u64
		);
		assert_eq!(Balances::reserved_balance(&a.0), request.deposit);
		System::assert_last_event(
			Event::ScopesUploaded { request: 0, account: a.0.clone(), deposit: request.deposit }
				.into(),
		);
	});
}

#[test]
fn an_sr25519_capture_client_is_verified_too() {
	new_test_ext().execute_with(|| {
		let client = sr25519::Pair::from_seed(&[9; 32]);
		assert_ok!(Veid::register_client(
			RuntimeOrigin::root(),
			CLIENT,
			ClientKey::Sr25519(client.public().0)
		));
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &|d| client.sign(d).0)));
	});
}

#[test]
fn unapproved_clients_and_forged_signatures_are_refused_with_their_own_errors() {
	new_test_ext().execute_with(|| {
		let a = alice();
		assert_noop!(submit(&a.0, signed_upload(&a, &by_client)), Error::<Test>::UnknownClient);
		register_client();
		// Signed by a key that is not the client's.
		let impostor = ed25519::Pair::from_seed(&[13; 32]);
		assert_noop!(
			submit(&a.0, signed_upload(&a, &|d| impostor.sign(d).0)),
			Error::<Test>::BadClientSignature
		);
		// The user's signature by another account.
		let mut u = signed_upload(&a, &by_client);
		u.user_signature = signed_upload(&bob(), &by_client).user_signature;
		assert_noop!(submit(&a.0, u), Error::<Test>::BadUserSignature);
		// Bob submitting Alice's signed upload: the digest binds the account.
		assert_noop!(
			submit(&bob().0, signed_upload(&a, &by_client)),
			Error::<Test>::BadClientSignature
		);
		// Any field changed after signing.
		let mut u = signed_upload(&a, &by_client);
		u.salt[0] ^= 1;
		assert_noop!(submit(&a.0, u), Error::<Test>::BadClientSignature);
		let mut u = signed_upload(&a, &by_client);
		let last = u.envelope.len() - 1;
		u.envelope[last] ^= 1;
		assert_noop!(submit(&a.0, u), Error::<Test>::BadClientSignature);
	});
}

#[test]
fn limits_on_size_and_scopes() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		let mut u = signed_upload(&a, &by_client);
		u.envelope = envelope_bytes(70_000);
		assert_noop!(submit(&a.0, u), Error::<Test>::EnvelopeTooLarge);
		let mut u = signed_upload(&a, &by_client);
		u.scopes = vec![ScopeKind::Selfie, ScopeKind::Selfie].try_into().expect("bounded");
		assert_noop!(submit(&a.0, u), Error::<Test>::BadScopes);
		let mut u = signed_upload(&a, &by_client);
		u.scopes = Default::default();
		assert_noop!(submit(&a.0, u), Error::<Test>::BadScopes);
		// Signed garbage instead of an envelope.
		let u = signed_upload_of(&a, &by_client, vec![0xff; 64]);
		assert_noop!(submit(&a.0, u), Error::<Test>::MalformedEnvelope);
	});
}

#[test]
fn one_open_request_per_account_then_a_timeout_then_the_cooldown() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
		assert_noop!(submit(&a.0, signed_upload(&a, &by_client)), Error::<Test>::RequestOpen);
		run_to(6);
		// Timed out: rejected with TIMEOUT, envelope gone, deposit back.
		let identity = Identities::<Test>::get(&a.0).expect("record");
		assert_eq!(identity.status, Status::Rejected);
		assert_eq!(identity.reject_reason, Some(RejectReason::Timeout));
		assert!(Requests::<Test>::get(0).is_none());
		assert!(crate::Envelopes::<Test>::get(0).is_none(), "the ciphertext leaves state");
		assert_eq!(Balances::reserved_balance(&a.0), 0);
		// Uploaded at block 1, cooldown 10: not before block 11.
		assert_noop!(submit(&a.0, signed_upload(&a, &by_client)), Error::<Test>::TooSoon);
		run_to(11);
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
		assert_eq!(Veid::status(&a.0), Some(Status::Pending));
	});
}

#[test]
fn timeouts_per_block_are_bounded() {
	new_test_ext().execute_with(|| {
		register_client();
		for who in [alice(), bob()] {
			assert_ok!(submit(&who.0, signed_upload(&who, &by_client)));
		}
		// The block these would time out in already holds MaxTimeoutsPerBlock (2) requests.
		let c = charlie();
		assert_noop!(submit(&c.0, signed_upload(&c, &by_client)), Error::<Test>::DeadlineFull);
		run_to(2);
		assert_ok!(submit(&c.0, signed_upload(&c, &by_client)));
	});
}

// --- Committee, keys and votes --------------------------------------------------------------

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

#[test]
fn two_thirds_of_identical_reveals_decide_and_the_envelope_leaves_state() {
	new_test_ext().execute_with(|| {
		let request = open_request();
		for i in 1..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		assert_ok!(reveal(2, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending), "2 of 4 is no quorum");
		assert_ok!(reveal(3, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		let result = Results::<Test>::get(alice().0).expect("result");
		assert_eq!(
			(result.score, result.tier, result.digest, result.model_set),
			(84, Tier::Standard, DIGEST, MODELS)
		);
		assert!(Requests::<Test>::get(request).is_none());
		assert!(crate::Envelopes::<Test>::get(request).is_none(), "the ciphertext leaves state");
		assert_eq!(
			Balances::reserved_balance(&alice().0),
			INDEX_BYTES as u64,
			"deposit returned but for the uniqueness index entry"
		);
		// The votes that decided are cleared; member 4, which committed and has not revealed
		// yet, may still reveal until the deadline.
		for i in 1..=3 {
			assert!(!Commits::<Test>::contains_key(request, member(i)), "vote {i} cleared");
		}
		assert!(Commits::<Test>::contains_key(request, member(4)));
		assert_eq!(Evidence::<Test>::get(member(1)), (0, 0));
		assert_eq!(Evidence::<Test>::get(member(4)), (0, 0), "not yet: it may reveal late");
		// It never does: at the deadline it counts as never revealed, and the rest leaves state.
		run_to(6);
		assert_eq!(Evidence::<Test>::get(member(4)), (0, 1));
		assert!(Commits::<Test>::iter_prefix(request).next().is_none(), "votes cleared");
		assert!(crate::Decided::<Test>::get(request).is_none());
		assert!(crate::RequestCommittee::<Test>::get(request).is_empty());
		assert_noop!(reveal(4, 84, DIGEST, MODELS), Error::<Test>::RequestNotOpen);
	});
}

/// The attack a review found: a member slower than the quorum (an honest one: its reveal
/// landed a block after the two that decided) was counted as never having revealed, evidence
/// against it for doing its work. Its late reveal is now compared with the result.
#[test]
fn a_member_slower_than_the_quorum_is_not_counted_against() {
	new_test_ext().execute_with(|| {
		let request = open_request();
		for i in 1..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		for i in 1..=3 {
			assert_ok!(reveal(i, 84, DIGEST, MODELS));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_ok!(reveal(4, 84, DIGEST, MODELS));
		run_to(6);
		for i in 1..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 0), "member {i}");
		}
		// The last reveal ended the request: nothing of it is left.
		assert!(crate::Decided::<Test>::get(request).is_none());
		assert!(crate::RequestCommittee::<Test>::get(request).is_empty());
		assert!(Commits::<Test>::iter_prefix(request).next().is_none());
	});
}

/// A member whose models differ from the chain's (another model set) is outvoted, whether its
/// reveal comes before the decision or after it, and recorded as disagreeing; two such
/// members cannot decide together.
#[test]
fn a_member_with_another_model_set_is_outvoted_and_recorded() {
	new_test_ext().execute_with(|| {
		open_request();
		let other = [0xbb; 32];
		commit(1, 84, DIGEST, other);
		commit(2, 84, DIGEST, other);
		commit(3, 84, DIGEST, MODELS);
		commit(4, 84, DIGEST, MODELS);
		// Two identical votes of another set: a quorum of 4 needs 3, but they count for nothing
		// even so; the reveals themselves are accepted.
		assert_ok!(reveal(1, 84, DIGEST, other));
		assert_ok!(reveal(2, 84, DIGEST, other));
		assert_ok!(reveal(3, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending));
		assert_ok!(reveal(4, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending), "2 of 4 with the chain's set");
		run_to(6);
		assert_eq!(Veid::status(&alice().0), Some(Status::Rejected), "timed out undecided");
		for i in 1..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 0), "no result to disagree with");
		}
	});
	// Before the decision: member 1's vote is kept, does not count, and is compared with the
	// result once three of the chain's set decide.
	new_test_ext().execute_with(|| {
		open_request();
		let other = [0xbb; 32];
		commit(1, 84, DIGEST, other);
		for i in 2..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		assert_ok!(reveal(1, 84, DIGEST, other));
		assert_ok!(reveal(2, 84, DIGEST, MODELS));
		assert_ok!(reveal(3, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending), "member 1 does not count");
		assert_ok!(reveal(4, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_eq!(Evidence::<Test>::get(member(1)), (1, 0), "outvoted before the decision");
		for i in 2..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 0));
		}
	});
	// After the decision: member 4's late reveal with another set is a disagreement.
	new_test_ext().execute_with(|| {
		let request = open_request();
		let other = [0xbb; 32];
		for i in 1..=3 {
			commit(i, 84, DIGEST, MODELS);
		}
		commit(4, 84, DIGEST, other);
		for i in 1..=3 {
			assert_ok!(reveal(i, 84, DIGEST, MODELS));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_ok!(reveal(4, 84, DIGEST, other));
		assert_eq!(Evidence::<Test>::get(member(4)), (1, 0), "outvoted after the decision");
		assert!(crate::Decided::<Test>::get(request).is_none(), "the last reveal ended it");
	});
}

#[test]
fn a_low_score_is_a_rejection_with_a_result() {
	new_test_ext().execute_with(|| {
		open_request();
		for i in 1..=3 {
			commit(i, 30, DIGEST, MODELS);
		}
		run_to(3); // member 4 never commits: reveals open when the commit phase ends
		for i in 1..=3 {
			assert_ok!(reveal(i, 30, DIGEST, MODELS));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Rejected));
		assert_eq!(Results::<Test>::get(alice().0).map(|r| r.tier), Some(Tier::Rejected));
	});
}

#[test]
fn the_dissenting_member_is_recorded() {
	new_test_ext().execute_with(|| {
		open_request();
		commit(1, 84, DIGEST, MODELS);
		commit(2, 84, DIGEST, MODELS);
		commit(3, 85, [0xd2; 32], MODELS);
		commit(4, 84, DIGEST, MODELS);
		assert_ok!(reveal(3, 85, [0xd2; 32], MODELS));
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		assert_ok!(reveal(2, 84, DIGEST, MODELS));
		assert_ok!(reveal(4, 84, DIGEST, MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_eq!(Evidence::<Test>::get(member(3)), (1, 0), "disagreed");
	});
}

#[test]
fn a_tie_has_no_quorum_and_times_out() {
	new_test_ext().execute_with(|| {
		open_request();
		commit(1, 84, DIGEST, MODELS);
		commit(2, 84, DIGEST, MODELS);
		commit(3, 80, [0xd2; 32], MODELS);
		commit(4, 80, [0xd2; 32], MODELS);
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		assert_ok!(reveal(2, 84, DIGEST, MODELS));
		assert_ok!(reveal(3, 80, [0xd2; 32], MODELS));
		assert_ok!(reveal(4, 80, [0xd2; 32], MODELS));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending));
		run_to(6);
		let identity = Identities::<Test>::get(alice().0).expect("record");
		assert_eq!(
			(identity.status, identity.reject_reason),
			(Status::Rejected, Some(RejectReason::Timeout))
		);
		assert!(Results::<Test>::get(alice().0).is_none());
		// Everyone revealed: no "missed" evidence.
		assert_eq!(Evidence::<Test>::get(member(1)), (0, 0));
	});
}

#[test]
fn missing_reveals_time_out_with_evidence() {
	new_test_ext().execute_with(|| {
		open_request();
		commit(1, 84, DIGEST, MODELS);
		run_to(6);
		assert_eq!(Veid::status(&alice().0), Some(Status::Rejected));
		for i in 1..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 1), "member {i} never revealed");
		}
	});
}

#[test]
fn reveals_wait_for_every_commit_or_the_end_of_the_commit_phase() {
	new_test_ext().execute_with(|| {
		open_request();
		commit(1, 84, DIGEST, MODELS);
		assert_noop!(reveal(1, 84, DIGEST, MODELS), Error::<Test>::RevealTooEarly);
		run_to(3); // uploaded at 1, CommitBlocks 2
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
	});
}

#[test]
fn votes_that_do_not_match_their_commit_or_copy_another_are_refused() {
	new_test_ext().execute_with(|| {
		open_request();
		for i in 1..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		assert_noop!(reveal(1, 85, DIGEST, MODELS), Error::<Test>::CommitMismatch);
		// Member 2 replays member 1's commitment and reveal: bound to member 1, so refused.
		let copied = vote_commitment(0, &member(1), &v(84, DIGEST, MODELS), &salt(1));
		let payload = commit_payload(&genesis(), 0, &member(2), &copied);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: member(2),
				commitment: copied,
				signature: sign(2, &payload)
			}),
			Error::<Test>::AlreadyCommitted
		);
		assert_noop!(
			reveal_as(2, 2, v(84, DIGEST, MODELS), salt(1)),
			Error::<Test>::CommitMismatch
		);
		// Member 1's own reveal, replayed after it landed.
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		assert_noop!(reveal(1, 84, DIGEST, MODELS), Error::<Test>::AlreadyRevealed);
		// Not a member of the request's committee; a request that is not open.
		let payload = commit_payload(&genesis(), 0, &alice().0, &[0; 32]);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: alice().0,
				commitment: [0; 32],
				signature: sign(1, &payload)
			}),
			Error::<Test>::NotCommitteeMember
		);
		assert_noop!(reveal_as(5, 5, v(84, DIGEST, MODELS), salt(5)), Error::<Test>::NoCommit);
	});
}

#[test]
fn member_signatures_are_really_checked() {
	new_test_ext().execute_with(|| {
		open_request();
		let vote = v(84, DIGEST, MODELS);
		let commitment = vote_commitment(0, &member(1), &vote, &salt(1));
		// Signed by member 2's key in member 1's name.
		let payload = commit_payload(&genesis(), 0, &member(1), &commitment);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: member(1),
				commitment,
				signature: sign(2, &payload)
			}),
			sp_runtime::DispatchError::Other("bad proof")
		);
		// Signed for another chain (another genesis hash).
		let payload = commit_payload(&sp_core::H256::repeat_byte(7), 0, &member(1), &commitment);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: member(1),
				commitment,
				signature: sign(1, &payload)
			}),
			sp_runtime::DispatchError::Other("bad proof")
		);
		// A commitment changed after signing.
		let payload = commit_payload(&genesis(), 0, &member(1), &commitment);
		assert_noop!(
			authorized(Call::commit {
				request: 0,
				member: member(1),
				commitment: [9; 32],
				signature: sign(1, &payload)
			}),
			sp_runtime::DispatchError::Other("bad proof")
		);
		for i in 1..=4 {
			commit(i, 84, DIGEST, MODELS);
		}
		// A reveal signed by someone else.
		assert_noop!(reveal_as(1, 2, vote, salt(1)), sp_runtime::DispatchError::Other("bad proof"));
	});
}

#[test]
fn member_transactions_are_prioritised_deduplicated_and_live_until_the_deadline() {
	new_test_ext().execute_with(|| {
		open_request();
		let commitment = vote_commitment(0, &member(1), &v(84, DIGEST, MODELS), &salt(1));
		let payload = commit_payload(&genesis(), 0, &member(1), &commitment);
		let call = Call::<Test>::commit {
			request: 0,
			member: member(1),
			commitment,
			signature: sign(1, &payload),
		};
		let (valid, _) =
			call.authorize(TransactionSource::External).expect("authorized").expect("valid");
		assert_eq!(valid.priority, u64::MAX / 2);
		assert_eq!(valid.longevity, 2, "uploaded at 1, a 2-block commit phase, now 1");
		assert!(valid.propagate);
		// Two submissions of member 1's commit provide the same tag: the pool keeps one.
		let again = Call::<Test>::commit {
			request: 0,
			member: member(1),
			commitment: [3; 32],
			signature: sign(1, &commit_payload(&genesis(), 0, &member(1), &[3; 32])),
		};
		let (other, _) =
			again.authorize(TransactionSource::External).expect("authorized").expect("valid");
		assert_eq!(valid.provides, other.provides);
		let (m2, _) = {
			let c = vote_commitment(0, &member(2), &v(84, DIGEST, MODELS), &salt(2));
			Call::<Test>::commit {
				request: 0,
				member: member(2),
				commitment: c,
				signature: sign(2, &commit_payload(&genesis(), 0, &member(2), &c)),
			}
			.authorize(TransactionSource::External)
			.expect("authorized")
			.expect("valid")
		};
		assert_ne!(valid.provides, m2.provides);
	});
}

#[test]
fn committee_keys_are_published_by_session_members_once_per_session() {
	new_test_ext().execute_with(|| {
		assert_eq!(Committee::<Test>::get().len(), 4);
		assert_eq!(Committee::<Test>::get()[0].key, member_key(1, 0));
		assert_noop!(publish(1, 0), Error::<Test>::KeyPublished);
		assert_noop!(publish(1, 2), Error::<Test>::WrongSession);
		assert_noop!(publish(7, 0), Error::<Test>::NotSessionMember);
		// The next session's key, ahead of it.
		assert_ok!(publish(1, 1));
		// A small-order point is refused.
		let weak = [0u8; 32];
		let payload = key_payload(&genesis(), 1, &member(2), &weak);
		assert_noop!(
			authorized(Call::publish_committee_key {
				session: 1,
				member: member(2),
				key: weak,
				proof: proof_by(2, 1, 2, &weak),
				signature: sign(2, &payload)
			}),
			Error::<Test>::WeakKey
		);
		// Signed by another member.
		let key = member_key(2, 1);
		let payload = key_payload(&genesis(), 1, &member(2), &key);
		assert_noop!(
			authorized(Call::publish_committee_key {
				session: 1,
				member: member(2),
				key,
				proof: proof_by(2, 1, 2, &key),
				signature: sign(3, &payload)
			}),
			sp_runtime::DispatchError::Other("bad proof")
		);
	});
}

#[test]
fn a_new_session_changes_the_committee_and_clears_old_keys() {
	new_test_ext().execute_with(|| {
		assert_ok!(publish(1, 1));
		assert_ok!(publish(2, 1));
		new_session(&[1, 2, 5]);
		assert_eq!(Session::<Test>::get(), 1);
		// Members 1 and 2 published for session 1 ahead; 5 has not yet.
		let committee: Vec<_> = Committee::<Test>::get().into_iter().map(|m| m.account).collect();
		assert_eq!(committee, vec![member(1), member(2)]);
		assert!(CommitteeKeys::<Test>::iter_prefix(0).next().is_none(), "session 0 keys cleared");
		assert_ok!(publish(5, 1));
		assert_eq!(Committee::<Test>::get().len(), 3);
		// Uploads sealed to the old committee's keys are refused.
		register_client();
		let a = alice();
		let old_keys: Vec<_> = (1..=4).map(|i| member_key(i, 0)).collect();
		let u = signed_upload_of(&a, &by_client, sealed_to(&old_keys, 300));
		assert_noop!(submit(&a.0, u), Error::<Test>::WrongRecipients);
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
	});
}

#[test]
fn votes_with_another_model_set_never_decide() {
	new_test_ext().execute_with(|| {
		open_request();
		let old = [0xbb; 32];
		for i in 1..=3 {
			commit(i, 84, DIGEST, MODELS);
		}
		commit(4, 84, DIGEST, old);
		run_to(3);
		assert_ok!(reveal(4, 84, DIGEST, old));
		// Governance moves to a new set mid-request: the votes made with the set before no
		// longer decide, and with no result nobody is counted as disagreeing.
		assert_ok!(Veid::set_model_set(RuntimeOrigin::root(), [0xcc; 32]));
		for i in 1..=3 {
			assert_ok!(reveal(i, 84, DIGEST, MODELS));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending));
		assert!(ActiveModelSet::<Test>::get() == Some([0xcc; 32]));
		run_to(6);
		assert_eq!(Veid::status(&alice().0), Some(Status::Rejected));
		for i in 1..=4 {
			assert_eq!(Evidence::<Test>::get(member(i)), (0, 0), "member {i}");
		}
	});
}

#[test]
fn a_committee_change_does_not_move_an_open_request() {
	new_test_ext().execute_with(|| {
		open_request();
		new_session(&[6]);
		assert_ok!(publish(6, 1));
		assert_eq!(Committee::<Test>::get().len(), 1);
		assert_noop!(try_commit(6, v(90, DIGEST, MODELS)), Error::<Test>::NotCommitteeMember);
		for i in 1..=3 {
			commit(i, 90, DIGEST, MODELS);
		}
		run_to(3);
		for i in 1..=3 {
			assert_ok!(reveal(i, 90, DIGEST, MODELS));
		}
		assert_eq!(Results::<Test>::get(alice().0).map(|r| r.tier), Some(Tier::Premium));
	});
}

#[test]
fn no_upload_without_a_committee() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		let u = signed_upload(&a, &by_client);
		new_session(&[]);
		assert_noop!(submit(&a.0, u), Error::<Test>::NoCommittee);
	});
}

#[test]
fn verified_identities_expire_and_can_be_verified_again() {
	new_test_ext().execute_with(|| {
		open_request();
		for i in 1..=4 {
			commit(i, 75, DIGEST, MODELS);
		}
		for i in 1..=3 {
			assert_ok!(reveal(i, 75, DIGEST, MODELS));
		}
		assert_eq!(Veid::tier(&alice().0), Some(Tier::Standard));
		let (status, tier, result) = Veid::identity_of(alice().0);
		assert_eq!(
			(status, tier, result.map(|r| r.score)),
			(Some(Status::Verified), Some(Tier::Standard), Some(75))
		);
		run_to(50);
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		run_to(51); // decided at block 1, valid for 50 blocks
		assert_eq!(Veid::status(&alice().0), Some(Status::Expired));
		assert_eq!(Veid::tier(&alice().0), None, "an expired identity gates nothing");
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
		assert_eq!(Veid::status(&alice().0), Some(Status::Pending));
	});
}

#[test]
fn pending_requests_are_listed_a_page_at_a_time() {
	new_test_ext().execute_with(|| {
		open_request();
		let b = bob();
		assert_ok!(submit(&b.0, signed_upload(&b, &by_client)));
		let all = Veid::pending_requests(0, 10);
		assert_eq!(
			all.iter().map(|(id, who, _)| (*id, who.clone())).collect::<Vec<_>>(),
			vec![(0, alice().0), (1, bob().0)]
		);
		assert_eq!(all[0].2.len(), 4, "with the committee to score it");
		assert_eq!(Veid::pending_requests(1, 10).len(), 1);
		assert_eq!(Veid::pending_requests(0, 1).len(), 1);
		run_to(6);
		assert!(Veid::pending_requests(0, 10).is_empty(), "timed out");
	});
}

// --- Attacks from the security review (issue 14) ----------------------------------------------

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

#[test]
fn replayed_upload_under_another_account_is_refused() {
	new_test_ext().execute_with(|| {
		let request = open_request();
		let victim = signed_upload(&alice(), &by_client);
		decide_with(request, v(90, DIGEST, MODELS));
		assert_eq!(Veid::tier(&alice().0), Some(Tier::Premium));
		// Everything in the victim's upload is public: Bob resubmits its envelope, salt and
		// commitments under his own account, with his own signature and an approved client's.
		let b = bob();
		let mut replay = signed_upload_of(&b, &by_client, victim.envelope.clone());
		assert_eq!(replay.salt, victim.salt);
		replay.name = victim.name;
		replay.birth = victim.birth;
		let digest = upload_digest(
			&genesis(),
			&b.0,
			&replay.scopes,
			&replay.salt,
			&replay.name,
			&replay.birth,
			&sp_io::hashing::blake2_256(&replay.envelope),
		);
		replay.client_signature = by_client(&digest);
		replay.user_signature = MultiSignature::Sr25519(b.1.sign(&user_message(&digest)));
		assert_ok!(submit(&b.0, replay));
		// The committee sees the victim's photos, so its features are the victim's.
		decide_with(1, v(90, DIGEST, MODELS));
		assert_eq!(Veid::tier(&b.0), None, "Bob verified with Alice's identity");
		let identity = Identities::<Test>::get(&b.0).expect("record");
		assert_eq!(
			(identity.status, identity.reject_reason),
			(Status::Rejected, Some(RejectReason::DuplicateIdentity))
		);
		System::assert_has_event(
			Event::RequestRejected {
				request: 1,
				account: b.0.clone(),
				reason: RejectReason::DuplicateIdentity,
			}
			.into(),
		);
		assert_eq!(Veid::tier(&alice().0), Some(Tier::Premium), "the victim keeps hers");
	});
}

#[test]
fn verifying_again_with_other_photos_moves_the_index_entry_and_its_deposit() {
	new_test_ext().execute_with(|| {
		let request = open_request();
		decide_with(request, v(90, DIGEST, MODELS));
		assert_eq!(crate::IdentityDigests::<Test>::get(DIGEST), Some(alice().0));
		run_to(51); // expired: Alice verifies again, with other photos
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
		decide_with(1, v(88, [0xd2; 32], MODELS));
		assert_eq!(Veid::tier(&a.0), Some(Tier::Premium));
		assert_eq!(crate::IdentityDigests::<Test>::get(DIGEST), None, "the old digest is freed");
		assert_eq!(crate::IdentityDigests::<Test>::get([0xd2; 32]), Some(a.0.clone()));
		assert_eq!(Balances::reserved_balance(&a.0), INDEX_BYTES as u64, "one entry's deposit");
		// The freed digest may now verify another account.
		let b = bob();
		assert_ok!(submit(&b.0, signed_upload(&b, &by_client)));
		decide_with(2, v(90, DIGEST, MODELS));
		assert_eq!(Veid::tier(&b.0), Some(Tier::Premium));
	});
}

#[test]
fn a_commit_after_reveals_are_visible_is_refused() {
	new_test_ext().execute_with(|| {
		open_request();
		for i in 1..=3 {
			commit(i, 84, DIGEST, MODELS);
		}
		run_to(3); // the commit phase is over: reveals open
		assert_ok!(reveal(1, 84, DIGEST, MODELS));
		// Member 4 read member 1's reveal in the block and commits to the same vote.
		assert_noop!(try_commit(4, v(84, DIGEST, MODELS)), Error::<Test>::CommitPhaseOver);
	});
}

#[test]
fn a_lone_member_cannot_decide_for_a_larger_session() {
	new_test_ext().execute_with(|| {
		register_client();
		assert_ok!(Veid::set_model_set(RuntimeOrigin::root(), MODELS));
		// A session of four; only member 1 has published its key so far.
		new_session(&[1, 2, 3, 4]);
		assert_ok!(publish(1, 1));
		assert_eq!(Committee::<Test>::get().len(), 1);
		let a = alice();
		let u = signed_upload(&a, &by_client);
		let attempt = submit(&a.0, u);
		if attempt.is_ok() {
			// The attack: member 1 alone decides the request.
			assert_ok!(try_commit(1, v(95, DIGEST, MODELS)));
			assert_ok!(reveal(1, 95, DIGEST, MODELS));
			panic!("a committee of 1 in a session of 4 decided alone: {:?}", Veid::tier(&a.0));
		}
		assert_noop!(submit(&a.0, signed_upload(&a, &by_client)), Error::<Test>::CommitteeTooSmall);
		// Once MinCommittee (3) members published, uploads are accepted.
		assert_ok!(publish(2, 1));
		assert_ok!(publish(3, 1));
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
	});
}

#[test]
fn a_session_smaller_than_the_minimum_needs_every_member() {
	new_test_ext().execute_with(|| {
		register_client();
		new_session(&[1, 2]);
		assert_ok!(publish(1, 1));
		let a = alice();
		assert_noop!(submit(&a.0, signed_upload(&a, &by_client)), Error::<Test>::CommitteeTooSmall);
		assert_ok!(publish(2, 1));
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
	});
}

#[test]
fn a_member_cannot_publish_another_members_committee_key() {
	new_test_ext().execute_with(|| {
		assert_ok!(publish(1, 1));
		// Member 2 publishes member 1's key as its own for the next session.
		let copied = member_key(1, 1);
		let payload = key_payload(&genesis(), 1, &member(2), &copied);
		let attempt = authorized(Call::publish_committee_key {
			session: 1,
			member: member(2),
			key: copied,
			proof: proof_by(2, 1, 2, &copied),
			signature: sign(2, &payload),
		});
		assert_eq!(attempt, Err(Error::<Test>::KeyInUse.into()));
		// So the next session's committee stays sealable.
		new_session(&[1, 2]);
		assert_ok!(publish(2, 1));
		register_client();
		let a = alice();
		assert_ok!(submit(&a.0, signed_upload(&a, &by_client)));
	});
}

#[test]
fn a_member_cannot_claim_a_committee_key_it_does_not_hold() {
	new_test_ext().execute_with(|| {
		// Member 2 front-runs member 1's key for the next session (seen in the pool).
		let stolen = member_key(1, 1);
		let payload = key_payload(&genesis(), 1, &member(2), &stolen);
		let attempt = authorized(Call::publish_committee_key {
			session: 1,
			member: member(2),
			key: stolen,
			// Member 2 holds only its own committee key: the proof cannot be for this one.
			proof: proof_by(2, 1, 2, &stolen),
			signature: sign(2, &payload),
		});
		assert_eq!(attempt, Err(Error::<Test>::KeyNotProven.into()));
		// Member 1's own key still goes through.
		assert_ok!(publish(1, 1));
	});
}

#[test]
fn a_member_the_uploader_made_unable_to_read_is_not_counted_against() {
	new_test_ext().execute_with(|| {
		open_request();
		let readable = v(84, DIGEST, MODELS);
		// The uploader broke member 4's wrapped key: its node votes "unreadable for me".
		let cannot_read = Vote {
			score: 0,
			reasons: virtengine_veid_primitives::UNREADABLE_FOR_MEMBER,
			digest: [0xee; 32],
			model_set: MODELS,
		};
		for i in 1..=3 {
			commit(i, 84, DIGEST, MODELS);
		}
		assert_ok!(try_commit(4, cannot_read));
		assert_ok!(reveal_as(4, 4, cannot_read, salt(4)));
		for i in 1..=3 {
			assert_ok!(reveal_to(0, i, readable));
		}
		assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
		assert_eq!(Evidence::<Test>::get(member(4)), (0, 0), "member 4 recorded as dissenting");
	});
}

#[test]
fn a_user_signature_a_wallet_would_show_as_an_extrinsic_is_refused() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		// The user signed the bare 32-byte digest: a wallet cannot tell it from a transaction
		// payload. Only the `<Bytes>`-wrapped digest (polkadot.js `signRaw`) is accepted.
		let mut u = signed_upload(&a, &by_client);
		let digest = upload_digest(
			&genesis(),
			&a.0,
			&u.scopes,
			&u.salt,
			&u.name,
			&u.birth,
			&sp_io::hashing::blake2_256(&u.envelope),
		);
		u.user_signature = MultiSignature::Sr25519(a.1.sign(&digest));
		assert_noop!(submit(&a.0, u), Error::<Test>::BadUserSignature);
	});
}

#[test]
fn an_upload_signed_for_another_chain_is_refused() {
	new_test_ext().execute_with(|| {
		register_client();
		let a = alice();
		let mut u = signed_upload(&a, &by_client);
		let digest = upload_digest(
			&sp_core::H256::repeat_byte(7),
			&a.0,
			&u.scopes,
			&u.salt,
			&u.name,
			&u.birth,
			&sp_io::hashing::blake2_256(&u.envelope),
		);
		u.client_signature = by_client(&digest);
		u.user_signature = MultiSignature::Sr25519(a.1.sign(&user_message(&digest)));
		assert_noop!(submit(&a.0, u), Error::<Test>::BadClientSignature);
	});
}

// --- The offchain worker ---------------------------------------------------------------------

mod offchain_worker {
	use super::*;
	use sp_core::offchain::{
		testing::{TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, TransactionPoolExt,
	};
	use sp_keystore::Keystore;
	use std::sync::Arc;
	use virtengine_veid_host::{ScoreFailure, ScoreJob, VeidScorer, VeidScorerExt};

	/// Stands in for the node's scorer (the real one runs the models; `node/tests/veid.rs`
	/// exercises it end to end): member 1's keys, and a fixed vote for a job it checks.
	struct FakeScorer {
		vote: Vote,
	}

	impl VeidScorer for FakeScorer {
		fn committee_key(&self, session: u32) -> Result<[u8; 32], String> {
			Ok(member_key(1, session))
		}
		fn prove_committee_key(&self, session: u32, message: &[u8]) -> Option<KeyProof> {
			let pair = committee_pair(1, session);
			Some(KeyProof { ed25519: pair.public().0, signature: pair.sign(message).0 })
		}
		fn retire_committee_keys(&self, _: u32) {}
		fn score(&self, job: ScoreJob) -> Result<Vote, ScoreFailure> {
			assert_eq!(job.today, 20_778, "the request's reference day");
			assert_eq!(job.salt, [1; 32]);
			assert_eq!(job.account, alice().0.encode(), "the uploading account");
			assert!(!job.envelope.is_empty());
			Ok(self.vote)
		}
	}

	/// A test runtime whose keystore holds member 1's VEID key, with offchain extensions and (with
	/// a vote) the scorer; the transaction pool's state to read submissions from.
	fn worker_ext(
		vote: Option<Vote>,
	) -> (sp_io::TestExternalities, Arc<parking_lot::RwLock<sp_core::offchain::testing::PoolState>>)
	{
		let keystore = sp_keystore::testing::MemoryKeystore::new();
		let seed = format!("0x{}", hex::encode([101u8; 32]));
		keystore
			.sr25519_generate_new(virtengine_veid_primitives::KEY_TYPE, Some(&seed))
			.expect("key");
		let mut ext = new_test_ext_with(keystore);
		let (offchain, _) = TestOffchainExt::new();
		let (pool, pool_state) = TestTransactionPoolExt::new();
		ext.register_extension(OffchainDbExt::new(offchain.clone()));
		ext.register_extension(OffchainWorkerExt::new(offchain));
		ext.register_extension(TransactionPoolExt::new(pool));
		if let Some(vote) = vote {
			ext.register_extension(VeidScorerExt::new(Arc::new(FakeScorer { vote })));
		}
		(ext, pool_state)
	}

	/// Takes the submitted transactions and runs each as the chain would.
	fn apply_submitted(
		pool: &parking_lot::RwLock<sp_core::offchain::testing::PoolState>,
	) -> Vec<Call<Test>> {
		let mut calls = Vec::new();
		for raw in std::mem::take(&mut pool.write().transactions) {
			let xt = <Extrinsic as codec::Decode>::decode(&mut &raw[..]).expect("an extrinsic");
			let RuntimeCall::Veid(call) = xt.function else { panic!("not a VEID call") };
			assert_ok!(authorized(call.clone()));
			calls.push(call);
		}
		calls
	}

	#[test]
	fn the_worker_publishes_its_key_scores_commits_and_reveals() {
		let vote = v(84, DIGEST, MODELS);
		let (mut ext, pool) = worker_ext(Some(vote));
		ext.execute_with(|| {
			// Session 0's key is published (start_committee); the next session's is not.
			Veid::offchain_worker(1);
			let calls = apply_submitted(&pool);
			assert!(
				matches!(calls.as_slice(), [Call::publish_committee_key { session: 1, .. }]),
				"{calls:?}"
			);
			assert_eq!(CommitteeKeys::<Test>::get(1, member(1)), Some(member_key(1, 1)));

			open_request();
			Veid::offchain_worker(1);
			let calls = apply_submitted(&pool);
			assert!(matches!(calls.as_slice(), [Call::commit { request: 0, .. }]), "{calls:?}");
			assert!(Commits::<Test>::contains_key(0, member(1)));

			// The vote is kept: another run re-submits nothing new and does not re-score.
			Veid::offchain_worker(1);
			assert!(apply_submitted(&pool).is_empty(), "committed, reveal phase not open");

			for i in 2..=4 {
				commit(i, 84, DIGEST, MODELS);
			}
			Veid::offchain_worker(1);
			let calls = apply_submitted(&pool);
			assert!(matches!(calls.as_slice(), [Call::reveal { request: 0, .. }]), "{calls:?}");
			assert_ok!(reveal(2, 84, DIGEST, MODELS));
			assert_ok!(reveal(3, 84, DIGEST, MODELS));
			assert_eq!(Veid::status(&alice().0), Some(Status::Verified));
			assert_eq!(Results::<Test>::get(alice().0).map(|r| r.score), Some(84));
		});
	}

	#[test]
	fn a_node_that_cannot_score_does_not_vote() {
		// No scorer extension: a node started without models, or one that is not a validator.
		let (mut ext, pool) = worker_ext(None);
		ext.execute_with(|| {
			open_request();
			Veid::offchain_worker(1);
			assert!(apply_submitted(&pool).is_empty());
			assert!(!Commits::<Test>::contains_key(0, member(1)));
		});
	}
}

/// Each refusal of a member's call has its own code in the runtime's table, under the pallet
/// error's name, and every veid code in the table is one of them.
#[test]
fn refusal_codes_are_the_runtime_tables() {
	use crate::Refused;
	use virtengine_primitives::refusal::{refusal, REFUSALS};

	fn screaming(camel: &str) -> String {
		let mut out = String::new();
		for (i, c) in camel.chars().enumerate() {
			if c.is_ascii_uppercase() && i > 0 {
				out.push('_');
			}
			out.push(c.to_ascii_uppercase());
		}
		out
	}

	for refused in Refused::ALL {
		let entry = refusal(refused.code()).expect("the code is in the table");
		assert_eq!(entry.pallet, "veid");
		assert_eq!(entry.name, screaming(&format!("{refused:?}")));
		assert_eq!(Refused::from_code(refused.code()), Some(refused));
		// The dispatch error of the same name.
		let error: sp_runtime::DispatchError = Error::<Test>::from(refused).into();
		let sp_runtime::DispatchError::Module(module) = error else { panic!("{error:?}") };
		assert_eq!(module.message.map(String::from), Some(format!("{refused:?}")));
	}
	let veid = REFUSALS.iter().filter(|r| r.pallet == "veid").count();
	assert_eq!(veid, Refused::ALL.len());
}

/// The pool's refusal of a member's call names the check that failed: a commit to a request
/// that is not open is `REQUEST_NOT_OPEN` (30), not a bare error index.
#[test]
fn a_commit_to_no_open_request_is_refused_with_its_code() {
	new_test_ext().execute_with(|| {
		let call = Call::<Test>::commit {
			request: 999,
			member: member(0),
			commitment: [0; 32],
			signature: sign(0, b"unused"),
		};
		assert_eq!(
			call.authorize(TransactionSource::External).expect("an authorized call"),
			Err(InvalidTransaction::Custom(virtengine_primitives::refusal::veid::REQUEST_NOT_OPEN)
				.into())
		);
	});
}
