//! The VirtEngine client library, on subxt: the `virtengine` CLI, the provider daemon and the
//! end-to-end tests talk to nodes through it.
//!
//! - **Bindings** ([`runtime`]) are generated at build time from the committed runtime metadata
//!   (`metadata/virtengine.scale`, written by `make metadata`; a runtime test fails while it is
//!   stale). Nothing here depends on the runtime or pallet crates.
//! - **Transport** ([`transport`]): `ws://`, `wss://` (rustls), `http://`, `https://`.
//! - **Transactions** ([`tx`]): signed with subxt's configuration against the node's current
//!   runtime, mortal by default, optionally tipped, and followed to inclusion or finality with
//!   every outcome told apart (in block, finalized, failed, refused, dropped, usurped, timeout).
//! - **Reads**: storage at the best block through the bindings; block subscriptions.

pub mod encryption;
pub mod gateway;
pub mod market;
pub mod mfa;
pub mod transport;
pub mod tx;
pub mod veid;

use std::time::Duration;

use futures::{Stream, StreamExt};
use subxt::{
	backend::BlockRef,
	client::{ClientAtBlock, OnlineClientAtBlockImpl},
	config::RpcConfigFor,
	rpcs::methods::LegacyRpcMethods,
	OnlineClient,
};

pub use subxt;
pub use subxt_signer;
pub use transport::{ConnectOptions, Endpoint, Scheme};
pub use tx::{
	describe_dispatch_error, sudo, DispatchInfo, Included, Refused, Signed, Status, TxOptions, Wait,
};

/// The static bindings, generated from `metadata/virtengine.scale`.
#[subxt::subxt(
	runtime_metadata_path = "metadata/virtengine.scale",
	derive_for_all_types = "Clone, PartialEq, Eq, ::subxt::ext::codec::Encode, ::subxt::ext::codec::Decode",
	substitute_type(
		path = "bounded_collections::bounded_vec::BoundedVec<T>",
		with = "::subxt::alloc::vec::Vec<T>"
	),
	substitute_type(
		path = "bounded_collections::weak_bounded_vec::WeakBoundedVec<T>",
		with = "::subxt::alloc::vec::Vec<T>"
	)
)]
pub mod runtime {}

/// subxt's configuration for VirtEngine: 32-byte accounts, `MultiAddress<AccountId, ()>`,
/// `MultiSignature`, BLAKE2-256, `u32` block numbers: the Polkadot shape.
pub type Config = subxt::PolkadotConfig;
/// An account id.
pub type AccountId = subxt::utils::AccountId32;
/// A block or transaction hash.
pub type Hash = subxt::utils::H256;
/// A balance in the smallest unit (12 decimals make one VE).
pub type Balance = u128;
/// Any call of the runtime.
pub type RuntimeCall = runtime::runtime_types::virtengine_runtime::RuntimeCall;
/// A client bound to one block.
pub type AtBlock = ClientAtBlock<Config, OnlineClientAtBlockImpl<Config>>;
/// The signer of transactions: an sr25519 key pair.
pub use subxt_signer::sr25519::Keypair;

/// What can go wrong talking to a node, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The RPC address is not usable.
	#[error("RPC address `{url}`: {why}")]
	BadUrl {
		/// The address given.
		url: String,
		/// What is wrong with it.
		why: String,
	},
	/// No node answered at the address.
	#[error(
		"cannot reach a node at {endpoint}: {why} (is virtengine-node running with its RPC there?)"
	)]
	Unreachable {
		/// The address.
		endpoint: String,
		/// The transport's reason.
		why: String,
	},
	/// The TLS configuration is unusable.
	#[error("TLS: {0}")]
	Tls(String),
	/// An RPC request failed.
	#[error("{method}: {why}")]
	Rpc {
		/// The RPC method.
		method: &'static str,
		/// The node's or the transport's message.
		why: String,
	},
	/// The node's runtime does not know what this client asks (another chain, or a runtime
	/// whose shape of this call or storage item changed).
	#[error("{0}")]
	Incompatible(String),
	/// Something read from the node did not decode.
	#[error("cannot decode {0}")]
	Decode(String),
	/// The transaction could not be signed.
	#[error("cannot sign the transaction: {0}")]
	Sign(String),
	/// The pool refused the transaction.
	#[error("the node refused the transaction: {0}")]
	Rejected(Refused),
	/// The transaction was included and failed.
	#[error("the transaction was included in block #{block} but failed: {error}")]
	Failed {
		/// The block.
		block: u32,
		/// The runtime error, by pallet and name, with its documentation.
		error: String,
	},
	/// The pool dropped the transaction.
	#[error("the transaction was dropped: {0}")]
	Dropped(String),
	/// Another transaction with the same sender and nonce replaced it.
	#[error("the transaction was replaced by {by:?}, another with the same sender and nonce")]
	Usurped {
		/// The replacing transaction.
		by: Hash,
	},
	/// No outcome in time.
	#[error("no outcome within {waited:?} ({last}); it may still be included: check the account's nonce")]
	Timeout {
		/// How long the client waited.
		waited: Duration,
		/// How far it got.
		last: String,
	},
	/// Something about the data a call needs (a key, a limit) is wrong.
	#[error("{0}")]
	Invalid(String),
}

impl Error {
	fn rpc(method: &'static str) -> impl Fn(subxt::rpcs::Error) -> Error {
		move |e| Error::Rpc { method, why: e.to_string() }
	}

	fn storage(what: &'static str) -> impl Fn(subxt::error::StorageError) -> Error {
		move |e| Error::Incompatible(format!("reading {what}: {e}"))
	}
}

/// A block, as subscriptions report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
	/// Its number.
	pub number: u32,
	/// Its hash.
	pub hash: Hash,
}

/// A connection to one node.
#[derive(Clone)]
pub struct Client {
	api: OnlineClient<Config>,
	rpc: LegacyRpcMethods<RpcConfigFor<Config>>,
	endpoint: Endpoint,
	/// The last block a client was bound to: binding asks the node for the block's runtime
	/// version (a runtime call), which reads at the same best block need not repeat.
	last_at: std::sync::Arc<std::sync::Mutex<Option<(Hash, AtBlock)>>>,
}

impl Client {
	/// Connects to the node at `url` (see [`Endpoint::parse`]) with default options.
	pub async fn connect(url: &str) -> Result<Client, Error> {
		Client::connect_with(url, &ConnectOptions::default()).await
	}

	/// Connects to the node at `url`.
	pub async fn connect_with(url: &str, options: &ConnectOptions) -> Result<Client, Error> {
		let endpoint = Endpoint::parse(url)?;
		let rpc_client = transport::connect(&endpoint, options).await?;
		let api =
			OnlineClient::<Config>::from_rpc_client(rpc_client.clone()).await.map_err(|e| {
				Error::Unreachable { endpoint: endpoint.to_string(), why: e.to_string() }
			})?;
		Ok(Client {
			api,
			rpc: LegacyRpcMethods::new(rpc_client),
			endpoint,
			last_at: Default::default(),
		})
	}

	/// The node's address.
	pub fn endpoint(&self) -> &Endpoint {
		&self.endpoint
	}

	/// subxt's client, for anything this crate does not wrap.
	pub fn api(&self) -> &OnlineClient<Config> {
		&self.api
	}

	/// The chain's genesis hash.
	pub fn genesis(&self) -> Hash {
		self.api.genesis_hash()
	}

	/// The best block's hash and number.
	pub async fn best(&self) -> Result<(Hash, u32), Error> {
		let header = self
			.rpc
			.chain_get_header(None)
			.await
			.map_err(Error::rpc("chain_getHeader"))?
			.ok_or_else(|| Error::Decode("the best block's header: none".into()))?;
		Ok((header_hash(&header), number_u32(header.number)?))
	}

	/// The best block's number.
	pub async fn best_number(&self) -> Result<u32, Error> {
		Ok(self.best().await?.1)
	}

	/// The last finalized block's number.
	pub async fn finalized_number(&self) -> Result<u32, Error> {
		Ok(self.finalized().await?.1)
	}

	/// The last finalized block's hash and number.
	pub async fn finalized(&self) -> Result<(Hash, u32), Error> {
		let hash = self
			.rpc
			.chain_get_finalized_head()
			.await
			.map_err(Error::rpc("chain_getFinalizedHead"))?;
		Ok((hash, self.block_number(hash).await?))
	}

	/// The number of the block `hash`.
	pub async fn block_number(&self, hash: Hash) -> Result<u32, Error> {
		let header = self
			.rpc
			.chain_get_header(Some(hash))
			.await
			.map_err(Error::rpc("chain_getHeader"))?
			.ok_or_else(|| Error::Decode(format!("the header of {hash:?}: unknown block")))?;
		number_u32(header.number)
	}

	/// The hash of block `number` on the best chain.
	pub async fn block_hash(&self, number: u32) -> Result<Hash, Error> {
		self.rpc
			.chain_get_block_hash(Some(u64::from(number).into()))
			.await
			.map_err(Error::rpc("chain_getBlockHash"))?
			.ok_or_else(|| Error::Decode(format!("the hash of block #{number}: no such block")))
	}

	/// A client bound to block `hash` (its runtime's metadata).
	pub async fn at(&self, hash: Hash) -> Result<AtBlock, Error> {
		if let Some(at) = self.cached_at(hash) {
			return Ok(at);
		}
		let at = self
			.api
			.at_block(BlockRef::from_hash(hash))
			.await
			.map_err(|e| Error::Rpc { method: "at_block", why: e.to_string() })?;
		self.cache_at(hash, &at);
		Ok(at)
	}

	fn cached_at(&self, hash: Hash) -> Option<AtBlock> {
		let last = self.last_at.lock().unwrap_or_else(|p| p.into_inner());
		last.as_ref().filter(|(h, _)| *h == hash).map(|(_, at)| at.clone())
	}

	fn cache_at(&self, hash: Hash, at: &AtBlock) {
		*self.last_at.lock().unwrap_or_else(|p| p.into_inner()) = Some((hash, at.clone()));
	}

	/// A client bound to the best block: what reads see right after an inclusion.
	///
	/// Bound with the number the best header carries: looking the header up again by its hash
	/// (what [`Client::at`] does) is one more round trip, and a node under load answered it with
	/// "unknown block" for a block it had just announced (issue 16's benchmark).
	pub async fn at_best(&self) -> Result<AtBlock, Error> {
		let (hash, number) = self.best().await?;
		if let Some(at) = self.cached_at(hash) {
			return Ok(at);
		}
		let at = self
			.api
			.at_block_hash_and_number(BlockRef::from_hash(hash), u64::from(number))
			.await
			.map_err(|e| Error::Rpc { method: "at_block", why: e.to_string() })?;
		self.cache_at(hash, &at);
		Ok(at)
	}

	/// The node's runtime: `(spec_name, spec_version, transaction_version)` at the best block.
	pub async fn runtime_version(&self) -> Result<(String, u32, u32), Error> {
		let v = self
			.rpc
			.state_get_runtime_version(None)
			.await
			.map_err(Error::rpc("state_getRuntimeVersion"))?;
		let name = v.other.get("specName").and_then(|n| n.as_str()).unwrap_or("?").to_string();
		Ok((name, v.spec_version, v.transaction_version))
	}

	/// New best blocks, as the node imports them (WebSocket only).
	pub async fn subscribe_best(
		&self,
	) -> Result<impl Stream<Item = Result<BlockInfo, Error>> + Unpin, Error> {
		self.require_subscriptions("new blocks")?;
		let sub = self
			.rpc
			.chain_subscribe_new_heads()
			.await
			.map_err(Error::rpc("chain_subscribeNewHeads"))?;
		Ok(sub.map(|h| {
			h.map_err(Error::rpc("chain_newHead")).and_then(|h| {
				Ok(BlockInfo { number: number_u32(h.number)?, hash: header_hash(&h) })
			})
		}))
	}

	/// Newly finalized blocks (WebSocket only).
	pub async fn subscribe_finalized(
		&self,
	) -> Result<impl Stream<Item = Result<BlockInfo, Error>> + Unpin, Error> {
		self.require_subscriptions("finalized blocks")?;
		let sub = self
			.rpc
			.chain_subscribe_finalized_heads()
			.await
			.map_err(Error::rpc("chain_subscribeFinalizedHeads"))?;
		Ok(sub.map(|h| {
			h.map_err(Error::rpc("chain_finalizedHead")).and_then(|h| {
				Ok(BlockInfo { number: number_u32(h.number)?, hash: header_hash(&h) })
			})
		}))
	}

	fn require_subscriptions(&self, what: &str) -> Result<(), Error> {
		if self.endpoint.scheme.subscribes() {
			Ok(())
		} else {
			Err(Error::Invalid(format!(
				"following {what} needs a subscription, which {} cannot carry: use ws:// or wss://",
				self.endpoint
			)))
		}
	}

	/// A storage value at the best block, `None` when absent (and without a default).
	pub async fn fetch<Addr>(
		&self,
		address: Addr,
		keys: Addr::KeyParts,
		what: &'static str,
	) -> Result<Option<Addr::Value>, Error>
	where
		Addr: subxt::storage::Address,
		Addr::Value: subxt::ext::scale_decode::DecodeAsType,
	{
		let at = self.at_best().await?;
		Self::fetch_in(&at, address, keys, what).await
	}

	/// A storage value at the block `at` is bound to: what a read made of several values uses,
	/// so that they all come from one block.
	pub async fn fetch_in<Addr>(
		at: &AtBlock,
		address: Addr,
		keys: Addr::KeyParts,
		what: &'static str,
	) -> Result<Option<Addr::Value>, Error>
	where
		Addr: subxt::storage::Address,
		Addr::Value: subxt::ext::scale_decode::DecodeAsType,
	{
		let value = at.storage().try_fetch(address, keys).await.map_err(Error::storage(what))?;
		value
			.map(|v| {
				v.decode_as::<Addr::Value>().map_err(|e| Error::Decode(format!("{what}: {e}")))
			})
			.transpose()
	}

	/// A constant of the runtime at the best block.
	pub async fn constant<Addr>(
		&self,
		address: Addr,
		what: &'static str,
	) -> Result<Addr::Target, Error>
	where
		Addr: subxt::constants::Address,
	{
		let at = self.at_best().await?;
		at.constants().entry(address).map_err(|e| Error::Incompatible(format!("{what}: {e}")))
	}

	/// Every event of block `hash`, decoded, in order.
	pub async fn events(&self, hash: Hash) -> Result<Vec<runtime::Event>, Error> {
		let at = self.at(hash).await?;
		let all = at
			.events()
			.fetch()
			.await
			.map_err(|e| Error::Decode(format!("the events of block {hash:?}: {e}")))?;
		let bad = |e: &dyn std::fmt::Display| Error::Decode(format!("an event of {hash:?}: {e}"));
		let mut events = Vec::new();
		for event in all.iter() {
			let event = event.map_err(|e| bad(&e))?;
			events.push(event.decode_as::<runtime::Event>().map_err(|e| bad(&e))?);
		}
		Ok(events)
	}

	/// The free and reserved balance of `who`.
	pub async fn balance(&self, who: &AccountId) -> Result<(Balance, Balance), Error> {
		let info =
			self.fetch(runtime::storage().system().account(), (who.clone(),), "an account").await?;
		Ok(info.map(|i| (i.data.free, i.data.reserved)).unwrap_or_default())
	}
}

/// Converts between two types with the same SCALE encoding: the primitives crates' types and
/// their generated bindings (`ScopeKind`, `Tier`, ...). An error if the shapes differ.
pub fn scale_convert<A: codec::Encode, B: codec::Decode>(value: &A) -> Result<B, Error> {
	let bytes = value.encode();
	let mut input = &bytes[..];
	let out = B::decode(&mut input).map_err(|e| {
		Error::Decode(format!(
			"{} as {}: {e}",
			std::any::type_name::<A>(),
			std::any::type_name::<B>()
		))
	})?;
	if !input.is_empty() {
		return Err(Error::Decode(format!(
			"{} as {}: {} bytes left over",
			std::any::type_name::<A>(),
			std::any::type_name::<B>(),
			input.len()
		)));
	}
	Ok(out)
}

/// A header's hash: BLAKE2-256 of its SCALE encoding.
fn header_hash(header: &impl codec::Encode) -> Hash {
	Hash::from(virtengine_mfa_primitives::blake2_256(&header.encode()))
}

/// Block numbers are `u32` on VirtEngine.
fn number_u32(number: u64) -> Result<u32, Error> {
	u32::try_from(number).map_err(|_| Error::Decode(format!("block number {number} exceeds u32")))
}

/// Parses an SS58 address (any network prefix) or a 0x-prefixed 32-byte hex account id.
pub fn parse_account(text: &str) -> Result<AccountId, String> {
	if let Ok(account) = text.parse::<AccountId>() {
		return Ok(account);
	}
	let raw = text
		.strip_prefix("0x")
		.and_then(|h| hex::decode(h).ok())
		.and_then(|b| <[u8; 32]>::try_from(b).ok())
		.ok_or_else(|| {
			format!("`{text}` is not an SS58 address or a 0x-prefixed 32-byte account id")
		})?;
	Ok(AccountId::from(raw))
}

/// An account for display (SS58, generic prefix 42).
pub fn account_text(who: &AccountId) -> String {
	who.to_string()
}

/// An amount of the native token for display: `0.430548 VE`.
pub fn format_ve(amount: Balance) -> String {
	let unit = virtengine_primitives::units::VE;
	let fraction = format!("{:012}", amount % unit);
	let fraction = fraction.trim_end_matches('0');
	if fraction.is_empty() {
		format!("{} VE", amount / unit)
	} else {
		format!("{}.{fraction} VE", amount / unit)
	}
}

/// Parses an amount of VE: `12`, `0.5`, `1_000.25` (at most 12 decimals).
pub fn parse_ve(text: &str) -> Result<Balance, String> {
	let clean: String = text.trim().trim_end_matches("VE").trim().replace('_', "");
	let bad = || format!("`{text}` is not an amount of VE (e.g. 12 or 0.5)");
	let (whole, fraction) = clean.split_once('.').unwrap_or((&clean, ""));
	if whole.is_empty() && fraction.is_empty() {
		return Err(bad());
	}
	if fraction.len() > 12 || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
		return Err(bad());
	}
	let whole: Balance = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
	let fraction: Balance = format!("{fraction:0<12}").parse().map_err(|_| bad())?;
	whole
		.checked_mul(virtengine_primitives::units::VE)
		.and_then(|w| w.checked_add(fraction))
		.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_read_and_parse() {
		let ve = virtengine_primitives::units::VE;
		assert_eq!(format_ve(430_548_000_000), "0.430548 VE");
		assert_eq!(format_ve(2 * ve), "2 VE");
		assert_eq!(parse_ve("2"), Ok(2 * ve));
		assert_eq!(parse_ve("0.430548"), Ok(430_548_000_000));
		assert_eq!(parse_ve("1_000.5 VE"), Ok(1_000 * ve + ve / 2));
		for bad in ["", "x", "1.0000000000001", "-1", "1e3", "."] {
			assert!(parse_ve(bad).is_err(), "{bad} accepted");
		}
	}

	#[test]
	fn accounts_parse_from_ss58_and_hex() {
		let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
		let id = parse_account(alice).expect("ss58");
		assert_eq!(account_text(&id), alice);
		let hex_id = format!("0x{}", hex::encode(id.0));
		assert_eq!(parse_account(&hex_id), Ok(id));
		assert!(parse_account("0x1234").is_err());
		assert!(parse_account("alice").unwrap_err().contains("alice"));
	}
}
