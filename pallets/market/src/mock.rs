//! A test runtime: balances, providers, escrow and the market; 10 blocks an hour, 1 % fee to
//! account 99; provision 5 blocks, heartbeat 6, closing 2, review window 20, dispute window 3;
//! identity tiers set by the tests.

use codec::Encode;
use frame_support::{assert_ok, derive_impl, parameter_types, BoundedVec};
use frame_system::EnsureRoot;
use sp_core::{ed25519, sr25519, Pair};
use sp_runtime::{BuildStorage, Perbill};
use std::{cell::RefCell, collections::BTreeMap};
use virtengine_envelope::{Limits, RecipientSecret, SenderKey};
use virtengine_veid_primitives::Tier;

use crate::{self as pallet_market, Sealed};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Provider: pallet_provider,
		Escrow: pallet_escrow,
		Market: pallet_market,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

thread_local! {
	static TIERS: RefCell<BTreeMap<u64, Tier>> = const { RefCell::new(BTreeMap::new()) };
}

/// Sets an account's identity tier.
pub fn set_tier(who: u64, tier: Option<Tier>) {
	TIERS.with(|t| match tier {
		Some(tier) => t.borrow_mut().insert(who, tier),
		None => t.borrow_mut().remove(&who),
	});
}

thread_local! {
	static ENVELOPE_KEYS: RefCell<BTreeMap<u64, [u8; 32]>> = const { RefCell::new(BTreeMap::new()) };
}

/// Sets (or removes) an account's active envelope key.
pub fn set_envelope_key(who: u64, key: Option<[u8; 32]>) {
	ENVELOPE_KEYS.with(|k| match key {
		Some(key) => k.borrow_mut().insert(who, key),
		None => k.borrow_mut().remove(&who),
	});
}

impl crate::EnvelopeKeys<u64> for Tiers {
	fn active_key(who: &u64) -> Option<[u8; 32]> {
		ENVELOPE_KEYS.with(|k| k.borrow().get(who).copied())
	}
}

/// Tiers as the tests set them.
pub struct Tiers;
impl pallet_mfa::IdentityTier<u64> for Tiers {
	fn tier(who: &u64) -> Option<Tier> {
		TIERS.with(|t| t.borrow().get(who).copied())
	}
}

parameter_types! {
	pub const DepositPerByte: u64 = 1;
	pub const Fee: Perbill = Perbill::from_percent(1);
	pub const FeeAccount: u64 = 99;
	pub const BlocksPerHour: u32 = 10;
	pub const DisputeWindow: u64 = 3;
	pub const MaxPending: u32 = 8;
	pub const ClaimDuration: u64 = 1_000;
}

impl pallet_provider::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = DepositPerByte;
	type Identity = Tiers;
	type Leases = Market;
	type DomainVerifier = EnsureRoot<u64>;
	type ClaimDuration = ClaimDuration;
	type AdminOrigin = EnsureRoot<u64>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Tiers;
}

impl pallet_escrow::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type FeeRate = Fee;
	type FeeDestination = FeeAccount;
	type BlocksPerHour = BlocksPerHour;
	type DisputeWindow = DisputeWindow;
	type MaxPending = MaxPending;
	type DaemonKeys = Market;
	type Leases = Market;
	type TreasuryOrigin = EnsureRoot<u64>;
	type AdminOrigin = EnsureRoot<u64>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Tiers;
}

parameter_types! {
	pub const MaxBids: u32 = 4;
	pub const MaxDeadlinesPerBlock: u32 = 3;
	pub const ProvisionTimeout: u64 = 5;
	pub const HeartbeatTimeout: u64 = 6;
	pub const ClosingTimeout: u64 = 2;
	pub const ReviewWindow: u64 = 20;
}

impl pallet_market::Config for Test {
	type Currency = Balances;
	type Escrow = Escrow;
	type Providers = Provider;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = DepositPerByte;
	type Identity = Tiers;
	type EnvelopeKeys = Tiers;
	type MaxBids = MaxBids;
	type MaxDeadlinesPerBlock = MaxDeadlinesPerBlock;
	type ProvisionTimeout = ProvisionTimeout;
	type HeartbeatTimeout = HeartbeatTimeout;
	type ClosingTimeout = ClosingTimeout;
	type ReviewWindow = ReviewWindow;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Tiers;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_provider::BenchmarkHelper<u64> for Tiers {
	fn set_standard_tier(who: &u64) {
		set_tier(*who, Some(Tier::Standard));
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_escrow::BenchmarkHelper<u64> for Tiers {
	fn set_daemon_key(provider: &u64, key: [u8; 32]) {
		pallet_provider::Providers::<Test>::mutate(provider, |p| {
			if let Some(p) = p {
				p.daemon_key = key;
			}
		});
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for Tiers {
	fn make_provider(who: &u64, encryption_key: [u8; 32], daemon: [u8; 32]) {
		register(*who, encryption_key, daemon);
	}
	fn set_premium_tier(who: &u64) {
		set_tier(*who, Some(Tier::Premium));
	}
	fn set_envelope_key(who: &u64, public: [u8; 32]) {
		set_envelope_key(*who, Some(public));
	}
}

/// Customers.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
/// Providers.
pub const PROV: u64 = 10;
pub const PROV2: u64 = 11;
/// Someone else.
pub const EVE: u64 = 3;
/// Everyone's starting balance.
pub const START: u64 = 10_000_000;

/// A provider's X25519 secret (derived from its number).
pub fn enc_secret(who: u64) -> RecipientSecret {
	let mut b = [9u8; 32];
	b[8..16].copy_from_slice(&who.to_le_bytes());
	RecipientSecret::from_bytes(b)
}

/// A provider's daemon key pair.
pub fn daemon(who: u64) -> ed25519::Pair {
	let mut b = [5u8; 32];
	b[..8].copy_from_slice(&who.to_le_bytes());
	ed25519::Pair::from_seed(&b)
}

/// Registers `who` as an active provider (Standard tier, confirmed domain).
pub fn register(who: u64, encryption_key: [u8; 32], daemon_key: [u8; 32]) {
	set_tier(who, Some(Tier::Standard));
	let domain: pallet_provider::Domain =
		BoundedVec::truncate_from(format!("p{who}.example.com").into_bytes());
	let token = pallet_provider::domain_token(&who.encode(), &domain);
	assert_ok!(Provider::claim_domain(RuntimeOrigin::signed(who), domain.clone()));
	assert_ok!(Provider::confirm_domain(RuntimeOrigin::root(), who, domain, token));
	let attributes = pallet_provider::Attributes {
		region: BoundedVec::truncate_from(b"eu-central".to_vec()),
		cpu_models: Default::default(),
		gpu_models: Default::default(),
		capabilities: pallet_provider::capability::KUBERNETES | pallet_provider::capability::GPU,
	};
	assert_ok!(Provider::register(
		RuntimeOrigin::signed(who),
		attributes,
		encryption_key,
		daemon_key
	));
}

/// An envelope from `sender` sealed to `recipients` (X25519 public keys).
pub fn sealed(sender: u64, recipients: &[[u8; 32]]) -> Sealed {
	let key = SenderKey::Sr25519(sr25519::Pair::from_seed(&[sender as u8; 32]));
	let envelope = virtengine_envelope::seal(
		b"{\"image\":\"nginx\"}",
		recipients,
		&key,
		b"order-config",
		0,
		&Limits::DEFAULT,
	)
	.expect("seal");
	BoundedVec::truncate_from(envelope.encode())
}

/// Funded accounts; providers PROV and PROV2 registered.
pub fn new_test_ext() -> sp_io::TestExternalities {
	TIERS.with(|t| t.borrow_mut().clear());
	ENVELOPE_KEYS.with(|k| k.borrow_mut().clear());
	let mut storage =
		frame_system::GenesisConfig::<Test>::default().build_storage().expect("genesis");
	pallet_balances::GenesisConfig::<Test> {
		balances: [ALICE, BOB, EVE, PROV, PROV2, 12, 13, 14, 99]
			.iter()
			.map(|a| (*a, START))
			.collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.expect("balances");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		for p in [PROV, PROV2] {
			register(p, enc_secret(p).public(), daemon(p).public().0);
		}
	});
	ext
}

/// Runs blocks up to `n`, with the market's `on_initialize`.
pub fn run_to(n: u64) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Market::on_initialize(next);
	}
}
