//! End to end on a dev node: a transaction signed as a hardware or air-gapped wallet signs it,
//! with `CheckMetadataHash` in mode `Enabled`. Such a wallet computes the RFC-78 digest of the
//! chain's metadata (here with `merkleized-metadata`, which Ledger's and Vault's tooling use),
//! puts it in what it signs, and the runtime checks it against the hash its build embedded
//! (runtime/build.rs, `enable_metadata_hash("VE", 12)`). The right digest is accepted and the
//! transfer lands; a wrong one is refused as a bad signature, before the pool takes it.
//!
//! The client's own `Config` signs in mode `Disabled`; this test's config differs from it in the
//! one extension.

mod common;

use std::time::Duration;

use codec::{Decode, Encode};
use common::{account, block_on, keypair, Node};
use frame_metadata::RuntimeMetadataPrefixed;
use scale_info::PortableRegistry;
use subxt::config::{
	transaction_extensions::{
		ChargeAssetTxPayment, ChargeAssetTxPaymentParams, ChargeTransactionPayment,
		ChargeTransactionPaymentParams, CheckGenesis, CheckMortality, CheckMortalityParams,
		CheckNonce, CheckNonceParams, CheckSpecVersion, CheckTxVersion, Params, VerifySignature,
	},
	ClientState, Config, HashFor, PolkadotConfig, TransactionExtension,
};
use virtengine_client::{runtime::runtime_types, subxt::utils::MultiAddress, RuntimeCall};
use virtengine_primitives::units::{DECIMALS, SYMBOL, VE};

/// The client's config with a `CheckMetadataHash` that carries a digest.
#[derive(Clone, Debug, Default)]
struct WalletConfig(PolkadotConfig);

impl Config for WalletConfig {
	type AccountId = <PolkadotConfig as Config>::AccountId;
	type Address = <PolkadotConfig as Config>::Address;
	type Signature = <PolkadotConfig as Config>::Signature;
	type Header = <PolkadotConfig as Config>::Header;
	type AssetId = <PolkadotConfig as Config>::AssetId;
	type Hasher = <PolkadotConfig as Config>::Hasher;
	type TransactionExtensions = (
		VerifySignature<Self>,
		CheckSpecVersion,
		CheckTxVersion,
		CheckNonce,
		CheckGenesis<Self>,
		CheckMortality<Self>,
		ChargeAssetTxPayment<Self>,
		ChargeTransactionPayment,
		MetadataHash,
	);

	fn genesis_hash(&self) -> Option<HashFor<Self>> {
		self.0.genesis_hash()
	}
}

/// `CheckMetadataHash` with the digest the wallet computed (`None`: mode `Disabled`).
#[derive(Clone, Copy, Debug, Default)]
struct MetadataHashParams(Option<[u8; 32]>);

impl<T: Config> Params<T> for MetadataHashParams {}

struct MetadataHash(Option<[u8; 32]>);

impl<T: Config> TransactionExtension<T> for MetadataHash {
	type Decoded = subxt::config::transaction_extensions::CheckMetadataHashMode;
	type Params = MetadataHashParams;

	fn new(
		_client: &ClientState<T>,
		params: MetadataHashParams,
	) -> Result<Self, subxt::error::TransactionExtensionError> {
		Ok(MetadataHash(params.0))
	}
}

impl frame_decode::extrinsics::TransactionExtension<PortableRegistry> for MetadataHash {
	const NAME: &str = "CheckMetadataHash";

	/// The mode: 1 (`Enabled`) when a digest is signed.
	fn encode_value_to(
		&self,
		_type_id: u32,
		_types: &PortableRegistry,
		v: &mut Vec<u8>,
	) -> Result<(), frame_decode::extrinsics::TransactionExtensionError> {
		u8::from(self.0.is_some()).encode_to(v);
		Ok(())
	}

	/// What is signed but not sent: the digest, if any.
	fn encode_implicit_to(
		&self,
		_type_id: u32,
		_types: &PortableRegistry,
		v: &mut Vec<u8>,
	) -> Result<(), frame_decode::extrinsics::TransactionExtensionError> {
		self.0.encode_to(v);
		Ok(())
	}
}

#[test]
fn a_transaction_signed_with_the_metadata_digest_is_accepted_and_a_wrong_digest_refused() {
	let node = Node::start_dev(500);
	node.wait_for_block(1, Duration::from_secs(240));
	let url = node.rpc_url();
	let api =
		block_on(subxt::OnlineClient::<WalletConfig>::from_insecure_url(&url)).expect("connect");
	let (_, spec_version, _) = block_on(node.client().runtime_version()).expect("version");

	// The wallet's digest of the node's metadata (V15, as RFC-78 defines it).
	let at = block_on(api.at_current_block()).expect("at the best block");
	let raw =
		block_on(at.runtime_apis().call_raw("Metadata_metadata_at_version", Some(&15u32.encode())))
			.expect("Metadata_metadata_at_version");
	let bytes = <Option<Vec<u8>>>::decode(&mut &raw[..])
		.expect("SCALE")
		.expect("the runtime serves metadata V15");
	let metadata = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).expect("metadata");
	let digest = merkleized_metadata::generate_metadata_digest(
		&metadata.1,
		merkleized_metadata::ExtraInfo {
			spec_version,
			spec_name: "virtengine".into(),
			base58_prefix: 42,
			decimals: DECIMALS,
			token_symbol: SYMBOL.into(),
		},
	)
	.expect("digest")
	.hash();

	let dave = account("//Dave");
	let before = node.free_balance(&dave);
	let transfer = |digest: [u8; 32], amount| {
		let call = RuntimeCall::Balances(
			runtime_types::pallet_balances::pallet::Call::transfer_keep_alive {
				dest: MultiAddress::Id(dave.clone()),
				value: amount,
			},
		);
		let at = block_on(api.at_current_block()).expect("at the best block");
		let mut transactions = at.transactions();
		let payload = transactions.from_call_data_bytes(&call.encode()).expect("payload");
		let params = (
			(),
			(),
			(),
			CheckNonceParams::default(),
			(),
			CheckMortalityParams::default(),
			ChargeAssetTxPaymentParams::no_tip(),
			ChargeTransactionPaymentParams::no_tip(),
			MetadataHashParams(Some(digest)),
		);
		let signed = block_on(transactions.create_signed(&payload, &keypair("//Alice"), params))
			.expect("sign");
		block_on(signed.submit())
	};

	// A wrong digest: the runtime's signed payload differs from the wallet's, so the signature
	// does not verify and the node refuses the transaction.
	let mut wrong = digest;
	wrong[0] ^= 1;
	let refused = transfer(wrong, 2 * VE).expect_err("a wrong digest is refused");
	let text = refused.to_string();
	assert!(
		text.contains("bad signature") || text.contains("BadProof") || text.contains("1010"),
		"refused as a bad signature: {text}"
	);

	transfer(digest, 3 * VE).unwrap_or_else(|e| {
		panic!("the right digest is accepted: {e}; node log:\n{}", node.log_tail())
	});
	node.wait_until("the transfer", Duration::from_secs(30), || {
		node.free_balance(&dave) == before + 3 * VE
	});
	println!("metadata digest 0x{} accepted for spec version {spec_version}", hex(&digest));
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
