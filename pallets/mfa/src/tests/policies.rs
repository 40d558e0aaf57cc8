//! The seeds' gating tables, row by row, through the real extension: each required factor is
//! necessary, and with them the call passes (once if critical, else for a session).

use super::*;

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
