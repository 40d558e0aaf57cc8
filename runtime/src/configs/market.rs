//! The marketplace: providers (`pallet_provider`), escrow (`pallet_escrow`) and the market
//! (`pallet_market`), with the seeds' SLA timeouts.

use frame_support::{parameter_types, traits::ConstU32, PalletId};
use frame_system::EnsureRoot;
use sp_runtime::{traits::AccountIdConversion, Perbill};

use super::mfa::VeidTiers;
use crate::{
	AccountId, Balance, BlockNumber, Market, Runtime, RuntimeHoldReason, DAYS, HOURS, MICRO_VE,
	MINUTES,
};

parameter_types! {
	/// Stored marketplace records cost ten micro-VE per byte, like MFA factors (an order with
	/// its lease and escrow records: about 60 milli-VE, returned when they go).
	pub const MarketDepositPerByte: Balance = 10 * MICRO_VE;
	/// The platform's share of every payment.
	pub const PlatformFee: Perbill = Perbill::from_percent(1);
	/// The platform's treasury: the platform fee is paid to this account, which no one holds a
	/// key for; governance (root until it exists) spends it with `escrow.spend_fees`. Endowed at
	/// genesis so that any fee can land.
	pub FeeAccount: AccountId = FEE_PALLET_ID.into_account_truncating();
	/// The fixed rate is priced per hour and accrues per block.
	pub const BlocksPerHour: u32 = HOURS;
	/// The customer may dispute a usage record for two minutes.
	pub const DisputeWindow: BlockNumber = 2 * MINUTES;
	/// Seeds: ORDER_MATCHED must be provisioned within 5 minutes, or it is cancelled and refunded.
	pub const ProvisionTimeout: BlockNumber = 5 * MINUTES;
	/// Seeds: heartbeat every 60 s, usage reports at most 5 minutes apart.
	pub const HeartbeatTimeout: BlockNumber = 5 * MINUTES;
	/// Seeds: LEASE_CLOSING is force-terminated after 2 minutes (final usage until then).
	pub const ClosingTimeout: BlockNumber = 2 * MINUTES;
	/// Reviews are open for a week after a lease closes.
	pub const ReviewWindow: BlockNumber = 7 * DAYS;
	/// A provider has a week to get its domain claim confirmed and register; then another
	/// account may claim the domain.
	pub const DomainClaimDuration: BlockNumber = 7 * DAYS;
}

/// Derives the platform fee account (the marketplace's treasury).
pub const FEE_PALLET_ID: PalletId = PalletId(*b"ve/mktfe");

/// The platform fee account: keyless, spent by governance (`escrow.spend_fees`).
pub fn fee_account() -> AccountId {
	FEE_PALLET_ID.into_account_truncating()
}

impl pallet_provider::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = MarketDepositPerByte;
	type Identity = VeidTiers;
	type Leases = Market;
	// Root (sudo on development chains) until on-chain governance exists.
	type DomainVerifier = EnsureRoot<AccountId>;
	type ClaimDuration = DomainClaimDuration;
	type AdminOrigin = EnsureRoot<AccountId>;
	type WeightInfo = crate::weights::pallet_provider::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmarks::Helper;
}

impl pallet_escrow::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type FeeRate = PlatformFee;
	type FeeDestination = FeeAccount;
	type BlocksPerHour = BlocksPerHour;
	type DisputeWindow = DisputeWindow;
	type MaxPending = ConstU32<16>;
	type DaemonKeys = Market;
	type Leases = Market;
	type AdminOrigin = EnsureRoot<AccountId>;
	// Root (sudo on development chains) until on-chain governance exists.
	type TreasuryOrigin = EnsureRoot<AccountId>;
	type WeightInfo = crate::weights::pallet_escrow::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmarks::Helper;
}

impl pallet_market::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DepositPerByte = MarketDepositPerByte;
	type Identity = VeidTiers;
	type EnvelopeKeys = EnvelopeKeys;
	// The escrow and provider pallets, through the market's own small traits.
	type Escrow = crate::Escrow;
	type Providers = crate::Provider;
	type MaxBids = ConstU32<16>;
	type MaxDeadlinesPerBlock = ConstU32<32>;
	type ProvisionTimeout = ProvisionTimeout;
	type HeartbeatTimeout = HeartbeatTimeout;
	type ClosingTimeout = ClosingTimeout;
	type ReviewWindow = ReviewWindow;
	type WeightInfo = crate::weights::pallet_market::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmarks::Helper;
}

/// The accounts' active envelope keys (`pallet_encryption`): a lease's access details are sealed
/// to its customer's.
pub struct EnvelopeKeys;
impl pallet_market::EnvelopeKeys<AccountId> for EnvelopeKeys {
	fn active_key(who: &AccountId) -> Option<[u8; 32]> {
		pallet_encryption::Pallet::<Runtime>::active_key(who).map(|(_, public)| public)
	}
}

/// Benchmark set-up: identities written straight into `pallet_veid`'s storage, providers
/// registered through the provider pallet's own calls.
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarks {
	use frame_support::BoundedVec;
	use virtengine_veid_primitives::Tier;

	use crate::{AccountId, Runtime, RuntimeOrigin};

	/// The runtime's benchmark helper for the marketplace pallets.
	pub struct Helper;

	fn set_tier(who: &AccountId, tier: Tier) {
		pallet_veid::Identities::<Runtime>::insert(
			who,
			pallet_veid::Identity::<Runtime> {
				status: pallet_veid::Status::Verified,
				request: None,
				last_upload: 0,
				reject_reason: None,
				expires_at: None,
			},
		);
		pallet_veid::Results::<Runtime>::insert(
			who,
			pallet_veid::IdentityResult {
				score: 90,
				tier,
				reasons: 0,
				digest: [0; 32],
				model_set: [0; 32],
				request: 0,
			},
		);
	}

	impl pallet_provider::BenchmarkHelper<AccountId> for Helper {
		fn set_standard_tier(who: &AccountId) {
			set_tier(who, Tier::Standard);
		}
	}

	impl pallet_escrow::BenchmarkHelper<AccountId> for Helper {
		fn set_daemon_key(provider: &AccountId, key: [u8; 32]) {
			if !pallet_provider::Providers::<Runtime>::contains_key(provider) {
				register(provider, [1; 32], key);
			}
			pallet_provider::Providers::<Runtime>::mutate(provider, |p| {
				if let Some(p) = p {
					p.daemon_key = key;
				}
			});
		}

		fn lease_running(id: u64, payer: &AccountId, payee: &AccountId) {
			let now = frame_system::Pallet::<Runtime>::block_number();
			let deadline = now.saturating_add(super::HeartbeatTimeout::get());
			let price = pallet_escrow::Escrows::<Runtime>::get(id)
				.map(|e| e.rate)
				.unwrap_or(pallet_escrow::Rate { per_hour: 0, per_unit: Default::default() });
			pallet_market::Leases::<Runtime>::insert(
				id,
				pallet_market::Lease {
					customer: payer.clone(),
					provider: payee.clone(),
					price,
					state: pallet_market::LeaseState::Active,
					since: now,
					started: Some(now),
					last_seen: now,
					deadline,
				},
			);
			pallet_market::Deadlines::<Runtime>::insert(deadline, id, ());
			pallet_market::DeadlineCount::<Runtime>::mutate(|n| *n = n.saturating_add(1));
			pallet_market::OpenLeases::<Runtime>::mutate(payee, |n| *n = n.saturating_add(1));
		}
	}

	impl pallet_market::BenchmarkHelper<AccountId> for Helper {
		fn make_provider(who: &AccountId, encryption_key: [u8; 32], daemon: [u8; 32]) {
			register(who, encryption_key, daemon);
		}
		fn set_premium_tier(who: &AccountId) {
			set_tier(who, Tier::Premium);
		}
		fn set_envelope_key(who: &AccountId, public: [u8; 32]) {
			// Written straight into storage: registering proves possession of the secret,
			// which the benchmark does not hold in the form the proof needs.
			// The key id: the first 20 bytes of the key's SHA-256 (`virtengine_envelope::key_id`).
			let mut id = [0u8; 20];
			id.copy_from_slice(&sp_io::hashing::sha2_256(&public)[..20]);
			pallet_encryption::Keys::<Runtime>::insert(
				id,
				pallet_encryption::KeyRecord {
					owner: who.clone(),
					public,
					version: 1,
					state: pallet_encryption::KeyState::Active,
					registered_at: 0,
					deposit: 0,
				},
			);
			pallet_encryption::AccountKeySet::<Runtime>::insert(
				who,
				pallet_encryption::AccountKeys {
					next_version: 2,
					active: Some(id),
					keys: BoundedVec::truncate_from(alloc::vec![id]),
				},
			);
		}
	}

	fn register(who: &AccountId, encryption_key: [u8; 32], daemon: [u8; 32]) {
		set_tier(who, Tier::Standard);
		let domain: pallet_provider::Domain = BoundedVec::truncate_from(
			alloc::format!("p{}.bench.example", hex_prefix(who)).into_bytes(),
		);
		let token = pallet_provider::domain_token(who.as_ref(), &domain);
		let origin = RuntimeOrigin::signed(who.clone());
		let _ = pallet_provider::Pallet::<Runtime>::claim_domain(origin.clone(), domain.clone());
		let _ = pallet_provider::Pallet::<Runtime>::confirm_domain(
			RuntimeOrigin::root(),
			who.clone(),
			domain,
			token,
		);
		let attributes = pallet_provider::Attributes {
			region: Default::default(),
			cpu_models: Default::default(),
			gpu_models: Default::default(),
			capabilities: pallet_provider::capability::ALL,
		};
		let _ = pallet_provider::Pallet::<Runtime>::register(
			origin,
			attributes,
			encryption_key,
			daemon,
		);
	}

	fn hex_prefix(who: &AccountId) -> alloc::string::String {
		let bytes: &[u8] = who.as_ref();
		bytes.iter().take(8).map(|b| alloc::format!("{b:02x}")).collect()
	}
}
