//! The VirtEngine parachain runtime.
//!
//! What is here: the cumulus parachain set (parachain-system, parachain-info, aura + aura-ext,
//! collator-selection, session, authorship), the native token VE (balances, transaction-payment),
//! timestamp, utility, sudo (its key is set only by the dev presets), and the XCM/message-queue set.
//! Domain pallets: envelope keys (`pallet_encryption`), identity verification (`pallet_veid`);
//! access control and the marketplace are added as they land.
//!
//! Layout: `configs/` holds one module per area, `apis.rs` the runtime APIs,
//! `genesis_config_presets.rs` the `development` and `local_testnet` presets.

#![cfg_attr(not(feature = "std"), no_std)]
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

/// This runtime built with the `upgrade-test` feature: the same code one `spec_version` later, which
/// the runtime upgrade test sets on a dev chain (`WASM_BINARY`; `None` with `SKIP_WASM_BUILD`).
#[cfg(feature = "std")]
pub mod upgrade_test {
	include!(concat!(env!("OUT_DIR"), "/upgrade_test_wasm.rs"));
}

extern crate alloc;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub use apis::RuntimeApi;
pub mod configs;
pub mod genesis_config_presets;
pub mod weights;

use alloc::{borrow::Cow, vec::Vec};
use frame_support::weights::{
	constants::{ExtrinsicBaseWeight, WEIGHT_REF_TIME_PER_SECOND},
	Weight, WeightToFeeCoefficient, WeightToFeeCoefficients, WeightToFeePolynomial,
};
use smallvec::smallvec;
use sp_runtime::{generic, impl_opaque_keys, MultiAddress, Perbill};
use sp_version::RuntimeVersion;

pub use sp_consensus_aura::sr25519::AuthorityId as AuraId;
pub use virtengine_primitives::{
	time::*, units::*, AccountId, Balance, BlockNumber, Hash, Header, Nonce, Signature,
};

/// The address format of extrinsics: an account id, or an index (unused).
pub type Address = MultiAddress<AccountId, ()>;

/// A block of this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions every transaction carries, checked in this order.
/// Storage weight reclaim wraps them so the proof size a transaction really used is refunded.
pub type TxExtension = cumulus_pallet_weight_reclaim::StorageWeightReclaim<
	Runtime,
	(
		// Authorizes the calls that carry their own authorization (VEID members' votes, signed
		// with their VEID keys); a no-op for every other transaction.
		frame_system::AuthorizeCall<Runtime>,
		frame_system::CheckNonZeroSender<Runtime>,
		frame_system::CheckSpecVersion<Runtime>,
		frame_system::CheckTxVersion<Runtime>,
		frame_system::CheckGenesis<Runtime>,
		frame_system::CheckEra<Runtime>,
		frame_system::CheckNonce<Runtime>,
		// A suspended account may only appeal, a terminated one nothing (before any fee).
		pallet_roles::CheckAccountState<Runtime>,
		// Sensitive calls need an MFA authorization bound to them (before any fee).
		pallet_mfa::CheckMfa<Runtime>,
		// After the two extensions above, which refund what their common path does not use:
		// `post_dispatch` runs in this order, and `CheckWeight`'s gives the block back what the
		// call and the extensions before it left unspent. Placed before them, it would miss
		// their refunds wherever no proof is recorded (the dev node), where the reclaim around
		// the tuple does not reconcile the block's weight (docs/benchmarking.md).
		frame_system::CheckWeight<Runtime>,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
		// Lets offline signers (Ledger's generic app, Polkadot Vault) check the metadata they
		// decoded the call with: a signer that sets the mode signs the runtime's metadata hash
		// (RFC-78), which the wasm build embeds (the runtime's `metadata-hash` feature).
		frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	),
>;

/// An extrinsic as the runtime decodes it.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload a signer signs for a signed extrinsic.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations run on the next runtime upgrade. None yet.
type Migrations = ();

/// Dispatches a block's extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

/// Converts weight to a fee: the base extrinsic weight costs a tenth of a milli-VE, linearly.
pub struct WeightToFee;
impl WeightToFeePolynomial for WeightToFee {
	type Balance = Balance;
	fn polynomial() -> WeightToFeeCoefficients<Self::Balance> {
		let p = MILLI_VE / 10;
		let q = 100 * Balance::from(ExtrinsicBaseWeight::get().ref_time());
		smallvec![WeightToFeeCoefficient {
			degree: 1,
			negative: false,
			coeff_frac: Perbill::from_rational(p % q, q),
			coeff_integer: p / q,
		}]
	}
}

/// Types the node needs without knowing the runtime's extrinsic format.
pub mod opaque {
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;
	pub use virtengine_primitives::{Hash, Header, OpaqueBlock as Block};
}

impl_opaque_keys! {
	/// The session keys a collator registers: its aura key and its VEID key.
	pub struct SessionKeys {
		/// The key that signs the collator's blocks.
		pub aura: Aura,
		/// The key that signs its identity-committee votes (`pallet_veid`).
		pub veid: Veid,
	}
}

/// Defines [`VERSION`] with `spec_version` `$spec_version` (a literal: `runtime_version` reads it).
macro_rules! runtime_version {
	($spec_version:tt) => {
		/// The runtime version. `spec_version` rises with every change of behaviour;
		/// `transaction_version` with every change of call indices or of the extrinsic format.
		#[sp_version::runtime_version]
		pub const VERSION: RuntimeVersion = RuntimeVersion {
			spec_name: Cow::Borrowed("virtengine"),
			impl_name: Cow::Borrowed("virtengine-runtime"),
			authoring_version: 1,
			spec_version: $spec_version,
			impl_version: 0,
			apis: apis::RUNTIME_API_VERSIONS,
			transaction_version: 6,
			system_version: 1,
		};
	};
}

// Raise both together: the `upgrade-test` build is this runtime one spec version later, the code
// the runtime upgrade test (node/tests/upgrade.rs) sets on a dev chain.
#[cfg(not(feature = "upgrade-test"))]
runtime_version!(7);
#[cfg(feature = "upgrade-test")]
runtime_version!(8);

/// The share of a block's weight that on_initialize may use on average.
const AVERAGE_ON_INITIALIZE_RATIO: Perbill = Perbill::from_percent(5);
/// The share of a block that normal (not operational) extrinsics may fill.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// Two seconds of compute per block (async backing) and the relay chain's PoV limit.
const MAXIMUM_BLOCK_WEIGHT: Weight = Weight::from_parts(
	WEIGHT_REF_TIME_PER_SECOND.saturating_mul(2),
	cumulus_primitives_core::relay_chain::MAX_POV_SIZE as u64,
);

/// Async backing: how many blocks may wait for inclusion, and blocks per relay parent.
const UNINCLUDED_SEGMENT_CAPACITY: u32 = 3;
const BLOCK_PROCESSING_VELOCITY: u32 = 1;

/// Checks that blocks are authored at the velocity above against the relay chain's slots.
type ConsensusHook = cumulus_pallet_aura_ext::FixedVelocityConsensusHook<
	Runtime,
	RELAY_CHAIN_SLOT_DURATION_MILLIS,
	BLOCK_PROCESSING_VELOCITY,
	UNINCLUDED_SEGMENT_CAPACITY,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	// System support.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type ParachainSystem = cumulus_pallet_parachain_system;
	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(3)]
	pub type ParachainInfo = parachain_info;
	#[runtime::pallet_index(4)]
	pub type WeightReclaim = cumulus_pallet_weight_reclaim;
	#[runtime::pallet_index(5)]
	pub type Utility = pallet_utility;

	// The native token.
	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Governance: sudo, with a key only in dev and test presets.
	#[runtime::pallet_index(15)]
	pub type Sudo = pallet_sudo;

	// Collation. The order matters: authorship before session, session before aura.
	#[runtime::pallet_index(20)]
	pub type Authorship = pallet_authorship;
	#[runtime::pallet_index(21)]
	pub type CollatorSelection = pallet_collator_selection;
	#[runtime::pallet_index(22)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(23)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(24)]
	pub type AuraExt = cumulus_pallet_aura_ext;

	// XCM and message queues.
	#[runtime::pallet_index(30)]
	pub type XcmpQueue = cumulus_pallet_xcmp_queue;
	#[runtime::pallet_index(31)]
	pub type PolkadotXcm = pallet_xcm;
	#[runtime::pallet_index(32)]
	pub type CumulusXcm = cumulus_pallet_xcm;
	#[runtime::pallet_index(33)]
	pub type MessageQueue = pallet_message_queue;

	// VirtEngine.
	#[runtime::pallet_index(40)]
	pub type Encryption = pallet_encryption;
	#[runtime::pallet_index(41)]
	pub type Veid = pallet_veid;
	#[runtime::pallet_index(42)]
	pub type Roles = pallet_roles;
	#[runtime::pallet_index(43)]
	pub type Mfa = pallet_mfa;
	#[runtime::pallet_index(44)]
	pub type Provider = pallet_provider;
	#[runtime::pallet_index(45)]
	pub type Escrow = pallet_escrow;
	#[runtime::pallet_index(46)]
	pub type Market = pallet_market;
}

cumulus_pallet_parachain_system::register_validate_block! {
	Runtime = Runtime,
	BlockExecutor = cumulus_pallet_aura_ext::BlockExecutor::<Runtime, Executive>,
}
