//! End to end on a dev node: identity verification by the chain's committee.
//!
//! The dev node is its own committee (Alice collates and holds the VEID session key): its
//! offchain worker publishes a committee key, a capture client is approved through sudo, Bob
//! uploads a synthetic ID card and a selfie with `virtengine veid upload`, the worker opens the
//! envelope in the node's host function, scores it with the real models, commits and reveals, and
//! the chain decides: Bob is verified with the score the pipeline gives, read back over RPC.
//! Before that, an unapproved client, a forged client signature and an oversized upload are each
//! refused with their own error and leave nothing held. After it, a replay of a bundle sealed for
//! Bob, submitted under Charlie's account, is rejected by the scorer with `BUNDLE_MISMATCH`. Every
//! command runs through the CLI's own code (`virtengine_cli::run_args`), as a user types it.

mod common;

use std::time::{Duration, Instant};

use common::{
	account, approve_capture_client, block_on, chain_error, cli, fixture, keypair, veid_upload,
	Node,
};
use sp_core::Pair;
use virtengine_client::{
	runtime,
	veid::{self as chain, Status},
	TxOptions,
};
use virtengine_primitives::units::MICRO_VE;

fn reserved(node: &Node, who: &str) -> u128 {
	node.reserved_balance(&account(who))
}

#[test]
fn the_dev_node_verifies_a_synthetic_identity() {
	let node = Node::start_dev(1_000);
	node.wait_for_block(1, Duration::from_secs(240));
	let rpc = node.rpc_url();
	let client = node.client();
	let options = TxOptions::default();

	// The committee forms: the node's worker publishes Alice's committee key for session 0.
	let started = Instant::now();
	let committee = loop {
		match block_on(client.committee()) {
			Ok(c) => break c,
			Err(e) => {
				assert!(
					started.elapsed() < Duration::from_secs(60),
					"no committee after 60 s ({e}); node log:\n{}",
					node.log_tail()
				);
				std::thread::sleep(Duration::from_millis(500));
			},
		}
	};
	assert_eq!(committee.len(), 1);
	assert_eq!(committee[0].account, account("//Alice"));

	let dir = tempfile::tempdir().expect("temp dir");
	let portrait = fixture(dir.path(), "person_b_1");
	let selfie = fixture(dir.path(), "person_b_2");
	let document = dir.path().join("card.png").to_string_lossy().into_owned();
	cli(&["veid", "synth", "--photo", &portrait, "--out", &document]).expect("synth");
	let bob = account("//Bob").to_string();
	let upload = |client_id: &str, client_key: &str| {
		veid_upload(&rpc, &document, &selfie, "//Bob", (client_id, client_key))
	};

	// An unapproved client.
	let err = upload("unknown-app", "//CaptureApp").expect_err("unapproved client");
	assert!(err.failed_with("Veid::ClientNotFound"), "{err}");

	let add_client = || approve_capture_client(&rpc);
	add_client().expect("approve the capture client");
	// Approving it twice is refused by name.
	let err = add_client().expect_err("twice");
	assert!(err.failed_with("Veid::ClientAlreadyExists"), "{err}");

	// A forged client signature: the approved id, another key.
	let err = upload("capture-app", "//Forger").expect_err("forged client signature");
	assert!(err.failed_with("Veid::InvalidClientSignature"), "{err}");

	// An oversized upload, signed correctly, straight through the client library.
	let user = sp_core::sr25519::Pair::from_string("//Bob", None).expect("bob");
	let capture = sp_core::ed25519::Pair::from_string("//CaptureApp", None).expect("client key");
	let who = account("//Bob");
	let max = block_on(client.max_envelope_bytes()).expect("the limit");
	let envelope = vec![0u8; max as usize + 1];
	let scopes = vec![
		virtengine_veid_primitives::ScopeKind::Document,
		virtengine_veid_primitives::ScopeKind::Selfie,
	];
	let genesis = client.genesis().0;
	let digest =
		chain::upload_digest(&genesis, &who, &scopes, &[1; 32], &[2; 32], &[3; 32], &envelope);
	let id = chain::parse_client_id("capture-app").expect("id");
	let call = chain::upload_scopes(chain::Upload {
		client: id,
		scopes,
		salt: [1; 32],
		name_commitment: [2; 32],
		birth_date_commitment: [3; 32],
		envelope,
		client_signature: capture.sign(&digest).0,
		user_signature: user.sign(&chain::user_message(&digest)).0,
	})
	.expect("call");
	let err =
		block_on(client.submit(&keypair("//Bob"), &call, &options, |_| {})).expect_err("oversized");
	let failed = chain_error(&err).1;
	assert!(failed.as_deref().is_some_and(|e| e.starts_with("Veid::EnvelopeTooLarge")), "{err}");

	// Nothing was kept from the refused uploads.
	assert_eq!(reserved(&node, "//Bob"), 0);
	assert_eq!(block_on(client.identity(&who)).expect("identity").status, None);

	// The real upload: sealed to the committee, scored by the node, decided by the chain.
	let started = Instant::now();
	upload("capture-app", "//CaptureApp").unwrap_or_else(|e| {
		panic!("upload: {e}; node log:\n{}", node.log_tail());
	});
	let s = block_on(client.identity(&who)).expect("identity");
	let result = s.result.clone().expect("a result");
	assert_eq!(s.status, Some(Status::Verified), "{:?}; node log:\n{}", s, node.log_tail());
	assert!(result.score >= 70, "a genuine card scores at least standard: {result:?}");
	assert_eq!(result.model_set, virtengine_veid_primitives::PINNED_MODEL_SET);
	assert!(s.request.is_none(), "the request is closed");
	// The runtime's view functions agree.
	assert_eq!(
		block_on(client.identity_of(&who)).expect("view function"),
		(Some(Status::Verified), Some(result.tier.clone()), Some(result.clone()))
	);
	assert!(block_on(client.pending_requests(0, 100)).expect("view function").is_empty());
	// Returned, but for the uniqueness index's entries (digest → account and back: 176 bytes).
	assert_eq!(
		reserved(&node, "//Bob"),
		176 * MICRO_VE,
		"the deposit is returned but for the index entry"
	);
	let left = block_on(async {
		let at = client.at_best().await.expect("best block");
		let mut entries =
			at.storage().iter(runtime::storage().veid().envelopes(), ()).await.expect("envelopes");
		entries.next().await.is_some()
	});
	assert!(!left, "the ciphertext left state");
	eprintln!(
		"verified with score {} ({:?}) in {:.1} s",
		result.score,
		result.tier,
		started.elapsed().as_secs_f64()
	);
	cli(&["veid", "status", &bob, "--rpc", &rpc]).expect("status");

	// A replay (issue 14): a bundle sealed for Bob (it names his account and salt), submitted
	// under Charlie's account with Charlie's own signature and the approved client's. The node's
	// scorer refuses the mismatch: Charlie is rejected with BUNDLE_MISMATCH, not verified.
	use virtengine_veid_primitives::{ScopeBundle, BUNDLE_MISMATCH};
	let charlie_pair = sp_core::sr25519::Pair::from_string("//Charlie", None).expect("charlie");
	let charlie = account("//Charlie");
	let salt = [5u8; 32];
	let bundle = ScopeBundle {
		version: ScopeBundle::VERSION,
		account: codec::Encode::encode(&who),
		salt,
		document: std::fs::read(&document).expect("card"),
		selfie: std::fs::read(&selfie).expect("selfie"),
	};
	let keys: Vec<[u8; 32]> =
		block_on(client.committee()).expect("committee").iter().map(|m| m.key).collect();
	let limits =
		virtengine_envelope::Limits { max_ciphertext: max, ..virtengine_envelope::Limits::DEFAULT };
	let envelope = virtengine_envelope::seal(
		&codec::Encode::encode(&bundle),
		&keys,
		&virtengine_envelope::SenderKey::Sr25519(user.clone()),
		ScopeBundle::CONTEXT,
		0,
		&limits,
	)
	.expect("seal");
	let envelope = codec::Encode::encode(&envelope);
	let scopes = vec![
		virtengine_veid_primitives::ScopeKind::Document,
		virtengine_veid_primitives::ScopeKind::Selfie,
	];
	let digest =
		chain::upload_digest(&genesis, &charlie, &scopes, &salt, &[2; 32], &[3; 32], &envelope);
	let call = chain::upload_scopes(chain::Upload {
		client: id,
		scopes,
		salt,
		name_commitment: [2; 32],
		birth_date_commitment: [3; 32],
		envelope,
		client_signature: capture.sign(&digest).0,
		user_signature: charlie_pair.sign(&chain::user_message(&digest)).0,
	})
	.expect("call");
	block_on(client.submit(&keypair("//Charlie"), &call, &options, |_| {}))
		.expect("the replay is accepted on chain");
	let started = Instant::now();
	let s = loop {
		let s = block_on(client.identity(&charlie)).expect("identity");
		if s.status != Some(Status::Pending) {
			break s;
		}
		assert!(
			started.elapsed() < Duration::from_secs(120),
			"the replay was not decided in 120 s; node log:\n{}",
			node.log_tail()
		);
		std::thread::sleep(Duration::from_millis(500));
	};
	let result = s.result.clone().expect("a result");
	assert_eq!(s.status, Some(Status::Rejected), "{s:?}; node log:\n{}", node.log_tail());
	assert_eq!((result.score, result.reasons), (0, BUNDLE_MISMATCH), "{result:?}");
	assert_eq!(
		block_on(client.identity_of(&charlie)).expect("view").1,
		None,
		"Charlie has no tier"
	);
}
