//! Usage records: the daemon's signature, replays, the dispute window, the pending list.

use super::*;

#[test]
fn usage_waits_for_its_dispute_window() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(0, &[(Unit::CpuCoreSecond, 3), (Unit::EgressGb, 20)]));
		assert_ok!(submit(
			PROVIDER,
			&record(1, 1, &[(Unit::CpuCoreSecond, 10), (Unit::EgressGb, 1)])
		));
		System::assert_last_event(Event::UsageRecorded { id: 1, seq: 1, amount: 50 }.into());
		run_to(5); // submitted at 1, window 5: due at 6
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 0);
		run_to(6);
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 50);
		assert!(Escrows::<Test>::get(1).unwrap().pending.is_empty());
		invariant();
	});
}

#[test]
fn replayed_or_foreign_usage_is_rejected() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(0, &[(Unit::Job, 10)]));
		lease(2, 1_000, rate(0, &[(Unit::Job, 10)]));
		let r = record(1, 5, &[(Unit::Job, 1)]);
		assert_ok!(submit(PROVIDER, &r));
		// The same record again, or an older number.
		assert_noop!(submit(PROVIDER, &r), Error::<Test>::Replayed);
		assert_noop!(submit(PROVIDER, &record(1, 4, &[(Unit::Job, 1)])), Error::<Test>::Replayed);
		// Signed by another key.
		assert_noop!(
			submit(EVE, &record(1, 6, &[(Unit::Job, 1)])),
			Error::<Test>::InvalidSignature
		);
		// A valid signature moved to another lease or another quantity.
		let sig = signed(PROVIDER, &record(1, 6, &[(Unit::Job, 1)]));
		for other in [record(2, 6, &[(Unit::Job, 1)]), record(1, 6, &[(Unit::Job, 9)])] {
			assert_noop!(
				Escrow::submit_usage(RuntimeOrigin::signed(PROVIDER), other, sig),
				Error::<Test>::InvalidSignature
			);
		}
		// Bad records.
		assert_noop!(submit(PROVIDER, &record(1, 6, &[])), Error::<Test>::InvalidRecord);
		assert_noop!(
			submit(PROVIDER, &record(1, 6, &[(Unit::Job, 1), (Unit::Job, 1)])),
			Error::<Test>::InvalidRecord
		);
		assert_noop!(
			submit(PROVIDER, &record(1, 6, &[(Unit::GpuSecond, 1)])),
			Error::<Test>::UnpricedUnit
		);
		assert_noop!(
			submit(PROVIDER, &record(1, 6, &[(Unit::Job, u64::MAX)])),
			Error::<Test>::Overflow
		);
		// Not started, unknown, finished.
		assert_ok!(Escrow::open(3, &CUSTOMER, 10));
		assert_noop!(submit(PROVIDER, &record(3, 1, &[(Unit::Job, 1)])), Error::<Test>::NotStarted);
		assert_noop!(
			submit(PROVIDER, &record(4, 1, &[(Unit::Job, 1)])),
			Error::<Test>::EscrowNotFound
		);
		assert_ok!(submit(PROVIDER, &record(2, 1, &[(Unit::Job, 1)])));
		assert_ok!(Escrow::finish(2));
		assert_noop!(
			submit(PROVIDER, &record(2, 2, &[(Unit::Job, 1)])),
			Error::<Test>::AlreadyFinished
		);
		invariant();
	});
}

#[test]
fn pending_records_are_bounded() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(0, &[(Unit::Job, 1)]));
		for seq in 1..=4 {
			assert_ok!(submit(PROVIDER, &record(1, seq, &[(Unit::Job, 1)])));
		}
		assert_noop!(
			submit(PROVIDER, &record(1, 5, &[(Unit::Job, 1)])),
			Error::<Test>::TooManyPending
		);
		run_to(6);
		settle(1);
		assert_ok!(submit(PROVIDER, &record(1, 5, &[(Unit::Job, 1)])));
	});
}

/// Issue 16's finding: with nobody calling `settle`, a daemon reporting usage at a steady
/// interval filled the pending list after `MaxPending` reports and its lease stopped billing.
/// Submitting settles what matured first, so only records in their window count.
#[test]
fn steady_reports_never_fill_the_pending_list() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(0, &[(Unit::Job, 1)]));
		// One record every 2 blocks, window 5: at most 3 in their window at once (max 4).
		for seq in 1..=20u32 {
			run_to(1 + 2 * u64::from(seq));
			assert_ok!(submit(PROVIDER, &record(1, seq, &[(Unit::Job, 1)])));
			let e = Escrows::<Test>::get(1).unwrap();
			assert!(e.pending.len() <= 3, "{} pending after seq {seq}", e.pending.len());
			invariant();
		}
		// Records 1..=17 (at blocks 3..=35) matured by block 41; the fee is 1% of 17.
		let e = Escrows::<Test>::get(1).unwrap();
		assert_eq!(e.paid, 17);
		assert_eq!(Payouts::<Test>::get(PROVIDER) + Payouts::<Test>::get(FeeAccount::get()), 17);
		assert_eq!(e.held, 1_000 - 17);
		assert!(exhausted().is_empty());
	});
}

#[cfg(feature = "runtime-benchmarks")]
#[test]
fn benchmark_signature_is_the_daemons() {
	use crate::benchmarking::*;
	use sp_core::Pair;
	let pair = sp_core::ed25519::Pair::from_seed(&BENCH_DAEMON_SEED);
	let sig = pair.sign(&crate::usage_message(&BENCH_GENESIS, &bench_record()));
	assert_eq!(hex(&pair.public().0), hex(&BENCH_DAEMON_PUBLIC), "public key");
	assert_eq!(hex(&sig.0), hex(&BENCH_SIGNATURE), "signature");
}

#[cfg(feature = "runtime-benchmarks")]
fn hex(b: &[u8]) -> String {
	b.iter().map(|x| format!("{x:02x}")).collect()
}
