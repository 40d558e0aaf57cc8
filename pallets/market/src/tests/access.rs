//! A lease's access details, sealed to its customer.

use super::*;

/// Issue 16: the provider tells the customer how to reach the workload, sealed to the customer,
/// paying for every byte until the lease's records go.
#[test]
fn access_details_are_sealed_to_the_customer_and_paid_for() {
	new_test_ext().execute_with(|| {
		let storage = |who| Balances::balance_on_hold(&crate::HoldReason::Storage.into(), &who);
		let id = matched(100_000);
		let to_alice = sealed(PROV, &[enc_secret(ALICE).public()]);
		let set = |who, details: &crate::Sealed| {
			Market::set_access_details(RuntimeOrigin::signed(who), id, details.clone())
		};
		// Alice has no envelope key yet: nothing could be sealed to her.
		assert_noop!(set(PROV, &to_alice), Error::<Test>::CustomerKeyNotFound);
		set_envelope_key(ALICE, Some(enc_secret(ALICE).public()));
		// Sealed to someone else; malformed; not the lease's provider.
		assert_noop!(
			set(PROV, &sealed(PROV, &[enc_secret(BOB).public()])),
			Error::<Test>::NotSealedToCustomer
		);
		assert_noop!(
			set(PROV, &BoundedVec::truncate_from(b"not an envelope".to_vec())),
			Error::<Test>::InvalidEnvelope
		);
		for who in [ALICE, EVE, PROV2] {
			assert_noop!(set(who, &to_alice), Error::<Test>::NotLeaseParty);
		}
		assert_noop!(
			Market::set_access_details(RuntimeOrigin::signed(PROV), 77, to_alice.clone()),
			Error::<Test>::LeaseNotFound
		);

		// Set while matched: the deposit is every byte of the record and its key.
		let before = storage(PROV);
		assert_ok!(set(PROV, &to_alice));
		System::assert_last_event(crate::Event::AccessDetailsSet { id }.into());
		let access = crate::LeaseAccess::<Test>::get(id).unwrap();
		assert_eq!(access.details, to_alice);
		assert_eq!(access.deposit, to_alice.len() as u64 + 40);
		assert_eq!(storage(PROV), before + access.deposit);
		// Replaced while active, by a longer envelope: only the new deposit stays held.
		assert_ok!(Market::start_lease(RuntimeOrigin::signed(PROV), id));
		let longer = sealed(PROV, &[enc_secret(ALICE).public(), enc_secret(BOB).public()]);
		assert!(longer.len() > to_alice.len());
		assert_ok!(set(PROV, &longer));
		assert_eq!(storage(PROV), before + longer.len() as u64 + 40);
		// Not once the lease is closing.
		assert_ok!(Market::close_lease(RuntimeOrigin::signed(ALICE), id));
		assert_noop!(set(PROV, &to_alice), Error::<Test>::InvalidLeaseState);
		// The records go after the review window: the deposit comes back.
		run_to(60);
		assert!(Leases::<Test>::get(id).is_none());
		assert!(crate::LeaseAccess::<Test>::get(id).is_none());
		assert_eq!(storage(PROV), before);
	});
}
