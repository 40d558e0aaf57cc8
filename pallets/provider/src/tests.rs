//! Tests: domain syntax and claims, registration's conditions, deposits, updates, status
//! transitions, deregistration.

#![allow(clippy::unwrap_used)]

use codec::{Encode, MaxEncodedLen};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_runtime::DispatchError;
use virtengine_veid_primitives::Tier;

use crate::{
	capability, domain_token, mock::*, valid_domain, Attributes, Error, Event, HoldReason,
	ProviderOf, Providers, Status,
};

fn domain(name: &str) -> crate::Domain {
	name.as_bytes().to_vec().try_into().unwrap()
}

fn attributes() -> Attributes {
	Attributes {
		region: b"eu-central".to_vec().try_into().unwrap(),
		cpu_models: vec![b"EPYC 9654".to_vec().try_into().unwrap()].try_into().unwrap(),
		gpu_models: vec![b"H100".to_vec().try_into().unwrap()].try_into().unwrap(),
		capabilities: capability::KUBERNETES | capability::GPU,
	}
}

/// The verifier confirms `who`'s claim to `name` (having seen its token).
fn confirm(who: u64, name: &str) -> frame_support::dispatch::DispatchResult {
	let token = domain_token(&who.encode(), name.as_bytes());
	Provider::confirm_domain(RuntimeOrigin::root(), who, domain(name), token)
}

/// Alice with a Standard identity and a confirmed domain.
fn ready(who: u64, name: &str) {
	set_tier(who, Some(Tier::Standard));
	assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(who), domain(name)));
	assert_ok!(confirm(who, name));
}

fn register(who: u64) -> frame_support::dispatch::DispatchResult {
	Provider::register(RuntimeOrigin::signed(who), attributes(), [1; 32], [2; 32])
}

#[test]
fn domain_names_are_checked() {
	for good in ["example.com", "a.b", "gpu-1.eu.provider.io", "xn--bcher-kva.example"] {
		assert!(valid_domain(good.as_bytes()), "{good}");
	}
	let long_label = format!("{}.com", "a".repeat(64));
	let long_name = format!("{}.com", vec!["a".repeat(60); 5].join("."));
	for bad in [
		"",
		"com",
		"Example.com",
		"-a.com",
		"a-.com",
		"a..com",
		".a.com",
		"a.com.",
		"a_b.com",
		"a b.com",
		&long_label,
		&long_name,
	] {
		assert!(!valid_domain(bad.as_bytes()), "{bad:?}");
	}
}

#[test]
fn domains_are_claimed_once_and_confirmed_by_the_verifier() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("Bad.com")),
			Error::<Test>::InvalidDomain
		);
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("alice.example")));
		let token = domain_token(&ALICE.encode(), b"alice.example");
		assert_eq!(
			System::events().last().unwrap().event,
			RuntimeEvent::Provider(Event::DomainClaimed {
				who: ALICE,
				domain: domain("alice.example"),
				token,
				expires: 11
			})
		);
		// The token differs per account and per domain.
		assert_ne!(token, domain_token(&BOB.encode(), b"alice.example"));
		assert_ne!(token, domain_token(&ALICE.encode(), b"alice.example2"));
		// Bob cannot claim Alice's domain; only the verifier confirms.
		assert_noop!(
			Provider::claim_domain(RuntimeOrigin::signed(BOB), domain("alice.example")),
			Error::<Test>::DomainAlreadyClaimed
		);
		assert_noop!(
			Provider::confirm_domain(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				domain("alice.example"),
				token
			),
			DispatchError::BadOrigin
		);
		assert_noop!(confirm(BOB, "bob.example"), Error::<Test>::DomainClaimNotFound);
		// Claiming another domain frees the first.
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("alice.other")));
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(BOB), domain("alice.example")));
		assert_ok!(confirm(ALICE, "alice.other"));
		assert!(crate::DomainClaims::<Test>::get(ALICE).unwrap().confirmed);
	});
}

#[test]
fn registration_needs_tier_standard_and_a_confirmed_domain_and_holds_a_deposit() {
	new_test_ext().execute_with(|| {
		assert_noop!(register(ALICE), Error::<Test>::TierTooLow);
		set_tier(ALICE, Some(Tier::Basic));
		assert_noop!(register(ALICE), Error::<Test>::TierTooLow);
		set_tier(ALICE, Some(Tier::Standard));
		assert_noop!(register(ALICE), Error::<Test>::DomainClaimNotFound);
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("alice.example")));
		assert_noop!(register(ALICE), Error::<Test>::DomainNotConfirmed);
		assert_ok!(confirm(ALICE, "alice.example"));
		let mut bad = attributes();
		bad.capabilities = 1 << 20;
		assert_noop!(
			Provider::register(RuntimeOrigin::signed(ALICE), bad, [1; 32], [2; 32]),
			Error::<Test>::InvalidCapabilities
		);
		assert_noop!(
			Provider::register(RuntimeOrigin::signed(ALICE), attributes(), [0; 32], [2; 32]),
			Error::<Test>::InvalidKey
		);
		assert_ok!(register(ALICE));
		let expected = 2 * ProviderOf::<Test>::max_encoded_len() as u64;
		assert_eq!(
			Balances::balance_on_hold(
				&RuntimeHoldReason::Provider(HoldReason::Registration),
				&ALICE
			),
			expected
		);
		let p = Providers::<Test>::get(ALICE).unwrap();
		assert_eq!(
			(p.status, p.deposit, p.domain),
			(Status::Active, expected, domain("alice.example"))
		);
		assert_noop!(register(ALICE), Error::<Test>::AlreadyRegistered);
		// A registered provider keeps its domain.
		assert_noop!(
			Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("x.example")),
			Error::<Test>::AlreadyRegistered
		);
		// Premium is enough too.
		ready(BOB, "bob.example");
		set_tier(BOB, Some(Tier::Premium));
		assert_ok!(register(BOB));
	});
}

#[test]
fn status_transitions() {
	new_test_ext().execute_with(|| {
		ready(ALICE, "alice.example");
		assert_ok!(register(ALICE));
		let status = || Providers::<Test>::get(ALICE).unwrap().status;
		assert!(Provider::active(&ALICE).is_some());
		// (call, from, to or error)
		assert_noop!(
			Provider::set_paused(RuntimeOrigin::signed(ALICE), false),
			Error::<Test>::InvalidStatusChange
		);
		assert_ok!(Provider::set_paused(RuntimeOrigin::signed(ALICE), true));
		assert_eq!(status(), Status::Paused);
		assert!(Provider::active(&ALICE).is_none());
		assert_noop!(
			Provider::set_paused(RuntimeOrigin::signed(ALICE), true),
			Error::<Test>::InvalidStatusChange
		);
		assert_ok!(Provider::set_paused(RuntimeOrigin::signed(ALICE), false));
		assert_eq!(status(), Status::Active);
		assert_noop!(
			Provider::suspend(RuntimeOrigin::signed(BOB), ALICE),
			DispatchError::BadOrigin
		);
		assert_ok!(Provider::suspend(RuntimeOrigin::root(), ALICE));
		assert_eq!(status(), Status::Suspended);
		assert_noop!(
			Provider::suspend(RuntimeOrigin::root(), ALICE),
			Error::<Test>::InvalidStatusChange
		);
		// A suspended provider cannot resume itself.
		assert_noop!(
			Provider::set_paused(RuntimeOrigin::signed(ALICE), false),
			Error::<Test>::InvalidStatusChange
		);
		assert_ok!(Provider::reinstate(RuntimeOrigin::root(), ALICE));
		assert_eq!(status(), Status::Active);
		assert_noop!(
			Provider::reinstate(RuntimeOrigin::root(), ALICE),
			Error::<Test>::InvalidStatusChange
		);
		assert_noop!(
			Provider::suspend(RuntimeOrigin::root(), BOB),
			Error::<Test>::ProviderNotFound
		);
	});
}

#[test]
fn updates_and_deregistration() {
	new_test_ext().execute_with(|| {
		ready(ALICE, "alice.example");
		assert_noop!(
			Provider::update(RuntimeOrigin::signed(ALICE), attributes(), [3; 32], [4; 32]),
			Error::<Test>::ProviderNotFound
		);
		assert_ok!(register(ALICE));
		let mut a = attributes();
		a.capabilities = capability::SLURM;
		assert_ok!(Provider::update(RuntimeOrigin::signed(ALICE), a.clone(), [3; 32], [4; 32]));
		let p = Providers::<Test>::get(ALICE).unwrap();
		assert_eq!((p.attributes, p.encryption_key, p.daemon_key), (a, [3; 32], [4; 32]));
		// Open leases keep the provider in.
		set_leases(ALICE, 1);
		assert_noop!(
			Provider::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::LeasesStillOpen
		);
		set_leases(ALICE, 0);
		let free = Balances::free_balance(ALICE);
		assert_ok!(Provider::deregister(RuntimeOrigin::signed(ALICE)));
		assert_eq!(Balances::free_balance(ALICE), free + p.deposit + Provider::claim_deposit());
		assert!(Providers::<Test>::get(ALICE).is_none());
		// The domain is free for another account.
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(BOB), domain("alice.example")));
	});
}

/// Issue 14, item 9: the verifier resolved the TXT record of the domain Alice claimed, but before
/// its confirmation lands Alice claims a domain she does not control. The confirmation names the
/// claim it checked and is refused: nothing is confirmed.
#[test]
fn confirmation_of_a_changed_claim_is_refused() {
	new_test_ext().execute_with(|| {
		set_tier(ALICE, Some(Tier::Standard));
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("alice.example")));
		// The verifier sees `virtengine-verify=<token>` on alice.example and sends its
		// confirmation; Alice's new claim lands first.
		let token = domain_token(&ALICE.encode(), b"alice.example");
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("bank.example")));
		assert_noop!(
			Provider::confirm_domain(RuntimeOrigin::root(), ALICE, domain("alice.example"), token),
			Error::<Test>::ClaimChanged
		);
		let claim = crate::DomainClaims::<Test>::get(ALICE).unwrap();
		assert!(
			!claim.confirmed,
			"the verifier checked alice.example, yet {} is confirmed",
			String::from_utf8_lossy(&claim.domain)
		);
		assert_noop!(register(ALICE), Error::<Test>::DomainNotConfirmed);
		// Nor can the confirmation be pointed at the new claim with the old token.
		assert_noop!(
			Provider::confirm_domain(RuntimeOrigin::root(), ALICE, domain("bank.example"), token),
			Error::<Test>::InvalidToken
		);
	});
}

#[test]
fn claims_hold_a_deposit_and_lapse() {
	new_test_ext().execute_with(|| {
		let held = |who| {
			Balances::balance_on_hold(&RuntimeHoldReason::Provider(HoldReason::DomainClaim), &who)
		};
		let deposit = Provider::claim_deposit();
		assert!(deposit > 2 * 253);
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("alice.example")));
		assert_eq!(held(ALICE), deposit);
		// Replacing one's claim keeps the one deposit.
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("alice.other")));
		assert_eq!(held(ALICE), deposit);
		// Until it lapses (claimed at 1, for 10 blocks), nobody else takes the domain.
		System::set_block_number(10);
		assert_noop!(
			Provider::claim_domain(RuntimeOrigin::signed(BOB), domain("alice.other")),
			Error::<Test>::DomainAlreadyClaimed
		);
		System::set_block_number(11);
		// A lapsed claim is neither confirmed nor registered...
		assert_noop!(confirm(ALICE, "alice.other"), Error::<Test>::ClaimExpired);
		// ... and another account may take the domain: the lapsed claim goes, its deposit back.
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(BOB), domain("alice.other")));
		assert_eq!((held(ALICE), held(BOB)), (0, deposit));
		assert!(crate::DomainClaims::<Test>::get(ALICE).is_none());
		// A confirmed claim must be used before it lapses.
		set_tier(BOB, Some(Tier::Standard));
		assert_ok!(confirm(BOB, "alice.other"));
		System::set_block_number(21);
		assert_noop!(register(BOB), Error::<Test>::ClaimExpired);
		// Claiming again renews it; a registered provider's domain never lapses.
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(BOB), domain("alice.other")));
		assert_ok!(confirm(BOB, "alice.other"));
		assert_ok!(register(BOB));
		System::set_block_number(100);
		assert_noop!(
			Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("alice.other")),
			Error::<Test>::DomainAlreadyClaimed
		);
		// An unregistered claimant withdraws its claim with `deregister`.
		assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(ALICE), domain("a.example")));
		assert_eq!(held(ALICE), deposit);
		assert_ok!(Provider::deregister(RuntimeOrigin::signed(ALICE)));
		assert_eq!(held(ALICE), 0);
		assert_noop!(
			Provider::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::ProviderNotFound
		);
		// A provider that leaves gets both deposits back.
		assert_ok!(Provider::deregister(RuntimeOrigin::signed(BOB)));
		assert_eq!(held(BOB), 0);
		assert_eq!(
			Balances::balance_on_hold(&RuntimeHoldReason::Provider(HoldReason::Registration), &BOB),
			0
		);
		assert_eq!(Balances::free_balance(BOB), 1_000_000);
	});
}
