//! The daemon: follows the chain, bids on orders it can serve, and runs one task per lease
//! (provision, start, heartbeats, usage, close) until the lease ends. Everything stops on one
//! cancellation token.

use std::{
	collections::{BTreeMap, HashMap},
	sync::Arc,
	time::{Duration, Instant},
};

use codec::Decode;
use futures::StreamExt;
use sp_core::Pair as _;
use tokio::sync::{watch, Mutex};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};
use virtengine_client::{
	account_text,
	market::{Category, LeaseState, Target, Unit, UsageRecord},
	runtime::runtime_types::{
		pallet_escrow::pallet::Call as EscrowCall, pallet_market::pallet::Call as MarketCall,
	},
	Error as ChainError, RuntimeCall,
};

use crate::{
	backend::{Backend, Capacity, JobId, JobState},
	chain::{Chain, ChainEvent, LeaseOf, OfferingOf, OrderOf},
	config::Config,
	job::Resources,
	journal::{InFlight, Journal},
	keys::Keys,
	metrics::Metrics,
	pricing::{self, Price, Pricing, Quote},
	usage,
	workload::{Kind, Workload},
};

/// A new backend job name for lease `lease`: `virtengine-lease-<id>-<8 random hex digits>`. It is
/// written to the journal before the job is submitted, so a job submitted just before a crash is
/// found again by it; the random part keeps it this lease's alone (lease numbers restart on every
/// chain, and a cluster outlives chains).
pub fn new_job_name(lease: u64) -> String {
	use rand_core::RngCore;
	format!("virtengine-lease-{lease}-{:08x}", rand_core::OsRng.next_u32())
}

/// The environment variable of the crash test hook: `exit-after-submit:<lease>` makes the daemon
/// exit at once after the backend accepted that lease's job and before the journal holds its
/// number: the crash window the job-name lookup is for (`node/tests/provider.rs`).
pub const FAULT_ENV: &str = "VIRTENGINE_PROVIDER_FAULT";

fn crash_point(lease: u64) {
	if std::env::var(FAULT_ENV).is_ok_and(|f| f == format!("exit-after-submit:{lease}")) {
		error!(lease, "{FAULT_ENV}: exiting after the submission, as a crash would");
		std::process::exit(86);
	}
}

/// The provider's capability flags (`pallet_provider::capability`).
const CAPABILITY_KUBERNETES: u32 = 1 << 0;
const CAPABILITY_SLURM: u32 = 1 << 1;

/// The backends the daemon runs workloads on, one per workload kind.
#[derive(Clone, Default)]
pub struct Backends {
	by_kind: BTreeMap<Kind, Arc<dyn Backend>>,
}

impl Backends {
	/// Adds `backend` (for its kind).
	pub fn with(mut self, backend: Arc<dyn Backend>) -> Self {
		self.by_kind.insert(backend.kind(), backend);
		self
	}

	/// The backend of `kind`, if configured.
	pub fn get(&self, kind: Kind) -> Option<&Arc<dyn Backend>> {
		self.by_kind.get(&kind)
	}

	/// Every backend.
	pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Backend>> {
		self.by_kind.values()
	}

	/// The backend that runs `id`.
	pub fn of_job(&self, id: &JobId) -> Option<&Arc<dyn Backend>> {
		self.get(match id {
			JobId::Slurm(_) => Kind::Slurm,
			JobId::Kubernetes(_) => Kind::Kubernetes,
		})
	}

	/// The backend of a lease in the journal: its job's, else its workload's, else the only one.
	pub fn of_entry(&self, entry: &crate::journal::LeaseEntry) -> Option<&Arc<dyn Backend>> {
		if let Some(id) = &entry.job_id {
			return self.of_job(id);
		}
		if let Some(spec) = &entry.spec {
			return self.get(spec.kind());
		}
		match self.by_kind.len() {
			1 => self.by_kind.values().next(),
			_ => None,
		}
	}
}

/// Why the daemon stopped.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
	/// The chain failed in a way the daemon cannot ride out.
	#[error("chain: {0}")]
	Chain(#[from] ChainError),
	/// The provider cannot bid.
	#[error("{0}")]
	Provider(String),
	/// The journal failed.
	#[error(transparent)]
	Journal(#[from] crate::journal::JournalError),
}

/// The daemon's shared state.
pub struct Daemon<C: Chain> {
	chain: Arc<C>,
	backends: Backends,
	journal: Arc<Journal>,
	config: Arc<Config>,
	keys: Arc<Keys>,
	metrics: Arc<Metrics>,
	pricing: Mutex<Pricing>,
	cancel: CancellationToken,
	offerings: Mutex<HashMap<u64, OfferingOf>>,
	leases: Mutex<HashMap<u64, watch::Sender<Option<LeaseState>>>>,
	tasks: tokio_util::task::TaskTracker,
	attributes: Mutex<Attributes>,
	capacity: Mutex<HashMap<Kind, (Instant, Capacity)>>,
	/// The job configurations of the orders bid on (opened and checked then), until their bid
	/// expires: an accepted lease is provisioned without reading and opening its order again.
	bid_specs: std::sync::Mutex<HashMap<u64, (Workload, u32)>>,
}

/// What the provider registered.
#[derive(Clone, Debug, Default)]
struct Attributes {
	region: Vec<u8>,
	capabilities: u32,
}

/// A bid the engine decided on.
struct Decision {
	price: Price,
	spec: Option<Workload>,
}

/// Why an order gets no bid: `Skip` for orders that are not ours to consider (another
/// provider's offering, a category we do not sell), logged at debug; `Decline` for orders we
/// will not serve, logged with the reason; `Retry` when the chain or the backend could not be
/// read (the order is looked at again, a few times, before it is declined).
enum NoBid {
	Skip(String),
	Decline(&'static str, String),
	Retry(String),
}

/// How long the backend's capacity is reused: a burst of new orders asks the cluster once, not
/// once per order (its total changes only when nodes come or go).
const CAPACITY_TTL: Duration = Duration::from_secs(5);

/// The pauses before an order whose evaluation failed on a read is looked at again.
const RETRY_PAUSES: [Duration; 3] =
	[Duration::from_millis(500), Duration::from_secs(2), Duration::from_secs(6)];

impl<C: Chain> Daemon<C> {
	/// A daemon.
	#[allow(clippy::too_many_arguments)]
	pub fn new(
		chain: Arc<C>,
		backends: Backends,
		journal: Arc<Journal>,
		config: Arc<Config>,
		keys: Arc<Keys>,
		metrics: Arc<Metrics>,
		pricing: Pricing,
		cancel: CancellationToken,
	) -> Arc<Self> {
		Arc::new(Daemon {
			chain,
			backends,
			journal,
			config,
			keys,
			metrics,
			pricing: Mutex::new(pricing),
			cancel,
			offerings: Mutex::new(HashMap::new()),
			leases: Mutex::new(HashMap::new()),
			tasks: tokio_util::task::TaskTracker::new(),
			attributes: Mutex::new(Attributes::default()),
			capacity: Mutex::new(HashMap::new()),
			bid_specs: std::sync::Mutex::new(HashMap::new()),
		})
	}

	/// Reads the pricing file again (SIGHUP, or when it changed).
	pub async fn reload_pricing(&self, force: bool) {
		match self.pricing.lock().await.reload(force) {
			Ok(true) => info!(file = %self.config.pricing.display(), "pricing reloaded"),
			Ok(false) => {},
			Err(why) => warn!(%why, "pricing file unusable; keeping the last good pricing"),
		}
	}

	/// Runs until cancelled or until the chain connection fails; waits for every task.
	pub async fn run(self: &Arc<Self>) -> Result<(), DaemonError> {
		let result = self.follow().await;
		self.cancel.cancel();
		self.tasks.close();
		self.tasks.wait().await;
		result
	}

	async fn follow(self: &Arc<Self>) -> Result<(), DaemonError> {
		let me = *self.chain.account();
		let provider = self.chain.provider().await?.ok_or_else(|| {
			DaemonError::Provider(format!(
				"{} is not a registered provider: register it first (docs/provider-daemon.md)",
				account_text(&me)
			))
		})?;
		if provider.daemon_key != self.keys.daemon.public().0 {
			return Err(DaemonError::Provider(format!(
				"the daemon key in {} is not the one {} registered: usage it signs would be refused",
				self.config.keys.daemon.display(),
				account_text(&me)
			)));
		}
		if provider.encryption_key != self.keys.encryption.public() {
			return Err(DaemonError::Provider(format!(
				"the encryption key in {} is not the one {} registered: it could not open orders",
				self.config.keys.encryption.display(),
				account_text(&me)
			)));
		}
		*self.attributes.lock().await = Attributes {
			region: provider.attributes.region.clone(),
			capabilities: provider.attributes.capabilities,
		};
		self.load_offerings().await?;
		let mut blocks = self.chain.blocks().await?;

		// Leases that ran while the daemon was away, and those the journal still holds.
		let mut resume: BTreeMap<u64, Option<LeaseState>> = BTreeMap::new();
		for (id, lease) in self.chain.my_leases().await? {
			resume.insert(id, Some(lease.state));
		}
		let journal = self.journal.snapshot();
		for id in journal.leases.keys() {
			resume.entry(*id).or_insert(None);
		}
		// What a crash left in the clusters for leases the journal no longer holds.
		let keep: Vec<String> = journal.leases.values().map(|e| e.job_name.clone()).collect();
		for backend in self.backends.all() {
			match backend.cleanup(&keep).await {
				Ok(removed) if !removed.is_empty() => {
					info!(backend = backend.name(), removed = ?removed, "removed what no lease holds")
				},
				Ok(_) => {},
				Err(e) => warn!(backend = backend.name(), error = %e, "cleanup at start failed"),
			}
		}
		info!(leases = resume.len(), "resuming leases");
		for (id, state) in resume {
			self.spawn_lease(id, state).await;
		}
		// Orders opened while the daemon was away.
		let open = self.chain.open_orders().await?;
		info!(orders = open.len(), "open orders at start");
		let best = self.chain.best().await?;
		for (id, _) in open {
			self.spawn_consider(id, best, Instant::now());
		}

		loop {
			let block = tokio::select! {
				() = self.cancel.cancelled() => return Ok(()),
				block = blocks.next() => block,
			};
			let block = match block {
				Some(Ok(block)) => block,
				Some(Err(e)) => return Err(e.into()),
				None => {
					return Err(
						ChainError::Dropped("the node ended the block subscription".into()).into()
					)
				},
			};
			let seen = Instant::now();
			self.reload_pricing(false).await;
			let events = match self.chain.events(block.hash).await {
				Ok(events) => events,
				Err(e) => {
					self.metrics.chain_errors.with_label_values(&["events"]).inc();
					warn!(block = block.number, error = %e, "cannot read the block's events");
					continue;
				},
			};
			for event in events {
				match event {
					ChainEvent::OrderCreated(id) => self.spawn_consider(id, block.number, seen),
					ChainEvent::Lease(id, state) => self.lease_changed(id, state).await,
					ChainEvent::Offering(id) => self.refresh_offering(id).await,
					ChainEvent::OrderCancelled(id) => {
						self.bid_specs.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
						debug!(order = id, "order cancelled")
					},
				}
			}
		}
	}

	async fn load_offerings(&self) -> Result<(), ChainError> {
		let count = self.chain.offering_count().await?;
		for id in 0..count {
			self.refresh_offering(id).await;
		}
		let ours = self.offerings.lock().await.len();
		info!(offerings = ours, "offerings of this provider");
		Ok(())
	}

	async fn refresh_offering(&self, id: u64) {
		match self.chain.offering(id).await {
			Ok(Some(o)) if &o.provider == self.chain.account() => {
				self.offerings.lock().await.insert(id, o);
			},
			Ok(_) => {
				self.offerings.lock().await.remove(&id);
			},
			Err(e) => warn!(offering = id, error = %e, "cannot read the offering"),
		}
	}

	fn spawn_consider(self: &Arc<Self>, id: u64, order_block: u32, seen: Instant) {
		let this = self.clone();
		self.tasks.spawn(async move {
			tokio::select! {
				() = this.cancel.cancelled() => {},
				() = this.consider(id, order_block, seen) => {},
			}
		});
	}

	/// Looks at order `id` and bids if the provider can serve it.
	async fn consider(&self, id: u64, order_block: u32, seen: Instant) {
		self.metrics.orders_seen.inc();
		let mut pauses = RETRY_PAUSES.iter();
		let decision = loop {
			match self.evaluate(id).await {
				Ok(d) => break d,
				Err(NoBid::Skip(why)) => {
					debug!(order = id, %why, "not for this provider");
					return;
				},
				Err(NoBid::Retry(why)) => match pauses.next() {
					Some(pause) => {
						debug!(order = id, %why, "cannot evaluate the order yet; looking again");
						tokio::time::sleep(*pause).await;
					},
					None => {
						self.metrics.orders_declined.with_label_values(&["error"]).inc();
						info!(order = id, reason = %why, "no bid");
						return;
					},
				},
				Err(NoBid::Decline(kind, why)) => {
					self.metrics.orders_declined.with_label_values(&[kind]).inc();
					info!(order = id, reason = %why, "no bid");
					return;
				},
			}
		};
		let best = match self.chain.best().await {
			Ok(b) => b,
			Err(e) => {
				self.metrics.chain_errors.with_label_values(&["best"]).inc();
				warn!(order = id, error = %e, "cannot read the best block; no bid");
				return;
			},
		};
		let expires = best.saturating_add(self.config.bidding.valid_blocks);
		let call = RuntimeCall::Market(MarketCall::bid {
			order: id,
			price: pricing::rate(&decision.price),
			expires,
		});
		match self.chain.send(call).await {
			Ok(block) => {
				if let Some(spec) = decision.spec.clone() {
					let mut specs = self.bid_specs.lock().unwrap_or_else(|p| p.into_inner());
					specs.retain(|_, (_, until)| *until >= block);
					specs.insert(id, (spec, expires));
				}
				self.metrics.bids.with_label_values(&["placed"]).inc();
				self.metrics.bid_latency.observe(seen.elapsed().as_secs_f64());
				self.metrics.bid_blocks.observe(f64::from(block.saturating_sub(order_block)));
				info!(
					order = id,
					per_hour = %virtengine_client::format_ve(decision.price.per_hour),
					block,
					blocks_after_order = block.saturating_sub(order_block),
					resources = ?decision.spec.as_ref().map(Workload::resources),
					"bid placed"
				);
			},
			Err(e) => {
				self.metrics.bids.with_label_values(&["failed"]).inc();
				warn!(order = id, error = %e, "bid failed");
			},
		}
	}

	async fn evaluate(&self, id: u64) -> Result<Decision, NoBid> {
		let chain_err = |what: &str, e: ChainError| {
			self.metrics.chain_errors.with_label_values(&["read"]).inc();
			NoBid::Retry(format!("cannot read {what}: {e}"))
		};
		let order = self
			.chain
			.order(id)
			.await
			.map_err(|e| chain_err("the order", e))?
			.ok_or_else(|| NoBid::Skip("gone".into()))?;
		if order.state != virtengine_client::market::OrderState::Open {
			return Err(NoBid::Skip("not open".into()));
		}
		if &order.customer == self.chain.account() {
			return Err(NoBid::Skip("our own order".into()));
		}
		if self.chain.has_bid(id).await.map_err(|e| chain_err("our bid", e))? {
			return Err(NoBid::Skip("already bid".into()));
		}
		let mut plan_rate = None;
		let (plan, spec, kind) = match &order.target {
			Target::Offering { id: offering, plan } => {
				let Some(o) = self.offerings.lock().await.get(offering).cloned() else {
					return Err(NoBid::Skip(format!("offering {offering} is another provider's")));
				};
				let wanted = &self.config.bidding.offerings;
				if !wanted.is_empty() && !wanted.contains(offering) {
					return Err(NoBid::Skip(format!("offering {offering} is not in [bidding]")));
				}
				let Some(plan) = o.plans.get(usize::from(*plan)) else {
					return Err(NoBid::Skip(format!("offering {offering} has no plan {plan}")));
				};
				plan_rate = Some(plan.rate.clone());
				let name = String::from_utf8_lossy(&plan.name).into_owned();
				let kind = self
					.config
					.backend_of_offering(*offering)
					.map_err(|why| NoBid::Decline("config", why))?;
				let spec = self.open_config(&order).map_err(|why| NoBid::Decline("config", why))?;
				crate::backend::same_kind(kind, &spec).map_err(|why| {
					NoBid::Decline("config", format!("offering {offering}: {why}"))
				})?;
				(Some(name), Some(spec), kind)
			},
			Target::Requirements { category, region, capabilities } => {
				if !self.config.bidding.requirements {
					return Err(NoBid::Skip("requirement orders are off in [bidding]".into()));
				}
				let (kind, flag) = match category {
					Category::Hpc => (Kind::Slurm, CAPABILITY_SLURM),
					Category::Compute | Category::Gpu => (Kind::Kubernetes, CAPABILITY_KUBERNETES),
					Category::Storage => {
						return Err(NoBid::Skip("category Storage: this daemon sells none".into()))
					},
				};
				if self.backends.get(kind).is_none() {
					return Err(NoBid::Skip(format!(
						"category {category:?} needs the {kind} backend, which is not configured"
					)));
				}
				let ours = self.attributes.lock().await.clone();
				if !region.is_empty() && *region != ours.region {
					return Err(NoBid::Decline(
						"requirements",
						format!(
							"region `{}` is not ours (`{}`)",
							String::from_utf8_lossy(region),
							String::from_utf8_lossy(&ours.region)
						),
					));
				}
				let missing = capabilities & !ours.capabilities;
				if missing != 0 {
					return Err(NoBid::Decline(
						"requirements",
						format!("capabilities {missing:#x} are not ours"),
					));
				}
				if ours.capabilities & flag == 0 {
					return Err(NoBid::Decline(
						"requirements",
						format!("the provider did not register the {kind} capability"),
					));
				}
				(None, None, kind)
			},
		};
		// Capacity: what the backend has, less what our leases on it hold.
		let backend = self.backends.get(kind).ok_or_else(|| {
			NoBid::Decline("config", format!("the {kind} backend is not configured"))
		})?;
		let capacity = self
			.capacity(kind)
			.await
			.map_err(|e| NoBid::Retry(format!("backend capacity: {e}")))?;
		let held = self.held(kind).await;
		let free = capacity.total.minus(&held);
		let want = match &spec {
			Some(spec) => {
				backend.admits(spec, &capacity).map_err(|why| {
					NoBid::Decline("cluster", format!("the cluster cannot run it: {why}"))
				})?;
				spec.resources()
			},
			// A requirement order's job is told only on acceptance: one CPU must be free.
			None => Resources { nodes: 1, cpus: 1, memory_mb: 1, ..Default::default() },
		};
		want.fits(&free).map_err(|short| {
			NoBid::Decline("capacity", format!("not enough free capacity: {short}"))
		})?;
		let request = pricing::Request {
			order: id,
			customer: account_text(&order.customer),
			target: if plan.is_some() { "offering" } else { "requirements" }.into(),
			plan,
			resources: spec.as_ref().map(Workload::resources),
			max_per_hour: virtengine_client::format_ve(order.max_price.per_hour),
			max_per_unit: order
				.max_price
				.per_unit
				.iter()
				.map(|(u, p)| (pricing::unit_name(u).to_string(), virtengine_client::format_ve(*p)))
				.collect(),
		};
		let strategy = self.pricing.lock().await.strategy().clone();
		let price = match strategy.quote(&request).await {
			Quote::Bid(price) => price,
			Quote::Decline(why) => return Err(NoBid::Decline("price", why)),
		};
		pricing::within(&price, &order.max_price).map_err(|why| NoBid::Decline("price", why))?;
		if let Some(rate) = plan_rate {
			// The chain holds a plan order's bid to the plan's rate as well.
			pricing::within(&price, &rate)
				.map_err(|why| NoBid::Decline("price", format!("the plan's rate: {why}")))?;
		}
		Ok(Decision { price, spec })
	}

	/// The backend's capacity, asked at most once per [`CAPACITY_TTL`]: concurrent callers wait
	/// for the one request in flight.
	async fn capacity(&self, kind: Kind) -> Result<Capacity, crate::backend::BackendError> {
		let mut cached = self.capacity.lock().await;
		if let Some((at, capacity)) = cached.get(&kind) {
			if at.elapsed() < CAPACITY_TTL {
				return Ok(capacity.clone());
			}
		}
		let backend = self.backends.get(kind).ok_or_else(|| {
			crate::backend::BackendError::Io(format!("the {kind} backend is not configured"))
		})?;
		let capacity = backend.capacity().await.inspect_err(|_| {
			self.metrics.backend_errors.with_label_values(&[backend.name(), "capacity"]).inc();
		})?;
		cached.insert(kind, (Instant::now(), capacity.clone()));
		Ok(capacity)
	}

	/// The order's configuration, opened with the provider's key and parsed.
	fn open_config(&self, order: &OrderOf) -> Result<Workload, String> {
		let sealed = order.config.as_ref().ok_or("the order has no configuration yet")?;
		let envelope = virtengine_envelope::Envelope::decode(&mut &sealed[..])
			.map_err(|e| format!("the configuration is not an envelope: {e}"))?;
		let plain = virtengine_envelope::open(&envelope, self.keys.encryption.as_bytes())
			.map_err(|e| format!("cannot open the configuration (sealed to another key?): {e}"))?;
		Workload::parse(&plain).map_err(|e| format!("configuration: {e}"))
	}

	/// What the leases in the journal hold on the backend of `kind` (until their job ended and
	/// was billed).
	async fn held(&self, kind: Kind) -> Resources {
		let mut held = Resources::default();
		for entry in self.journal.snapshot().leases.values() {
			if entry.final_billed || entry.refused.is_some() {
				continue;
			}
			if let Some(spec) = entry.spec.as_ref().filter(|s| s.kind() == kind) {
				let r = spec.resources();
				held.nodes += r.nodes;
				held.cpus += r.cpus;
				held.memory_mb += r.memory_mb;
				held.gpus += r.gpus;
				held.storage_mb += r.storage_mb;
			}
		}
		held
	}

	async fn lease_changed(self: &Arc<Self>, id: u64, state: LeaseState) {
		if let Some(tx) = self.leases.lock().await.get(&id) {
			let _ = tx.send(Some(state));
			return;
		}
		if state == LeaseState::Matched {
			match self.chain.lease(id).await {
				Ok(Some(lease)) if &lease.provider == self.chain.account() => {
					self.spawn_lease(id, Some(state)).await;
				},
				Ok(_) => {},
				Err(e) => warn!(lease = id, error = %e, "cannot read the lease"),
			}
		}
	}

	async fn spawn_lease(self: &Arc<Self>, id: u64, state: Option<LeaseState>) {
		let mut leases = self.leases.lock().await;
		if leases.contains_key(&id) {
			return;
		}
		let (tx, rx) = watch::channel(state);
		leases.insert(id, tx);
		drop(leases);
		let this = self.clone();
		self.tasks.spawn(async move {
			// A chain or backend failure before the watch loop (reading the lease or its order,
			// the cluster's capacity) starts the task again after a pause: the lease must not
			// time out for a passing failure. A journal failure stops it until the next start.
			let pause = Duration::from_secs(this.config.usage.poll_secs.max(1));
			loop {
				let gauge = Gauge { metrics: this.metrics.clone(), label: None };
				let task = LeaseTask { daemon: this.clone(), id, state: rx.clone(), gauge };
				let result = tokio::select! {
					() = this.cancel.cancelled() => break,
					result = task.run() => result,
				};
				match result {
					Ok(()) => break,
					Err(e @ LeaseError::Journal(_)) => {
						error!(lease = id, error = %e, "lease task stopped; it resumes at the next start");
						break;
					},
					Err(e) => {
						warn!(lease = id, error = %e, "lease task failed; starting it again");
						tokio::select! {
							() = this.cancel.cancelled() => break,
							() = tokio::time::sleep(pause) => {},
						}
					},
				}
			}
			this.leases.lock().await.remove(&id);
		});
	}
}

/// What a usage report did.
struct Reported {
	/// Accounting had what was asked (the final record, for a final report).
	done: bool,
	/// A usage record was submitted.
	sent: bool,
}

/// What the watch loop remembers between looks.
struct Watch {
	last_report: Instant,
	last_seen_block: u32,
	cancelled: bool,
	heartbeat_every: u32,
	/// The last try at giving the access details, while they are not on chain.
	access_tried: Option<Instant>,
}

/// How often the access details are tried again while they cannot be given (the customer has
/// no envelope key yet, or the chain refused them).
const ACCESS_RETRY: Duration = Duration::from_secs(60);

/// One lease, from provisioning to its end.
struct LeaseTask<C: Chain> {
	daemon: Arc<Daemon<C>>,
	id: u64,
	state: watch::Receiver<Option<LeaseState>>,
	gauge: Gauge,
}

/// The lease's place in the `leases{state}` gauge, left when the task ends.
struct Gauge {
	metrics: Arc<Metrics>,
	label: Option<&'static str>,
}

impl Gauge {
	fn set(&mut self, label: &'static str) {
		if self.label == Some(label) {
			return;
		}
		if let Some(old) = self.label.replace(label) {
			self.metrics.leases.with_label_values(&[old]).dec();
		}
		self.metrics.leases.with_label_values(&[label]).inc();
	}
}

impl Drop for Gauge {
	fn drop(&mut self) {
		if let Some(old) = self.label.take() {
			self.metrics.leases.with_label_values(&[old]).dec();
		}
	}
}

/// Why a lease task stopped early.
#[derive(Debug, thiserror::Error)]
enum LeaseError {
	#[error("chain: {0}")]
	Chain(#[from] ChainError),
	#[error("backend: {0}")]
	Backend(#[from] crate::backend::BackendError),
	#[error(transparent)]
	Journal(#[from] crate::journal::JournalError),
}

impl<C: Chain> LeaseTask<C> {
	fn d(&self) -> &Daemon<C> {
		&self.daemon
	}

	/// The backend of this lease, from its journal entry; an error names what is missing.
	fn backend(
		&self,
		entry: &crate::journal::LeaseEntry,
	) -> Result<Arc<dyn Backend>, crate::backend::BackendError> {
		self.d().backends.of_entry(entry).cloned().ok_or_else(|| {
			crate::backend::BackendError::Io(format!(
				"lease {}: its backend is not configured (job {:?}, kind {:?})",
				self.id,
				entry.job_id,
				entry.spec.as_ref().map(Workload::kind)
			))
		})
	}

	async fn run(mut self) -> Result<(), LeaseError> {
		let id = self.id;
		let d = self.daemon.clone();
		let lease = d.chain.lease(id).await?;
		let entry = d.journal.lease(id);
		let Some(lease) = lease else {
			// Settled and removed while the daemon was away.
			if let Some(entry) = entry {
				self.cancel_job(&entry).await;
				info!(lease = id, "lease gone from the chain; forgetting it");
				d.journal.update(|s| s.leases.remove(&id))?;
			}
			return Ok(());
		};
		if &lease.provider != d.chain.account() {
			return Ok(());
		}
		if entry.is_none() && lease.state != LeaseState::Matched {
			// A lease this daemon never provisioned (journal lost or another daemon's): it
			// cannot know what was billed, so it bills nothing; it only closes it.
			warn!(lease = id, state = ?lease.state, "lease not in the journal: not billing it (nothing is billed twice); closing it");
			if lease.state == LeaseState::Active {
				self.close().await?;
			}
			return Ok(());
		}
		// A new lease's journal entry (its job's name, its configuration) is written in one go
		// just before the submission (`provision`).
		self.settle_in_flight().await?;
		self.lifecycle(lease).await
	}

	/// A usage record written but perhaps not landed before a restart: found on chain, or sent
	/// again exactly as it was.
	async fn settle_in_flight(&self) -> Result<(), LeaseError> {
		let d = self.d();
		let Some(entry) = d.journal.lease(self.id) else { return Ok(()) };
		let Some(flight) = entry.in_flight.clone() else { return Ok(()) };
		match d.chain.last_usage_seq(self.id).await? {
			Some(last) if last >= flight.seq => {
				info!(
					lease = self.id,
					seq = flight.seq,
					"usage record found on chain after restart"
				);
				self.confirm(&flight)?;
			},
			Some(_) => {
				info!(
					lease = self.id,
					seq = flight.seq,
					"usage record not on chain; sending it again"
				);
				self.submit_usage(flight).await?;
			},
			None => {
				d.journal.update_lease(self.id, |e| e.in_flight = None)?;
			},
		}
		Ok(())
	}

	async fn lifecycle(&mut self, lease: LeaseOf) -> Result<(), LeaseError> {
		let id = self.id;
		let d = self.daemon.clone();
		// Provision.
		if matches!(lease.state, LeaseState::Matched) {
			self.gauge.set("provisioning");
			// An offering's order was opened and checked when bidding (its configuration cannot
			// change); a requirements order's configuration came with the acceptance.
			let bid_spec = d.bid_specs.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
			let spec = match bid_spec {
				Some((spec, _)) => spec,
				None => match d.chain.order(id).await? {
					None => return self.refuse("the order is gone".into()).await,
					Some(o) => match d.open_config(&o) {
						Ok(spec) => spec,
						Err(why) => return self.refuse(why).await,
					},
				},
			};
			let Some(backend) = d.backends.get(spec.kind()).cloned() else {
				return self
					.refuse(format!("this provider runs no {} workloads", spec.kind()))
					.await;
			};
			let capacity = d.capacity(spec.kind()).await?;
			if let Err(why) = backend.admits(&spec, &capacity) {
				return self.refuse(format!("the cluster cannot run it: {why}")).await;
			}
			// A backend that fails is tried again until the chain's provisioning timeout
			// closes the lease (the watch below then sees it closed).
			loop {
				match self.provision(&backend, &spec).await {
					Ok(()) => break,
					Err(LeaseError::Journal(e)) => return Err(LeaseError::Journal(e)),
					Err(e) => warn!(lease = id, error = %e, "cannot provision yet; retrying"),
				}
				tokio::time::sleep(Duration::from_secs(d.config.usage.poll_secs)).await;
				if !matches!(d.chain.lease(id).await, Ok(Some(l)) if l.state == LeaseState::Matched)
				{
					break;
				}
			}
			let job = d.journal.lease(id).and_then(|e| e.job_id);
			let ready = match &job {
				Some(job) => backend.ready(job).await.unwrap_or(false),
				None => false,
			};
			if job.is_some() && !ready {
				info!(lease = id, "waiting for the workload to be ready before starting the lease");
			}
			if ready && !d.journal.lease(id).is_some_and(|e| e.started) {
				match d.chain.send(RuntimeCall::Market(MarketCall::start_lease { id })).await {
					Ok(block) => info!(lease = id, block, "lease started"),
					Err(e) => {
						// Timed out or closed meanwhile: the loop below reads what happened.
						warn!(lease = id, error = %e, "start_lease failed");
					},
				}
				if matches!(d.chain.lease(id).await?.map(|l| l.state), Some(LeaseState::Active)) {
					d.journal.update_lease(id, |e| e.started = true)?;
				}
			}
		}
		self.watch().await
	}

	/// Submits the job unless the backend already has it (a restart just after submitting).
	async fn provision(
		&self,
		backend: &Arc<dyn Backend>,
		spec: &Workload,
	) -> Result<(), LeaseError> {
		let d = self.d();
		let entry = d.journal.lease(self.id).unwrap_or_default();
		if entry.job_id.is_some() {
			return Ok(());
		}
		// Only a submission that may have happened is looked for (slurmdbd's answer costs about
		// half a second, on the path from the customer's acceptance to the running job).
		let found = match entry.submit_started {
			true if !entry.job_name.is_empty() => backend.find(&entry.job_name).await?,
			_ => None,
		};
		let job = match found {
			Some(job) => {
				info!(
					lease = self.id,
					%job, "job found again after a restart; not submitting twice"
				);
				job
			},
			None => {
				// The job's name, its configuration (capacity held) and the mark that a
				// submission may have happened: one journal write, before the submission.
				let name = match entry.job_name.is_empty() {
					true => new_job_name(self.id),
					false => entry.job_name.clone(),
				};
				d.journal.update_lease(self.id, |e| {
					e.job_name = name.clone();
					e.spec = Some(spec.clone());
					e.submit_started = true;
				})?;
				let dir = backend.lease_dir(self.id).unwrap_or_default();
				let started = Instant::now();
				let job = backend.submit(&name, spec, &dir).await.inspect_err(|_| {
					d.metrics.backend_errors.with_label_values(&[backend.name(), "submit"]).inc();
				})?;
				info!(
					lease = self.id,
					%job,
					backend = backend.name(),
					took_ms = started.elapsed().as_millis() as u64,
					"job submitted"
				);
				crash_point(self.id);
				job
			},
		};
		d.journal.update_lease(self.id, |e| {
			e.job_id = Some(job);
			e.spec = Some(spec.clone());
		})?;
		Ok(())
	}

	/// Follows the job and the lease until both are over. Chain and backend failures are
	/// logged and retried at the next look; only the journal's are fatal.
	async fn watch(&mut self) -> Result<(), LeaseError> {
		let d = self.daemon.clone();
		let poll = Duration::from_secs(d.config.usage.poll_secs);
		let heartbeat_blocks = d.chain.heartbeat_timeout().await.unwrap_or(50).max(4);
		let mut w = Watch {
			last_report: Instant::now(),
			last_seen_block: d.chain.best().await.unwrap_or(0),
			cancelled: false,
			heartbeat_every: heartbeat_blocks / 3,
			access_tried: None,
		};
		loop {
			match self.step(&mut w).await {
				Ok(true) => return Ok(()),
				Ok(false) => {},
				Err(LeaseError::Journal(e)) => return Err(LeaseError::Journal(e)),
				Err(e) => {
					d.metrics.chain_errors.with_label_values(&["lease"]).inc();
					warn!(lease = self.id, error = %e, "lease step failed; retrying");
				},
			}
			let mut changed = self.state.clone();
			tokio::select! {
				() = tokio::time::sleep(poll) => {},
				_ = changed.changed() => {},
			}
		}
	}

	/// One look at the lease and its job; `Ok(true)` when the lease is over.
	async fn step(&mut self, w: &mut Watch) -> Result<bool, LeaseError> {
		let id = self.id;
		let d = self.daemon.clone();
		let lease = d.chain.lease(id).await?;
		let state = lease.as_ref().map(|l| l.state.clone());
		let entry = d.journal.lease(id).unwrap_or_default();
		let job = entry.job_id.clone();
		match state {
			None | Some(LeaseState::Closed(_)) => {
				// Over: stop the job if it still runs, forget the lease.
				if !w.cancelled {
					self.cancel_job(&entry).await;
				}
				info!(lease = id, "lease closed");
				d.journal.update(|s| s.leases.remove(&id))?;
				return Ok(true);
			},
			Some(LeaseState::Closing(reason)) => {
				self.gauge.set("closing");
				if !w.cancelled {
					info!(lease = id, ?reason, "lease closing; cancelling the job if it runs");
					self.cancel_job(&entry).await;
					w.cancelled = true;
				}
				// Final usage, once accounting holds the job's end.
				if let (false, Some(job)) = (entry.final_billed, &job) {
					self.report(job, true).await?;
				}
			},
			Some(LeaseState::Matched) => {
				// Not started yet: once the workload is ready (or start_lease failed): try again.
				if let Some(job) = &job {
					if self.backend(&entry)?.ready(job).await? {
						d.chain.send(RuntimeCall::Market(MarketCall::start_lease { id })).await?;
						d.journal.update_lease(id, |e| e.started = true)?;
						info!(lease = id, "workload ready; lease started");
					}
				}
			},
			Some(LeaseState::Active) => {
				self.gauge.set("running");
				let Some(job) = job else {
					// Active without a job of ours: the daemon submits the job before
					// start_lease, so this lease was provisioned by someone else.
					warn!(lease = id, "active lease without a job in the journal; closing it");
					self.close().await?;
					return Ok(false);
				};
				let backend = self.backend(&entry)?;
				let job_state = backend.state(&job).await.inspect_err(|_| {
					d.metrics.backend_errors.with_label_values(&[backend.name(), "state"]).inc();
				})?;
				match job_state {
					JobState::Ended { success, state } => {
						if entry.final_billed || self.report(&job, true).await?.done {
							info!(lease = id, %job, success, %state, "job ended; closing the lease");
							self.close().await?;
						}
					},
					JobState::Unknown => {
						warn!(
							lease = id,
							%job, "the backend no longer knows the job; closing the lease"
						);
						self.close().await?;
					},
					JobState::Queued | JobState::Running => {
						if !entry.access_given
							&& w.access_tried.is_none_or(|t| t.elapsed() >= ACCESS_RETRY)
						{
							w.access_tried = Some(Instant::now());
							self.give_access(&entry, &job).await?;
						}
						let now = d.chain.best().await?;
						if w.last_report.elapsed() >= d.config.usage_interval() {
							if self.report(&job, false).await?.sent {
								w.last_seen_block = now;
							}
							w.last_report = Instant::now();
						}
						if now.saturating_sub(w.last_seen_block) >= w.heartbeat_every {
							d.chain.send(RuntimeCall::Market(MarketCall::heartbeat { id })).await?;
							w.last_seen_block = now;
						}
					},
				}
			},
		}
		Ok(false)
	}

	/// Reports what accounting recorded and was not billed yet. With `fin`, waits for the
	/// job's final record and marks the lease's usage complete.
	async fn report(&self, job: &JobId, fin: bool) -> Result<Reported, LeaseError> {
		let d = self.d();
		let not_yet = Reported { done: false, sent: false };
		let backend = d.backends.of_job(job).cloned().ok_or_else(|| {
			crate::backend::BackendError::Io(format!("job {job}: its backend is not configured"))
		})?;
		let acc = match backend.accounting(job).await {
			Ok(Some(acc)) => acc,
			Ok(None) => return Ok(not_yet),
			Err(e) => {
				d.metrics.backend_errors.with_label_values(&[backend.name(), "accounting"]).inc();
				warn!(lease = self.id, %job, error = %e, "cannot read accounting");
				return Ok(not_yet);
			},
		};
		if fin && !acc.ended {
			debug!(lease = self.id, %job, "waiting for the job's final accounting record");
			return Ok(not_yet);
		}
		let Some(lease) = d.chain.lease(self.id).await? else { return Ok(not_yet) };
		let priced: Vec<Unit> = lease.price.per_unit.iter().map(|(u, _)| u.clone()).collect();
		let entry = d.journal.lease(self.id).unwrap_or_default();
		let quantities = usage::unbilled(&usage::cumulative(&acc), &entry.billed, &priced);
		let sent = !quantities.is_empty();
		if sent {
			let last = d.chain.last_usage_seq(self.id).await?.unwrap_or(0);
			let seq = entry.next_seq.max(last + 1).max(1);
			let flight = InFlight { seq, quantities };
			d.journal.update_lease(self.id, |e| e.in_flight = Some(flight.clone()))?;
			self.submit_usage(flight).await?;
		}
		if fin {
			d.journal.update_lease(self.id, |e| e.final_billed = true)?;
		}
		Ok(Reported { done: true, sent })
	}

	async fn submit_usage(&self, flight: InFlight) -> Result<(), LeaseError> {
		let d = self.d();
		let record = UsageRecord {
			lease: self.id,
			seq: flight.seq,
			quantities: flight
				.quantities
				.iter()
				.filter_map(|(name, n)| pricing::unit_of(name).map(|u| (u, *n)))
				.collect(),
		};
		let signature =
			virtengine_client::market::sign_usage(&d.keys.daemon, &d.chain.genesis(), &record);
		match d
			.chain
			.send(RuntimeCall::Escrow(EscrowCall::submit_usage { record, signature }))
			.await
		{
			Ok(block) => {
				info!(lease = self.id, seq = flight.seq, quantities = ?flight.quantities, block, "usage recorded");
				self.confirm(&flight)?;
				Ok(())
			},
			Err(e) => {
				// Still in flight: the next report or the next start finds out whether it landed.
				d.metrics.chain_errors.with_label_values(&["submit_usage"]).inc();
				if matches!(d.chain.last_usage_seq(self.id).await, Ok(Some(last)) if last >= flight.seq)
				{
					self.confirm(&flight)?;
					return Ok(());
				}
				warn!(lease = self.id, seq = flight.seq, error = %e, "usage record not recorded yet");
				Err(e.into())
			},
		}
	}

	fn confirm(&self, flight: &InFlight) -> Result<(), LeaseError> {
		let d = self.d();
		d.journal.update_lease(self.id, |e| {
			for (unit, n) in &flight.quantities {
				*e.billed.entry(unit.clone()).or_default() += n;
			}
			e.next_seq = flight.seq + 1;
			e.in_flight = None;
		})?;
		d.metrics.usage_records.inc();
		for (unit, n) in &flight.quantities {
			d.metrics.usage_billed.with_label_values(&[unit]).inc_by(*n);
		}
		Ok(())
	}

	/// Seals the lease's access details (the gateway's address, the job's name) to the
	/// customer's envelope key and puts them on chain. A customer without a key is told in the
	/// log; it can still be given the gateway's address by hand.
	async fn give_access(
		&self,
		entry: &crate::journal::LeaseEntry,
		job: &JobId,
	) -> Result<(), LeaseError> {
		let d = self.d();
		let Some(lease) = d.chain.lease(self.id).await? else { return Ok(()) };
		let Some(key) = d.chain.envelope_key(&lease.customer).await? else {
			info!(
				lease = self.id,
				customer = %account_text(&lease.customer),
				"the customer has no envelope key: access details not given (it can use the gateway's address directly)"
			);
			return Ok(());
		};
		// Exposed services' addresses (Kubernetes' node ports): known once their Services are.
		let endpoints = self.backend(entry)?.endpoints(job).await?;
		let details = virtengine_client::gateway::AccessDetails {
			lease: self.id,
			gateway: d.config.gateway.public_url.clone(),
			job: entry.job_name.clone(),
			endpoints,
		};
		let sealed = match details.seal(key, &d.keys.daemon, crate::gateway::now_ms()) {
			Ok(sealed) => sealed,
			Err(why) => {
				warn!(lease = self.id, %why, "cannot seal the access details");
				return Ok(());
			},
		};
		let call =
			RuntimeCall::Market(MarketCall::set_access_details { id: self.id, details: sealed });
		match d.chain.send(call).await {
			Ok(block) => {
				info!(lease = self.id, block, "access details given to the customer");
				d.journal.update_lease(self.id, |e| e.access_given = true)?;
			},
			Err(e) => {
				d.metrics.chain_errors.with_label_values(&["set_access_details"]).inc();
				warn!(lease = self.id, error = %e, "set_access_details failed; trying again later");
			},
		}
		Ok(())
	}

	async fn cancel_job(&self, entry: &crate::journal::LeaseEntry) {
		let d = self.d();
		let Ok(backend) = self.backend(entry) else {
			warn!(lease = self.id, "no backend for the lease's job: nothing to cancel");
			return;
		};
		let job = match &entry.job_id {
			Some(job) => Some(job.clone()),
			None if !entry.job_name.is_empty() => {
				backend.find(&entry.job_name).await.ok().flatten()
			},
			None => None,
		};
		if let Some(job) = job {
			match backend.state(&job).await {
				Ok(JobState::Ended { .. } | JobState::Unknown) if backend.kind() == Kind::Slurm => {
				},
				Ok(JobState::Unknown) => {},
				_ => match backend.cancel(&job).await {
					Ok(()) => info!(lease = self.id, %job, "job cancelled"),
					Err(e) => {
						d.metrics
							.backend_errors
							.with_label_values(&[backend.name(), "cancel"])
							.inc();
						warn!(lease = self.id, %job, error = %e, "cannot cancel the job");
					},
				},
			}
		}
	}

	async fn close(&self) -> Result<(), LeaseError> {
		let d = self.d();
		match d.chain.send(RuntimeCall::Market(MarketCall::close_lease { id: self.id })).await {
			Ok(block) => {
				info!(lease = self.id, block, "lease closing");
				d.journal.update_lease(self.id, |e| e.close_sent = true)?;
			},
			Err(e) => warn!(lease = self.id, error = %e, "close_lease failed"),
		}
		Ok(())
	}

	/// A lease whose job cannot run: closed at once (the customer is refunded).
	async fn refuse(&self, why: String) -> Result<(), LeaseError> {
		let d = self.d();
		warn!(lease = self.id, reason = %why, "cannot run the lease's job; closing the lease");
		d.journal.update_lease(self.id, |e| e.refused = Some(why))?;
		self.close().await?;
		Ok(())
	}
}
