//! The marketplace on chain (`pallet_provider`, `pallet_market`, `pallet_escrow`): reads of
//! providers, offerings, orders, leases, escrows and payouts, and the provider daemon's signed
//! usage records.

use sp_core::{ed25519, Pair};
use virtengine_runtime::{AccountId, Balance, Runtime};

use crate::{Client, Error};

pub use pallet_escrow::{self, Rate, Unit, UsageRecord};
pub use pallet_market;
pub use pallet_provider;

/// An escrow of this runtime.
pub type Escrow = pallet_escrow::EscrowOf<Runtime>;

impl Client {
	/// A registered provider.
	pub fn provider(
		&self,
		who: &AccountId,
	) -> Result<Option<pallet_provider::ProviderOf<Runtime>>, Error> {
		self.storage_value(&pallet_provider::Providers::<Runtime>::hashed_key_for(who), "provider")
	}

	/// An offering.
	pub fn offering(&self, id: u64) -> Result<Option<pallet_market::OfferingOf<Runtime>>, Error> {
		self.storage_value(&pallet_market::Offerings::<Runtime>::hashed_key_for(id), "offering")
	}

	/// The next offering's number (offerings are numbered from 0).
	pub fn offering_count(&self) -> Result<u64, Error> {
		Ok(self
			.storage_value(&pallet_market::NextOffering::<Runtime>::hashed_key(), "next offering")?
			.unwrap_or(0))
	}

	/// An order.
	pub fn order(&self, id: u64) -> Result<Option<pallet_market::OrderOf<Runtime>>, Error> {
		self.storage_value(&pallet_market::Orders::<Runtime>::hashed_key_for(id), "order")
	}

	/// The next order's number.
	pub fn order_count(&self) -> Result<u64, Error> {
		Ok(self
			.storage_value(&pallet_market::NextOrder::<Runtime>::hashed_key(), "next order")?
			.unwrap_or(0))
	}

	/// A provider's bid on an order.
	pub fn bid(
		&self,
		order: u64,
		provider: &AccountId,
	) -> Result<Option<pallet_market::BidOf<Runtime>>, Error> {
		self.storage_value(&pallet_market::Bids::<Runtime>::hashed_key_for(order, provider), "bid")
	}

	/// A lease.
	pub fn lease(&self, id: u64) -> Result<Option<pallet_market::LeaseOf<Runtime>>, Error> {
		self.storage_value(&pallet_market::Leases::<Runtime>::hashed_key_for(id), "lease")
	}

	/// An escrow (gone once settled and closed).
	pub fn escrow(&self, id: u64) -> Result<Option<Escrow>, Error> {
		self.storage_value(&pallet_escrow::Escrows::<Runtime>::hashed_key_for(id), "escrow")
	}

	/// A payee's unwithdrawn payouts.
	pub fn payouts(&self, who: &AccountId) -> Result<Balance, Error> {
		Ok(self
			.storage_value(&pallet_escrow::Payouts::<Runtime>::hashed_key_for(who), "payouts")?
			.unwrap_or(0))
	}
}

/// The provider daemon's signature of a usage record on the chain with genesis `genesis`.
pub fn sign_usage(daemon: &ed25519::Pair, genesis: &[u8; 32], record: &UsageRecord) -> [u8; 64] {
	daemon.sign(&pallet_escrow::usage_message(genesis, record)).0
}
