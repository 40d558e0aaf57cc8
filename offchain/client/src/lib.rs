//! A small, dependable client for VirtEngine nodes, shared by the `virtengine` command-line client
//! and the end-to-end tests.
//!
//! It speaks JSON-RPC over HTTP ([`rpc`]), builds and signs extrinsics with the runtime's own
//! types (so a call is encoded exactly as the runtime decodes it), refuses to talk to a node whose
//! runtime it was not built for, reads and decodes storage, and follows a submitted extrinsic
//! until a block includes it, reporting the events it emitted or the runtime error it failed
//! with.

pub mod encryption;
pub mod market;
pub mod mfa;
pub mod rpc;
pub mod veid;

use std::time::{Duration, Instant};

use codec::{Decode, Encode};
use serde_json::{json, Value};
use sp_core::{bytes, crypto::Ss58Codec, sr25519, Pair, H256};
use sp_runtime::{generic::Era, MultiAddress, MultiSignature};
use virtengine_runtime::{
	AccountId, Nonce, Runtime, RuntimeCall, RuntimeError, RuntimeEvent, SignedPayload, TxExtension,
	UncheckedExtrinsic,
};

pub use rpc::Endpoint;

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
	/// No node answered.
	#[error("cannot reach a node at {address}: {source} (is virtengine-node running with its RPC on that port?)")]
	Unreachable {
		/// `host:port`.
		address: String,
		/// The transport error.
		source: std::io::Error,
	},
	/// The node answered something that is not a JSON-RPC reply.
	#[error("{method}: unexpected reply: {why}")]
	BadReply {
		/// The RPC method.
		method: String,
		/// What was wrong.
		why: String,
	},
	/// The node answered with a JSON-RPC error.
	#[error("{method}: {message}")]
	Rpc {
		/// The RPC method.
		method: String,
		/// The node's message.
		message: String,
	},
	/// The node runs another chain's runtime, or another version of ours.
	#[error("the node runs runtime `{node}`, this client was built for `{client}`: use a client built from the same release as the node")]
	RuntimeMismatch {
		/// `name/spec_version/tx_version` of the node's runtime.
		node: String,
		/// The same for the runtime this client was built with.
		client: String,
	},
	/// Stored bytes did not decode as the runtime's type.
	#[error("cannot decode {what} read from the node: {source}")]
	Decode {
		/// What was read.
		what: &'static str,
		/// The codec error.
		source: codec::Error,
	},
	/// The transaction pool refused the extrinsic.
	#[error("the node refused the transaction: {0}")]
	Rejected(String),
	/// The extrinsic was included and failed.
	#[error("the transaction was included in block #{block} but failed: {error}")]
	Failed {
		/// The block.
		block: u32,
		/// The runtime error, by pallet and name where known.
		error: String,
	},
	/// No block included the extrinsic in time.
	#[error("no block included the transaction within {0:?} (still in the pool, or dropped)")]
	Timeout(Duration),
	/// An account's encryption key is missing or unusable.
	#[error("{0}")]
	Key(String),
}

/// Which runtime a node runs and the data every signature commits to.
#[derive(Clone, Debug)]
pub struct ChainInfo {
	/// The genesis block hash.
	pub genesis: H256,
	/// The runtime's spec version.
	pub spec_version: u32,
	/// The runtime's transaction version.
	pub transaction_version: u32,
}

/// An extrinsic that a block included and that succeeded.
#[derive(Debug)]
pub struct Included {
	/// The including block's hash.
	pub block_hash: H256,
	/// Its number.
	pub block_number: u32,
	/// The extrinsic's index in the block.
	pub index: u32,
	/// The events the extrinsic emitted, in order.
	pub events: Vec<RuntimeEvent>,
}

/// A connection to one node.
pub struct Client {
	endpoint: Endpoint,
	/// How long [`Client::submit`] waits for inclusion.
	pub inclusion_timeout: Duration,
}

fn hex_bytes(value: &Value, what: &'static str) -> Result<Vec<u8>, Error> {
	value.as_str().and_then(|s| bytes::from_hex(s).ok()).ok_or_else(|| Error::BadReply {
		method: what.to_string(),
		why: format!("expected hex, got {value}"),
	})
}

fn hash(value: &Value, what: &'static str) -> Result<H256, Error> {
	let raw = hex_bytes(value, what)?;
	if raw.len() != 32 {
		return Err(Error::BadReply { method: what.into(), why: "expected a 32-byte hash".into() });
	}
	Ok(H256::from_slice(&raw))
}

/// Parses an SS58 address (any network prefix) or a 0x-prefixed 32-byte hex account id.
pub fn parse_account(text: &str) -> Result<AccountId, String> {
	if let Ok(account) = AccountId::from_ss58check(text) {
		return Ok(account);
	}
	let raw = text
		.strip_prefix("0x")
		.and_then(|h| bytes::from_hex(h).ok())
		.filter(|b| b.len() == 32)
		.ok_or_else(|| {
			format!("`{text}` is not an SS58 address or a 0x-prefixed 32-byte account id")
		})?;
	let mut id = [0u8; 32];
	id.copy_from_slice(&raw);
	Ok(AccountId::from(id))
}

impl Client {
	/// A client of the node at `url` (see [`Endpoint::parse`]). Nothing is sent yet.
	pub fn new(url: &str) -> Result<Self, Error> {
		Ok(Client { endpoint: Endpoint::parse(url)?, inclusion_timeout: Duration::from_secs(60) })
	}

	/// One raw JSON-RPC call.
	pub fn call(&self, method: &str, params: Value) -> Result<Value, Error> {
		self.endpoint.call(method, params)
	}

	/// The best block's number.
	pub fn best_number(&self) -> Result<u32, Error> {
		let header = self.call("chain_getHeader", json!([]))?;
		header["number"]
			.as_str()
			.and_then(|n| u32::from_str_radix(n.trim_start_matches("0x"), 16).ok())
			.ok_or_else(|| Error::BadReply {
				method: "chain_getHeader".into(),
				why: "no block number".into(),
			})
	}

	/// The raw value under a storage key at the best block, `None` if absent.
	pub fn storage(&self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
		self.storage_at(key, None)
	}

	fn storage_at(&self, key: &[u8], at: Option<H256>) -> Result<Option<Vec<u8>>, Error> {
		let key = bytes::to_hex(key, false);
		let value = match at {
			Some(at) => self.call("state_getStorage", json!([key, format!("{at:?}")]))?,
			None => self.call("state_getStorage", json!([key]))?,
		};
		if value.is_null() {
			return Ok(None);
		}
		hex_bytes(&value, "state_getStorage").map(Some)
	}

	/// Reads and decodes a storage value of a known type.
	pub fn storage_value<T: Decode>(
		&self,
		key: &[u8],
		what: &'static str,
	) -> Result<Option<T>, Error> {
		self.storage(key)?
			.map(|raw| T::decode(&mut &raw[..]).map_err(|source| Error::Decode { what, source }))
			.transpose()
	}

	/// The node's chain and runtime, checked against the runtime this client was built with.
	pub fn chain_info(&self) -> Result<ChainInfo, Error> {
		let genesis = hash(&self.call("chain_getBlockHash", json!([0]))?, "chain_getBlockHash")?;
		let version = self.call("state_getRuntimeVersion", json!([]))?;
		let field = |name: &str| version.get(name).cloned().unwrap_or(Value::Null);
		let node = format!(
			"{}/{}/{}",
			field("specName").as_str().unwrap_or("?"),
			field("specVersion"),
			field("transactionVersion")
		);
		let ours = virtengine_runtime::VERSION;
		let client =
			format!("{}/{}/{}", ours.spec_name, ours.spec_version, ours.transaction_version);
		if node != client {
			return Err(Error::RuntimeMismatch { node, client });
		}
		Ok(ChainInfo {
			genesis,
			spec_version: ours.spec_version,
			transaction_version: ours.transaction_version,
		})
	}

	/// The next nonce of an account, counting transactions already in the pool.
	pub fn next_nonce(&self, who: &AccountId) -> Result<Nonce, Error> {
		let value = self.call("system_accountNextIndex", json!([who.to_ss58check()]))?;
		value.as_u64().and_then(|n| Nonce::try_from(n).ok()).ok_or_else(|| Error::BadReply {
			method: "system_accountNextIndex".into(),
			why: format!("{value}"),
		})
	}

	/// Signs `call` as `signer` (immortal era, no tip) for the node's chain.
	pub fn sign(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
	) -> Result<UncheckedExtrinsic, Error> {
		let info = self.chain_info()?;
		let who = AccountId::from(signer.public());
		let nonce = self.next_nonce(&who)?;
		Ok(sign_extrinsic(signer, call, nonce, &info))
	}

	/// Signs and submits `call`, waits until a block includes it, and returns its events, or the
	/// runtime error it failed with. `progress` hears about each step.
	pub fn submit(
		&self,
		signer: &sr25519::Pair,
		call: RuntimeCall,
		mut progress: impl FnMut(&str),
	) -> Result<Included, Error> {
		let extrinsic = self.sign(signer, call)?;
		let encoded = extrinsic.encode();
		let start_block = self.best_number()?;
		let tx_hash = self
			.call("author_submitExtrinsic", json!([bytes::to_hex(&encoded, false)]))
			.map_err(|e| match e {
				Error::Rpc { message, .. } => match mfa::explain_refusal(&message) {
					Some(why) => Error::Rejected(format!("{message}: {why}")),
					None => Error::Rejected(message),
				},
				other => other,
			})?;
		progress(&format!(
			"submitted {}, waiting for a block to include it",
			tx_hash.as_str().unwrap_or("?")
		));
		let wanted = bytes::to_hex(&encoded, false);
		let started = Instant::now();
		let mut next = start_block + 1;
		loop {
			let best = self.best_number()?;
			while next <= best {
				let block_hash =
					hash(&self.call("chain_getBlockHash", json!([next]))?, "chain_getBlockHash")?;
				let block = self.call("chain_getBlock", json!([format!("{block_hash:?}")]))?;
				let extrinsics =
					block["block"]["extrinsics"].as_array().cloned().unwrap_or_default();
				if let Some(index) = extrinsics.iter().position(|x| x.as_str() == Some(&wanted)) {
					progress(&format!("included in block #{next}"));
					return self.outcome(block_hash, next, index as u32);
				}
				next += 1;
			}
			if started.elapsed() > self.inclusion_timeout {
				return Err(Error::Timeout(self.inclusion_timeout));
			}
			std::thread::sleep(Duration::from_millis(250));
		}
	}

	/// The events of extrinsic `index` of a block; an error if it failed.
	fn outcome(&self, block_hash: H256, block_number: u32, index: u32) -> Result<Included, Error> {
		// `frame_system::Events` is private; its key is the storage prefix of System/Events.
		let key = frame_support::storage::storage_prefix(b"System", b"Events");
		let raw = self.storage_at(&key, Some(block_hash))?.unwrap_or_default();
		let records = Vec::<frame_system::EventRecord<RuntimeEvent, H256>>::decode(&mut &raw[..])
			.map_err(|source| Error::Decode { what: "the block's events", source })?;
		let mut events = Vec::new();
		for record in records {
			if record.phase != frame_system::Phase::ApplyExtrinsic(index) {
				continue;
			}
			if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
				dispatch_error,
				..
			}) = &record.event
			{
				let error = describe_dispatch_error(*dispatch_error);
				return Err(Error::Failed { block: block_number, error });
			}
			events.push(record.event);
		}
		Ok(Included { block_hash, block_number, index, events })
	}
}

/// A dispatch error by name (`Veid(EnvelopeTooLarge)`) where the runtime knows it.
pub fn describe_dispatch_error(error: sp_runtime::DispatchError) -> String {
	match RuntimeError::from_dispatch_error(error) {
		Some(e) => format!("{e:?}"),
		None => format!("{error:?}"),
	}
}

/// Builds a signed extrinsic for the runtime this crate was built with. The implicit data (what
/// the signature commits to without it being in the extrinsic) is spec and transaction version
/// and the genesis hash, twice: for `CheckGenesis` and as the immortal era's birth block.
pub fn sign_extrinsic(
	signer: &sr25519::Pair,
	call: RuntimeCall,
	nonce: Nonce,
	info: &ChainInfo,
) -> UncheckedExtrinsic {
	let tx_ext: TxExtension = (
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_roles::CheckAccountState::<Runtime>::new(),
		pallet_mfa::CheckMfa::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
		frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
	)
		.into();
	let implicit = (
		(),
		(),
		info.spec_version,
		info.transaction_version,
		info.genesis,
		info.genesis,
		(),
		(),
		(),
		(),
		(),
		None,
	);
	let payload = SignedPayload::from_raw(call.clone(), tx_ext.clone(), implicit);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(AccountId::from(signer.public())),
		MultiSignature::Sr25519(signature),
		tx_ext,
	)
}
