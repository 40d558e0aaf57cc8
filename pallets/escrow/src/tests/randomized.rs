//! The escrow invariant under a long run of random operations.

use super::*;

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
