//! Typed calls of the marketplace (provider, market, escrow) that reach deep states: ids that
//! exist, the right party signing, envelopes sealed to the provider's real key, usage records
//! signed by the provider daemon's real key, bids within the order's price. Arguments still drift
//! to edge values (the wrong party, amounts at the limits, expired bids, replayed sequence
//! numbers, broken signatures) often enough to exercise the refusals.

use codec::Encode;
use frame_support::BoundedVec;
use sp_core::{ed25519, sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use virtengine_envelope::{seal_with_rng, RecipientSecret, SenderKey};
use virtengine_runtime::{AccountId, Runtime, RuntimeCall, MICRO_VE, VE};

use super::gen::{edge_balance, Prng};
use pallet_escrow::{Rate, Unit, UsageRecord};
use pallet_market::{Category, LeaseState, OrderState, Sealed, Target};

/// The accounts that sign: Alice (sudo, the genesis account), Bob … Ferdie.
pub const SIGNERS: [Sr25519Keyring; 6] = [
	Sr25519Keyring::Alice,
	Sr25519Keyring::Bob,
	Sr25519Keyring::Charlie,
	Sr25519Keyring::Dave,
	Sr25519Keyring::Eve,
	Sr25519Keyring::Ferdie,
];

/// Signer `i`'s envelope (X25519) secret, as a provider registers it.
pub fn envelope_secret(i: usize) -> RecipientSecret {
	RecipientSecret::from_bytes([0x40 + i as u8; 32])
}

/// Signer `i`'s provider daemon key.
pub fn daemon_pair(i: usize) -> ed25519::Pair {
	ed25519::Pair::from_seed(&[0x60 + i as u8; 32])
}

pub fn signer_of(who: &AccountId) -> Option<usize> {
	SIGNERS.iter().position(|k| k.to_account_id() == *who)
}

/// The signer holding the sudo key (Alice at genesis; the key may move), or Alice.
pub fn sudo_signer() -> usize {
	pallet_sudo::Key::<Runtime>::get().and_then(|k| signer_of(&k)).unwrap_or(0)
}

/// What exists, read once per block.
#[derive(Default)]
pub struct Snapshot {
	pub now: u32,
	pub providers: Vec<(AccountId, pallet_provider::ProviderOf<Runtime>)>,
	pub offerings: Vec<(u64, pallet_market::OfferingOf<Runtime>)>,
	pub orders: Vec<(u64, pallet_market::OrderOf<Runtime>)>,
	pub bids: Vec<(u64, AccountId, pallet_market::BidOf<Runtime>)>,
	/// Domain claims: the claimant and the domain.
	pub claims: Vec<(AccountId, pallet_provider::Domain)>,
	pub leases: Vec<(u64, pallet_market::LeaseOf<Runtime>)>,
	pub escrows: Vec<(u64, pallet_escrow::EscrowOf<Runtime>)>,
}

impl Snapshot {
	/// Reads the marketplace's state (at most a few hundred of each).
	pub fn read() -> Self {
		const N: usize = 256;
		Self {
			now: frame_system::Pallet::<Runtime>::block_number(),
			providers: pallet_provider::Providers::<Runtime>::iter().take(N).collect(),
			offerings: pallet_market::Offerings::<Runtime>::iter().take(N).collect(),
			orders: pallet_market::Orders::<Runtime>::iter().take(N).collect(),
			bids: pallet_market::Bids::<Runtime>::iter().take(N).collect(),
			claims: pallet_provider::DomainClaims::<Runtime>::iter()
				.take(N)
				.map(|(who, claim)| (who, claim.domain))
				.collect(),
			leases: pallet_market::Leases::<Runtime>::iter().take(N).collect(),
			escrows: pallet_escrow::Escrows::<Runtime>::iter().take(N).collect(),
		}
	}

	pub fn max_id(&self) -> u64 {
		let orders = pallet_market::NextOrder::<Runtime>::get();
		let offerings = pallet_market::NextOffering::<Runtime>::get();
		orders.max(offerings)
	}
}

/// The typed generator: remembers the envelopes it sealed (sealing is slow in a debug build).
#[derive(Default)]
pub struct MarketGen {
	sealed: std::collections::BTreeMap<[u8; 32], Sealed>,
}

/// A call and the index (in [`SIGNERS`]) of the account that signs it.
pub struct Op {
	pub signer: usize,
	pub call: RuntimeCall,
}

fn op(signer: usize, call: RuntimeCall) -> Option<Op> {
	Some(Op { signer, call })
}

fn sudo(call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(call) })
}

fn category(rng: &mut Prng) -> Category {
	rng.pick(&[Category::Compute, Category::Gpu, Category::Storage, Category::Hpc]).clone()
}

fn rate(rng: &mut Prng) -> Rate<u128> {
	let per_hour = match rng.below(6) {
		0 => 0,
		1 => 1,
		2 => MICRO_VE,
		3 => VE,
		4 => 100 * VE,
		_ => edge_balance(rng),
	};
	let units = [Unit::CpuCoreSecond, Unit::GpuSecond, Unit::MemoryGbHour, Unit::Job];
	let mut per_unit = Vec::new();
	for unit in units {
		if rng.pct(40) {
			per_unit.push((unit, *rng.pick(&[0, 1, MICRO_VE, VE, u128::MAX])));
		}
	}
	if rng.pct(3) && !per_unit.is_empty() {
		// The same unit twice: refused.
		per_unit.push(per_unit[0]);
	}
	Rate { per_hour, per_unit: BoundedVec::truncate_from(per_unit) }
}

fn name(rng: &mut Prng) -> pallet_market::Name {
	BoundedVec::truncate_from(rng.pick(&["basic", "", "gpu-xl"]).as_bytes().to_vec())
}

impl MarketGen {
	/// An envelope sealed to `key` by `sender` (one per key, then reused; sometimes damaged).
	fn sealed(&mut self, rng: &mut Prng, key: [u8; 32], sender: usize) -> Sealed {
		let bytes = self
			.sealed
			.entry(key)
			.or_insert_with(|| {
				let limits = pallet_market::SEALED_LIMITS;
				let pair: sr25519::Pair = SIGNERS[sender].pair();
				// A key no envelope can be sealed to (a random or low-order one registered by
				// the fuzzer) gets bytes that are not an envelope.
				match seal_with_rng(
					rng.rng(),
					b"{\"image\":\"nginx\"}",
					&[key],
					&SenderKey::Sr25519(pair),
					b"application/json",
					0,
					&limits,
				) {
					Ok(envelope) => BoundedVec::truncate_from(envelope.encode()),
					Err(_) => BoundedVec::truncate_from(key.to_vec()),
				}
			})
			.clone();
		if rng.pct(5) {
			let mut damaged = bytes.into_inner();
			let i = rng.below(damaged.len() as u64) as usize;
			damaged[i] ^= 0x01;
			return BoundedVec::truncate_from(damaged);
		}
		bytes
	}

	/// The next typed call, or `None` when the state offers nothing for the chosen kind.
	pub fn next(&mut self, rng: &mut Prng, s: &Snapshot) -> Option<Op> {
		let me = rng.below(SIGNERS.len() as u64) as usize;
		match rng.below(24) {
			0 => {
				let domain = if rng.pct(85) {
					format!("p{me}.example.com")
				} else {
					format!("p{}.example.com", rng.below(6))
				};
				let domain = BoundedVec::truncate_from(domain.into_bytes());
				op(me, RuntimeCall::Provider(pallet_provider::Call::claim_domain { domain }))
			},
			1 => {
				// The verifier (root) confirms a claim, with the token of its TXT record.
				let (who, claim) = match rng.choose(&s.claims) {
					Some(c) if rng.pct(90) => c.clone(),
					_ => {
						let who = SIGNERS[rng.below(6) as usize].to_account_id();
						(who, BoundedVec::truncate_from(b"p1.example.com".to_vec()))
					},
				};
				let token = match rng.pct(95) {
					true => pallet_provider::domain_token(&who.encode(), &claim),
					false => rng.array32(),
				};
				let call = pallet_provider::Call::confirm_domain { who, domain: claim, token };
				op(sudo_signer(), sudo(RuntimeCall::Provider(call)))
			},
			2 => {
				let (enc, daemon) = if rng.pct(90) {
					(envelope_secret(me).public(), daemon_pair(me).public().0)
				} else {
					(rng.array32(), rng.array32())
				};
				let attributes = pallet_provider::Attributes {
					region: BoundedVec::truncate_from(
						rng.pick(&["", "eu", "us"]).as_bytes().to_vec(),
					),
					cpu_models: Default::default(),
					gpu_models: Default::default(),
					capabilities: rng.below(4) as u32,
				};
				let call = if rng.pct(85) {
					pallet_provider::Call::register {
						attributes,
						encryption_key: enc,
						daemon_key: daemon,
					}
				} else {
					pallet_provider::Call::update {
						attributes,
						encryption_key: enc,
						daemon_key: daemon,
					}
				};
				op(me, RuntimeCall::Provider(call))
			},
			3 => {
				let call = match rng.below(8) {
					0..=2 => pallet_provider::Call::set_paused { paused: rng.pct(50) },
					3 => pallet_provider::Call::deregister {},
					4 => {
						let who = SIGNERS[rng.below(6) as usize].to_account_id();
						return op(
							sudo_signer(),
							sudo(RuntimeCall::Provider(pallet_provider::Call::suspend { who })),
						);
					},
					_ => {
						let who = SIGNERS[rng.below(6) as usize].to_account_id();
						return op(
							sudo_signer(),
							sudo(RuntimeCall::Provider(pallet_provider::Call::reinstate { who })),
						);
					},
				};
				op(me, RuntimeCall::Provider(call))
			},
			4 => {
				let (p, provider) = rng.choose(&s.providers)?.clone();
				let i = signer_of(&p)?;
				let plans = (0..=rng.below(2))
					.map(|_| pallet_market::Plan { name: name(rng), rate: rate(rng) })
					.collect::<Vec<_>>();
				let details = self.sealed(rng, provider.encryption_key, i);
				let required_tier = rng
					.pick(&[
						None,
						Some(virtengine_veid_primitives::Tier::Standard),
						Some(virtengine_veid_primitives::Tier::Premium),
					])
					.clone();
				let call = pallet_market::Call::create_offering {
					category: category(rng),
					plans: BoundedVec::truncate_from(plans),
					required_tier,
					details,
				};
				op(i, RuntimeCall::Market(call))
			},
			5 => {
				if s.offerings.is_empty() {
					return None;
				}
				let (id, offering) = rng.choose(&s.offerings)?.clone();
				let i = signer_of(&offering.provider)?;
				let call = if rng.pct(70) {
					let key = s
						.providers
						.iter()
						.find(|(p, _)| *p == offering.provider)
						.map(|(_, p)| p.encryption_key)
						.unwrap_or([0; 32]);
					pallet_market::Call::update_offering {
						id,
						plans: offering.plans.clone(),
						required_tier: offering.required_tier,
						details: self.sealed(rng, key, i),
						active: rng.pct(70),
					}
				} else {
					pallet_market::Call::remove_offering { id }
				};
				op(if rng.pct(90) { i } else { me }, RuntimeCall::Market(call))
			},
			6..=8 => {
				let funds = match rng.below(5) {
					0 => edge_balance(rng),
					_ => *rng.pick(&[VE, 10 * VE, 100 * VE, 999 * VE]),
				};
				let (target, config) = if rng.pct(30) && !s.offerings.is_empty() {
					let (id, offering) = rng.choose(&s.offerings)?.clone();
					let key = s
						.providers
						.iter()
						.find(|(p, _)| *p == offering.provider)
						.map(|(_, p)| p.encryption_key)
						.unwrap_or([0; 32]);
					let sender = me;
					let config =
						if rng.pct(90) { Some(self.sealed(rng, key, sender)) } else { None };
					(Target::Offering { id, plan: rng.below(3) as u8 }, config)
				} else {
					let region =
						BoundedVec::truncate_from(rng.pick(&["", "", "eu"]).as_bytes().to_vec());
					(
						Target::Requirements {
							category: category(rng),
							region,
							capabilities: rng.below(2) as u32,
						},
						None,
					)
				};
				let call = pallet_market::Call::create_order {
					target,
					config,
					max_price: rate(rng),
					funds,
				};
				op(me, RuntimeCall::Market(call))
			},
			9 => {
				let (id, order) = rng.choose(&s.orders)?.clone();
				let i = signer_of(&order.customer)?;
				op(
					if rng.pct(90) { i } else { me },
					RuntimeCall::Market(pallet_market::Call::cancel_order { id }),
				)
			},
			10..=11 => {
				let open: Vec<_> =
					s.orders.iter().filter(|(_, o)| o.state == OrderState::Open).collect();
				let (order, o) = (*rng.choose(&open)?).clone();
				let (p, _) = rng.choose(&s.providers)?.clone();
				let i = signer_of(&p)?;
				let price = if rng.pct(80) { o.max_price.clone() } else { rate(rng) };
				let expires = s.now + *rng.pick(&[0u32, 1, 2, 10, 100, 1_000]);
				if rng.pct(10) {
					return op(i, RuntimeCall::Market(pallet_market::Call::withdraw_bid { order }));
				}
				op(i, RuntimeCall::Market(pallet_market::Call::bid { order, price, expires }))
			},
			12..=13 => {
				let (order, provider, bid) = rng.choose(&s.bids)?.clone();
				let o = s.orders.iter().find(|(id, _)| *id == order).map(|(_, o)| o.clone())?;
				let i = signer_of(&o.customer)?;
				let key = s
					.providers
					.iter()
					.find(|(p, _)| *p == provider)
					.map(|(_, p)| p.encryption_key)
					.unwrap_or([0; 32]);
				let config = match (&o.config, rng.pct(90)) {
					(None, true) | (Some(_), false) => Some(self.sealed(rng, key, i)),
					_ => None,
				};
				let price = if rng.pct(90) { bid.price } else { rate(rng) };
				let call = pallet_market::Call::accept_bid { order, provider, price, config };
				op(i, RuntimeCall::Market(call))
			},
			14..=15 => {
				if rng.pct(15) {
					let live: Vec<_> = s
						.leases
						.iter()
						.filter(|(_, l)| {
							matches!(l.state, LeaseState::Matched | LeaseState::Active)
						})
						.cloned()
						.collect();
					let (id, lease) = rng.choose(&live)?.clone();
					let p = signer_of(&lease.provider)?;
					let c = signer_of(&lease.customer)?;
					// Access details, sealed to the customer's active envelope key when it has
					// one (else to the key the fuzzer would give it), mostly by the provider; a
					// customer without a key often registers one first (with its proof).
					let active = pallet_encryption::Pallet::<Runtime>::active_key(&lease.customer);
					if active.is_none() && rng.pct(60) {
						let pair = ed25519::Pair::from_seed(&[0x80 + c as u8; 32]);
						let public =
							virtengine_veid_primitives::x25519_of_ed25519(&pair.public().0)?;
						let statement =
							pallet_encryption::possession::statement(&lease.customer, &public);
						let proof = pallet_encryption::KeyProof {
							ed25519: pair.public().0,
							signature: pair.sign(&statement).0,
						};
						let call = pallet_encryption::Call::register_key { public, proof };
						return op(c, RuntimeCall::Encryption(call));
					}
					let key = active.map_or_else(|| envelope_secret(c).public(), |(_, key)| key);
					let details = self.sealed(rng, key, p);
					let signer = if rng.pct(85) { p } else { me };
					let call = pallet_market::Call::set_access_details { id, details };
					return op(signer, RuntimeCall::Market(call));
				}
				let (id, lease) = rng.choose(&s.leases)?.clone();
				let p = signer_of(&lease.provider)?;
				let c = signer_of(&lease.customer)?;
				let call = match (lease.state, rng.below(4)) {
					(LeaseState::Matched, 0..=2) => pallet_market::Call::start_lease { id },
					(LeaseState::Active, 0..=1) => pallet_market::Call::heartbeat { id },
					(_, 3) => pallet_market::Call::close_lease { id },
					_ => {
						let len = rng.below(40) as usize;
						let comment = BoundedVec::truncate_from(rng.bytes(len));
						let rating = rng.below(7) as u8;
						let signer = if rng.pct(50) { c } else { p };
						return op(
							signer,
							RuntimeCall::Market(pallet_market::Call::review {
								id,
								rating,
								comment,
							}),
						);
					},
				};
				let signer = match rng.below(10) {
					0 => me,
					1..=2 => c,
					_ => p,
				};
				op(signer, RuntimeCall::Market(call))
			},
			16..=18 => {
				let (id, escrow) = rng.choose(&s.escrows)?.clone();
				let payee = escrow.payee.clone()?;
				let provider =
					s.providers.iter().find(|(p, _)| *p == payee).map(|(_, p)| p.clone())?;
				let seq = match rng.below(10) {
					0 => escrow.last_seq,
					1 => *rng.pick(&[0, u32::MAX]),
					_ => escrow.last_seq.saturating_add(1 + rng.below(2) as u32),
				};
				let mut quantities: Vec<(Unit, u64)> = Vec::new();
				for (unit, _) in escrow.rate.per_unit.iter() {
					if rng.pct(70) {
						quantities.push((*unit, *rng.pick(&[0u64, 1, 60, 3_600, u64::MAX])));
					}
				}
				if quantities.is_empty() || rng.pct(5) {
					quantities.push((Unit::EgressGb, rng.below(10)));
				}
				let record = UsageRecord {
					lease: id,
					seq,
					quantities: BoundedVec::truncate_from(quantities),
				};
				let message = pallet_escrow::usage_message(
					&pallet_escrow::Pallet::<Runtime>::genesis(),
					&record,
				);
				let daemon =
					(0..SIGNERS.len()).find(|i| daemon_pair(*i).public().0 == provider.daemon_key);
				let signature = match (daemon, rng.pct(95)) {
					(Some(i), true) => daemon_pair(i).sign(&message).0,
					_ => [7; 64],
				};
				op(me, RuntimeCall::Escrow(pallet_escrow::Call::submit_usage { record, signature }))
			},
			19 => {
				let (id, escrow) = rng.choose(&s.escrows)?.clone();
				let seq = escrow.pending.first().map(|p| p.seq).unwrap_or(rng.below(3) as u32);
				if rng.pct(50) {
					let payer = signer_of(&escrow.payer)?;
					op(payer, RuntimeCall::Escrow(pallet_escrow::Call::dispute { id, seq }))
				} else {
					let call = pallet_escrow::Call::resolve { id, seq, pay: rng.pct(50) };
					op(sudo_signer(), sudo(RuntimeCall::Escrow(call)))
				}
			},
			20..=21 => {
				let id = match s.escrows.is_empty() || rng.pct(5) {
					true => rng.below(s.max_id() + 2),
					false => rng.choose(&s.escrows)?.0,
				};
				let call = match rng.below(5) {
					0..=2 => pallet_escrow::Call::settle { id },
					3 => pallet_escrow::Call::withdraw {},
					_ => pallet_escrow::Call::top_up { id, amount: edge_balance(rng) },
				};
				op(me, RuntimeCall::Escrow(call))
			},
			22 => {
				let customer = SIGNERS[rng.below(6) as usize].to_account_id();
				let call = if rng.pct(60) {
					pallet_market::Call::block_customer { customer }
				} else {
					pallet_market::Call::unblock_customer { customer }
				};
				op(me, RuntimeCall::Market(call))
			},
			_ => {
				// Withdraw payouts: providers, and the fee account's (nobody signs for it).
				let payee = s.escrows.iter().filter_map(|(_, e)| e.payee.clone()).next();
				let i = payee.and_then(|p| signer_of(&p)).unwrap_or(me);
				op(i, RuntimeCall::Escrow(pallet_escrow::Call::withdraw {}))
			},
		}
	}
}
