//! Tests: WebAuthn assertions from a real software authenticator (fixtures from PyPI's
//! `soft-webauthn`, see `fixtures/make_assertions.py`) verified on chain and refused when replayed,
//! for another call, with a counter going back, for another RP ID; one test per row of the seeds'
//! gating tables through the real extension; one-time codes (attempt limit, expiry, single use);
//! TOTP attestations; trusted devices; deposits.

#![allow(clippy::unwrap_used)]

use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	dispatch::GetDispatchInfo,
	pallet_prelude::{InvalidTransaction, TransactionValidityError},
	traits::fungible::InspectHold,
	BoundedVec,
};
use sp_core::{ed25519, Pair};
use sp_runtime::{
	traits::{DispatchTransaction, Dispatchable},
	DispatchError,
};
use virtengine_mfa_primitives::{
	otp::code_commitment,
	webauthn::{self, soft::SoftAuthenticator},
	Factor, FactorSet,
};
use virtengine_veid_primitives::Tier;

use crate::{
	mock::*, Action, Assertion, ChannelKind, CheckMfa, Error, Event, HoldReason, Proof, Rule,
	MFA_REQUIRED, UNCLASSIFIABLE,
};

// ---- helpers ----

/// Runs `call` signed by `who` through the `CheckMfa` extension (validate and prepare, as block
/// import does) and dispatches it.
fn submit(
	who: u64,
	call: RuntimeCall,
) -> Result<Result<(), DispatchError>, TransactionValidityError> {
	let ext = CheckMfa::<Test>::new();
	let info = call.get_dispatch_info();
	let (_, origin) = ext.validate_and_prepare(RuntimeOrigin::signed(who), &call, &info, 0, 0)?;
	Ok(call.dispatch(origin).map(|_| ()).map_err(|e| e.error))
}

fn refused(code: u8) -> Result<Result<(), DispatchError>, TransactionValidityError> {
	Err(InvalidTransaction::Custom(code).into())
}

fn to_assertion(a: &webauthn::soft::SoftAssertion, credential_id: &[u8]) -> Assertion {
	Assertion {
		credential_id: credential_id.to_vec().try_into().unwrap(),
		authenticator_data: a.authenticator_data.clone().try_into().unwrap(),
		client_data_json: a.client_data_json.clone().try_into().unwrap(),
		signature: a.signature.clone().try_into().unwrap(),
	}
}

fn authenticator() -> SoftAuthenticator {
	SoftAuthenticator::from_secret(&[0x42; 32], b"alice-key", RP_ID).unwrap()
}

/// Registers a software credential for `who`.
fn enroll(who: u64, auth: &mut SoftAuthenticator) {
	let pk = auth.public_key();
	let challenge =
		webauthn::enroll_challenge(&Mfa::genesis(), &who.encode(), &auth.credential_id, &pk);
	let a = auth.assert(&challenge, ORIGIN);
	assert_ok!(Mfa::register_credential(
		RuntimeOrigin::signed(who),
		pk.to_vec().try_into().unwrap(),
		true,
		to_assertion(&a, &auth.credential_id)
	));
}

fn fido2(who: u64, auth: &mut SoftAuthenticator, call: &RuntimeCall) -> Proof {
	let challenge = Mfa::authorize_challenge(&who, call);
	Proof::Fido2(to_assertion(&auth.assert(&challenge, ORIGIN), &auth.credential_id))
}

fn proofs(p: Vec<Proof>) -> BoundedVec<Proof, frame_support::pallet_prelude::ConstU32<4>> {
	p.try_into().unwrap()
}

fn authorize(
	who: u64,
	call: &RuntimeCall,
	p: Vec<Proof>,
) -> frame_support::dispatch::DispatchResult {
	Mfa::authorize(RuntimeOrigin::signed(who), Box::new(call.clone()), proofs(p))
}

/// Sets up an email channel and issues a code; returns the proof.
fn code_proof(who: u64, code: u32) -> Proof {
	if crate::Channels::<Test>::get(who).is_empty() {
		assert_ok!(Mfa::set_channel(RuntimeOrigin::signed(who), ChannelKind::Email, [7; 32]));
	}
	let salt = [code as u8; 32];
	assert_ok!(Mfa::issue_code(
		RuntimeOrigin::signed(ISSUER),
		who,
		code_commitment(&salt, &who.encode(), code),
		50
	));
	Proof::Code { code, salt }
}

fn transfer(dest: u64, value: u64) -> RuntimeCall {
	RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive { dest, value })
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

// ---- fixtures from a real software authenticator ----

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
	serde_json::from_str(include_str!("../fixtures/assertions.json")).expect("assertions.json")
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

// ---- the seeds' tables, row by row ----

/// A fully equipped account: a credential, an email channel, a Premium identity.
struct Equipped {
	auth: SoftAuthenticator,
}

fn equipped(who: u64) -> Equipped {
	let mut auth = authenticator();
	enroll(who, &mut auth);
	assert_ok!(Mfa::set_channel(RuntimeOrigin::signed(who), ChannelKind::Sms, [1; 32]));
	set_tier(who, Some(Tier::Premium));
	Equipped { auth }
}

impl Equipped {
	/// Proofs for `factors` (VEID needs none: the tier is read).
	fn proofs(&mut self, who: u64, call: &RuntimeCall, factors: FactorSet) -> Vec<Proof> {
		let mut p = Vec::new();
		if factors.has(Factor::Fido2) {
			p.push(fido2(who, &mut self.auth, call));
		}
		if factors.has(Factor::OneTimeCode) {
			p.push(code_proof(who, 424242));
		}
		p
	}
}

/// One row: the call, the factors, the tier and whether it is critical (single-use).
fn check_row(call: RuntimeCall, factors: &[Factor], min_tier: Tier, critical: bool) {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let req = Mfa::requirement_of(&ALICE, &call).unwrap().requirement;
		assert_eq!(req.factors, FactorSet::of(factors), "factors of {call:?}");
		assert_eq!(req.critical, critical, "critical of {call:?}");
		if factors.contains(&Factor::Veid) {
			assert_eq!(req.min_tier, min_tier);
		}

		// Refused without authorization.
		assert_eq!(submit(ALICE, call.clone()), refused(MFA_REQUIRED));
		// Each required factor is necessary: leaving one out fails.
		for f in factors {
			let without = FactorSet::of(factors).without(*f);
			if *f == Factor::Veid {
				set_tier(ALICE, Some(Tier::Rejected));
			}
			let p = alice.proofs(ALICE, &call, without);
			assert_noop!(authorize(ALICE, &call, p), Error::<Test>::InsufficientFactors);
			set_tier(ALICE, Some(Tier::Premium));
		}
		// With them, authorized; the call passes.
		let p = alice.proofs(ALICE, &call, FactorSet::of(factors));
		assert_ok!(authorize(ALICE, &call, p));
		assert_eq!(submit(ALICE, call.clone()).map(|_| ()), Ok(()));
		if critical {
			// Single use.
			assert_eq!(submit(ALICE, call.clone()), refused(MFA_REQUIRED));
		} else {
			// A session: the action passes again until the timeout.
			assert_eq!(submit(ALICE, call.clone()).map(|_| ()), Ok(()));
			System::set_block_number(1 + crate::policy::DEFAULT_SESSION_BLOCKS as u64 + 1);
			// (A recipient authorized once is known from then on: no longer a new address.)
			if !Mfa::requirement_of(&ALICE, &call).unwrap().requirement.is_empty() {
				assert_eq!(submit(ALICE, call.clone()), refused(MFA_REQUIRED));
			}
		}
	});
}

/// The rule's context does not trigger below its condition.
fn check_not_gated(call: RuntimeCall) {
	new_test_ext().execute_with(|| {
		let _ = equipped(ALICE);
		let req = Mfa::requirement_of(&ALICE, &call).unwrap().requirement;
		assert!(req.is_empty(), "{call:?} requires {req:?}");
		assert_eq!(submit(ALICE, call).map(|_| ()), Ok(()));
	});
}

use Factor::{Fido2 as F2, OneTimeCode as Otp, Veid as V};

#[test]
fn tier1_account_recovery_veid_fido2_code() {
	check_row(
		action_call(Action::AccountRecovery, 0, false, false),
		&[V, F2, Otp],
		Tier::Standard,
		true,
	);
}

#[test]
fn tier1_key_rotation_veid_fido2() {
	check_row(action_call(Action::KeyRotation, 0, false, false), &[V, F2], Tier::Standard, true);
}

#[test]
fn tier1_provider_registration_veid70_fido2() {
	check_row(
		action_call(Action::ProviderRegistration, 0, false, false),
		&[V, F2],
		Tier::Standard,
		true,
	);
	// Score 50-69 (Basic) is not enough.
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		set_tier(ALICE, Some(Tier::Basic));
		let call = action_call(Action::ProviderRegistration, 0, false, false);
		let p = alice.proofs(ALICE, &call, FactorSet::of(&[F2]));
		assert_noop!(authorize(ALICE, &call, p), Error::<Test>::InsufficientFactors);
	});
}

#[test]
fn tier1_validator_registration_veid85_fido2() {
	check_row(
		action_call(Action::ValidatorRegistration, 0, false, false),
		&[V, F2],
		Tier::Premium,
		true,
	);
	// Score 70-84 (Standard) is not enough.
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		set_tier(ALICE, Some(Tier::Standard));
		let call = action_call(Action::ValidatorRegistration, 0, false, false);
		let p = alice.proofs(ALICE, &call, FactorSet::of(&[F2]));
		assert_noop!(authorize(ALICE, &call, p), Error::<Test>::InsufficientFactors);
	});
}

#[test]
fn tier1_large_withdrawal_above_10000_ve() {
	check_row(
		action_call(Action::Withdrawal, 10_000 * VE + 1, false, false),
		&[V, F2],
		Tier::Standard,
		true,
	);
	check_not_gated(action_call(Action::Withdrawal, 10_000 * VE, false, false));
}

#[test]
fn tier1_governance_proposal_veid_fido2() {
	check_row(
		action_call(Action::GovernanceProposal, 0, false, false),
		&[V, F2],
		Tier::Standard,
		true,
	);
}

#[test]
fn tier2_order_above_1000_ve() {
	check_row(
		action_call(Action::OrderCreate, 1_000 * VE + 1, false, false),
		&[V, F2],
		Tier::Standard,
		false,
	);
	check_not_gated(action_call(Action::OrderCreate, 1_000 * VE, false, false));
}

#[test]
fn tier2_first_order_veid() {
	check_row(action_call(Action::OrderCreate, VE, true, false), &[V], Tier::Standard, false);
}

#[test]
fn tier2_first_offering_veid_fido2() {
	check_row(action_call(Action::OfferingCreate, 0, true, false), &[V, F2], Tier::Standard, false);
	check_not_gated(action_call(Action::OfferingCreate, 0, false, false));
}

#[test]
fn tier2_transfer_to_new_address_fido2() {
	check_row(transfer(BOB, VE), &[F2], Tier::Standard, false);
	check_not_gated(transfer(KNOWN, VE));
}

#[test]
fn tier2_transfer_above_5000_ve() {
	check_row(transfer(KNOWN, 5_000 * VE + 1), &[V, F2], Tier::Standard, false);
	check_not_gated(transfer(KNOWN, 5_000 * VE));
}

#[test]
fn tier2_contact_change_needs_a_code_to_the_current_contact() {
	// `equipped` enrolled an SMS channel: changing the email now needs a code, and since a
	// channel is a factor, the enrolled FIDO2 key too (FactorChange, critical).
	check_row(
		RuntimeCall::Mfa(crate::Call::set_channel {
			kind: ChannelKind::Email,
			destination: [2; 32],
		}),
		&[F2, Otp],
		Tier::Standard,
		true,
	);
	// The first contact needs none.
	new_test_ext().execute_with(|| {
		assert_eq!(
			submit(
				ALICE,
				RuntimeCall::Mfa(crate::Call::set_channel {
					kind: ChannelKind::Sms,
					destination: [1; 32]
				})
			),
			Ok(Ok(()))
		);
	});
}

#[test]
fn tier2_sensitive_logs_veid() {
	check_row(action_call(Action::SupportRequest, 0, false, true), &[V], Tier::Standard, false);
	check_not_gated(action_call(Action::SupportRequest, 0, false, false));
}

#[test]
fn tier3_optional_by_default_and_user_configurable() {
	for action in
		[Action::OrderCreate, Action::TransferTokens, Action::OfferingUpdate, Action::LeaseClose]
	{
		let call = if action == Action::TransferTokens {
			transfer(KNOWN, VE)
		} else {
			action_call(action, VE, false, false)
		};
		check_not_gated(call.clone());
		new_test_ext().execute_with(|| {
			let mut alice = equipped(ALICE);
			// Changing requirements is itself gated by the enrolled factors (FIDO2, the code).
			let set = RuntimeCall::Mfa(crate::Call::set_requirement {
				action,
				factors: FactorSet::of(&[F2]),
			});
			assert_eq!(submit(ALICE, set.clone()), refused(MFA_REQUIRED));
			let p = alice.proofs(ALICE, &set, FactorSet::of(&[F2, Otp]));
			assert_ok!(authorize(ALICE, &set, p));
			assert_eq!(submit(ALICE, set), Ok(Ok(())));
			// Now the action needs FIDO2.
			assert_eq!(submit(ALICE, call.clone()), refused(MFA_REQUIRED));
			let p = alice.proofs(ALICE, &call, FactorSet::of(&[F2]));
			assert_ok!(authorize(ALICE, &call, p));
			assert_eq!(submit(ALICE, call).map(|_| ()), Ok(()));
		});
	}
}

#[test]
fn every_rule_has_a_row_test_and_the_seeds_defaults_at_genesis() {
	new_test_ext().execute_with(|| {
		for rule in Rule::ALL {
			assert_eq!(crate::Policies::<Test>::get(rule), Some(rule.default_policy()));
		}
	});
}

// ---- factor changes, devices, codes, TOTP ----

#[test]
fn first_factor_is_free_then_changes_need_the_enrolled_key() {
	new_test_ext().execute_with(|| {
		let mut auth = authenticator();
		enroll(ALICE, &mut auth);
		// A second credential (a thief holding only the account key) is refused.
		let mut thief = SoftAuthenticator::from_secret(&[0x77; 32], b"thief", RP_ID).unwrap();
		let pk = thief.public_key();
		let challenge =
			webauthn::enroll_challenge(&Mfa::genesis(), &ALICE.encode(), &thief.credential_id, &pk);
		let a = to_assertion(&thief.assert(&challenge, ORIGIN), &thief.credential_id);
		let call = RuntimeCall::Mfa(crate::Call::register_credential {
			public_key: pk.to_vec().try_into().unwrap(),
			require_uv: true,
			assertion: a,
		});
		assert_eq!(submit(ALICE, call.clone()), refused(MFA_REQUIRED));
		// The thief's own key cannot authorize it: it is not enrolled.
		let p = fido2(ALICE, &mut thief, &call);
		assert_noop!(authorize(ALICE, &call, vec![p]), Error::<Test>::CredentialNotFound);
		// Removing the owner's credential is refused too.
		let remove = RuntimeCall::Mfa(crate::Call::remove_credential {
			credential_id: auth.credential_id.clone().try_into().unwrap(),
		});
		assert_eq!(submit(ALICE, remove.clone()), refused(MFA_REQUIRED));
		// The owner authorizes the removal (critical: this exact call, once).
		let p = fido2(ALICE, &mut auth, &remove);
		assert_ok!(authorize(ALICE, &remove, vec![p]));
		assert_eq!(submit(ALICE, remove), Ok(Ok(())));
		assert!(crate::Credentials::<Test>::get(ALICE).is_empty());
	});
}

#[test]
fn one_time_codes_single_use_expiry_and_attempt_limit() {
	new_test_ext().execute_with(|| {
		let call = action_call(Action::UpdateAccountSettings, 0, false, true);
		assert_ok!(Mfa::set_channel(RuntimeOrigin::signed(ALICE), ChannelKind::Sms, [1; 32]));
		// Only approved issuers issue codes, only to accounts with a channel, for at most
		// MaxCodeTtl blocks.
		let c = code_commitment(&[1; 32], &ALICE.encode(), 123456);
		assert_noop!(
			Mfa::issue_code(RuntimeOrigin::signed(BOB), ALICE, c, 10),
			Error::<Test>::NotAttester
		);
		assert_noop!(
			Mfa::issue_code(RuntimeOrigin::signed(ISSUER), BOB, c, 10),
			Error::<Test>::ChannelNotFound
		);
		assert_noop!(
			Mfa::issue_code(RuntimeOrigin::signed(ISSUER), ALICE, c, 101),
			Error::<Test>::TtlTooLong
		);
		assert_ok!(Mfa::issue_code(RuntimeOrigin::signed(ISSUER), ALICE, c, 10));

		// Three wrong attempts void the code; each is counted even though nothing is authorized.
		for left in [2u8, 1, 0] {
			assert_ok!(authorize(ALICE, &call, vec![Proof::Code { code: 111111, salt: [1; 32] }]));
			assert_eq!(
				last_event(),
				RuntimeEvent::Mfa(Event::CodeRejected { who: ALICE, attempts_left: left })
			);
		}
		assert!(crate::Codes::<Test>::get(ALICE).is_none());
		// The right code is now useless.
		assert_noop!(
			authorize(ALICE, &call, vec![Proof::Code { code: 123456, salt: [1; 32] }]),
			Error::<Test>::CodeNotFound
		);
		// A right code without its salt fails like a wrong one (the salt is part of the secret).
		assert_ok!(Mfa::issue_code(RuntimeOrigin::signed(ISSUER), ALICE, c, 10));
		assert_ok!(authorize(ALICE, &call, vec![Proof::Code { code: 123456, salt: [2; 32] }]));
		assert_eq!(crate::Codes::<Test>::get(ALICE).unwrap().attempts_left, 2);
		// The right code: authorized and used up.
		assert_ok!(authorize(ALICE, &call, vec![Proof::Code { code: 123456, salt: [1; 32] }]));
		assert!(crate::Codes::<Test>::get(ALICE).is_none());
		assert_eq!(submit(ALICE, call.clone()).map(|_| ()), Ok(()));
		// Expiry.
		assert_ok!(Mfa::issue_code(RuntimeOrigin::signed(ISSUER), ALICE, c, 10));
		System::set_block_number(12);
		assert_noop!(
			authorize(ALICE, &call, vec![Proof::Code { code: 123456, salt: [1; 32] }]),
			Error::<Test>::CodeNotFound
		);
		// 3 attempts per issued code, each needing the issuer: guessing one of 10^6 codes
		// succeeds with probability 3e-6 per code the issuer is made to send.
		assert_eq!(<<Test as crate::Config>::MaxCodeAttempts as Get<u8>>::get(), 3);
	});
}

#[test]
fn totp_verifier_attests_a_challenge() {
	new_test_ext().execute_with(|| {
		// Alice requires TOTP for leases (tier 3) after binding TOTP to the verifier.
		assert_noop!(
			Mfa::bind_totp(RuntimeOrigin::signed(ALICE), BOB, [3; 32]),
			Error::<Test>::NotAttester
		);
		assert_ok!(Mfa::bind_totp(RuntimeOrigin::signed(ALICE), ISSUER, [3; 32]));
		let set = RuntimeCall::Mfa(crate::Call::set_requirement {
			action: Action::LeaseClose,
			factors: FactorSet::of(&[Factor::Totp]),
		});
		// Changing requirements now needs the enrolled TOTP factor.
		assert_eq!(submit(ALICE, set.clone()), refused(MFA_REQUIRED));
		let challenge = Mfa::authorize_challenge(&ALICE, &set);
		// Only Alice's verifier attests for her.
		assert_ok!(Mfa::add_attester(RuntimeOrigin::root(), BOB));
		assert_noop!(
			Mfa::attest_totp(RuntimeOrigin::signed(BOB), ALICE, challenge, 10),
			Error::<Test>::NotTheVerifier
		);
		assert_noop!(
			authorize(ALICE, &set, vec![Proof::Totp]),
			Error::<Test>::TotpAttestationNotFound
		);
		// An attestation for another challenge does not count.
		assert_ok!(Mfa::attest_totp(RuntimeOrigin::signed(ISSUER), ALICE, [0; 32], 10));
		assert_noop!(
			authorize(ALICE, &set, vec![Proof::Totp]),
			Error::<Test>::TotpAttestationNotFound
		);
		assert_ok!(Mfa::attest_totp(RuntimeOrigin::signed(ISSUER), ALICE, challenge, 10));
		assert_ok!(authorize(ALICE, &set, vec![Proof::Totp]));
		assert!(crate::TotpAttestations::<Test>::get(ALICE).is_none());
		assert_eq!(submit(ALICE, set), Ok(Ok(())));
		assert_eq!(
			submit(ALICE, action_call(Action::LeaseClose, 0, false, false)),
			refused(MFA_REQUIRED)
		);
	});
}

#[test]
fn trusted_device_stands_in_for_one_factor_but_never_for_critical_or_veid() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let device = ed25519::Pair::from_seed(&[5; 32]);
		let key = device.public().0;
		// Trusting a device is a factor change: the enrolled FIDO2 key and code channel first.
		let sig = device.sign(&Mfa::device_enroll_challenge(&ALICE, &key)).0;
		let add = RuntimeCall::Mfa(crate::Call::add_device { key, signature: sig });
		assert_eq!(submit(ALICE, add.clone()), refused(MFA_REQUIRED));
		let p = alice.proofs(ALICE, &add, FactorSet::of(&[F2, Otp]));
		assert_ok!(authorize(ALICE, &add, p));
		assert_eq!(submit(ALICE, add.clone()), Ok(Ok(())));
		// A device cannot be added with another device's signature.
		let other = ed25519::Pair::from_seed(&[6; 32]);
		let bad =
			RuntimeCall::Mfa(crate::Call::add_device { key: other.public().0, signature: sig });
		// (Now the trusted device is an enrolled factor too.)
		let mut p = alice.proofs(ALICE, &bad, FactorSet::of(&[F2, Otp]));
		p.push(Proof::Device {
			key,
			signature: device.sign(&Mfa::authorize_challenge(&ALICE, &bad)).0,
		});
		assert_ok!(authorize(ALICE, &bad, p));
		assert_eq!(submit(ALICE, bad), Ok(Err(Error::<Test>::InvalidDeviceSignature.into())));

		let device_proof = |call: &RuntimeCall| Proof::Device {
			key,
			signature: device.sign(&Mfa::authorize_challenge(&ALICE, call)).0,
		};
		// Transfer to a new address (FIDO2): the device alone suffices.
		let t = transfer(BOB, VE);
		assert_ok!(authorize(ALICE, &t, vec![device_proof(&t)]));
		assert_eq!(submit(ALICE, t.clone()), Ok(Ok(())));
		// Large transfer (VEID + FIDO2): device + VEID suffice; without VEID, not.
		let large = transfer(KNOWN, 6_000 * VE);
		set_tier(ALICE, None);
		assert_noop!(
			authorize(ALICE, &large, vec![device_proof(&large)]),
			Error::<Test>::InsufficientFactors
		);
		set_tier(ALICE, Some(Tier::Premium));
		assert_ok!(authorize(ALICE, &large, vec![device_proof(&large)]));
		// Critical (key rotation): the device does not count.
		let rotate = action_call(Action::KeyRotation, 0, false, false);
		assert_noop!(
			authorize(ALICE, &rotate, vec![device_proof(&rotate)]),
			Error::<Test>::InsufficientFactors
		);
		// A forged device signature.
		let forged = Proof::Device { key, signature: [1; 64] };
		let t = transfer(30, VE);
		assert_noop!(authorize(ALICE, &t, vec![forged]), Error::<Test>::InvalidDeviceSignature);
	});
}

#[test]
fn authorizations_are_bound_to_the_account_and_expire() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let call = action_call(Action::KeyRotation, 0, false, false);
		let p = alice.proofs(ALICE, &call, FactorSet::of(&[F2]));
		assert_ok!(authorize(ALICE, &call, p));
		// Bob cannot use Alice's authorization.
		assert_eq!(submit(BOB, call.clone()), refused(MFA_REQUIRED));
		// Another critical call is not covered.
		assert_eq!(
			submit(ALICE, action_call(Action::GovernanceProposal, 0, false, false)),
			refused(MFA_REQUIRED)
		);
		// After AuthorizationTtl (10 blocks) it is gone.
		System::set_block_number(12);
		assert_eq!(submit(ALICE, call), refused(MFA_REQUIRED));
	});
}

#[test]
fn odd_requests_are_refused_clearly() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		// Not sensitive.
		assert_noop!(authorize(ALICE, &transfer(KNOWN, VE), vec![]), Error::<Test>::NotSensitive);
		// Unclassifiable calls are refused by the extension and by authorize.
		let odd = RuntimeCall::System(frame_system::Call::remark_with_event { remark: vec![] });
		assert_eq!(submit(ALICE, odd.clone()), refused(UNCLASSIFIABLE));
		assert_noop!(authorize(ALICE, &odd, vec![]), Error::<Test>::Unclassifiable);
		// Authorizing an authorization.
		let inner = RuntimeCall::Mfa(crate::Call::authorize {
			call: Box::new(transfer(BOB, VE)),
			proofs: proofs(vec![]),
		});
		assert_noop!(authorize(ALICE, &inner, vec![]), Error::<Test>::NestedAuthorization);
		// The same factor twice.
		let t = transfer(BOB, VE);
		let p1 = fido2(ALICE, &mut alice.auth, &t);
		let p2 = fido2(ALICE, &mut alice.auth, &t);
		assert_noop!(authorize(ALICE, &t, vec![p1, p2]), Error::<Test>::DuplicateProof);
		// Bad public keys and set sizes.
		let mut other = SoftAuthenticator::from_secret(&[0x33; 32], b"other", RP_ID).unwrap();
		let a = to_assertion(&other.assert(&[0; 32], ORIGIN), b"other");
		assert_noop!(
			Mfa::register_credential(
				RuntimeOrigin::signed(BOB),
				vec![5u8; 33].try_into().unwrap(),
				false,
				a
			),
			Error::<Test>::InvalidPublicKey
		);
		assert_noop!(
			Mfa::set_requirement(RuntimeOrigin::signed(BOB), Action::LeaseClose, FactorSet(0x40)),
			Error::<Test>::InvalidFactorSet
		);
		// Governance only.
		assert_noop!(
			Mfa::set_policy(
				RuntimeOrigin::signed(ALICE),
				Rule::KeyRotation,
				Rule::KeyRotation.default_policy()
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn recipients_authorized_once_become_known() {
	new_test_ext().execute_with(|| {
		let mut alice = equipped(ALICE);
		let t = transfer(BOB, VE);
		let p = alice.proofs(ALICE, &t, FactorSet::of(&[F2]));
		assert_ok!(authorize(ALICE, &t, p));
		assert!(crate::KnownRecipients::<Test>::get(ALICE).contains(&BOB));
		System::set_block_number(500);
		// The session is over, but Bob is no longer a new address.
		assert_eq!(submit(ALICE, transfer(BOB, 2 * VE)).map(|_| ()), Ok(()));
		// The list is bounded (4 in the mock): the oldest is forgotten.
		for dest in 20..24 {
			let t = transfer(dest, VE);
			let p = alice.proofs(ALICE, &t, FactorSet::of(&[F2]));
			assert_ok!(authorize(ALICE, &t, p));
		}
		let known = crate::KnownRecipients::<Test>::get(ALICE);
		assert_eq!(known.into_inner(), vec![20, 21, 22, 23]);
	});
}

#[test]
fn deposits_cover_every_stored_byte() {
	new_test_ext().execute_with(|| {
		let held =
			|| Balances::balance_on_hold(&RuntimeHoldReason::Mfa(HoldReason::Factors), &ALICE);
		// Genesis knowledge (one known recipient) was not charged; the first change charges all.
		let mut auth = authenticator();
		enroll(ALICE, &mut auth);
		let expected = Mfa::footprint(&ALICE) as u64;
		assert_eq!(held(), expected);
		assert_eq!(expected, (crate::Credential::max_encoded_len() + 8) as u64);
		assert_ok!(Mfa::set_channel(RuntimeOrigin::signed(ALICE), ChannelKind::Sms, [1; 32]));
		assert_eq!(held(), Mfa::footprint(&ALICE) as u64);
		assert!(held() > expected);
	});
}

use codec::MaxEncodedLen;
use frame_support::traits::Get;

// ---- account recovery ----

#[test]
fn account_recovery_with_the_lost_accounts_factors_after_a_delay() {
	new_test_ext().execute_with(|| {
		const RESCUER: u64 = 7;
		// Bob (the lost account) has FIDO2, an SMS channel and a Premium identity.
		let mut bob = equipped(BOB);
		let proofs_for = |bob: &mut Equipped, rescuer: u64, code: u32| {
			let challenge = Mfa::recovery_challenge(&BOB, &rescuer);
			let a = bob.auth.assert(&challenge, ORIGIN);
			vec![Proof::Fido2(to_assertion(&a, &bob.auth.credential_id)), code_proof(BOB, code)]
		};
		let initiate = |lost: u64, by: u64, p: Vec<Proof>| {
			Mfa::initiate_recovery(RuntimeOrigin::signed(by), lost, proofs(p))
		};

		// Without the code (two of three factors): refused.
		let challenge = Mfa::recovery_challenge(&BOB, &RESCUER);
		let only_fido = vec![Proof::Fido2(to_assertion(
			&bob.auth.assert(&challenge, ORIGIN),
			&bob.auth.credential_id,
		))];
		assert_noop!(initiate(BOB, RESCUER, only_fido), Error::<Test>::InsufficientFactors);
		// Without a verified identity: refused.
		set_tier(BOB, None);
		let p = proofs_for(&mut bob, RESCUER, 111111);
		assert_noop!(initiate(BOB, RESCUER, p), Error::<Test>::RecoveryDisabled);
		set_tier(BOB, Some(Tier::Basic));
		let p = proofs_for(&mut bob, RESCUER, 111112);
		assert_noop!(initiate(BOB, RESCUER, p), Error::<Test>::InsufficientFactors);
		set_tier(BOB, Some(Tier::Standard));
		// Proofs made for another rescuer do not transfer.
		let p = proofs_for(&mut bob, ALICE, 111113);
		assert_noop!(initiate(BOB, RESCUER, p), Error::<Test>::ChallengeMismatch);
		// Nobody recovers themselves; an account without the factors cannot be recovered.
		let p = proofs_for(&mut bob, BOB, 111114);
		assert_noop!(initiate(BOB, BOB, p), Error::<Test>::RecoverSelf);
		assert_noop!(initiate(KNOWN, RESCUER, vec![]), Error::<Test>::RecoveryDisabled);

		// All three: initiated, claimable after the delay (20 blocks in the mock).
		let p = proofs_for(&mut bob, RESCUER, 222222);
		assert_ok!(initiate(BOB, RESCUER, p));
		assert_eq!(
			last_event(),
			RuntimeEvent::Mfa(Event::RecoveryInitiated {
				lost: BOB,
				rescuer: RESCUER,
				executable_at: 21
			})
		);
		// A second recovery while one is under way: refused.
		let p = proofs_for(&mut bob, RESCUER, 333333);
		assert_noop!(initiate(BOB, RESCUER, p), Error::<Test>::RecoveryAlreadyExists);
		assert_noop!(
			Mfa::claim_recovery(RuntimeOrigin::signed(ALICE), BOB),
			Error::<Test>::NotRescuer
		);
		assert_noop!(
			Mfa::claim_recovery(RuntimeOrigin::signed(RESCUER), BOB),
			Error::<Test>::TooEarly
		);

		// The owner (who still has the key after all) cancels; a new recovery starts over.
		assert_ok!(Mfa::cancel_recovery(RuntimeOrigin::signed(BOB)));
		assert_noop!(
			Mfa::claim_recovery(RuntimeOrigin::signed(RESCUER), BOB),
			Error::<Test>::RecoveryNotFound
		);
		let p = proofs_for(&mut bob, RESCUER, 444444);
		assert_ok!(initiate(BOB, RESCUER, p));

		System::set_block_number(21);
		let bob_free = Balances::free_balance(BOB);
		let held = Balances::balance_on_hold(&RuntimeHoldReason::Mfa(HoldReason::Factors), &BOB);
		assert!(held > 0);
		assert_ok!(Mfa::claim_recovery(RuntimeOrigin::signed(RESCUER), BOB));
		// Bob's factors are gone and his deposit returned; all but the existential deposit moved.
		assert!(crate::Credentials::<Test>::get(BOB).is_empty());
		assert!(crate::Channels::<Test>::get(BOB).is_empty());
		assert_eq!(
			Balances::balance_on_hold(&RuntimeHoldReason::Mfa(HoldReason::Factors), &BOB),
			0
		);
		let ed: u64 = <Test as pallet_balances::Config>::ExistentialDeposit::get();
		assert_eq!(Balances::free_balance(RESCUER), bob_free + held - ed);
		assert_eq!(Balances::free_balance(BOB), ed);
		assert!(crate::Recoveries::<Test>::get(BOB).is_none());
	});
}

/// The attacks a security review found (issue 14), each performed as a test.
mod attacks;

// ---- cost: the plain check and the extension's refund ----

use crate::WeightInfo as _;
use frame_support::weights::Weight;
use sp_runtime::traits::TransactionExtension as _;

/// The weight `CheckMfa` leaves charged for `call` signed by `who` (charged up front, minus
/// what it refunds after dispatch), with the check's outcome.
fn charged(who: u64, call: &RuntimeCall) -> Result<Weight, TransactionValidityError> {
	let ext = CheckMfa::<Test>::new();
	let info = call.get_dispatch_info();
	let upfront = ext.weight(call);
	let (pre, _origin) = ext.validate_and_prepare(RuntimeOrigin::signed(who), call, &info, 0, 0)?;
	let post = frame_support::dispatch::PostDispatchInfo::default();
	let unspent = CheckMfa::<Test>::post_dispatch_details(pre, &info, &post, 0, &Ok(()))?;
	Ok(upfront - unspent)
}

#[test]
fn the_plain_check_is_charged_as_such_and_everything_else_the_worst_case() {
	new_test_ext().execute_with(|| {
		let db = <Test as frame_system::Config>::DbWeight::get();
		let worst = MockWeights::check_mfa() + db.reads_writes(1, 1);
		let plain = MockWeights::check_mfa_plain();
		let known = transfer(KNOWN, VE);
		assert_eq!(CheckMfa::<Test>::new().weight(&known), worst);
		// A transfer to a known recipient by an account with no factors: the plain check and
		// the window's write.
		assert!(Mfa::requirement_of(&ALICE, &known).unwrap().plain);
		assert_eq!(charged(ALICE, &known), Ok(plain + db.writes(1)));
		// A call that moves no value: the plain check alone.
		let lease_close = action_call(Action::LeaseClose, 0, false, false);
		assert_eq!(charged(ALICE, &lease_close), Ok(plain));
		// Enrolled factors change nothing while no rule asks for them (they are not read).
		let _alice = equipped(ALICE);
		assert!(Mfa::requirement_of(&ALICE, &known).unwrap().plain);
		assert_eq!(charged(ALICE, &known), Ok(plain + db.writes(1)));
		// A rule that fires (an enrolled-only one here, and satisfied by nothing enrolled for
		// Bob): the worst case, even though nothing ends up required.
		let contact = action_call(Action::UpdateAccountSettings, 0, false, true);
		let c = Mfa::requirement_of(&BOB, &contact).unwrap();
		assert!(c.requirement.is_empty() && !c.plain);
		assert_eq!(charged(BOB, &contact), Ok(worst));
		// A requirement of the account's own: the worst case (here refused).
		assert_ok!(Mfa::set_requirement(
			RuntimeOrigin::signed(ALICE),
			Action::LeaseClose,
			FactorSet::of(&[Factor::Fido2])
		));
		assert!(!Mfa::requirement_of(&ALICE, &lease_close).unwrap().plain);
		assert_eq!(
			charged(ALICE, &lease_close),
			Err(InvalidTransaction::Custom(MFA_REQUIRED).into())
		);
		// An authorization used (a large transfer stays sensitive once authorized): the worst
		// case.
		let mut bob = equipped(BOB);
		let t = transfer(ALICE, 6_000 * VE);
		let p = bob.proofs(BOB, &t, FactorSet::of(&[Factor::Veid, Factor::Fido2]));
		assert_ok!(authorize(BOB, &t, p));
		assert_eq!(charged(BOB, &t), Ok(worst));
	});
}

#[test]
fn without_thresholds_no_window_is_kept_and_one_starts_when_they_are_set() {
	new_test_ext().execute_with(|| {
		let thresholds = crate::ValueThresholds::<Test>::take().expect("genesis thresholds");
		assert_eq!(submit(ALICE, transfer(KNOWN, 4_000 * VE)), Ok(Ok(())));
		assert!(crate::RecentValue::<Test>::get(ALICE).is_none());
		assert_eq!(
			charged(ALICE, &transfer(KNOWN, VE)),
			Ok(MockWeights::check_mfa_plain()),
			"no window written"
		);
		// Thresholds set: the earlier 4,000 VE does not count; what follows does.
		crate::ValueThresholds::<Test>::put(thresholds);
		assert_eq!(submit(ALICE, transfer(KNOWN, 4_000 * VE)), Ok(Ok(())));
		assert_eq!(submit(ALICE, transfer(KNOWN, 1_500 * VE)), refused(MFA_REQUIRED));
	});
}
