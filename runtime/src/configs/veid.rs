//! Identity verification (`pallet_veid`) and the transactions its offchain worker submits.

use frame_support::{parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_runtime::{generic, transaction_validity::TransactionPriority};

use crate::{
	Balance, BlockNumber, Runtime, RuntimeCall, RuntimeHoldReason, Signature, Timestamp,
	TxExtension, UncheckedExtrinsic, DAYS, MICRO_VE, MINUTES,
};

parameter_types! {
	/// An open request holds a micro-VE per stored byte (a 1 MiB upload: about 1 VE), returned
	/// when the request is decided or times out.
	pub const UploadDepositPerByte: Balance = MICRO_VE;
	/// A request is rejected with TIMEOUT after 100 blocks (10 minutes): the seeds' maximum.
	pub const RequestTimeout: BlockNumber = 100;
	/// Members commit during the first 20 blocks (2 minutes) unless all commit sooner.
	pub const CommitBlocks: BlockNumber = 20;
	/// A verified identity is valid for a year.
	pub const ValidityPeriod: BlockNumber = 365 * DAYS;
	/// An account uploads at most once in 10 minutes.
	pub const UploadCooldown: BlockNumber = 10 * MINUTES;
	/// Members' votes go before ordinary transactions.
	pub const VotePriority: TransactionPriority = TransactionPriority::MAX / 2;
}

// A request must be decided within a session and the one after it: members keep their committee
// keys for the current and the previous session only.
const _: () = assert!(RequestTimeout::get() < super::collation::MIN_SESSION_PERIOD);

impl pallet_veid::Config for Runtime {
	type Currency = crate::Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	// Sudo on dev chains; governance later.
	type AdminOrigin = EnsureRoot<crate::AccountId>;
	type UserSignature = Signature;
	type Time = Timestamp;
	type DepositPerByte = UploadDepositPerByte;
	// Two photos fit comfortably; normal extrinsics may fill 3.75 MiB of a block.
	type MaxEnvelopeBytes = ConstU32<{ 2 * 1024 * 1024 }>;
	type MaxScopes = ConstU32<6>;
	type UploadCooldown = UploadCooldown;
	type ValidityPeriod = ValidityPeriod;
	type RequestTimeout = RequestTimeout;
	type MaxTimeoutsPerBlock = ConstU32<16>;
	// The envelope format's recipient limit on chain (pallet_encryption's MaxRecipients).
	type MaxCommittee = ConstU32<32>;
	type CommitBlocks = CommitBlocks;
	// Three members at least (quorum 2 of 3), or every validator of a smaller session (a dev
	// chain's single collator, zombienet's two).
	type MinCommittee = ConstU32<3>;
	type VotePriority = VotePriority;
	type WeightInfo = crate::weights::pallet_veid::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkAccounts;
}

/// Benchmark accounts: sr25519 keys generated in the benchmark keystore.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkAccounts;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_veid::BenchmarkHelper<crate::AccountId, Signature> for BenchmarkAccounts {
	fn signer() -> crate::AccountId {
		let public = sp_io::crypto::sr25519_generate(BENCHMARK_KEYS, None);
		crate::AccountId::from(public.0)
	}
	fn sign(who: &crate::AccountId, message: &[u8]) -> Signature {
		let bytes: &[u8; 32] = who.as_ref();
		let public = sp_core::sr25519::Public::from_raw(*bytes);
		sp_io::crypto::sr25519_sign(BENCHMARK_KEYS, &public, message)
			.map(Signature::Sr25519)
			.unwrap_or_else(|| Signature::Sr25519(sp_core::sr25519::Signature::from_raw([0; 64])))
	}
}

#[cfg(feature = "runtime-benchmarks")]
const BENCHMARK_KEYS: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"bveu");

impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extension = TxExtension;

	fn create_transaction(call: RuntimeCall, extension: TxExtension) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_transaction(call, extension)
	}
}

/// Members' votes and key publications: general transactions authorized by `pallet_veid`'s
/// `#[pallet::authorize]` functions (no signer, no nonce, no fee), immortal, their longevity set
/// by the authorization.
impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	fn create_extension() -> TxExtension {
		(
			frame_system::AuthorizeCall::<Runtime>::new(),
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(generic::Era::Immortal),
			frame_system::CheckNonce::<Runtime>::from(0),
			pallet_roles::CheckAccountState::<Runtime>::new(),
			pallet_mfa::CheckMfa::<Runtime>::new(),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
		)
			.into()
	}
}
