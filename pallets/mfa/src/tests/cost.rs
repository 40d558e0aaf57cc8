//! Cost: the plain check and the extension's charge and refund.

use super::*;
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
