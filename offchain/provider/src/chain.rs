//! The chain as the daemon sees it: a narrow trait (blocks, the market's events and records, and
//! sending calls), and its implementation on the client on subxt. Calls from the provider
//! account are signed one at a time with a local nonce, so that bids, heartbeats and usage
//! records sent at once never race for the same nonce.

use std::future::Future;

use futures::{stream::BoxStream, StreamExt};
use tokio::sync::Mutex;
use virtengine_client::{
	market::{Lease, LeaseState, Offering, Order, Provider},
	runtime, AccountId, Balance, BlockInfo, Client, Error, Hash, Keypair, RuntimeCall, TxOptions,
};

/// An order of this chain.
pub type OrderOf = Order<AccountId, Balance, u32>;
/// An offering of this chain.
pub type OfferingOf = Offering<AccountId, Balance>;
/// A lease of this chain.
pub type LeaseOf = Lease<AccountId, Balance, u32>;

/// What happened in a block that the daemon acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainEvent {
	/// A new order.
	OrderCreated(u64),
	/// An order was cancelled.
	OrderCancelled(u64),
	/// A lease changed state.
	Lease(u64, LeaseState),
	/// An offering was created, changed or removed.
	Offering(u64),
}

/// The chain.
pub trait Chain: Send + Sync + 'static {
	/// The provider account.
	fn account(&self) -> &AccountId;
	/// The chain's genesis hash (usage records are signed for one chain).
	fn genesis(&self) -> [u8; 32];
	/// New best blocks.
	fn blocks(
		&self,
	) -> impl Future<Output = Result<BoxStream<'static, Result<BlockInfo, Error>>, Error>> + Send;
	/// The market events of a block.
	fn events(&self, block: Hash) -> impl Future<Output = Result<Vec<ChainEvent>, Error>> + Send;
	/// The best block's number.
	fn best(&self) -> impl Future<Output = Result<u32, Error>> + Send;
	/// The provider's record.
	fn provider(
		&self,
	) -> impl Future<Output = Result<Option<Provider<Balance, u32>>, Error>> + Send;
	/// An offering.
	fn offering(&self, id: u64) -> impl Future<Output = Result<Option<OfferingOf>, Error>> + Send;
	/// The number of offerings ever made.
	fn offering_count(&self) -> impl Future<Output = Result<u64, Error>> + Send;
	/// An order.
	fn order(&self, id: u64) -> impl Future<Output = Result<Option<OrderOf>, Error>> + Send;
	/// Whether the provider has a bid on `order`.
	fn has_bid(&self, order: u64) -> impl Future<Output = Result<bool, Error>> + Send;
	/// A lease.
	fn lease(&self, id: u64) -> impl Future<Output = Result<Option<LeaseOf>, Error>> + Send;
	/// The last usage record's number of a lease's escrow; `None` once the escrow is gone.
	fn last_usage_seq(&self, id: u64) -> impl Future<Output = Result<Option<u32>, Error>> + Send;
	/// Every open order.
	fn open_orders(&self) -> impl Future<Output = Result<Vec<(u64, OrderOf)>, Error>> + Send;
	/// The provider's leases that have not closed.
	fn my_leases(&self) -> impl Future<Output = Result<Vec<(u64, LeaseOf)>, Error>> + Send;
	/// `who`'s active envelope key, if it registered one (a lease's access details are sealed
	/// to its customer's).
	fn envelope_key(
		&self,
		who: &AccountId,
	) -> impl Future<Output = Result<Option<[u8; 32]>, Error>> + Send;
	/// Blocks without a heartbeat or usage after which a lease closes.
	fn heartbeat_timeout(&self) -> impl Future<Output = Result<u32, Error>> + Send;
	/// Signs `call` as the provider, submits it and waits for its inclusion; the block number.
	fn send(&self, call: RuntimeCall) -> impl Future<Output = Result<u32, Error>> + Send;
}

/// [`Chain`] on the client on subxt.
pub struct ClientChain {
	client: Client,
	signer: Keypair,
	account: AccountId,
	nonce: Mutex<Option<u64>>,
}

impl ClientChain {
	/// The chain behind `client`, acting as `signer`.
	pub fn new(client: Client, signer: Keypair) -> ClientChain {
		let account = signer.public_key().to_account_id();
		ClientChain { client, signer, account, nonce: Mutex::new(None) }
	}

	/// The client.
	pub fn client(&self) -> &Client {
		&self.client
	}
}

impl Chain for ClientChain {
	fn account(&self) -> &AccountId {
		&self.account
	}

	fn genesis(&self) -> [u8; 32] {
		self.client.genesis().0
	}

	async fn blocks(&self) -> Result<BoxStream<'static, Result<BlockInfo, Error>>, Error> {
		Ok(self.client.subscribe_best().await?.boxed())
	}

	async fn events(&self, block: Hash) -> Result<Vec<ChainEvent>, Error> {
		use runtime::{market::Event as M, Event};
		Ok(self
			.client
			.events(block)
			.await?
			.into_iter()
			.filter_map(|e| match e {
				Event::Market(M::OrderCreated { id, .. }) => Some(ChainEvent::OrderCreated(id)),
				Event::Market(M::OrderCancelled { id }) => Some(ChainEvent::OrderCancelled(id)),
				Event::Market(M::LeaseStateChanged { id, state }) => {
					Some(ChainEvent::Lease(id, state))
				},
				Event::Market(
					M::OfferingCreated { id, .. }
					| M::OfferingUpdated { id }
					| M::OfferingRemoved { id },
				) => Some(ChainEvent::Offering(id)),
				_ => None,
			})
			.collect())
	}

	async fn best(&self) -> Result<u32, Error> {
		self.client.best_number().await
	}

	async fn provider(&self) -> Result<Option<Provider<Balance, u32>>, Error> {
		self.client.provider(&self.account).await
	}

	async fn offering(&self, id: u64) -> Result<Option<OfferingOf>, Error> {
		self.client.offering(id).await
	}

	async fn offering_count(&self) -> Result<u64, Error> {
		self.client.offering_count().await
	}

	async fn order(&self, id: u64) -> Result<Option<OrderOf>, Error> {
		self.client.order(id).await
	}

	async fn has_bid(&self, order: u64) -> Result<bool, Error> {
		Ok(self.client.bid(order, &self.account).await?.is_some())
	}

	async fn lease(&self, id: u64) -> Result<Option<LeaseOf>, Error> {
		self.client.lease(id).await
	}

	async fn last_usage_seq(&self, id: u64) -> Result<Option<u32>, Error> {
		Ok(self.client.escrow(id).await?.map(|e| e.last_seq))
	}

	async fn open_orders(&self) -> Result<Vec<(u64, OrderOf)>, Error> {
		let at = self.client.at_best().await?;
		self.client.open_orders(&at).await
	}

	async fn my_leases(&self) -> Result<Vec<(u64, LeaseOf)>, Error> {
		let at = self.client.at_best().await?;
		self.client.leases_of(&at, &self.account).await
	}

	async fn envelope_key(&self, who: &AccountId) -> Result<Option<[u8; 32]>, Error> {
		match self.client.active_encryption_key(who).await {
			Ok(key) => Ok(Some(key.public)),
			// No key registered, none active, or a damaged record: nothing to seal to.
			Err(Error::Invalid(_)) => Ok(None),
			Err(e) => Err(e),
		}
	}

	async fn heartbeat_timeout(&self) -> Result<u32, Error> {
		self.client
			.constant(runtime::constants().market().heartbeat_timeout(), "Market::HeartbeatTimeout")
			.await
	}

	async fn send(&self, call: RuntimeCall) -> Result<u32, Error> {
		let options = TxOptions::default();
		let signed = {
			let mut nonce = self.nonce.lock().await;
			let next = match *nonce {
				Some(n) => n,
				None => self.client.next_nonce(&self.account).await?,
			};
			let signed = self
				.client
				.sign(&self.signer, &call, &TxOptions { nonce: Some(next), ..options.clone() })
				.await?;
			*nonce = Some(next + 1);
			signed
		};
		match self.client.submit_signed(&signed, &options, |_| {}).await {
			Ok(included) => Ok(included.block_number),
			// A failed call used its nonce; a refused, dropped or replaced one did not: ask the
			// node again next time (the next transaction fills the gap).
			Err(e @ Error::Failed { .. }) => Err(e),
			Err(e) => {
				*self.nonce.lock().await = None;
				Err(e)
			},
		}
	}
}
