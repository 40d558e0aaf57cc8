//! The marketplace on chain (`pallet_provider`, `pallet_market`, `pallet_escrow`): reads of
//! providers, offerings, orders, leases, escrows and payouts, and the provider daemon's signed
//! usage records.

use sp_core::{ed25519, Pair};

use crate::{runtime, AccountId, Balance, Client, Error};

pub use runtime::runtime_types::{
	pallet_escrow::types::{Escrow, Rate, Unit, UsageRecord},
	pallet_market::types::{
		Bid, Category, Lease, LeaseState, Offering, Order, OrderState, Plan, Target,
	},
	pallet_provider::types::{Attributes, Provider, Status as ProviderStatus},
};

impl Client {
	/// A registered provider.
	pub async fn provider(&self, who: &AccountId) -> Result<Option<Provider<Balance, u32>>, Error> {
		self.fetch(runtime::storage().provider().providers(), (who.clone(),), "a provider").await
	}

	/// An offering.
	pub async fn offering(&self, id: u64) -> Result<Option<Offering<AccountId, Balance>>, Error> {
		self.fetch(runtime::storage().market().offerings(), (id,), "an offering").await
	}

	/// The next offering's number (offerings are numbered from 0).
	pub async fn offering_count(&self) -> Result<u64, Error> {
		Ok(self
			.fetch(runtime::storage().market().next_offering(), (), "the next offering")
			.await?
			.unwrap_or(0))
	}

	/// An order.
	pub async fn order(&self, id: u64) -> Result<Option<Order<AccountId, Balance, u32>>, Error> {
		self.fetch(runtime::storage().market().orders(), (id,), "an order").await
	}

	/// The next order's number.
	pub async fn order_count(&self) -> Result<u64, Error> {
		Ok(self
			.fetch(runtime::storage().market().next_order(), (), "the next order")
			.await?
			.unwrap_or(0))
	}

	/// A provider's bid on an order.
	pub async fn bid(
		&self,
		order: u64,
		provider: &AccountId,
	) -> Result<Option<Bid<Balance, u32>>, Error> {
		self.fetch(runtime::storage().market().bids(), (order, provider.clone()), "a bid").await
	}

	/// A lease.
	pub async fn lease(&self, id: u64) -> Result<Option<Lease<AccountId, Balance, u32>>, Error> {
		self.fetch(runtime::storage().market().leases(), (id,), "a lease").await
	}

	/// A lease's access details, sealed to its customer, if its provider gave them
	/// ([`crate::gateway::AccessDetails::open`] opens them).
	pub async fn lease_access(&self, id: u64) -> Result<Option<Vec<u8>>, Error> {
		Ok(self
			.fetch(runtime::storage().market().lease_access(), (id,), "a lease's access details")
			.await?
			.map(|a| a.details))
	}

	/// An escrow (gone once settled and closed).
	pub async fn escrow(&self, id: u64) -> Result<Option<Escrow<AccountId, Balance, u32>>, Error> {
		self.fetch(runtime::storage().escrow().escrows(), (id,), "an escrow").await
	}

	/// Every order in state `Open` at `at`, by number (reads the whole `Orders` map: for a
	/// daemon's start, not for every block).
	pub async fn open_orders(
		&self,
		at: &crate::AtBlock,
	) -> Result<Vec<(u64, Order<AccountId, Balance, u32>)>, Error> {
		let mut entries = at
			.storage()
			.iter(runtime::storage().market().orders(), ())
			.await
			.map_err(|e| Error::Incompatible(format!("reading the orders: {e}")))?;
		let mut open = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry.map_err(|e| Error::Decode(format!("an order: {e}")))?;
			let order: Order<AccountId, Balance, u32> =
				entry.value().decode_as().map_err(|e| Error::Decode(format!("an order: {e}")))?;
			if order.state != OrderState::Open {
				continue;
			}
			let id = order_id(entry.key_bytes())?;
			open.push((id, order));
		}
		open.sort_by_key(|(id, _)| *id);
		Ok(open)
	}

	/// Every lease of `provider` at `at` that has not closed, by number (reads the whole
	/// `Leases` map: for a daemon's start).
	pub async fn leases_of(
		&self,
		at: &crate::AtBlock,
		provider: &AccountId,
	) -> Result<Vec<(u64, Lease<AccountId, Balance, u32>)>, Error> {
		let mut entries = at
			.storage()
			.iter(runtime::storage().market().leases(), ())
			.await
			.map_err(|e| Error::Incompatible(format!("reading the leases: {e}")))?;
		let mut leases = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry.map_err(|e| Error::Decode(format!("a lease: {e}")))?;
			let lease: Lease<AccountId, Balance, u32> =
				entry.value().decode_as().map_err(|e| Error::Decode(format!("a lease: {e}")))?;
			if &lease.provider != provider || matches!(lease.state, LeaseState::Closed(_)) {
				continue;
			}
			leases.push((order_id(entry.key_bytes())?, lease));
		}
		leases.sort_by_key(|(id, _)| *id);
		Ok(leases)
	}

	/// A payee's unwithdrawn payouts.
	pub async fn payouts(&self, who: &AccountId) -> Result<Balance, Error> {
		Ok(self
			.fetch(runtime::storage().escrow().payouts(), (who.clone(),), "payouts")
			.await?
			.unwrap_or(0))
	}
}

/// The order number at the end of a `Blake2_128Concat` key of `Orders` or `Leases`.
fn order_id(key: &[u8]) -> Result<u64, Error> {
	key.len()
		.checked_sub(8)
		.and_then(|at| key[at..].try_into().ok())
		.map(u64::from_le_bytes)
		.ok_or_else(|| Error::Decode("an order key".into()))
}

/// The provider daemon's signature of a usage record on the chain with genesis `genesis`.
pub fn sign_usage(daemon: &ed25519::Pair, genesis: &[u8; 32], record: &UsageRecord) -> [u8; 64] {
	daemon.sign(&virtengine_primitives::signing::usage_message(genesis, record)).0
}
