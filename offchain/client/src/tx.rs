//! Signing, submitting and following a transaction.
//!
//! A transaction is signed with subxt's configuration for the node's *current* runtime (its
//! metadata, spec and transaction version, read at the best block), so a runtime upgrade that
//! leaves a call's shape alone does not break a client built before it. Transactions are mortal
//! by default (64 blocks): one that is dropped can no longer be included later by surprise.
//!
//! Over WebSocket the node's pool reports each step (`author_submitAndWatchExtrinsic`); over HTTP
//! the client polls blocks. Either way the outcome is one of: included in a block (its events),
//! finalized, failed in a block (the pallet's error), refused by the pool (the refusal code from
//! [`virtengine_primitives::refusal`], decoded from the runtime's own answer), dropped, usurped by
//! another transaction with the same nonce, or no answer in time.

use std::time::{Duration, Instant};

use codec::Encode;
use subxt::{
	config::DefaultExtrinsicParamsBuilder,
	events::Phase,
	rpcs::methods::legacy::TransactionStatus as PoolStatus,
	transactions::{TransactionInvalid, TransactionUnknown, ValidationResult},
};
use subxt_signer::sr25519::Keypair;

use crate::{runtime, AccountId, Client, Config, Error, Hash, RuntimeCall};

/// How far behind the best block finality may be for a transaction's mortality to start at the
/// last finalized block (see [`Client::sign`]); further behind, it starts at the best block.
pub const MAX_FINALITY_LAG: u64 = 256;

/// How far a submission is followed before [`Client::submit`] returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Wait {
	/// Until a block includes it (the best chain may still change).
	#[default]
	InBlock,
	/// Until a finalized block includes it.
	Finalized,
}

/// How a transaction is built and followed.
#[derive(Clone, Debug)]
pub struct TxOptions {
	/// What to wait for.
	pub wait: Wait,
	/// The number of blocks past the best block the transaction stays valid for (its mortality
	/// starts at the last finalized block and covers these blocks beyond the best one); `None`
	/// makes it immortal.
	pub mortal_blocks: Option<u64>,
	/// A tip to the block author, in the smallest unit.
	pub tip: u128,
	/// How long to wait in all.
	pub timeout: Duration,
	/// The nonce to use; `None` takes the account's next, counting the pool.
	pub nonce: Option<u64>,
}

impl Default for TxOptions {
	fn default() -> Self {
		TxOptions {
			wait: Wait::InBlock,
			mortal_blocks: Some(64),
			tip: 0,
			timeout: Duration::from_secs(120),
			nonce: None,
		}
	}
}

/// A step of a transaction's life, as it is reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
	/// Handed to the node; its hash.
	Submitted(Hash),
	/// In the pool, waiting for an earlier nonce.
	Future,
	/// In the pool, ready for a block.
	Ready,
	/// Gossiped to this many peers.
	Broadcast(usize),
	/// In a block of the best chain.
	InBlock {
		/// The block.
		hash: Hash,
		/// Its number.
		number: u32,
	},
	/// The block that included it left the best chain; it may be included again.
	Retracted(Hash),
	/// In a finalized block.
	Finalized {
		/// The block.
		hash: Hash,
		/// Its number.
		number: u32,
	},
	/// Still waiting: the best block number and the time so far (for progress displays).
	Waiting {
		/// The best block number.
		best: u32,
		/// Time since submission.
		elapsed: Duration,
	},
}

impl std::fmt::Display for Status {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Status::Submitted(hash) => write!(f, "submitted {hash:?}"),
			Status::Future => write!(f, "in the pool, waiting for an earlier transaction"),
			Status::Ready => write!(f, "in the pool, ready"),
			Status::Broadcast(n) => write!(f, "sent to {n} peers"),
			Status::InBlock { number, .. } => write!(f, "included in block #{number}"),
			Status::Retracted(hash) => write!(f, "block {hash:?} left the best chain; waiting"),
			Status::Finalized { number, .. } => write!(f, "finalized in block #{number}"),
			Status::Waiting { best, elapsed } => {
				write!(f, "waiting: best block #{best}, {}s", elapsed.as_secs())
			},
		}
	}
}

/// A transaction that a block included and that succeeded.
#[derive(Clone, Debug)]
pub struct Included {
	/// The transaction's hash.
	pub extrinsic_hash: Hash,
	/// The including block's hash.
	pub block_hash: Hash,
	/// Its number.
	pub block_number: u32,
	/// The transaction's index in the block.
	pub index: u32,
	/// Whether the block was final when this was returned.
	pub finalized: bool,
	/// The events it emitted, in order.
	pub events: Vec<runtime::Event>,
}

impl Included {
	/// The first event `pick` accepts.
	pub fn find<T>(&self, pick: impl Fn(&runtime::Event) -> Option<T>) -> Option<T> {
		self.events.iter().find_map(pick)
	}
}

/// What the runtime charges for a transaction ([`Client::dispatch_info`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DispatchInfo {
	/// Its weight's computation time, in picoseconds.
	pub ref_time: u64,
	/// Its weight's proof size, in bytes.
	pub proof_size: u64,
	/// Whether it is of the normal class (what user transactions are).
	pub normal: bool,
	/// Its fee before any tip, in the smallest unit.
	pub partial_fee: u128,
	/// Its encoded length, in bytes.
	pub length: u32,
}

/// A signed transaction, ready to submit.
pub struct Signed {
	/// Its SCALE encoding (what the node receives).
	pub encoded: Vec<u8>,
	/// Its hash.
	pub hash: Hash,
	/// The signer.
	pub signer: AccountId,
	/// The nonce it uses.
	pub nonce: u64,
	/// The best block number when it was signed (the start of its mortality).
	pub birth: u32,
	/// Its mortality in blocks, `None` if immortal.
	pub mortal_blocks: Option<u64>,
}

impl Client {
	/// The next nonce of `who`, counting its transactions already in the pool.
	pub async fn next_nonce(&self, who: &AccountId) -> Result<u64, Error> {
		self.rpc.system_account_next_index(who).await.map_err(Error::rpc("system_accountNextIndex"))
	}

	/// Signs `call` as `signer` against the best block's runtime.
	pub async fn sign(
		&self,
		signer: &Keypair,
		call: &RuntimeCall,
		options: &TxOptions,
	) -> Result<Signed, Error> {
		let (best_hash, best) = self.best().await?;
		let at = self.at(best_hash).await?;
		let who: AccountId = signer.public_key().to_account_id();
		let nonce = match options.nonce {
			Some(nonce) => nonce,
			None => self.next_nonce(&who).await?,
		};
		let mut params =
			DefaultExtrinsicParamsBuilder::<Config>::new().nonce(nonce).tip(options.tip);
		// Mortality starts at the last finalized block, as polkadot.js signs: a best block can
		// still be replaced by a sibling (collators of a parachain build on different parents),
		// and a transaction born on the replaced block fails its signature check ("bad
		// signature") on every node. The period grows by the blocks not yet finalized, so the
		// transaction stays valid for `blocks` past the best block. While finality lags far
		// behind (a dev chain that does not finalize), it starts at the best block as before.
		let mut birth = best;
		let mut mortal_blocks = options.mortal_blocks;
		params = match options.mortal_blocks {
			Some(blocks) => {
				let (finalized_hash, finalized) = self.finalized().await?;
				let lag = u64::from(best.saturating_sub(finalized));
				let (from_hash, period) = if lag <= MAX_FINALITY_LAG {
					birth = finalized;
					(finalized_hash, blocks + lag)
				} else {
					(best_hash, blocks)
				};
				mortal_blocks = Some(period);
				params.mortal_from_unchecked(period, u64::from(birth), from_hash)
			},
			None => params.immortal(),
		};
		let transactions = at.transactions();
		let payload = transactions.from_call_data_bytes(&call.encode()).map_err(|e| {
			Error::Incompatible(format!(
				"the node's runtime (spec version {}) does not accept this call as this client \
				 encodes it: {e}. Use a client built for the node's runtime.",
				at.spec_version()
			))
		})?;
		let mut signable = transactions
			.create_signable_offline(&payload, params.build())
			.map_err(|e| Error::Sign(e.to_string()))?;
		let signed = signable.sign(signer).map_err(|e| Error::Sign(e.to_string()))?;
		Ok(Signed {
			encoded: signed.encoded().to_vec(),
			hash: signed.hash(),
			signer: who,
			nonce,
			birth,
			mortal_blocks,
		})
	}

	/// Signs and submits `call`, follows it as `options` say, and returns its events; an error
	/// names what happened otherwise. `progress` hears each step.
	pub async fn submit(
		&self,
		signer: &Keypair,
		call: &RuntimeCall,
		options: &TxOptions,
		progress: impl FnMut(&Status),
	) -> Result<Included, Error> {
		let signed = self.sign(signer, call, options).await?;
		self.submit_signed(&signed, options, progress).await
	}

	/// Hands a transaction signed by [`Client::sign`] to the node's pool without following it
	/// (a load generator's way: inclusion is then read from blocks); the node's refusal, with
	/// the runtime's reason when it gives one, is an error.
	pub async fn send(&self, signed: &Signed) -> Result<Hash, Error> {
		match self.rpc.author_submit_extrinsic(&signed.encoded).await {
			Ok(hash) => Ok(hash),
			Err(e) => Err(self.refusal(signed, e).await),
		}
	}

	/// What the runtime charges for `signed` at the best block, as wallets ask it
	/// (`TransactionPaymentApi_query_info`): its total weight (the call's, the extensions' and the
	/// base extrinsic's), its class and its fee.
	pub async fn dispatch_info(&self, signed: &Signed) -> Result<DispatchInfo, Error> {
		let at = self.at_best().await?;
		let len = u32::try_from(signed.encoded.len())
			.map_err(|_| Error::Invalid("a transaction over 4 GiB".into()))?;
		// The extrinsic as it is encoded (its own length prefix included), then the length.
		let mut args = signed.encoded.clone();
		codec::Encode::encode_to(&len, &mut args);
		let raw = at
			.runtime_apis()
			.call_raw("TransactionPaymentApi_query_info", Some(&args))
			.await
			.map_err(|e| Error::Rpc {
				method: "TransactionPaymentApi_query_info",
				why: e.to_string(),
			})?;
		// `RuntimeDispatchInfo`: the weight (two compact numbers), the class, the fee.
		#[derive(codec::Decode)]
		struct Info {
			#[codec(compact)]
			ref_time: u64,
			#[codec(compact)]
			proof_size: u64,
			class: u8,
			partial_fee: u128,
		}
		let info = <Info as codec::Decode>::decode(&mut &raw[..])
			.map_err(|e| Error::Decode(format!("TransactionPaymentApi_query_info: {e}")))?;
		Ok(DispatchInfo {
			ref_time: info.ref_time,
			proof_size: info.proof_size,
			// `DispatchClass::Normal` is the first variant.
			normal: info.class == 0,
			partial_fee: info.partial_fee,
			length: len,
		})
	}

	/// Submits a transaction signed by [`Client::sign`] and follows it.
	pub async fn submit_signed(
		&self,
		signed: &Signed,
		options: &TxOptions,
		mut progress: impl FnMut(&Status),
	) -> Result<Included, Error> {
		let started = Instant::now();
		if !self.endpoint.scheme.subscribes() {
			return self.submit_polling(signed, options, started, progress).await;
		}
		let mut watch = match self.rpc.author_submit_and_watch_extrinsic(&signed.encoded).await {
			Ok(watch) => watch,
			Err(e) => return Err(self.refusal(signed, e).await),
		};
		progress(&Status::Submitted(signed.hash));
		let mut in_block: Option<(Hash, u32)> = None;
		loop {
			let left = options.timeout.saturating_sub(started.elapsed());
			let next = match tokio::time::timeout(left, watch.next()).await {
				Err(_) => {
					return Err(Error::Timeout {
						waited: options.timeout,
						last: match in_block {
							Some((_, n)) => format!("included in block #{n}, not yet final"),
							None => "not in a block".into(),
						},
					})
				},
				Ok(None) => {
					return Err(Error::Dropped(
						"the node closed the transaction's status stream".into(),
					))
				},
				Ok(Some(Err(e))) => return Err(Error::rpc("author_extrinsicUpdate")(e)),
				Ok(Some(Ok(status))) => status,
			};
			match next {
				PoolStatus::Future => progress(&Status::Future),
				PoolStatus::Ready => progress(&Status::Ready),
				PoolStatus::Broadcast(peers) => progress(&Status::Broadcast(peers.len())),
				PoolStatus::InBlock(hash) => {
					let number = self.block_number(hash).await?;
					progress(&Status::InBlock { hash, number });
					if options.wait == Wait::InBlock {
						return self.outcome(signed, hash, number, false).await;
					}
					in_block = Some((hash, number));
				},
				PoolStatus::Retracted(hash) => {
					in_block = None;
					progress(&Status::Retracted(hash));
				},
				PoolStatus::Finalized(hash) => {
					let number = self.block_number(hash).await?;
					progress(&Status::Finalized { hash, number });
					return self.outcome(signed, hash, number, true).await;
				},
				PoolStatus::FinalityTimeout(hash) => {
					return Err(Error::Dropped(format!(
						"the node stopped watching the transaction in block {hash:?} before \
						 it was final (too many watchers); check the block later"
					)))
				},
				PoolStatus::Usurped(by) => return Err(Error::Usurped { by }),
				PoolStatus::Dropped => {
					return Err(Error::Dropped(
						"the pool dropped it (full, or outpriced by other transactions)".into(),
					))
				},
				PoolStatus::Invalid => return Err(self.invalidated(signed).await),
			}
		}
	}

	/// Over HTTP: submit, then look for the transaction in each new best block; then wait for
	/// finality if asked. A mortal transaction past its last valid block is reported dropped.
	async fn submit_polling(
		&self,
		signed: &Signed,
		options: &TxOptions,
		started: Instant,
		mut progress: impl FnMut(&Status),
	) -> Result<Included, Error> {
		if let Err(e) = self.rpc.author_submit_extrinsic(&signed.encoded).await {
			return Err(self.refusal(signed, e).await);
		}
		progress(&Status::Submitted(signed.hash));
		let mut next = signed.birth + 1;
		let mut last_report = Instant::now();
		let (hash, number) = 'found: loop {
			let (_, best) = self.best().await?;
			while next <= best {
				let hash = self.block_hash(next).await?;
				if let Some(block) = self
					.rpc
					.chain_get_block(Some(hash))
					.await
					.map_err(Error::rpc("chain_getBlock"))?
				{
					if block.block.extrinsics.iter().any(|x| x.0 == signed.encoded) {
						break 'found (hash, next);
					}
				}
				next += 1;
			}
			if let Some(period) = signed.mortal_blocks {
				if u64::from(best) > u64::from(signed.birth) + period {
					return Err(Error::Dropped(format!(
						"not included before its mortality ended (block #{})",
						u64::from(signed.birth) + period
					)));
				}
			}
			if started.elapsed() > options.timeout {
				return Err(Error::Timeout {
					waited: options.timeout,
					last: "not in a block".into(),
				});
			}
			if last_report.elapsed() > Duration::from_secs(2) {
				progress(&Status::Waiting { best, elapsed: started.elapsed() });
				last_report = Instant::now();
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		};
		progress(&Status::InBlock { hash, number });
		if options.wait == Wait::InBlock {
			return self.outcome(signed, hash, number, false).await;
		}
		loop {
			let finalized = self.finalized_number().await?;
			if finalized >= number {
				// Final only if the block at that height on the finalized chain is ours.
				if self.block_hash(number).await? != hash {
					return Err(Error::Dropped(format!(
						"block #{number} that included it was not finalized"
					)));
				}
				progress(&Status::Finalized { hash, number });
				return self.outcome(signed, hash, number, true).await;
			}
			if started.elapsed() > options.timeout {
				return Err(Error::Timeout {
					waited: options.timeout,
					last: format!("included in block #{number}, not yet final"),
				});
			}
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	/// The events of `signed` in block `hash`, or the error it failed with.
	async fn outcome(
		&self,
		signed: &Signed,
		hash: Hash,
		number: u32,
		finalized: bool,
	) -> Result<Included, Error> {
		let at = self.at(hash).await?;
		let extrinsics = at
			.extrinsics()
			.fetch()
			.await
			.map_err(|e| Error::Decode(format!("the extrinsics of block #{number}: {e}")))?;
		let index = extrinsics
			.iter()
			.filter_map(Result::ok)
			.find(|x| x.bytes() == signed.encoded.as_slice())
			.map(|x| x.index() as u32)
			.ok_or_else(|| {
				Error::Decode(format!("block #{number} does not contain the transaction"))
			})?;
		let all = at
			.events()
			.fetch()
			.await
			.map_err(|e| Error::Decode(format!("the events of block #{number}: {e}")))?;
		let mut events = Vec::new();
		for event in all.iter() {
			let event = event.map_err(|e| Error::Decode(format!("an event of #{number}: {e}")))?;
			if event.phase() != Phase::ApplyExtrinsic(index) {
				continue;
			}
			if event.pallet_name() == "System" && event.event_name() == "ExtrinsicFailed" {
				let error =
					subxt::error::DispatchError::decode_from(event.field_bytes(), at.metadata())
						.map_err(|e| Error::Decode(format!("the dispatch error: {e}")))?;
				return Err(Error::Failed {
					block: number,
					error: describe_dispatch_error(&error),
				});
			}
			events.push(
				event
					.decode_as::<runtime::Event>()
					.map_err(|e| Error::Decode(format!("an event of #{number}: {e}")))?,
			);
		}
		Ok(Included {
			extrinsic_hash: signed.hash,
			block_hash: hash,
			block_number: number,
			index,
			finalized,
			events,
		})
	}

	/// Why the pool refused `signed`: the runtime's own validity answer, decoded structurally,
	/// with the refusal code's meaning from the table in `virtengine_primitives::refusal`.
	async fn refusal(&self, signed: &Signed, error: subxt::rpcs::Error) -> Error {
		// The node's words: the message, and the data that says which check failed
		// ("Transaction has a bad signature", "Transaction is outdated", ...).
		let message = match &error {
			subxt::rpcs::Error::User(e) => match &e.data {
				Some(data) => {
					format!("{} ({}): {}", e.message, e.code, data.get().trim_matches('"'))
				},
				None => error.to_string(),
			},
			_ => error.to_string(),
		};
		match self.validity(signed).await {
			Some(reason) => Error::Rejected(reason),
			None => Error::Rejected(Refused::Other(message)),
		}
	}

	/// A transaction the pool later declared invalid: why, if the runtime still says so.
	async fn invalidated(&self, signed: &Signed) -> Error {
		match self.validity(signed).await {
			Some(reason) => Error::Rejected(reason),
			None => Error::Rejected(Refused::Other(
				"the pool declared it invalid (no longer valid at the best block)".into(),
			)),
		}
	}

	/// The runtime's validity verdict on `signed` at the best block; `None` if it is valid or
	/// the question could not be asked.
	async fn validity(&self, signed: &Signed) -> Option<Refused> {
		let (hash, _) = self.best().await.ok()?;
		let at = self.at(hash).await.ok()?;
		let result = at.transactions().from_bytes(signed.encoded.clone()).validate().await.ok()?;
		Some(match result {
			ValidationResult::Valid(_) => return None,
			ValidationResult::Invalid(TransactionInvalid::Custom(code)) => Refused::Code(code),
			ValidationResult::Invalid(TransactionInvalid::Stale) => {
				Refused::Other("the nonce was already used (stale)".into())
			},
			ValidationResult::Invalid(TransactionInvalid::Future) => {
				Refused::Other("the nonce is in the future".into())
			},
			ValidationResult::Invalid(TransactionInvalid::Payment) => {
				Refused::Other("the account cannot pay the fee (too low a free balance)".into())
			},
			ValidationResult::Invalid(TransactionInvalid::BadProof) => Refused::Other(
				"bad signature (signed for another chain, runtime version or account)".into(),
			),
			ValidationResult::Invalid(TransactionInvalid::AncientBirthBlock) => {
				Refused::Other("its mortality period has passed".into())
			},
			ValidationResult::Invalid(TransactionInvalid::ExhaustsResources) => {
				Refused::Other("it would exhaust the block's resources".into())
			},
			ValidationResult::Invalid(TransactionInvalid::Call) => {
				Refused::Other("the call cannot be dispatched".into())
			},
			ValidationResult::Invalid(other) => Refused::Other(format!("{other:?}")),
			ValidationResult::Unknown(TransactionUnknown::Custom(code)) => {
				Refused::Other(format!("validity unknown (custom code {code})"))
			},
			ValidationResult::Unknown(other) => {
				Refused::Other(format!("validity unknown: {other:?}"))
			},
		})
	}
}

/// Why the pool refused a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
	/// A custom refusal code of our runtime (`virtengine_primitives::refusal`).
	Code(u8),
	/// Anything else, in words.
	Other(String),
}

impl Refused {
	/// The refusal code, if one.
	pub fn code(&self) -> Option<u8> {
		match self {
			Refused::Code(code) => Some(*code),
			Refused::Other(_) => None,
		}
	}
}

impl std::fmt::Display for Refused {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Refused::Code(code) => match virtengine_primitives::refusal::refusal(*code) {
				Some(r) => write!(f, "{}::{} (code {code}): {}", r.pallet, r.name, r.meaning),
				None => write!(f, "refusal code {code}, unknown to this client"),
			},
			Refused::Other(why) => f.write_str(why),
		}
	}
}

/// A dispatch error by name: `Veid::EnvelopeTooLarge: the envelope is larger than …`.
pub fn describe_dispatch_error(error: &subxt::error::DispatchError) -> String {
	use subxt::error::DispatchError as E;
	match error {
		E::Module(module) => match module.details() {
			Ok(details) => {
				let docs = details.variant.docs.join(" ");
				let docs = docs.trim();
				if docs.is_empty() {
					format!("{}::{}", details.pallet.name(), details.variant.name)
				} else {
					format!("{}::{}: {docs}", details.pallet.name(), details.variant.name)
				}
			},
			Err(_) => module.details_string(),
		},
		other => other.to_string(),
	}
}

/// `Sudo::sudo(call)`: governance's calls on a chain whose admin origin is root (sudo on dev
/// chains).
pub fn sudo(call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Sudo(runtime::runtime_types::pallet_sudo::pallet::Call::sudo {
		call: Box::new(call),
	})
}
