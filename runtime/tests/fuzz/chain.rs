//! The chain under test: the `development` preset's genesis, then real blocks of the native
//! runtime: `Executive::initialize_block` with an aura pre-digest, the parachain-system and
//! timestamp inherents, signed extrinsics through `Executive::apply_extrinsic` (each in a storage
//! transaction that is rolled back when the transaction is refused, as the block builder does),
//! `Executive::finalize_block`, and the block's changes committed to the state.

use codec::Encode;
use cumulus_primitives_core::{relay_chain, PersistedValidationData};
use cumulus_primitives_parachain_inherent::{ParachainInherentData, INHERENT_IDENTIFIER};
use cumulus_test_relay_sproof_builder::RelayStateSproofBuilder;
use frame_support::inherent::ProvideInherent;
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_core::{sr25519, Pair};
use sp_runtime::{
	generic::{Digest, DigestItem, Era},
	traits::Header as _,
	ApplyExtrinsicResult, MultiAddress, MultiSignature,
};
use virtengine_runtime::{
	genesis_config_presets as presets, Balance, Executive, Header, Nonce, ParachainSystem, Runtime,
	RuntimeCall, SignedPayload, TxExtension, UncheckedExtrinsic, SLOT_DURATION,
};

/// Slots (para and relay: both are six seconds) start here, so that block `n` is in slot
/// `SLOT_BASE + n`.
const SLOT_BASE: u64 = 1_000;
/// The relay parent of block `n` is relay block `RELAY_BASE + n`.
const RELAY_BASE: u32 = 100;

/// Externalities holding the `development` preset's genesis state.
pub fn development_state() -> sp_io::TestExternalities {
	let mut ext = crate::common::preset_state("development");
	ext.commit_all().expect("genesis commits");
	// `System::set_code` reads the new code's version through the node's executor; the fuzzer's
	// code is never a runtime, so it answers as the executor would for garbage.
	ext.register_extension(sp_core::traits::ReadRuntimeVersionExt::new(NotARuntime));
	ext
}

struct NotARuntime;
impl sp_core::traits::ReadRuntimeVersion for NotARuntime {
	fn read_runtime_version(
		&self,
		_wasm_code: &[u8],
		_ext: &mut dyn sp_core::traits::Externalities,
	) -> Result<Vec<u8>, String> {
		Err("not a runtime".into())
	}
}

/// A signed extrinsic of `call` by `signer` with the runtime's transaction extensions.
pub fn sign(
	signer: &sr25519::Pair,
	call: RuntimeCall,
	nonce: Nonce,
	tip: Balance,
) -> UncheckedExtrinsic {
	let tx_ext: TxExtension = (
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		pallet_roles::CheckAccountState::<Runtime>::new(),
		pallet_mfa::CheckMfa::<Runtime>::new(),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
	)
		.into();
	let payload = SignedPayload::new(call.clone(), tx_ext.clone()).expect("implicit data");
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(signer.public().into()),
		MultiSignature::Sr25519(signature),
		tx_ext,
	)
}

/// The chain's head (its state lives in the externalities the caller holds).
#[derive(Default)]
pub struct Chain {
	parent: Option<Header>,
}

impl Chain {
	/// The number of the next block.
	pub fn next_number(&self) -> u32 {
		self.parent.as_ref().map_or(1, |h| h.number + 1)
	}

	/// Starts block `next_number()` and applies its inherents. Call inside `ext.execute_with`.
	pub fn initialize(&self) {
		let number = self.next_number();
		let slot = SLOT_BASE + u64::from(number);
		let parent_hash = match &self.parent {
			Some(h) => h.hash(),
			None => frame_system::Pallet::<Runtime>::block_hash(0),
		};
		let digest = Digest {
			logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(slot).encode())],
		};
		let header =
			Header::new(number, Default::default(), Default::default(), parent_hash, digest);
		Executive::initialize_block(&header);

		// The relay chain: one relay block and slot per parachain block, and our parent included
		// (so the unincluded segment never fills).
		let mut sproof =
			RelayStateSproofBuilder { para_id: presets::PARACHAIN_ID.into(), ..Default::default() };
		sproof.current_slot = relay_chain::Slot::from(slot);
		sproof.dmq_mqc_head = Some(Default::default());
		let parent_head =
			relay_chain::HeadData(self.parent.as_ref().map(|h| h.encode()).unwrap_or_default());
		sproof.included_para_head = Some(parent_head.clone());
		let (relay_parent_storage_root, relay_chain_state) = sproof.into_state_root_and_proof();
		let data = ParachainInherentData {
			validation_data: PersistedValidationData {
				parent_head,
				relay_parent_number: RELAY_BASE + number,
				relay_parent_storage_root,
				max_pov_size: relay_chain::MAX_POV_SIZE,
			},
			relay_chain_state,
			downward_messages: Default::default(),
			horizontal_messages: Default::default(),
			relay_parent_descendants: Default::default(),
			collator_peer_id: None,
		};
		let mut inherents = sp_inherents::InherentData::new();
		inherents.put_data(INHERENT_IDENTIFIER, &data).expect("inherent data encodes");
		let validation = <ParachainSystem as ProvideInherent>::create_inherent(&inherents)
			.expect("parachain inherent");
		let timestamp = pallet_timestamp::Call::<Runtime>::set { now: slot * SLOT_DURATION };
		for call in [RuntimeCall::ParachainSystem(validation), RuntimeCall::Timestamp(timestamp)] {
			let applied = Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(call));
			assert!(matches!(applied, Ok(Ok(()))), "inherent failed: {applied:?}");
		}
	}

	/// Applies a transaction as the block builder does: a refused one leaves no trace.
	pub fn apply(xt: UncheckedExtrinsic) -> ApplyExtrinsicResult {
		sp_io::storage::start_transaction();
		let result = Executive::apply_extrinsic(xt);
		if result.is_ok() {
			sp_io::storage::commit_transaction();
		} else {
			sp_io::storage::rollback_transaction();
		}
		result
	}

	/// Finishes the block. Call inside `ext.execute_with`, then commit the externalities'
	/// changes (`commit_all`), as importing the block would.
	pub fn finalize(&mut self) {
		self.parent = Some(Executive::finalize_block());
	}
}
