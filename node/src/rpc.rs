//! The node's RPC extensions on top of Substrate's defaults: account nonces and fee queries.

use std::sync::Arc;

use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};
use substrate_frame_rpc_system::{System, SystemApiServer};
use virtengine_primitives::{AccountId, Balance, Nonce, OpaqueBlock as Block};

/// All RPC extensions.
pub type RpcExtension = jsonrpsee::RpcModule<()>;

/// Builds the RPC extensions.
pub fn create_full<C, P>(
	client: Arc<C>,
	pool: Arc<P>,
) -> Result<RpcExtension, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BlockBuilder<Block>,
	P: TransactionPool + Sync + Send + 'static,
{
	let mut module = RpcExtension::new(());
	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client).into_rpc())?;
	Ok(module)
}
