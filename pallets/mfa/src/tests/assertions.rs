//! WebAuthn assertions from a real software authenticator (fixtures from PyPI's `soft-webauthn`,
//! see `fixtures/make_assertions.py`) verified on chain, and refused when replayed, for another
//! call, with a counter going back, for another RP ID or origin.

use super::*;

#[derive(serde::Deserialize)]
struct Fixture {
	credential_id: String,
	public_key: String,
	steps: std::collections::BTreeMap<String, Step>,
}

#[derive(serde::Deserialize)]
struct Step {
	challenge: String,
	authenticator_data: String,
	client_data_json: String,
	signature: String,
}

fn fixture() -> Fixture {
	serde_json::from_str(include_str!("../../fixtures/assertions.json")).expect("assertions.json")
}

impl Fixture {
	fn assertion(&self, step: &str) -> Assertion {
		let s = &self.steps[step];
		Assertion {
			credential_id: hex::decode(&self.credential_id).unwrap().try_into().unwrap(),
			authenticator_data: hex::decode(&s.authenticator_data).unwrap().try_into().unwrap(),
			client_data_json: s.client_data_json.as_bytes().to_vec().try_into().unwrap(),
			signature: hex::decode(&s.signature).unwrap().try_into().unwrap(),
		}
	}
	fn public_key(&self) -> Vec<u8> {
		hex::decode(&self.public_key).unwrap()
	}
}

/// The fixture credential's secret scalar and id (the Python authenticator is given them).
const FIXTURE_SECRET: [u8; 32] = [0x5e; 32];
const FIXTURE_CREDENTIAL: &[u8] = b"soft-webauthn-fixture";

/// The call the fixture authorizes: 6,000 VE from Alice to Bob (a new address for her, and above
/// the 5,000 VE threshold: VEID + FIDO2, so it stays sensitive once Bob is known).
fn fixture_call() -> RuntimeCall {
	transfer(BOB, 6_000 * VE)
}

/// The challenges of the fixture's steps, as the pallet derives them.
fn fixture_challenges() -> Vec<(&'static str, [u8; 32], u32, Option<&'static str>)> {
	new_test_ext().execute_with(|| {
		let pk = SoftAuthenticator::from_secret(&FIXTURE_SECRET, FIXTURE_CREDENTIAL, RP_ID)
			.unwrap()
			.public_key();
		let genesis = Mfa::genesis();
		let alice = ALICE.encode();
		let call = virtengine_mfa_primitives::call_hash(&fixture_call().encode());
		let at = |nonce| webauthn::authorize_challenge(&genesis, &alice, nonce, &call);
		vec![
			(
				"enroll",
				webauthn::enroll_challenge(&genesis, &alice, FIXTURE_CREDENTIAL, &pk),
				1,
				None,
			),
			("transfer", at(0), 2, None),
			("transfer_again", at(1), 3, None),
			("counter_back", at(2), 3, None),
			("other_rp", at(2), 4, Some("evil.test")),
		]
	})
}

/// Writes `fixtures/challenges.json` for `fixtures/make_assertions.py` (run by hand when the
/// challenge derivation or the mock's call encoding changes).
#[test]
#[ignore]
fn write_fixture_challenges() {
	let steps: Vec<_> = fixture_challenges()
		.into_iter()
		.map(|(name, challenge, counter, rp)| {
			let mut s = serde_json::json!({
				"name": name, "challenge": hex::encode(challenge), "counter": counter,
			});
			if let Some(rp) = rp {
				s["rp_id"] = rp.into();
			}
			s
		})
		.collect();
	let spec = serde_json::json!({
		"rp_id": RP_ID, "origin": ORIGIN, "secret": hex::encode(FIXTURE_SECRET),
		"credential_id": hex::encode(FIXTURE_CREDENTIAL), "steps": steps,
	});
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/challenges.json");
	std::fs::write(path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
}

#[test]
fn fixtures_sign_the_challenges_the_chain_derives() {
	let f = fixture();
	for (name, challenge, ..) in fixture_challenges() {
		assert_eq!(
			f.steps[name].challenge,
			hex::encode(challenge),
			"fixture step {name} is stale: regenerate (fixtures/make_assertions.py)"
		);
	}
	// The key the Python authenticator used is the one derived from the same secret here.
	let pk = SoftAuthenticator::from_secret(&FIXTURE_SECRET, FIXTURE_CREDENTIAL, RP_ID)
		.unwrap()
		.public_key();
	assert_eq!(webauthn::compress_public_key(&f.public_key()).unwrap(), pk);
}

#[test]
fn soft_webauthn_assertions_verified_on_chain_and_refused_when_misused() {
	let f = fixture();
	new_test_ext().execute_with(|| {
		let pk: BoundedVec<u8, _> = f.public_key().try_into().unwrap();
		// soft-webauthn sets user-present only: a credential demanding UV refuses it.
		assert_noop!(
			Mfa::register_credential(
				RuntimeOrigin::signed(ALICE),
				pk.clone(),
				true,
				f.assertion("enroll")
			),
			Error::<Test>::UserNotVerified
		);
		// Another account cannot register it with Alice's enrollment assertion.
		assert_noop!(
			Mfa::register_credential(
				RuntimeOrigin::signed(BOB),
				pk.clone(),
				false,
				f.assertion("enroll")
			),
			Error::<Test>::ChallengeMismatch
		);
		assert_ok!(Mfa::register_credential(
			RuntimeOrigin::signed(ALICE),
			pk.clone(),
			false,
			f.assertion("enroll")
		));
		assert_eq!(crate::Credentials::<Test>::get(ALICE)[0].counter, 1);

		// Without authorization the large transfer to a new address is refused.
		set_tier(ALICE, Some(Tier::Standard));
		let call = fixture_call();
		assert_eq!(submit(ALICE, call.clone()), refused(MFA_REQUIRED));
		// The assertion for this call cannot authorize another call (challenge bound to it).
		assert_noop!(
			Mfa::authorize(
				RuntimeOrigin::signed(ALICE),
				Box::new(transfer(BOB, 6_001 * VE)),
				proofs(vec![Proof::Fido2(f.assertion("transfer"))])
			),
			Error::<Test>::ChallengeMismatch
		);
		assert_ok!(authorize(ALICE, &call, vec![Proof::Fido2(f.assertion("transfer"))]));
		assert_eq!(crate::Credentials::<Test>::get(ALICE)[0].counter, 2);
		assert_eq!(submit(ALICE, call.clone()), Ok(Ok(())));
		assert_eq!(Balances::free_balance(BOB), 106_000 * VE);

		// Replayed: the nonce moved on, so the challenge no longer matches.
		assert_noop!(
			authorize(ALICE, &call, vec![Proof::Fido2(f.assertion("transfer"))]),
			Error::<Test>::ChallengeMismatch
		);
		// A fresh assertion (counter 3) authorizes the same call again.
		assert_ok!(authorize(ALICE, &call, vec![Proof::Fido2(f.assertion("transfer_again"))]));
		// Counter going back (3 after 3): refused as a cloned authenticator.
		assert_noop!(
			authorize(ALICE, &call, vec![Proof::Fido2(f.assertion("counter_back"))]),
			Error::<Test>::CounterNotIncreased
		);
		// Scoped to another RP ID.
		assert_noop!(
			authorize(ALICE, &call, vec![Proof::Fido2(f.assertion("other_rp"))]),
			Error::<Test>::RpIdMismatch
		);
		// Another origin configured on chain: the same assertion fails on origin.
		let mut rp = crate::RelyingParty::<Test>::get().unwrap();
		rp.origin = b"https://other.virtengine.test".to_vec().try_into().unwrap();
		assert_ok!(Mfa::set_relying_party(RuntimeOrigin::root(), rp));
		let mut a = f.assertion("counter_back");
		a.authenticator_data[36] = 9; // counter 9, signature now broken
		assert_noop!(authorize(ALICE, &call, vec![Proof::Fido2(a)]), Error::<Test>::OriginMismatch);
	});
}
