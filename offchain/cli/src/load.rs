//! `virtengine load transfers`: a load generator for development and test networks.
//!
//! It sends signed balance transfers (`transfer_keep_alive`, a ring: each sender pays the next)
//! from the well-known development accounts as fast as the node's pool takes them, keeping at
//! most `--in-flight` of them waiting, for `--seconds`; then it reads the blocks of the
//! canonical chain and reports the transfers they included per block and per second, beside the
//! theoretical maximum: what the normal class's share of a block (its weight, in both
//! dimensions, and its length) holds of transfers of the weight the runtime charges one
//! (`TransactionPaymentApi_query_info`: the call's benchmarked weight, the transaction
//! extensions' and the base extrinsic's), as a ratio. The proof size charged before dispatch is a
//! worst case that the runtime reclaims down to the proof really produced, and the transaction
//! extensions refund computation they did not need (`CheckMfa`'s plain check), so the capacity
//! uses what blocks really consumed per transfer (both figures are reported).
//!
//! The senders are the development accounts endowed on `dev` and `local` chains and listed as
//! each other's known recipients (so MFA does not gate transfers between them): `//Dave`,
//! `//Eve`, `//Ferdie` and the six `//…//stash` accounts. `//Alice`, `//Bob` and `//Charlie` are
//! left out: they are the collators, whose offchain workers send transactions of their own.
//! Transfers still in the pool at the end are included after the command returns.

use std::{
	collections::BTreeMap,
	str::FromStr,
	time::{Duration, Instant},
};

use futures::StreamExt;
use serde_json::json;
use virtengine_client::{
	runtime, subxt_signer::SecretUri, AccountId, Balance, Client, Keypair, RuntimeCall, TxOptions,
};

use crate::{ve_arg, Ctx, Error};

/// The senders, in ring order.
pub const SENDERS: [&str; 9] = [
	"//Dave",
	"//Eve",
	"//Ferdie",
	"//Alice//stash",
	"//Bob//stash",
	"//Charlie//stash",
	"//Dave//stash",
	"//Eve//stash",
	"//Ferdie//stash",
];

/// `virtengine load …`
#[derive(clap::Subcommand)]
pub enum Command {
	/// Signed balance transfers from the development accounts (dev and local chains), reported
	/// as transfers included per block and per second against the theoretical maximum.
	Transfers {
		/// How long to send, in seconds.
		#[arg(long, default_value_t = 60)]
		seconds: u64,
		/// How many of the nine development senders to use.
		#[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u8).range(2..=9))]
		senders: u8,
		/// The most transfers waiting in the pool at once (the node's pool holds 8,192 ready
		/// transactions by default).
		#[arg(long, default_value_t = 4000)]
		in_flight: u64,
		/// What each transfer moves, in VE.
		#[arg(long, value_name = "VE", value_parser = ve_arg, default_value = "0.000001")]
		amount: Balance,
	},
}

pub async fn run(ctx: &Ctx, command: Command) -> Result<(), Error> {
	match command {
		Command::Transfers { seconds, senders, in_flight, amount } => {
			transfers(ctx, Duration::from_secs(seconds), usize::from(senders), in_flight, amount)
				.await
		},
	}
}

/// A sender: its key, its account, its next nonce.
struct Sender {
	key: Keypair,
	account: AccountId,
	nonce: u64,
}

/// The normal class's share of a block: weight (both dimensions) and length.
struct Capacity {
	ref_time: u64,
	proof_size: u64,
	length: u32,
}

async fn capacity(client: &Client) -> Result<Capacity, Error> {
	let weights = client
		.constant(runtime::constants().system().block_weights(), "System::BlockWeights")
		.await?;
	let length = client
		.constant(runtime::constants().system().block_length(), "System::BlockLength")
		.await?;
	let normal = weights.per_class.normal.max_total.unwrap_or(weights.max_block);
	Ok(Capacity {
		ref_time: normal.ref_time,
		proof_size: normal.proof_size,
		length: length.max.normal,
	})
}

/// The transfers from `senders` that block `hash` included.
async fn block_transfers(
	client: &Client,
	hash: virtengine_client::Hash,
	senders: &[AccountId],
) -> Result<u64, Error> {
	let events = client.events(hash).await?;
	Ok(events
		.iter()
		.filter(|e| {
			matches!(e, runtime::Event::Balances(runtime::balances::Event::Transfer { from, .. })
				if senders.contains(from))
		})
		.count() as u64)
}

/// The transfers from `senders` that block `hash` included, and the weight its normal class
/// consumed (after refunds and the proof size reclaimed at dispatch).
async fn block_load(
	client: &Client,
	hash: virtengine_client::Hash,
	senders: &[AccountId],
) -> Result<(u64, (u64, u64)), Error> {
	let ours = block_transfers(client, hash, senders).await?;
	let at = client.at(hash).await?;
	let used = Client::fetch_in(
		&at,
		runtime::storage().system().block_weight(),
		(),
		"System::BlockWeight",
	)
	.await?
	.map(|w| (w.normal.ref_time, w.normal.proof_size))
	.unwrap_or((0, 0));
	Ok((ours, used))
}

/// A progress line on standard error (the result goes to standard output at the end).
fn progress(text: &str) {
	eprintln!("{text}");
}

async fn transfers(
	ctx: &Ctx,
	duration: Duration,
	count: usize,
	in_flight: u64,
	amount: Balance,
) -> Result<(), Error> {
	let client = ctx.connect().await?;
	let mut senders = Vec::new();
	for uri in &SENDERS[..count] {
		let uri = SecretUri::from_str(uri).map_err(|e| Error::Key(format!("{uri}: {e}")))?;
		let key = Keypair::from_uri(&uri).map_err(|e| Error::Key(e.to_string()))?;
		let account = key.public_key().to_account_id();
		let (free, _) = client.balance(&account).await?;
		if free < amount.saturating_mul(1000) {
			return Err(Error::Outcome(format!(
				"the development account {account} holds {} here: `load transfers` needs the \
				 accounts a dev or local chain endows",
				virtengine_client::format_ve(free)
			)));
		}
		let nonce = client.next_nonce(&account).await?;
		senders.push(Sender { key, account, nonce });
	}
	let accounts: Vec<AccountId> = senders.iter().map(|s| s.account.clone()).collect();
	let call_to = |i: usize| -> RuntimeCall {
		let dest = accounts[(i + 1) % accounts.len()].clone();
		RuntimeCall::Balances(runtime::balances::Call::transfer_keep_alive {
			dest: dest.into(),
			value: amount,
		})
	};
	// Immortal: a transfer waits in the pool as long as the load keeps it there.
	let options =
		|nonce| TxOptions { mortal_blocks: None, nonce: Some(nonce), ..Default::default() };

	// What one transfer weighs, and what a block holds.
	let sample = client.sign(&senders[0].key, &call_to(0), &options(senders[0].nonce)).await?;
	let info = client.dispatch_info(&sample).await?;
	let cap = capacity(&client).await?;
	// As charged before dispatch. The proof size a transfer is charged is its benchmarked worst
	// case, which the runtime's weight reclaim (cumulus `StorageWeightReclaim`) corrects to the
	// proof it really produced once it ran: the capacity that decides is computed again below
	// from the proof size blocks really consumed.
	let by_ref_time = cap.ref_time / info.ref_time.max(1);
	let by_length = u64::from(cap.length / info.length.max(1));
	let by_proof_charged =
		if info.proof_size == 0 { u64::MAX } else { cap.proof_size / info.proof_size };
	let charged = by_ref_time.min(by_length).min(by_proof_charged);
	let slot_ms =
		client.constant(runtime::constants().aura().slot_duration(), "Aura::SlotDuration").await?;
	progress(&format!(
		"a transfer weighs {:.1} µs and {} bytes of proof, {} bytes long: a block holds {charged} \
		 as charged; sending from {count} accounts for {} s",
		info.ref_time as f64 / 1e6,
		info.proof_size,
		info.length,
		duration.as_secs()
	));

	let mut heads = client.subscribe_best().await?;
	let started = Instant::now();
	let deadline = started + duration;
	let mut heard: BTreeMap<u32, Instant> = BTreeMap::new();
	let mut first_number: Option<u32> = None;
	let (mut submitted, mut included, mut refused) = (0u64, 0u64, 0u64);
	let mut consecutive_refusals = 0u32;
	let mut next = 0usize;
	let mut last_note = Instant::now();
	let mut pending_sample = Some(sample);
	while Instant::now() < deadline {
		// Top the pool up, a bounded batch at a time, then look at new blocks.
		let mut batch = 0;
		while submitted.saturating_sub(included) < in_flight && batch < 200 {
			let i = next;
			next = (next + 1) % senders.len();
			let signed = match pending_sample.take() {
				Some(signed) => signed,
				None => {
					client.sign(&senders[i].key, &call_to(i), &options(senders[i].nonce)).await?
				},
			};
			match client.send(&signed).await {
				Ok(_) => {
					senders[i].nonce += 1;
					submitted += 1;
					consecutive_refusals = 0;
				},
				Err(e) => {
					refused += 1;
					consecutive_refusals += 1;
					tracing::warn!(sender = %senders[i].account, error = %e, "a transfer was refused");
					if consecutive_refusals >= 50 {
						return Err(Error::Outcome(format!(
							"the node refused 50 transfers in a row; the last: {e}"
						)));
					}
					// The pool's view of the account decides its next nonce.
					senders[i].nonce = client.next_nonce(&senders[i].account).await?;
					tokio::time::sleep(Duration::from_millis(100)).await;
				},
			}
			batch += 1;
		}
		let wait = if batch == 0 { Duration::from_millis(500) } else { Duration::from_millis(1) };
		while let Ok(head) = tokio::time::timeout(wait, heads.next()).await {
			let Some(head) = head else {
				return Err(Error::Outcome("the node closed the new-block subscription".into()));
			};
			let head = head?;
			if heard.contains_key(&head.number) {
				continue;
			}
			heard.insert(head.number, Instant::now());
			let ours = block_transfers(&client, head.hash, &accounts).await?;
			included += ours;
			if ours > 0 && first_number.is_none() {
				first_number = Some(head.number);
			}
			if batch > 0 {
				break;
			}
		}
		if last_note.elapsed() >= Duration::from_secs(10) {
			progress(&format!(
				"{:.0} s: {submitted} sent, {included} included, best block #{}",
				started.elapsed().as_secs_f64(),
				heard.keys().next_back().copied().unwrap_or(0)
			));
			last_note = Instant::now();
		}
	}

	// Counted again on the canonical chain: blocks heard of may have left it.
	let first = first_number.ok_or_else(|| {
		Error::Outcome(format!(
			"no block included a transfer within {} s ({submitted} sent, {refused} refused)",
			duration.as_secs()
		))
	})?;
	let last = heard.keys().next_back().copied().unwrap_or(first);
	if last < first + 2 {
		return Err(Error::Outcome(format!(
			"only {} blocks after the first transfer's: run longer (--seconds)",
			last - first
		)));
	}
	let mut blocks = Vec::new();
	for number in first..=last {
		let hash = client.block_hash(number).await?;
		let (ours, used) = block_load(&client, hash, &accounts).await?;
		blocks.push((number, ours, used));
	}
	// The first block with transfers started filling mid-way: the window is the blocks after
	// it, and its import the start of the clock.
	let window = &blocks[1..];
	let total: u64 = window.iter().map(|(_, n, _)| n).sum();
	if total == 0 {
		return Err(Error::Outcome(format!(
			"blocks #{}..#{last} included no transfer: the node is not keeping up; run longer",
			first + 1
		)));
	}
	// What a transfer really left charged in blocks (the normal class holds little else): the
	// proof reclaimed, and the computation its transaction extensions refunded after dispatch
	// (`CheckMfa`'s plain check, docs/access-control.md "Cost").
	let proof_used: u64 = window.iter().map(|(_, _, (_, p))| p).sum();
	let proof_per_transfer = proof_used.div_ceil(total).max(1);
	let by_proof = cap.proof_size / proof_per_transfer;
	let ref_used: u64 = window.iter().map(|(_, _, (w, _))| w).sum();
	let ref_per_transfer = ref_used.div_ceil(total).clamp(1, info.ref_time.max(1));
	let by_ref_time = cap.ref_time / ref_per_transfer;
	let (max_per_block, binding) = [
		(by_ref_time, "computation (ref_time)"),
		(by_proof, "proof size"),
		(by_length, "block length"),
	]
	.into_iter()
	.min_by_key(|(n, _)| *n)
	.unwrap_or((by_ref_time, "computation (ref_time)"));
	let elapsed = heard[&last].duration_since(heard[&first]).as_secs_f64();
	let per_block = total as f64 / window.len() as f64;
	let interval = elapsed / window.len() as f64;
	let tps = total as f64 / elapsed;
	let max_tps = max_per_block as f64 / interval;
	let max_tps_slot = max_per_block as f64 * 1000.0 / slot_ms as f64;
	let used = window.iter().map(|(_, _, (w, _))| *w as f64 / cap.ref_time as f64).sum::<f64>()
		/ window.len() as f64;
	let ratio = per_block / max_per_block as f64;
	let per_block_json: Vec<_> = blocks
		.iter()
		.map(|(n, t, (w, p))| {
			json!({ "block": n, "transfers": t, "normal_ref_time": w, "normal_proof_size": p })
		})
		.collect();
	ctx.print(
		json!({
			"senders": count,
			"seconds": duration.as_secs(),
			"sent": submitted,
			"refused": refused,
			"transfer": {
				"ref_time_ps": info.ref_time,
				"proof_size": info.proof_size,
				"length": info.length,
				"fee": info.partial_fee.to_string(),
			},
			"normal_class": { "ref_time_ps": cap.ref_time, "proof_size": cap.proof_size, "length": cap.length },
			"max_per_block_charged": charged,
			"proof_per_transfer": proof_per_transfer,
			"ref_time_per_transfer_ps": ref_per_transfer,
			"max_per_block": max_per_block,
			"bound_by": binding,
			"first_block": first,
			"last_block": last,
			"blocks": window.len(),
			"included": total,
			"per_block": per_block,
			"block_interval_s": interval,
			"tps": tps,
			"max_tps": max_tps,
			"slot_ms": slot_ms,
			"max_tps_at_slot": max_tps_slot,
			"ratio": ratio,
			"normal_weight_used": used,
			"per_block_detail": per_block_json,
		}),
		|| {
			format!(
				"transfer weight       {:.1} µs, {} B proof, {} B long (fee {}) before dispatch; \
				 {:.1} µs, {proof_per_transfer} B after refunds\n\
				 block capacity        {charged} transfers as charged; {max_per_block} after refunds \
				 and the proof reclaimed, bound by {binding}\n\
				 measured              blocks #{}..#{last}: {total} transfers in {} blocks, {elapsed:.1} s\n\
				 included              {per_block:.1} per block, {tps:.1} per second (a block every {interval:.2} s)\n\
				 theoretical maximum   {max_per_block} per block, {max_tps:.1} per second at that pace \
				 ({max_tps_slot:.1} at the {slot_ms} ms slot)\n\
				 ratio                 {ratio:.2} (normal-class weight used: {:.0}% of its limit)\n\
				 sent {submitted}, refused {refused}",
				info.ref_time as f64 / 1e6,
				info.proof_size,
				info.length,
				virtengine_client::format_ve(info.partial_fee),
				ref_per_transfer as f64 / 1e6,
				first + 1,
				window.len(),
				used * 100.0
			)
		},
	);
	Ok(())
}
