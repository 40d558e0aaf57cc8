#![allow(clippy::unwrap_used)]

use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
	BoundedVec,
};
use sp_runtime::DispatchError;

use crate::{
	covered_blocks, fixed_charge, mock::*, Error, Escrows, Event, HoldReason, Payouts, Rate, Unit,
	UsageRecord, UsageStatus,
};

fn rate(per_hour: u64, units: &[(Unit, u64)]) -> Rate<u64> {
	Rate { per_hour, per_unit: BoundedVec::truncate_from(units.to_vec()) }
}

fn record(lease: u64, seq: u32, q: &[(Unit, u64)]) -> UsageRecord {
	UsageRecord { lease, seq, quantities: BoundedVec::truncate_from(q.to_vec()) }
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::Escrow.into(), &who)
}

fn free(who: u64) -> u64 {
	Balances::balance(&who)
}

/// An escrow of `amount` from the customer to the provider at `r`, started at block 1.
fn lease(id: u64, amount: u64, r: Rate<u64>) {
	assert_ok!(Escrow::open(id, &CUSTOMER, amount));
	assert_ok!(Escrow::assign(id, &PROVIDER, r));
	assert_ok!(Escrow::start(id, 1));
}

fn submit(signer: u64, r: &UsageRecord) -> Result<(), DispatchError> {
	Escrow::submit_usage(RuntimeOrigin::signed(PROVIDER), r.clone(), signed(signer, r))
}

fn settle(id: u64) {
	assert_ok!(Escrow::settle(RuntimeOrigin::signed(EVE), id));
}

fn invariant() {
	Escrow::check_invariant().unwrap();
}

#[test]
fn open_holds_and_finish_refunds() {
	new_test_ext().execute_with(|| {
		assert_ok!(Escrow::open(7, &CUSTOMER, 500));
		assert_eq!((held(CUSTOMER), free(CUSTOMER)), (500, START - 500));
		assert_noop!(Escrow::open(7, &CUSTOMER, 1), Error::<Test>::Exists);
		assert_noop!(Escrow::open(8, &CUSTOMER, 0), Error::<Test>::ZeroAmount);
		assert!(Escrow::open(8, &CUSTOMER, START * 2).is_err());
		invariant();
		// Never matched: everything goes back.
		assert_ok!(Escrow::finish(7));
		assert_eq!((held(CUSTOMER), free(CUSTOMER)), (0, START));
		assert!(!Escrows::<Test>::contains_key(7));
		invariant();
	});
}

#[test]
fn fixed_rate_accrues_per_block_rounded_once() {
	new_test_ext().execute_with(|| {
		// 7 an hour at 10 blocks an hour: 0.7 a block.
		lease(1, 1_000, rate(7, &[]));
		run_to(4); // 3 blocks: floor(2.1) = 2
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 2);
		run_to(6); // 5 blocks in all: floor(3.5) = 3, one more
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 3);
		run_to(11); // 10 blocks: exactly 7
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 7);
		// Per-settlement rounding would have paid 0 + 0 + 3 = far less; cumulative pays the hour.
		assert_eq!(Escrows::<Test>::get(1).unwrap().held, 993);
		invariant();
	});
}

#[test]
fn fee_is_a_share_of_the_cumulative_amount() {
	new_test_ext().execute_with(|| {
		// 10 a block, 1 % fee: each settlement of one block owes 0.1 fee.
		lease(1, 10_000, rate(100, &[]));
		for n in 2..=21 {
			run_to(n);
			settle(1);
		}
		// 20 blocks: 200 paid, fee floor(2.00) = 2, provider 198.
		assert_eq!(Payouts::<Test>::get(99), 2);
		assert_eq!(Payouts::<Test>::get(PROVIDER), 198);
		let e = Escrows::<Test>::get(1).unwrap();
		assert_eq!((e.paid, e.fee, e.held), (200, 2, 9_800));
		assert_eq!(held(CUSTOMER) + held(PROVIDER) + held(99), 10_000);
		invariant();
	});
}

#[test]
fn double_settlement_pays_once() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(100, &[(Unit::Job, 50)]));
		assert_ok!(submit(PROVIDER, &record(1, 1, &[(Unit::Job, 2)])));
		run_to(10);
		settle(1);
		let after_first = Payouts::<Test>::get(PROVIDER) + Payouts::<Test>::get(99);
		assert_eq!(after_first, 90 + 100);
		settle(1);
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER) + Payouts::<Test>::get(99), after_first);
		invariant();
	});
}

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
		assert_noop!(submit(EVE, &record(1, 6, &[(Unit::Job, 1)])), Error::<Test>::BadSignature);
		// A valid signature moved to another lease or another quantity.
		let sig = signed(PROVIDER, &record(1, 6, &[(Unit::Job, 1)]));
		for other in [record(2, 6, &[(Unit::Job, 1)]), record(1, 6, &[(Unit::Job, 9)])] {
			assert_noop!(
				Escrow::submit_usage(RuntimeOrigin::signed(PROVIDER), other, sig),
				Error::<Test>::BadSignature
			);
		}
		// Bad records.
		assert_noop!(submit(PROVIDER, &record(1, 6, &[])), Error::<Test>::BadRecord);
		assert_noop!(
			submit(PROVIDER, &record(1, 6, &[(Unit::Job, 1), (Unit::Job, 1)])),
			Error::<Test>::BadRecord
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
		assert_noop!(submit(PROVIDER, &record(4, 1, &[(Unit::Job, 1)])), Error::<Test>::NoEscrow);
		assert_ok!(submit(PROVIDER, &record(2, 1, &[(Unit::Job, 1)])));
		assert_ok!(Escrow::finish(2));
		assert_noop!(submit(PROVIDER, &record(2, 2, &[(Unit::Job, 1)])), Error::<Test>::Finished);
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

#[test]
fn disputes_hold_payment_until_governance_decides() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(0, &[(Unit::Job, 100)]));
		assert_ok!(submit(PROVIDER, &record(1, 1, &[(Unit::Job, 1)])));
		assert_ok!(submit(PROVIDER, &record(1, 2, &[(Unit::Job, 2)])));
		assert_noop!(Escrow::dispute(RuntimeOrigin::signed(EVE), 1, 1), Error::<Test>::NotPayer);
		assert_ok!(Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 1));
		assert_noop!(
			Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 1),
			Error::<Test>::AlreadyDisputed
		);
		assert_noop!(
			Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 9),
			Error::<Test>::NoRecord
		);
		run_to(6);
		assert_noop!(
			Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 2),
			Error::<Test>::WindowPassed
		);
		settle(1);
		// Record 2 paid (200, fee 2), record 1 waits.
		assert_eq!(Payouts::<Test>::get(PROVIDER), 198);
		assert_noop!(
			Escrow::resolve(RuntimeOrigin::signed(CUSTOMER), 1, 1, true),
			DispatchError::BadOrigin
		);
		// The lease ends: the disputed 100 stays held, the rest goes back.
		assert_ok!(Escrow::finish(1));
		assert_eq!(held(CUSTOMER), 100);
		assert_eq!(free(CUSTOMER), START - 300);
		invariant();
		// Governance rejects it: refunded, escrow removed.
		assert_ok!(Escrow::resolve(RuntimeOrigin::root(), 1, 1, false));
		assert_eq!((held(CUSTOMER), free(CUSTOMER)), (0, START - 200));
		assert!(!Escrows::<Test>::contains_key(1));
		invariant();
	});
}

#[test]
fn a_dispute_resolved_for_the_provider_is_paid_at_once() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(0, &[(Unit::Job, 100)]));
		assert_ok!(submit(PROVIDER, &record(1, 1, &[(Unit::Job, 1)])));
		assert_ok!(Escrow::dispute(RuntimeOrigin::signed(CUSTOMER), 1, 1));
		assert_noop!(Escrow::resolve(RuntimeOrigin::root(), 1, 2, true), Error::<Test>::NoRecord);
		assert_ok!(Escrow::resolve(RuntimeOrigin::root(), 1, 1, true));
		assert_eq!(Payouts::<Test>::get(PROVIDER) + Payouts::<Test>::get(99), 100);
		assert_noop!(Escrow::resolve(RuntimeOrigin::root(), 1, 1, true), Error::<Test>::NoRecord);
		invariant();
	});
}

#[test]
fn an_account_naming_itself_cannot_drain_an_escrow() {
	new_test_ext().execute_with(|| {
		lease(1, 1_000, rate(100, &[]));
		run_to(5);
		let eve = free(EVE);
		// Eve settles: the provider is paid, not Eve.
		settle(1);
		assert_eq!(Payouts::<Test>::get(PROVIDER) + Payouts::<Test>::get(99), 40);
		assert_eq!(Payouts::<Test>::get(EVE), 0);
		assert_noop!(
			Escrow::withdraw(RuntimeOrigin::signed(EVE)),
			Error::<Test>::NothingToWithdraw
		);
		assert_noop!(Escrow::top_up(RuntimeOrigin::signed(EVE), 1, 5), Error::<Test>::NotPayer);
		assert_noop!(Escrow::dispute(RuntimeOrigin::signed(EVE), 1, 1), Error::<Test>::NotPayer);
		// Usage Eve signs for herself is not the daemon's.
		assert_noop!(submit(EVE, &record(1, 1, &[(Unit::Job, 1)])), Error::<Test>::BadSignature);
		assert_eq!(free(EVE), eve);
		// The provider withdraws what it earned, once.
		let before = free(PROVIDER);
		assert_ok!(Escrow::withdraw(RuntimeOrigin::signed(PROVIDER)));
		assert_eq!(free(PROVIDER), before + 40);
		assert_noop!(
			Escrow::withdraw(RuntimeOrigin::signed(PROVIDER)),
			Error::<Test>::NothingToWithdraw
		);
		invariant();
	});
}

#[test]
fn funds_running_out_stop_the_lease_at_the_last_covered_block() {
	new_test_ext().execute_with(|| {
		// 13 an hour, 10 blocks an hour, 100 held: floor(13·n/10) ≤ 100 up to n = 77.
		lease(1, 100, rate(13, &[]));
		assert_eq!(Escrow::runway_end(1), Some(1 + 77));
		run_to(50);
		settle(1);
		assert!(exhausted().is_empty());
		run_to(90);
		settle(1);
		assert_eq!(exhausted(), vec![(1, 78)]);
		let e = Escrows::<Test>::get(1).unwrap();
		assert_eq!(e.accrue_until, Some(78));
		// Paid floor(13·77/10) = 100: everything, and nothing beyond.
		assert_eq!(e.held, 0);
		assert_eq!(e.paid, 100);
		run_to(200);
		settle(1);
		assert_eq!(Escrows::<Test>::get(1).unwrap().paid, 100);
		invariant();
		// A top-up before the end moves it.
		lease(2, 100, rate(13, &[]));
		assert_ok!(Escrow::top_up(RuntimeOrigin::signed(CUSTOMER), 2, 100));
		assert_eq!(Escrow::runway_end(2), Some(1 + 154));
	});
}

#[test]
fn usage_beyond_the_funds_exhausts_and_is_paid_as_far_as_it_goes() {
	new_test_ext().execute_with(|| {
		lease(1, 100, rate(0, &[(Unit::Job, 60)]));
		assert_ok!(submit(PROVIDER, &record(1, 1, &[(Unit::Job, 1)])));
		assert!(exhausted().is_empty());
		assert_ok!(submit(PROVIDER, &record(1, 2, &[(Unit::Job, 1)])));
		assert_eq!(exhausted(), vec![(1, 1)]);
		run_to(6);
		settle(1);
		System::assert_has_event(
			Event::Settled { id: 1, to_payee: 99, fee: 1, shortfall: 20 }.into(),
		);
		assert_eq!(Escrows::<Test>::get(1).unwrap().held, 0);
		assert_ok!(Escrow::finish(1));
		assert!(!Escrows::<Test>::contains_key(1));
		invariant();
	});
}

#[test]
fn covered_blocks_is_the_exact_bound() {
	for p in [1u128, 3, 7, 13, 100, 999] {
		for b in [1u128, 10, 600] {
			for x in [0u128, 1, 5, 99, 1_000, 12_345] {
				let n = covered_blocks(p, b, x).unwrap();
				assert!(fixed_charge(p, n, b) <= x, "p={p} b={b} x={x} n={n}");
				assert!(fixed_charge(p, n + 1, b) > x, "p={p} b={b} x={x} n={n}");
			}
		}
	}
	assert_eq!(covered_blocks(0, 10, 5), None);
}

#[test]
fn rates_compare_by_component() {
	let max = rate(100, &[(Unit::Job, 10), (Unit::GpuSecond, 5)]);
	assert!(rate(100, &[(Unit::Job, 10)]).within(&max));
	assert!(!rate(101, &[]).within(&max));
	assert!(!rate(1, &[(Unit::GpuSecond, 6)]).within(&max));
	assert!(!rate(1, &[(Unit::EgressGb, 1)]).within(&max));
	assert!(!rate(1, &[(Unit::Job, 1), (Unit::Job, 2)]).is_valid());
}

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);
impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}
}

/// Every account's escrow hold equals its escrows' funds plus its payouts; nothing is created or
/// destroyed: the accounts' total balances never change.
fn full_invariant(accounts: &[u64], total: u64) {
	invariant();
	let mut sum = 0;
	for a in accounts {
		let expected: u64 = Escrows::<Test>::iter()
			.filter(|(_, e)| e.payer == *a)
			.map(|(_, e)| e.held)
			.sum::<u64>()
			+ Payouts::<Test>::get(a);
		assert_eq!(held(*a), expected, "account {a}");
		sum += Balances::total_balance(a);
	}
	assert_eq!(sum, total, "balances created or destroyed");
}

#[test]
fn randomized_operations_keep_the_invariant() {
	let mut ext = new_test_ext();
	{
		let customers: Vec<u64> = (10..20).collect();
		let providers: Vec<u64> = (20..25).collect();
		ext.execute_with(|| providers.iter().for_each(|p| set_daemon(*p)));
		let mut accounts: Vec<u64> = customers.iter().chain(&providers).copied().collect();
		accounts.push(99);
		let total: u64 = ext.execute_with(|| accounts.iter().map(Balances::total_balance).sum());
		let mut rng = Rng(0x005e_ed0f_e5c2_0a11);
		let mut next_id = 0u64;
		let mut live: Vec<u64> = Vec::new();
		let mut seqs = std::collections::BTreeMap::<u64, u32>::new();
		let mut block = 1u64;
		let ops: u64 =
			std::env::var("ESCROW_RANDOM_OPS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
		let mut done = [0u32; 9];
		// In chunks, committing the overlay between them: removed entries would otherwise stay
		// behind as tombstones that every storage iteration walks.
		for chunk in 0..ops / 1_000 {
			ext.execute_with(|| {
				for i in chunk * 1_000..(chunk + 1) * 1_000 {
					let op = rng.below(9);
					let pick = |rng: &mut Rng, v: &Vec<u64>| v[rng.below(v.len() as u64) as usize];
					let ok = match op {
						0 if live.len() < 40 => {
							next_id += 1;
							let c = pick(&mut rng, &customers);
							let amount = 1 + rng.below(5_000);
							let r = Escrow::open(next_id, &c, amount);
							if r.is_ok() {
								live.push(next_id);
							}
							r.is_ok()
						},
						1 if !live.is_empty() => {
							let id = pick(&mut rng, &live);
							let p = pick(&mut rng, &providers);
							let r = rate(
								rng.below(500),
								&[(Unit::Job, rng.below(300)), (Unit::GpuSecond, rng.below(3))],
							);
							Escrow::assign(id, &p, r).is_ok() && Escrow::start(id, block).is_ok()
						},
						2 if !live.is_empty() => {
							let id = pick(&mut rng, &live);
							let e = Escrows::<Test>::get(id).unwrap();
							Escrow::top_up(RuntimeOrigin::signed(e.payer), id, 1 + rng.below(1_000))
								.is_ok()
						},
						3 if !live.is_empty() => {
							let id = pick(&mut rng, &live);
							let e = Escrows::<Test>::get(id).unwrap();
							let signer = match (e.payee, rng.below(10)) {
								(Some(p), 0..=8) => p,
								_ => pick(&mut rng, &providers),
							};
							let seq = seqs.entry(id).or_insert(0);
							let n = if rng.below(10) == 0 { *seq } else { *seq + 1 };
							let r = record(
								id,
								n,
								&[(Unit::Job, rng.below(4)), (Unit::GpuSecond, rng.below(50))],
							);
							let ok = submit(signer, &r).is_ok();
							if ok {
								*seq = n;
							}
							ok
						},
						4 if !live.is_empty() => {
							let id = pick(&mut rng, &live);
							Escrow::settle(RuntimeOrigin::signed(pick(&mut rng, &accounts)), id)
								.is_ok()
						},
						5 if !live.is_empty() => {
							let id = pick(&mut rng, &live);
							let e = Escrows::<Test>::get(id).unwrap();
							match e.pending.first() {
								Some(p) => {
									Escrow::dispute(RuntimeOrigin::signed(e.payer), id, p.seq)
										.is_ok()
								},
								None => false,
							}
						},
						6 if !live.is_empty() => {
							let id = pick(&mut rng, &live);
							let e = Escrows::<Test>::get(id).unwrap();
							match e.pending.iter().find(|p| p.status == UsageStatus::Disputed) {
								Some(p) => Escrow::resolve(
									RuntimeOrigin::root(),
									id,
									p.seq,
									rng.below(2) == 0,
								)
								.is_ok(),
								None => false,
							}
						},
						7 if !live.is_empty() => {
							let id = pick(&mut rng, &live);
							Escrow::finish(id).is_ok()
						},
						8 => {
							let who = pick(&mut rng, &accounts);
							if rng.below(3) == 0 {
								block += 1 + rng.below(20);
								run_to(block);
							}
							if who == 99 {
								// The fee account has no key: governance spends its fees.
								let fees = Payouts::<Test>::get(99);
								let amount = 1 + rng.below(fees.max(1) + 1);
								let to = pick(&mut rng, &accounts);
								Escrow::spend_fees(RuntimeOrigin::root(), to, amount).is_ok()
							} else {
								Escrow::withdraw(RuntimeOrigin::signed(who)).is_ok()
							}
						},
						_ => false,
					};
					if ok {
						done[op as usize] += 1;
					}
					live.retain(|id| Escrows::<Test>::contains_key(id));
					// The pallet's invariant every 8 operations, the full check (every account's hold,
					// total balance) every 64: storage iteration in the test externalities is what this
					// test spends its time on.
					if i % 64 == 0 {
						full_invariant(&accounts, total);
					} else if i % 8 == 0 {
						invariant();
					}
				}
			});
			ext.commit_all().unwrap();
		}
		ext.execute_with(|| full_invariant(&accounts, total));
		// Every kind of operation happened many times.
		assert!(done.iter().all(|n| *n > 200), "operations that succeeded: {done:?}");
	}
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

/// Issue 14: the platform fee is paid to an account nobody holds a key for (a pallet account in
/// the runtime), so without a spending path the fees are stuck for ever. Governance spends them;
/// nobody else can.
#[test]
fn platform_fees_can_be_spent_by_governance_only() {
	new_test_ext().execute_with(|| {
		lease(1, 10_000, rate(1_000, &[])); // 100 a block
		run_to(11);
		settle(1); // 1,000 paid, 1 % fee
		assert_eq!((Payouts::<Test>::get(99), held(99)), (10, 10));
		for who in [EVE, PROVIDER, CUSTOMER] {
			assert_noop!(
				Escrow::spend_fees(RuntimeOrigin::signed(who), who, 5),
				DispatchError::BadOrigin
			);
		}
		assert_noop!(
			Escrow::spend_fees(RuntimeOrigin::root(), EVE, 11),
			Error::<Test>::InsufficientFees
		);
		assert_noop!(Escrow::spend_fees(RuntimeOrigin::root(), EVE, 0), Error::<Test>::ZeroAmount);
		let before = free(EVE);
		assert_ok!(Escrow::spend_fees(RuntimeOrigin::root(), EVE, 6));
		assert_eq!(free(EVE), before + 6);
		assert_eq!((Payouts::<Test>::get(99), held(99)), (4, 4));
		assert_eq!(
			System::events().last().unwrap().event,
			RuntimeEvent::Escrow(Event::FeesSpent { dest: EVE, amount: 6 })
		);
		// To an account that did not exist.
		assert_ok!(Escrow::spend_fees(RuntimeOrigin::root(), 500, 4));
		assert_eq!((free(500), Payouts::<Test>::get(99), held(99)), (4, 0, 0));
		assert!(!Payouts::<Test>::contains_key(99));
		invariant();
	});
}
