//! End to end on a dev node: offering → order → bid → lease → usage → settlement → close, every
//! step through the CLI as a user types it, and the balances add up to the unit
//! (`common::market::lease_flow`, which the network's test runs too).
//!
//! Bob becomes a provider: his identity is verified by the chain's committee (the real models,
//! as in `veid.rs`), he enrolls a software FIDO2 key, claims a domain that the verifier (sudo)
//! confirms, registers (MFA: VEID + FIDO2) and creates an offering (first offering: VEID +
//! FIDO2). Charlie, verified the same way, orders it (first order: VEID), accepts Bob's bid; Bob
//! starts the lease and reports usage signed by his daemon key; Dave (a stranger) settles it; Charlie
//! closes it; after the closing timeout the escrow settles and refunds; Bob withdraws. Then:
//! Charlie lost exactly the escrow's payments and his transaction fees, Bob gained exactly his
//! payout less his fees, the fee account exactly the platform fee.

mod common;

use std::time::Duration;

use common::{
	approve_capture_client, block_on, cli, fixture,
	market::{lease_flow, Chain, Parties},
	veid_upload, Node, CAPTURE_CLIENT,
};

#[test]
fn a_lease_from_offering_to_settlement_adds_up() {
	let node = Node::start_dev(1_000);
	node.wait_for_block(1, Duration::from_secs(240));
	let rpc = node.rpc_url();
	let client = node.client();
	let r = rpc.as_str();
	let dir = tempfile::tempdir().expect("temp dir");
	let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

	// Identities: the committee forms, a capture client is approved, Bob and Charlie upload.
	node.wait_until("a committee", Duration::from_secs(60), || {
		block_on(client.committee()).is_ok()
	});
	approve_capture_client(r).expect("approve the capture client");
	// Two people: one identity verifies one account (the uniqueness index, docs/veid.md).
	let mut people = Vec::new();
	for (who, person) in [("//Bob", "person_b"), ("//Charlie", "person_a")] {
		let portrait = fixture(dir.path(), &format!("{person}_1"));
		let selfie = fixture(dir.path(), &format!("{person}_2"));
		let document = path(&format!("card_{person}.png"));
		cli(&["veid", "synth", "--photo", &portrait, "--out", &document]).expect("synth");
		people.push((who, document, selfie));
	}
	for (who, document, selfie) in &people {
		veid_upload(r, document, selfie, who, CAPTURE_CLIENT)
			.unwrap_or_else(|e| panic!("upload {who}: {e}; node log:\n{}", node.log_tail()));
	}

	let diagnose = || node.log_tail();
	let chain =
		Chain { submit: r, read: &client, diagnose: &diagnose, patience: Duration::from_secs(60) };
	let parties = Parties {
		provider: "//Bob",
		customer: "//Charlie",
		stranger: "//Dave",
		governance: "//Alice",
	};
	let outcome = lease_flow(&chain, &parties, dir.path());
	assert_eq!(outcome.lease, 0, "the chain's first lease");
}
