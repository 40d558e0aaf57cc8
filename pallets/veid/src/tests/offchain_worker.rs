//! The committee member's offchain worker: it publishes its key, scores, commits and reveals.

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
) -> (sp_io::TestExternalities, Arc<parking_lot::RwLock<sp_core::offchain::testing::PoolState>>) {
	let keystore = sp_keystore::testing::MemoryKeystore::new();
	let seed = format!("0x{}", hex::encode([101u8; 32]));
	keystore.sr25519_generate_new(virtengine_veid_primitives::KEY_TYPE, Some(&seed)).expect("key");
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
