//! The real network (issue 17): a rococo-local relay chain with two validators and VirtEngine as
//! parachain 2000 with three collators, each a separate `virtengine-node` process with its own
//! keystore, database and offchain worker, started by zombienet from `zombienet/local.toml`.
//!
//! What it checks, on the live network:
//! - the relay chain has registered the parachain, and every collator sees parachain blocks
//!   finalized (which only the relay chain's finality gives a parachain);
//! - the identity committee is the three collators, each with its own published key;
//! - an identity upload, sealed to the three members and submitted to one collator, is scored by
//!   every member's offchain worker on its own node (all three commit a vote); each member's vote
//!   is printed, and the decision, read from another collator, is what two of them revealed;
//! - one collator killed (SIGKILL): blocks go on, and an upload is decided by the other two;
//! - the killed collator started again from its database catches up and votes again;
//! - governance shortens sessions (sudo `system.set_storage` of `:SessionLength:`), a new session
//!   begins, and the restarted collator votes in it and publishes its key for the session after;
//! - the marketplace's end-to-end flow of the dev node's test (offering to withdrawal, the
//!   balances adding up), every transaction submitted to one collator and read from another;
//! - a runtime upgrade the parachain way (`authorize_upgrade`, then `apply_authorized_upgrade`):
//!   the relay chain enacts it, every collator runs the new version, blocks go on finalizing, and
//!   the committee decides an upload on it;
//! - a collator whose models differ (restarted with `--veid-manifest` naming another model set)
//!   is outvoted, and recorded as disagreeing in `Evidence`.
//!
//! `make network-test` runs it: it builds the relay chain's programs first (scripts/relay.sh) and
//! installs zombienet (scripts/zombienet.sh). `cargo test --workspace` skips it (`#[ignore]`), as
//! it needs those programs. The network's files and every node's log stay in a temporary directory
//! that is printed, and removed when the test passes.

mod common;

use std::{
	collections::BTreeMap,
	path::Path,
	time::{Duration, Instant},
};

use common::{
	account, approve_capture_client, block_on, cli, fixture,
	market::{lease_flow, Chain, Parties},
	network::{node_health, relay_parachains, Network},
	veid_upload, CAPTURE_CLIENT,
};
use virtengine_client::{runtime, veid::Status, AccountId, Client};

/// The parachain's id (the `local` spec's).
const PARA_ID: u32 = 2000;

const MEMBERS: [&str; 3] = ["//Alice", "//Bob", "//Charlie"];

/// An identity upload through the CLI, as a user runs it: a synthetic card with `portrait`'s
/// face, a selfie, signed by `suri`, submitted to node `to`, waiting for the decision. Returns the
/// parachain's best block before the upload (where the votes' search starts).
fn upload(net: &Network, dir: &Path, to: &str, suri: &str, photos: (&str, &str)) -> u32 {
	let portrait = fixture(dir, photos.0);
	let selfie = fixture(dir, photos.1);
	let document = dir.join(format!("card-{}.png", photos.0)).to_string_lossy().into_owned();
	cli(&["veid", "synth", "--photo", &portrait, "--out", &document]).expect("synth");
	let from = block_on(net.client(to).best_number()).expect("best");
	let started = Instant::now();
	veid_upload(net.rpc(to), &document, &selfie, suri, CAPTURE_CLIENT)
		.unwrap_or_else(|e| panic!("upload by {suri}: {e}\n{}", net.logs()));
	eprintln!("{suri}'s upload (to {to}) decided in {:.1} s", started.elapsed().as_secs_f64());
	from
}

/// The committee's commits and reveals between blocks `from` and `to`, read from `client`:
/// member → (committed in, (score, revealed in)).
type Votes = BTreeMap<AccountId, (Option<u32>, Option<(u8, u32)>)>;

fn votes(client: &Client, from: u32, to: u32) -> Votes {
	let mut votes = Votes::new();
	for n in from..=to {
		let hash = block_on(client.block_hash(n)).expect("hash");
		for e in block_on(client.events(hash)).expect("events") {
			match e {
				runtime::Event::Veid(runtime::veid::Event::VoteCommitted { member, .. }) => {
					votes.entry(member).or_default().0 = Some(n);
				},
				runtime::Event::Veid(runtime::veid::Event::VoteRevealed {
					member, score, ..
				}) => {
					votes.entry(member).or_default().1 = Some((score, n));
				},
				_ => {},
			}
		}
	}
	votes
}

/// Reads `who`'s decision from `client`, prints every member's vote, and checks that at least two
/// members revealed the decided score. Returns the votes.
fn decision(client: &Client, who: &str, from: u32) -> (Status, Votes) {
	// The node that decided may be a block ahead of this one.
	let started = Instant::now();
	let s = loop {
		let s = block_on(client.identity(&account(who))).expect("identity");
		match &s.status {
			Some(status) if *status != Status::Pending => break s,
			_ if started.elapsed() > Duration::from_secs(60) => {
				panic!("{who}'s request is still {:?} at block #{} of this node", s.status, s.at)
			},
			_ => std::thread::sleep(Duration::from_millis(500)),
		}
	};
	let status = s.status.clone().expect("decided");
	let votes = votes(client, from, s.at);
	// A rejection as a duplicate identity keeps no result: the agreed score is then the one
	// the revealed votes share.
	let score = match &s.result {
		Some(result) => {
			eprintln!(
				"{who}: {status:?}, score {}, tier {:?} (read at block #{}); the committee's votes:",
				result.score, result.tier, s.at
			);
			result.score
		},
		None => {
			let mut scores = BTreeMap::<u8, usize>::new();
			for (_, revealed) in votes.values() {
				if let Some((score, _)) = revealed {
					*scores.entry(*score).or_default() += 1;
				}
			}
			let (score, _) = scores.into_iter().max_by_key(|(_, n)| *n).expect("revealed votes");
			eprintln!(
				"{who}: {status:?} ({:?}), agreed score {score} (read at block #{}); the \
				 committee's votes:",
				s.identity.as_ref().and_then(|i| i.reject_reason.clone()),
				s.at
			);
			score
		},
	};
	for name in MEMBERS {
		let (committed, revealed) = votes.get(&account(name)).cloned().unwrap_or_default();
		eprintln!(
			"  {name:<9} {}, {}",
			committed.map_or("no commit".into(), |n| format!("committed in #{n}")),
			revealed.map_or("no reveal before the decision".into(), |(score, n)| format!(
				"revealed score {score} in #{n}"
			)),
		);
	}
	let agreeing = votes.values().filter(|(_, r)| r.is_some_and(|(v, _)| v == score)).count();
	assert!(agreeing >= 2, "two members revealed the decided score {score}: {votes:?}");
	(status, votes)
}

/// Waits until node `name`, just restarted, has caught up with `reference` and imports new
/// blocks normally; returns its best block once caught up.
fn catch_up(net: &Network, reference: &Client, name: &str) -> u32 {
	let revived = net.client(name);
	let target = block_on(reference.best_number()).expect("best");
	let target_finalized = block_on(reference.finalized_number()).expect("finalized");
	// Caught up: past the reference's best and finalized blocks of the restart, and no longer
	// syncing (a syncing node's transaction pool does not follow new blocks yet).
	let caught = net.wait_until(&format!("{name} catches up"), Duration::from_secs(300), || {
		let best = block_on(revived.best_number()).ok()?;
		let finalized = block_on(revived.finalized_number()).ok()?;
		let syncing = node_health(net.rpc(name)).ok()?.0;
		(best >= target && finalized >= target_finalized && !syncing).then_some(best)
	});
	eprintln!("{name} restarted and caught up: #{caught} (the reference was at #{target})");
	// Blocks imported by the sync do not reach the transaction pool: it follows the chain again
	// from the next block imported normally. Until then it validates against the block it
	// started with, and refuses a transaction born later ("ancient birth block").
	net.wait_until(&format!("{name} imports new blocks"), Duration::from_secs(120), || {
		block_on(revived.best_number()).ok().filter(|n| *n >= caught + 2)
	});
	caught
}

#[test]
#[ignore = "needs the relay chain's programs and zombienet: `make network-test`"]
fn three_collators_agree_on_identities_and_survive_a_crash() {
	let net = Network::start();
	let collators = ["alice", "bob", "charlie"];

	// The relay chain registered the parachain, and every collator sees it finalized.
	let paras = net.wait_until("parachain 2000 registered", Duration::from_secs(300), || {
		relay_parachains(net.rpc("validator-1")).ok().filter(|p| p.contains(&PARA_ID))
	});
	eprintln!("the relay chain's parachains: {paras:?}");
	let clients: BTreeMap<&str, Client> = collators.iter().map(|c| (*c, net.client(c))).collect();
	for (name, client) in &clients {
		let finalized = net.wait_until(
			&format!("{name} sees parachain block #3 finalized"),
			Duration::from_secs(600),
			|| block_on(client.finalized_number()).ok().filter(|n| *n >= 3),
		);
		eprintln!("{name}: parachain finalized #{finalized}");
	}

	// The committee: the three collators, each with its own key for this session.
	let (alice, bob) = (&clients["alice"], &clients["bob"]);
	let committee = net.wait_until("a committee of three", Duration::from_secs(300), || {
		block_on(alice.committee()).ok().filter(|c| c.len() == 3)
	});
	let members: Vec<_> = committee.iter().map(|m| m.account.clone()).collect();
	for c in MEMBERS {
		assert!(members.contains(&account(c)), "{c} in the committee: {members:?}");
	}
	let keys: std::collections::BTreeSet<_> = committee.iter().map(|m| m.key).collect();
	assert_eq!(keys.len(), 3, "three distinct committee keys");

	// An upload sealed to the three, submitted to Bob's collator, read back from Charlie's: every
	// member scored it on its own node.
	let dir = tempfile::tempdir().expect("temp dir");
	approve_capture_client(net.rpc("alice")).expect("approve the capture client");
	let from = upload(&net, dir.path(), "bob", "//Dave", ("person_b_1", "person_b_2"));
	let (status, votes) = decision(&clients["charlie"], "//Dave", from);
	assert_eq!(status, Status::Verified);
	assert_eq!(
		votes.values().filter(|(c, _)| c.is_some()).count(),
		3,
		"all three members committed a vote: {votes:?}"
	);
	// A member whose reveal came after the two that decided reveals late, and its vote is
	// compared with the result: an honest committee leaves no evidence against anyone (before
	// the fix, the member a block behind was counted as never revealing).
	let charlie_client = &clients["charlie"];
	let decided = |request: u64| {
		block_on(charlie_client.fetch(runtime::storage().veid().decided(), (request,), "decided"))
			.expect("Veid::Decided")
	};
	net.wait_until("the first request's late reveals", Duration::from_secs(300), || {
		decided(0).is_none().then_some(())
	});
	for m in MEMBERS {
		let evidence = block_on(charlie_client.fetch(
			runtime::storage().veid().evidence(),
			(account(m),),
			"evidence",
		))
		.expect("Veid::Evidence")
		.unwrap_or_default();
		assert_eq!(evidence, (0, 0), "{m}: no evidence after an honest vote");
	}
	eprintln!("every member's vote on the first upload counted; no evidence against any");

	// Charlie's collator dies (SIGKILL). Blocks go on, and an upload is decided by the other two.
	let charlie = net.kill("charlie");
	let before = block_on(alice.best_number()).expect("best");
	let after = net.wait_until("blocks after charlie died", Duration::from_secs(120), || {
		block_on(alice.best_number()).ok().filter(|n| *n >= before + 3)
	});
	eprintln!("charlie killed at #{before}; alice at #{after}");
	let from = upload(&net, dir.path(), "alice", "//Eve", ("person_a_1", "person_a_2"));
	let (_, votes) = decision(bob, "//Eve", from);
	assert!(votes.get(&account("//Charlie")).is_none_or(|(c, _)| c.is_none()), "{votes:?}");

	// Charlie starts again from its database, catches up and votes again.
	net.restart("charlie", &charlie);
	let caught = catch_up(&net, alice, "charlie");
	let revived = net.client("charlie");
	let from = upload(&net, dir.path(), "charlie", "//Ferdie", ("person_b_2", "person_b_1"));
	let (_, votes) = decision(alice, "//Ferdie", from);
	assert!(
		votes.get(&account("//Charlie")).is_some_and(|(c, _)| c.is_some()),
		"charlie committed a vote again: {votes:?}"
	);

	// The next session: governance (sudo) shortens sessions so that one ends a few blocks from
	// now. Charlie published its key for it after its restart, and votes in it.
	let session = |client: &Client| {
		block_on(client.fetch(runtime::storage().veid().session(), (), "the session"))
			.expect("session")
			.unwrap_or_default()
	};
	let (now, first) = (block_on(alice.best_number()).expect("best"), session(alice));
	let length = (now + 8).max(101);
	let items = vec![(
		sp_crypto_hashing::twox_128(b":SessionLength:").to_vec(),
		codec::Encode::encode(&length),
	)];
	let call = virtengine_client::sudo(virtengine_client::RuntimeCall::System(
		runtime::runtime_types::frame_system::pallet::Call::set_storage { items },
	));
	block_on(alice.submit(&common::keypair("//Alice"), &call, &Default::default(), |_| {}))
		.expect("sudo: system.set_storage(SessionLength)");
	eprintln!("session {first} at #{now}; sessions now last {length} blocks");
	let next = net.wait_until("the next session", Duration::from_secs(600), || {
		Some(session(alice)).filter(|s| *s > first)
	});
	let committee = block_on(alice.committee()).expect("committee");
	assert!(
		committee.iter().any(|m| m.account == account("//Charlie")),
		"charlie is in session {next}'s committee: {committee:?}"
	);
	// Its key for this session came before the crash (members publish for the current and the
	// next session); the restarted node keeps it on disk. In the new session its offchain worker
	// publishes its key for the session after.
	let mut scanned = now;
	let published = net.wait_until(
		&format!("charlie's committee key for session {}", next + 1),
		Duration::from_secs(180),
		|| {
			let best = block_on(alice.best_number()).ok()?;
			for n in scanned..=best {
				let hash = block_on(alice.block_hash(n)).ok()?;
				for e in block_on(alice.events(hash)).ok()? {
					if let runtime::Event::Veid(runtime::veid::Event::CommitteeKeyPublished {
						session,
						member,
						..
					}) = e
					{
						if session == next + 1 && member == account("//Charlie") {
							return Some(n);
						}
					}
				}
				scanned = n + 1;
			}
			None
		},
	);
	eprintln!(
		"session {next} began; charlie (restarted at #{caught}) published its key for session {} \
		 in #{published}",
		next + 1
	);
	let from = upload(&net, dir.path(), "bob", "//Alice//stash", ("person_a_2", "person_a_1"));
	let (_, votes) = decision(&revived, "//Alice//stash", from);
	assert!(
		votes.get(&account("//Charlie")).is_some_and(|(c, _)| c.is_some()),
		"charlie voted in session {next}: {votes:?}"
	);

	// The marketplace's end-to-end flow (as the dev node's test runs it), every transaction
	// submitted to Bob's collator and every check read from Alice's: Dave (verified above)
	// provides, Eve (verified above) orders, Ferdie settles, governance confirms the domain.
	let diagnose = || net.logs();
	let chain = Chain {
		submit: net.rpc("bob"),
		read: alice,
		diagnose: &diagnose,
		patience: Duration::from_secs(300),
	};
	let parties = Parties {
		provider: "//Dave",
		customer: "//Eve",
		stranger: "//Ferdie",
		governance: "//Alice",
	};
	let market_dir = tempfile::tempdir().expect("temp dir");
	let outcome = lease_flow(&chain, &parties, market_dir.path());
	eprintln!(
		"marketplace across collators: lease {} paid {} with a platform fee of {}, submitted to bob, \
		 read from alice",
		outcome.lease, outcome.paid, outcome.fee
	);

	// A runtime upgrade on the live network, the parachain way: governance (sudo) authorizes the
	// code's hash, anyone applies the code (Dave, through Bob's collator), the relay chain
	// pre-checks it and gives the go-ahead, and every collator runs the new runtime.
	let code = common::upgrade_code();
	let (_, spec_before, _) = block_on(alice.runtime_version()).expect("version");
	let authorize = virtengine_client::sudo(virtengine_client::RuntimeCall::System(
		runtime::runtime_types::frame_system::pallet::Call::authorize_upgrade {
			code_hash: sp_crypto_hashing::blake2_256(&code).into(),
		},
	));
	block_on(alice.submit(&common::keypair("//Alice"), &authorize, &Default::default(), |_| {}))
		.unwrap_or_else(|e| panic!("sudo: system.authorize_upgrade: {e}\n{}", net.logs()));
	let apply = virtengine_client::RuntimeCall::System(
		runtime::runtime_types::frame_system::pallet::Call::apply_authorized_upgrade {
			code: code.clone(),
		},
	);
	let options =
		virtengine_client::TxOptions { timeout: Duration::from_secs(300), ..Default::default() };
	let applied = block_on(bob.submit(&common::keypair("//Dave"), &apply, &options, |_| {}))
		.unwrap_or_else(|e| panic!("system.apply_authorized_upgrade: {e}\n{}", net.logs()));
	assert!(
		applied.events.iter().any(|e| matches!(
			e,
			runtime::Event::ParachainSystem(
				runtime::parachain_system::Event::ValidationFunctionStored
			)
		)),
		"the code is stored for the relay chain's go-ahead: {:?}",
		applied.events
	);
	eprintln!(
		"upgrade: {} bytes of code authorized and applied in #{}; waiting for the relay chain",
		code.len(),
		applied.block_number
	);
	let mut enacted = BTreeMap::new();
	for (name, client) in [("alice", alice), ("bob", bob), ("charlie", &revived)] {
		let at = net.wait_until(
			&format!("{name} runs spec version {}", spec_before + 1),
			Duration::from_secs(600),
			|| {
				let (_, spec, _) = block_on(client.runtime_version()).ok()?;
				(spec == spec_before + 1).then(|| block_on(client.best_number()).ok()).flatten()
			},
		);
		enacted.insert(name, at);
	}
	let upgraded = enacted.values().copied().max().unwrap_or_default();
	let finalized =
		net.wait_until("finalized blocks on the new runtime", Duration::from_secs(300), || {
			block_on(alice.finalized_number()).ok().filter(|n| *n >= upgraded + 3)
		});
	eprintln!(
		"runtime upgraded on the network: spec version {spec_before} -> {}, seen by {enacted:?}; \
		 finalized #{finalized} on it",
		spec_before + 1
	);
	// The new runtime serves transactions and its committee still agrees: one more upload (the
	// face Dave verified first: rejected as a duplicate identity, by agreement of two members).
	let from = upload(&net, dir.path(), "alice", "//Bob//stash", ("person_b_1", "person_b_2"));
	let (status, _) = decision(bob, "//Bob//stash", from);
	eprintln!("an upload decided on the upgraded runtime: {status:?}");

	// A collator whose models differ: Charlie restarted with a manifest naming another model
	// set (`--veid-manifest`: the pinned models in another order, so the same files load under
	// another set id). Its vote is accepted but never counts; Alice and Bob decide, and Charlie
	// is recorded as disagreeing in `Evidence`.
	let evidence = |m: &str| {
		block_on(alice.fetch(runtime::storage().veid().evidence(), (account(m),), "evidence"))
			.expect("Veid::Evidence")
			.unwrap_or_default()
	};
	let before: Vec<_> = MEMBERS.iter().map(|m| evidence(m)).collect();
	let charlie = net.kill("charlie");
	let manifest = dir.path().join("other-model-set.toml");
	std::fs::write(&manifest, common::manifest_in_another_order()).expect("write the manifest");
	let mut wrong = charlie;
	let relay_args = wrong.args.iter().position(|a| a == "--").unwrap_or(wrong.args.len());
	wrong.args.splice(
		relay_args..relay_args,
		["--veid-manifest".to_string(), manifest.to_string_lossy().into_owned()],
	);
	net.restart("charlie", &wrong);
	catch_up(&net, alice, "charlie");
	// An account that has not uploaded yet (an earlier uploader could still be in its cooldown).
	let from = upload(&net, dir.path(), "bob", "//Eve//stash", ("person_a_2", "person_a_1"));
	let (_, votes) = decision(alice, "//Eve//stash", from);
	assert!(
		votes.get(&account("//Charlie")).is_some_and(|(c, _)| c.is_some()),
		"charlie voted with its other model set: {votes:?}"
	);
	let recorded =
		net.wait_until("charlie's disagreement recorded", Duration::from_secs(300), || {
			let now = evidence("//Charlie");
			(now.0 > before[2].0).then_some(now)
		});
	assert_eq!(evidence("//Alice"), before[0], "no evidence against alice");
	assert_eq!(evidence("//Bob"), before[1], "no evidence against bob");
	eprintln!(
		"charlie, scoring with another model set, was outvoted: evidence {:?} -> {recorded:?} \
		 (disagreements, never revealed); none against alice and bob",
		before[2]
	);
}
