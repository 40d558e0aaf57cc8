//! Kubernetes through its API server (`kube` 5 with `k8s-openapi` 0.29: Kubernetes 1.33 to
//! 1.37). A lease's container services run in a namespace of their own ([`objects`]), written by
//! server-side apply with one field manager, so applying again changes nothing that is already as
//! the lease says.
//!
//! - **Submission** applies the namespace (holding the workload in an annotation) and then every
//!   object in it; the lease's handle is the namespace's name (the daemon's job name).
//! - **The controller** ([`Kubernetes::controller`], kube-rs' `Controller`) watches this
//!   provider's namespaces and the Deployments in them and reconciles each namespace: every
//!   object applied again from the annotation, so an object deleted or changed by hand is put
//!   back. A failed reconcile is retried with exponential back-off (1 s doubling to 5 min), and
//!   every namespace is reconciled again every 5 minutes.
//! - **Ready** when every Deployment has all its replicas ready: only then is the lease started
//!   on chain (billing starts).
//! - **Usage** from the pods that actually ran: each pod's requests × the time it was seen
//!   running, integrated in a ledger file per namespace (`<state dir>/kubernetes/<ns>.json`,
//!   written atomically) at every look, so a pod that restarts or is rescheduled is billed for
//!   the time it held resources and a crash loses at most the time since the last look (never
//!   bills it twice).
//! - **Cancellation** deletes the namespace (Kubernetes removes everything in it) and waits until
//!   it is gone; then the ledger is final.
//! - **At start**, a namespace of this provider and chain whose lease the journal no longer holds
//!   (a crash between the lease's end and the deletion) is deleted ([`Backend::cleanup`]).

pub mod objects;

use std::{
	collections::{BTreeMap, HashMap},
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use futures::StreamExt;
use k8s_openapi::api::{
	apps::v1::Deployment,
	core::v1::{LimitRange, Namespace, Node, Pod, ResourceQuota, Service as KubeService},
	networking::v1::NetworkPolicy,
};
use kube::{
	api::{DeleteParams, ListParams, LogParams, Patch, PatchParams},
	runtime::{controller::Action, reflector::ObjectRef, watcher, Controller},
	Api, Client, Resource, ResourceExt,
};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use self::objects::{Objects, Scope, ANNOTATION_WORKLOAD, GPU, LABEL_SERVICE, MANAGER};
use super::{
	same_kind, Accounting, Backend, BackendError, BackendFuture, Capacity, Held, JobId, JobState,
};
use crate::{
	config,
	metrics::Metrics,
	services::ServicesSpec,
	workload::{Kind, Workload},
};

/// How long connecting to the API server may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// The longest pause between reconciles of a namespace whose reconcile failed.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How often every namespace is reconciled even when nothing changed.
const RESYNC: Duration = Duration::from_secs(300);

fn unreachable(why: impl ToString) -> BackendError {
	BackendError::Unreachable { backend: "kubernetes".into(), why: why.to_string() }
}

fn refused(what: &str, why: impl ToString) -> BackendError {
	BackendError::Refused { backend: "kubernetes".into(), what: what.into(), why: why.to_string() }
}

/// An API error as a backend error: the server's refusals (4xx) are `Refused`, the rest
/// `Unreachable`.
fn api_error(what: &str, e: kube::Error) -> BackendError {
	match e {
		kube::Error::Api(status) if status.code >= 400 && status.code < 500 => {
			refused(what, format!("{} ({})", status.message, status.reason))
		},
		other => unreachable(format!("{what}: {other}")),
	}
}

fn now_s() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The namespace of `id`, or why it is not one.
fn namespace_of(id: &JobId) -> Result<&str, BackendError> {
	match id {
		JobId::Kubernetes(ns) => Ok(ns),
		other => Err(refused("namespace", format!("`{other}` is not a Kubernetes lease"))),
	}
}

/// The lease number in a job name `virtengine-lease-<id>-<random>`.
fn lease_of(name: &str) -> Option<u64> {
	name.strip_prefix("virtengine-lease-")?.split('-').next()?.parse().ok()
}

/// One pod in the ledger: what it holds, when it started, when it was last seen running.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct PodRecord {
	cpu_millis: u64,
	memory_mb: u64,
	storage_mb: u64,
	gpus: u64,
	start_s: u64,
	seen_s: u64,
}

/// What one namespace's pods held, as far as the daemon has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Ledger {
	pods: BTreeMap<String, PodRecord>,
	/// The namespace is gone: nothing more will be added.
	ended: bool,
}

impl Ledger {
	fn held(&self) -> Held {
		let mut h = Held::default();
		for p in self.pods.values() {
			let s = p.seen_s.saturating_sub(p.start_s);
			h.cpu_millis_seconds = h.cpu_millis_seconds.saturating_add(p.cpu_millis * s);
			h.memory_mb_seconds = h.memory_mb_seconds.saturating_add(p.memory_mb * s);
			h.storage_mb_seconds = h.storage_mb_seconds.saturating_add(p.storage_mb * s);
			h.gpu_seconds = h.gpu_seconds.saturating_add(p.gpus * s);
		}
		h
	}
}

/// The controller's state: failures per namespace, for the back-off.
struct Context {
	backend: Arc<Kubernetes>,
	failures: Mutex<HashMap<String, u32>>,
	metrics: Arc<Metrics>,
}

/// Why a reconcile failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReconcileError(String);

/// The Kubernetes backend.
pub struct Kubernetes {
	client: Client,
	config: config::Kubernetes,
	scope: Scope,
	ledgers: PathBuf,
	/// Serializes ledger updates (the lease task and the gateway may look at once).
	ledger_lock: tokio::sync::Mutex<()>,
}

impl Kubernetes {
	/// Connects with the configured kubeconfig (or the in-cluster service account). `scope`:
	/// whose namespaces these are; `state_dir`: the daemon's state directory (ledgers go to its
	/// `kubernetes/`).
	pub async fn new(
		config: &config::Kubernetes,
		scope: Scope,
		state_dir: &Path,
	) -> Result<Kubernetes, BackendError> {
		let mut kube_config = match &config.kubeconfig {
			Some(path) => {
				crate::keys::read_secret(path).map_err(|e| unreachable(e.to_string()))?;
				let file = kube::config::Kubeconfig::read_from(path)
					.map_err(|e| unreachable(format!("{}: {e}", path.display())))?;
				let options = kube::config::KubeConfigOptions {
					context: config.context.clone(),
					..Default::default()
				};
				kube::Config::from_custom_kubeconfig(file, &options)
					.await
					.map_err(|e| unreachable(format!("{}: {e}", path.display())))?
			},
			None => kube::Config::infer()
				.await
				.map_err(|e| unreachable(format!("no kubeconfig and not in a cluster: {e}")))?,
		};
		// The read timeout stays kube's (295 s): a watch on a quiet cluster reads nothing for
		// minutes, and a shorter one would break it every time.
		kube_config.connect_timeout = Some(TIMEOUT);
		let client = Client::try_from(kube_config).map_err(|e| unreachable(e.to_string()))?;
		let ledgers = state_dir.join("kubernetes");
		std::fs::create_dir_all(&ledgers)
			.map_err(|e| BackendError::Io(format!("{}: {e}", ledgers.display())))?;
		Ok(Kubernetes {
			client,
			config: config.clone(),
			scope,
			ledgers,
			ledger_lock: tokio::sync::Mutex::new(()),
		})
	}

	/// The labels that make a namespace this provider's on this chain.
	pub fn scope(&self) -> &Scope {
		&self.scope
	}

	fn namespaces(&self) -> Api<Namespace> {
		Api::all(self.client.clone())
	}

	fn apply_params() -> PatchParams {
		PatchParams::apply(MANAGER).force()
	}

	/// Applies one object (server-side apply, forced: this manager owns what it writes).
	async fn apply<K>(&self, api: &Api<K>, object: &K) -> Result<(), BackendError>
	where
		K: Resource + Clone + Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
		K::DynamicType: Default,
	{
		let name = object.meta().name.clone().unwrap_or_default();
		api.patch(&name, &Self::apply_params(), &Patch::Apply(object))
			.await
			.map_err(|e| api_error(&format!("apply {} {name}", K::kind(&Default::default())), e))
			.map(|_| ())
	}

	/// Applies everything in `objects` but the namespace.
	async fn apply_children(&self, ns: &str, objects: &Objects) -> Result<(), BackendError> {
		let policies: Api<NetworkPolicy> = Api::namespaced(self.client.clone(), ns);
		for p in &objects.network_policies {
			self.apply(&policies, p).await?;
		}
		let quotas: Api<ResourceQuota> = Api::namespaced(self.client.clone(), ns);
		self.apply(&quotas, &objects.quota).await?;
		let limits: Api<LimitRange> = Api::namespaced(self.client.clone(), ns);
		self.apply(&limits, &objects.limit_range).await?;
		let deployments: Api<Deployment> = Api::namespaced(self.client.clone(), ns);
		for d in &objects.deployments {
			self.apply(&deployments, d).await?;
		}
		let services: Api<KubeService> = Api::namespaced(self.client.clone(), ns);
		for s in &objects.services {
			self.apply(&services, s).await?;
		}
		Ok(())
	}

	/// The objects a namespace should hold, from its annotation.
	fn desired(&self, ns: &Namespace) -> Result<Objects, String> {
		let name = ns.name_any();
		let lease =
			lease_of(&name).ok_or_else(|| format!("`{name}` is not a lease's namespace"))?;
		let text = ns
			.annotations()
			.get(ANNOTATION_WORKLOAD)
			.ok_or_else(|| format!("{name} has no {ANNOTATION_WORKLOAD} annotation"))?;
		let spec = ServicesSpec::parse(text.as_bytes())
			.map_err(|e| format!("{name}: its workload annotation: {e}"))?;
		Ok(objects::objects(&self.scope, lease, &name, &spec))
	}

	/// Puts one namespace's objects back as its workload says.
	pub async fn reconcile(&self, ns: &Namespace) -> Result<(), BackendError> {
		if ns.metadata.deletion_timestamp.is_some() {
			return Ok(());
		}
		let objects = self.desired(ns).map_err(|why| refused("reconcile", why))?;
		self.apply_children(&ns.name_any(), &objects).await
	}

	/// The reconcile loop: until `cancel`, keeps every namespace of this provider as its lease
	/// says, counting reconciles in `metrics`. Spawn it once.
	pub async fn controller(self: Arc<Self>, cancel: CancellationToken, metrics: Arc<Metrics>) {
		let selector = self.scope.selector();
		let config = watcher::Config::default().labels(&selector);
		let deployments: Api<Deployment> = Api::all(self.client.clone());
		let context = Arc::new(Context {
			backend: self.clone(),
			failures: Mutex::new(HashMap::new()),
			metrics,
		});
		let stop = cancel.clone();
		Controller::new(self.namespaces(), config.clone())
			.watches(deployments, config, |d: Deployment| {
				d.namespace().map(|ns| ObjectRef::<Namespace>::new(&ns))
			})
			.graceful_shutdown_on(async move { stop.cancelled().await })
			.run(reconcile, error_policy, context)
			.for_each(|result| async move {
				match result {
					Ok((object, _)) => debug!(namespace = %object.name, "reconciled"),
					Err(e) => debug!(error = %e, "controller"),
				}
			})
			.await;
		info!("kubernetes controller stopped");
	}

	/// Reads and updates a namespace's ledger from its pods; the ledger.
	async fn observe(&self, ns: &str) -> Result<Ledger, BackendError> {
		let _guard = self.ledger_lock.lock().await;
		let path = self.ledgers.join(format!("{ns}.json"));
		let mut ledger: Ledger = match std::fs::read(&path) {
			Ok(bytes) => serde_json::from_slice(&bytes)
				.map_err(|e| BackendError::Io(format!("{}: {e}", path.display())))?,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ledger::default(),
			Err(e) => return Err(BackendError::Io(format!("{}: {e}", path.display()))),
		};
		if ledger.ended {
			return Ok(ledger);
		}
		let exists = self.namespaces().get_opt(ns).await.map_err(|e| api_error("namespace", e))?;
		let now = now_s();
		if exists.is_none() {
			ledger.ended = true;
		} else {
			let pods: Api<Pod> = Api::namespaced(self.client.clone(), ns);
			let list = pods.list(&ListParams::default()).await.map_err(|e| api_error("pods", e))?;
			for pod in &list.items {
				let Some(status) = &pod.status else { continue };
				if status.phase.as_deref() != Some("Running") {
					continue;
				}
				let Some(start) = status.start_time.as_ref() else { continue };
				let start_s = u64::try_from(start.0.as_second()).unwrap_or(0);
				let record = ledger.pods.entry(pod.name_any()).or_insert_with(|| {
					let mut r = PodRecord { start_s, seen_s: start_s, ..Default::default() };
					for c in pod.spec.iter().flat_map(|s| &s.containers) {
						let requests = c.resources.as_ref().and_then(|r| r.requests.as_ref());
						let get = |k: &str| requests.and_then(|m| m.get(k));
						r.cpu_millis += get("cpu").and_then(objects::cpu_millis).unwrap_or(0);
						r.memory_mb += get("memory").and_then(objects::mebibytes).unwrap_or(0);
						r.storage_mb +=
							get("ephemeral-storage").and_then(objects::mebibytes).unwrap_or(0);
						r.gpus += get(GPU).and_then(objects::count).unwrap_or(0);
					}
					r
				});
				record.seen_s = record.seen_s.max(now);
			}
		}
		write_atomically(&path, &serde_json::to_vec(&ledger).unwrap_or_default())?;
		Ok(ledger)
	}

	async fn deployments_ready(&self, ns: &str) -> Result<(bool, usize), BackendError> {
		let api: Api<Deployment> = Api::namespaced(self.client.clone(), ns);
		let list =
			api.list(&ListParams::default()).await.map_err(|e| api_error("deployments", e))?;
		let ready = !list.items.is_empty()
			&& list.items.iter().all(|d| {
				let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
				let status = d.status.as_ref();
				let generation = d.metadata.generation.unwrap_or(0);
				status.and_then(|s| s.observed_generation).unwrap_or(0) >= generation
					&& status.and_then(|s| s.ready_replicas).unwrap_or(0) >= want
			});
		Ok((ready, list.items.len()))
	}

	async fn do_capacity(&self) -> Result<Capacity, BackendError> {
		let nodes: Api<Node> = Api::all(self.client.clone());
		let list = nodes.list(&ListParams::default()).await.map_err(|e| api_error("nodes", e))?;
		let mut cap = Capacity::default();
		for node in &list.items {
			if node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) {
				continue;
			}
			let status = node.status.as_ref();
			let ready = status
				.and_then(|s| s.conditions.as_ref())
				.is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
			if !ready {
				continue;
			}
			let Some(alloc) = status.and_then(|s| s.allocatable.as_ref()) else { continue };
			let millis = alloc.get("cpu").and_then(objects::cpu_millis).unwrap_or(0);
			let memory = alloc.get("memory").and_then(objects::mebibytes).unwrap_or(0);
			let storage = alloc.get("ephemeral-storage").and_then(objects::mebibytes).unwrap_or(0);
			let gpus = alloc.get(GPU).and_then(objects::count).unwrap_or(0);
			cap.total.nodes += 1;
			cap.total.cpus += millis / 1000;
			cap.total.memory_mb += memory;
			cap.total.storage_mb += storage;
			cap.total.gpus += gpus;
			cap.max_cpus_per_node = cap.max_cpus_per_node.max((millis / 1000) as u32);
			cap.max_memory_mb_per_node = cap.max_memory_mb_per_node.max(memory);
			cap.max_gpus_per_node = cap.max_gpus_per_node.max(gpus);
		}
		let c = &self.config;
		cap.total.cpus = cap.total.cpus.min(c.max_cpus.unwrap_or(u64::MAX));
		cap.total.memory_mb = cap.total.memory_mb.min(c.max_memory_mb.unwrap_or(u64::MAX));
		cap.total.storage_mb = cap.total.storage_mb.min(c.max_storage_mb.unwrap_or(u64::MAX));
		cap.total.gpus = cap.total.gpus.min(c.max_gpus.unwrap_or(u64::MAX));
		Ok(cap)
	}

	async fn do_submit(&self, name: &str, spec: &ServicesSpec) -> Result<JobId, BackendError> {
		let lease =
			lease_of(name).ok_or_else(|| refused("submit", format!("`{name}`: no lease")))?;
		if let Some(ns) = self.namespaces().get_opt(name).await.map_err(|e| api_error("get", e))? {
			if ns.metadata.deletion_timestamp.is_some() {
				return Err(refused("submit", format!("namespace {name} is being deleted")));
			}
		}
		let objects = objects::objects(&self.scope, lease, name, spec);
		self.apply(&self.namespaces(), &objects.namespace).await?;
		self.apply_children(name, &objects).await?;
		Ok(JobId::Kubernetes(name.to_string()))
	}

	async fn do_state(&self, ns: &str) -> Result<JobState, BackendError> {
		let Some(namespace) =
			self.namespaces().get_opt(ns).await.map_err(|e| api_error("namespace", e))?
		else {
			return Ok(JobState::Unknown);
		};
		if namespace.metadata.deletion_timestamp.is_some() {
			return Ok(JobState::Ended { success: false, state: "TERMINATING".into() });
		}
		// Every look brings the ledger up to date.
		self.observe(ns).await?;
		Ok(match self.deployments_ready(ns).await?.0 {
			true => JobState::Running,
			false => JobState::Queued,
		})
	}

	async fn do_cancel(&self, ns: &str) -> Result<(), BackendError> {
		let api = self.namespaces();
		if api.get_opt(ns).await.map_err(|e| api_error("namespace", e))?.is_none() {
			self.observe(ns).await?;
			return Ok(());
		}
		// The last look at what its pods held, then the deletion.
		self.observe(ns).await?;
		match api.delete(ns, &DeleteParams::foreground()).await {
			Ok(_) => {},
			Err(kube::Error::Api(s)) if s.code == 404 => {},
			Err(e) => return Err(api_error("delete namespace", e)),
		}
		let started = Instant::now();
		let mut told = Instant::now();
		let limit = Duration::from_secs(self.config.delete_timeout_secs);
		loop {
			if api.get_opt(ns).await.map_err(|e| api_error("namespace", e))?.is_none() {
				info!(
					namespace = ns,
					took_ms = started.elapsed().as_millis() as u64,
					"namespace deleted"
				);
				break;
			}
			if started.elapsed() > limit {
				return Err(unreachable(format!(
					"namespace {ns} still terminating after {} s",
					limit.as_secs()
				)));
			}
			if told.elapsed() >= Duration::from_secs(10) {
				info!(
					namespace = ns,
					waited_s = started.elapsed().as_secs(),
					"waiting for the namespace to be deleted"
				);
				told = Instant::now();
			}
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
		self.observe(ns).await?;
		Ok(())
	}

	async fn do_accounting(&self, ns: &str) -> Result<Option<Accounting>, BackendError> {
		let ledger = self.observe(ns).await?;
		if ledger.pods.is_empty() && !ledger.ended {
			return Ok(None);
		}
		let first = ledger.pods.values().map(|p| p.start_s).min().unwrap_or(0);
		let last = ledger.pods.values().map(|p| p.seen_s).max().unwrap_or(0);
		let running = |p: &&PodRecord| p.seen_s == last;
		let mut acc = Accounting {
			elapsed_s: last.saturating_sub(first),
			ended: ledger.ended,
			held: Some(ledger.held()),
			..Default::default()
		};
		for p in ledger.pods.values().filter(running) {
			acc.cpus += p.cpu_millis.div_ceil(1000);
			acc.memory_mb += p.memory_mb;
			acc.gpus += p.gpus;
		}
		Ok(Some(acc))
	}

	async fn do_details(&self, ns: &str) -> Result<serde_json::Value, BackendError> {
		let pods: Api<Pod> = Api::namespaced(self.client.clone(), ns);
		let list = pods.list(&ListParams::default()).await.map_err(|e| api_error("pods", e))?;
		let pods: Vec<serde_json::Value> = list
			.items
			.iter()
			.map(|p| {
				let status = p.status.as_ref();
				let containers =
					status.and_then(|s| s.container_statuses.clone()).unwrap_or_default();
				let waiting = containers
					.iter()
					.find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
				let unscheduled = status
					.and_then(|s| s.conditions.as_ref())
					.and_then(|c| {
						c.iter().find(|c| c.type_ == "PodScheduled" && c.status == "False")
					})
					.and_then(|c| c.message.clone());
				serde_json::json!({
					"name": p.name_any(),
					"service": p.labels().get(LABEL_SERVICE),
					"phase": status.and_then(|s| s.phase.clone()),
					"ready": !containers.is_empty() && containers.iter().all(|c| c.ready),
					"restarts": containers.iter().map(|c| c.restart_count).sum::<i32>(),
					"waiting": waiting.or(unscheduled),
				})
			})
			.collect();
		Ok(serde_json::json!({ "namespace": ns, "pods": pods }))
	}

	async fn do_endpoints(&self, ns: &str) -> Result<Vec<String>, BackendError> {
		let api: Api<KubeService> = Api::namespaced(self.client.clone(), ns);
		let list = api.list(&ListParams::default()).await.map_err(|e| api_error("services", e))?;
		let mut out = Vec::new();
		for s in &list.items {
			let Some(spec) = &s.spec else { continue };
			if spec.type_.as_deref() != Some("NodePort") {
				continue;
			}
			let service = s.labels().get(LABEL_SERVICE).cloned().unwrap_or_else(|| s.name_any());
			for p in spec.ports.iter().flatten() {
				if let Some(node_port) = p.node_port {
					out.push(format!(
						"{service} {}/{}: {}:{node_port}",
						p.port,
						p.protocol.as_deref().unwrap_or("TCP"),
						self.config.public_host
					));
				}
			}
		}
		out.sort();
		Ok(out)
	}

	async fn do_logs(&self, ns: &str, pod: &str, tail: u32) -> Result<Vec<u8>, BackendError> {
		let pods: Api<Pod> = Api::namespaced(self.client.clone(), ns);
		let params = LogParams { tail_lines: Some(i64::from(tail)), ..Default::default() };
		pods.logs(pod, &params).await.map(String::into_bytes).map_err(|e| api_error("logs", e))
	}

	async fn do_cleanup(&self, keep: &[String]) -> Result<Vec<String>, BackendError> {
		let api = self.namespaces();
		let list = api
			.list(&ListParams::default().labels(&self.scope.selector()))
			.await
			.map_err(|e| api_error("namespaces", e))?;
		let mut removed = Vec::new();
		for ns in &list.items {
			let name = ns.name_any();
			if keep.contains(&name) || ns.metadata.deletion_timestamp.is_some() {
				continue;
			}
			warn!(namespace = %name, "namespace of a lease this daemon no longer tracks: deleting it");
			// Its pods' last figures go to its ledger first (nobody bills them: the lease is
			// over), then it goes.
			self.do_cancel(&name).await?;
			removed.push(name);
		}
		Ok(removed)
	}
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BackendError> {
	use std::io::Write;
	let io = |e: std::io::Error| BackendError::Io(format!("{}: {e}", path.display()));
	let tmp = path.with_extension("json.tmp");
	let mut file = std::fs::File::create(&tmp).map_err(io)?;
	file.write_all(bytes).map_err(io)?;
	file.sync_all().map_err(io)?;
	std::fs::rename(&tmp, path).map_err(io)?;
	Ok(())
}

async fn reconcile(ns: Arc<Namespace>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
	ctx.backend.reconcile(&ns).await.map_err(|e| ReconcileError(e.to_string()))?;
	ctx.metrics.reconciles.with_label_values(&["ok"]).inc();
	ctx.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(&ns.name_any());
	Ok(Action::requeue(RESYNC))
}

fn error_policy(ns: Arc<Namespace>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
	let name = ns.name_any();
	ctx.metrics.reconciles.with_label_values(&["failed"]).inc();
	let mut failures = ctx.failures.lock().unwrap_or_else(|p| p.into_inner());
	let n = failures.entry(name.clone()).or_default();
	*n = n.saturating_add(1);
	let pause = Duration::from_secs(1u64 << (*n - 1).min(9)).min(MAX_BACKOFF);
	warn!(namespace = %name, %error, failures = *n, retry_in_s = pause.as_secs(), "reconcile failed");
	Action::requeue(pause)
}

impl Backend for Kubernetes {
	fn kind(&self) -> Kind {
		Kind::Kubernetes
	}

	fn check(&self) -> BackendFuture<'_, String> {
		Box::pin(async move {
			let version =
				self.client.apiserver_version().await.map_err(|e| api_error("version", e))?;
			let cap = self.do_capacity().await?;
			// What the daemon does with namespaces needs listing them: RBAC is checked here.
			self.namespaces()
				.list(&ListParams::default().labels(&self.scope.selector()).limit(1))
				.await
				.map_err(|e| api_error("list namespaces", e))?;
			Ok(format!(
				"Kubernetes {}.{} ({}): {} ready nodes",
				version.major, version.minor, version.git_version, cap.total.nodes
			))
		})
	}

	fn capacity(&self) -> BackendFuture<'_, Capacity> {
		Box::pin(self.do_capacity())
	}

	fn admits(&self, spec: &Workload, capacity: &Capacity) -> Result<(), String> {
		same_kind(Kind::Kubernetes, spec)?;
		let Workload::Services(services) = spec else { return Err("not services".into()) };
		for s in &services.services {
			let r = &s.resources;
			if u64::from(r.cpu_millis) > u64::from(capacity.max_cpus_per_node) * 1000 {
				return Err(format!(
					"service `{}`: {} millicores per replica; a node has at most {} cores",
					s.name, r.cpu_millis, capacity.max_cpus_per_node
				));
			}
			if r.memory_mb > capacity.max_memory_mb_per_node {
				return Err(format!(
					"service `{}`: {} MiB per replica; a node has at most {}",
					s.name, r.memory_mb, capacity.max_memory_mb_per_node
				));
			}
			if u64::from(r.gpus) > capacity.max_gpus_per_node {
				return Err(format!(
					"service `{}`: {} GPUs per replica; a node has at most {}",
					s.name, r.gpus, capacity.max_gpus_per_node
				));
			}
		}
		spec.resources()
			.fits(&capacity.total)
			.map_err(|short| format!("larger than the cluster: {short}"))
	}

	fn submit<'a>(
		&'a self,
		name: &'a str,
		spec: &'a Workload,
		_dir: &'a Path,
	) -> BackendFuture<'a, JobId> {
		Box::pin(async move {
			let Workload::Services(spec) = spec else {
				return Err(refused("submit", "Kubernetes runs container-services"));
			};
			self.do_submit(name, spec).await
		})
	}

	fn find<'a>(&'a self, name: &'a str) -> BackendFuture<'a, Option<JobId>> {
		Box::pin(async move {
			let found = self.namespaces().get_opt(name).await.map_err(|e| api_error("get", e))?;
			Ok(found.map(|_| JobId::Kubernetes(name.to_string())))
		})
	}

	fn state<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, JobState> {
		Box::pin(async move { self.do_state(namespace_of(id)?).await })
	}

	fn ready<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, bool> {
		Box::pin(async move { Ok(self.do_state(namespace_of(id)?).await? == JobState::Running) })
	}

	fn cancel<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, ()> {
		Box::pin(async move { self.do_cancel(namespace_of(id)?).await })
	}

	fn accounting<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, Option<Accounting>> {
		Box::pin(async move { self.do_accounting(namespace_of(id)?).await })
	}

	fn lease_dir(&self, _lease: u64) -> Option<PathBuf> {
		None
	}

	fn details<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, serde_json::Value> {
		Box::pin(async move { self.do_details(namespace_of(id)?).await })
	}

	fn endpoints<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, Vec<String>> {
		Box::pin(async move { self.do_endpoints(namespace_of(id)?).await })
	}

	fn logs<'a>(&'a self, id: &'a JobId, unit: &'a str, tail: u32) -> BackendFuture<'a, Vec<u8>> {
		Box::pin(async move { self.do_logs(namespace_of(id)?, unit, tail).await })
	}

	fn cleanup<'a>(&'a self, keep: &'a [String]) -> BackendFuture<'a, Vec<String>> {
		Box::pin(self.do_cleanup(keep))
	}
}
