//! Cluster backends: what the daemon needs from a workload manager, behind one trait. SLURM
//! (`slurm`, through slurmrestd) runs batch jobs; Kubernetes (`kubernetes`, through its API
//! server) runs container services. The daemon picks one per offering (`[bidding] backends`).

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::{
	job::Resources,
	workload::{Kind, Workload},
};

pub mod kubernetes;
pub mod slurm;

/// A job's handle in its backend: SLURM's job number, or the Kubernetes namespace a lease's
/// services run in. Stored in the journal untagged, so a journal written before Kubernetes
/// existed (numbers) reads as SLURM's.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum JobId {
	/// A SLURM job number.
	Slurm(u64),
	/// A Kubernetes namespace.
	Kubernetes(String),
}

impl std::fmt::Display for JobId {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			JobId::Slurm(n) => write!(f, "{n}"),
			JobId::Kubernetes(ns) => f.write_str(ns),
		}
	}
}

/// What a backend's calls return: boxed, so the daemon holds its backends as trait objects
/// (one per workload kind) and picks one per lease.
pub type BackendFuture<'a, T> = BoxFuture<'a, Result<T, BackendError>>;

/// A backend's failure.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
	/// The backend could not be reached or answered with a transport error.
	#[error("{backend} unreachable: {why}")]
	Unreachable {
		/// The backend.
		backend: String,
		/// Why.
		why: String,
	},
	/// The backend refused a request (its own words).
	#[error("{backend} refused {what}: {why}")]
	Refused {
		/// The backend.
		backend: String,
		/// The request.
		what: String,
		/// Its reason.
		why: String,
	},
	/// The backend answered something this daemon does not understand.
	#[error("{backend}: unexpected answer to {what}: {why}")]
	Protocol {
		/// The backend.
		backend: String,
		/// The request.
		what: String,
		/// What was wrong.
		why: String,
	},
	/// A local file operation failed.
	#[error("{0}")]
	Io(String),
}

/// A job's state, as the daemon acts on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
	/// Accepted, waiting for resources.
	Queued,
	/// Running.
	Running,
	/// Ended. `success`: exit code 0 and state COMPLETED; `state` is the backend's word.
	Ended {
		/// Whether it succeeded.
		success: bool,
		/// The backend's final state (COMPLETED, FAILED, CANCELLED, TIMEOUT, ...).
		state: String,
	},
	/// The backend no longer knows the job (purged from its memory and accounting).
	Unknown,
}

/// What accounting recorded for a job so far (cumulative).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
	/// Seconds the job has run (0 while queued).
	pub elapsed_s: u64,
	/// CPUs allocated.
	pub cpus: u64,
	/// Memory allocated, MiB (all nodes).
	pub memory_mb: u64,
	/// GPUs allocated.
	pub gpus: u64,
	/// CPU time consumed by its steps, seconds.
	pub cpu_time_s: u64,
	/// Whether accounting holds the job's final record.
	pub ended: bool,
	/// What was held, integrated over time, where the backend measures it so (Kubernetes:
	/// pods come and go, each with its own resources); `None`: `cpus`, `memory_mb` and `gpus`
	/// were held for `elapsed_s` (SLURM).
	#[serde(default)]
	pub held: Option<Held>,
}

/// Resources held, integrated over time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
	/// Thousandths of a CPU core × seconds.
	pub cpu_millis_seconds: u64,
	/// MiB × seconds.
	pub memory_mb_seconds: u64,
	/// MiB of ephemeral storage × seconds.
	pub storage_mb_seconds: u64,
	/// GPUs × seconds.
	pub gpu_seconds: u64,
}

/// A workload manager.
pub trait Backend: Send + Sync + 'static {
	/// The workload kind it runs.
	fn kind(&self) -> Kind;

	/// Its name in logs and metrics (`slurm`, `kubernetes`).
	fn name(&self) -> &'static str {
		self.kind().name()
	}

	/// Answers at all (and its accounting too), for `virtengine-provider check`.
	fn check(&self) -> BackendFuture<'_, String>;

	/// What the cluster has in all and the most one job may take, capped by the configuration.
	fn capacity(&self) -> BackendFuture<'_, Capacity>;

	/// Whether the cluster could ever run `spec` (its kind, partition, limits), before bidding.
	fn admits(&self, spec: &Workload, capacity: &Capacity) -> Result<(), String>;

	/// Submits `spec` as `name` (unique per lease), its files in `dir`.
	fn submit<'a>(
		&'a self,
		name: &'a str,
		spec: &'a Workload,
		dir: &'a Path,
	) -> BackendFuture<'a, JobId>;

	/// The job named `name`, if the backend has one (queued, running or in accounting): how a
	/// job submitted just before a crash is found again instead of submitted twice.
	fn find<'a>(&'a self, name: &'a str) -> BackendFuture<'a, Option<JobId>>;

	/// A job's state.
	fn state<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, JobState>;

	/// Whether the lease may be started on chain (its billing starts): SLURM's as soon as the
	/// job is accepted, Kubernetes' once every replica is ready.
	fn ready<'a>(&'a self, _id: &'a JobId) -> BackendFuture<'a, bool> {
		Box::pin(async { Ok(true) })
	}

	/// Cancels a job (nothing if it already ended). Kubernetes also waits until the lease's
	/// namespace is gone.
	fn cancel<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, ()>;

	/// What accounting recorded for a job; `None` before accounting knows it.
	fn accounting<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, Option<Accounting>>;

	/// The directory a lease's job writes its files to (served to the customer), if any.
	fn lease_dir(&self, lease: u64) -> Option<PathBuf>;

	/// More of a job's state for its customer (Kubernetes: its pods), JSON.
	fn details<'a>(&'a self, _id: &'a JobId) -> BackendFuture<'a, serde_json::Value> {
		Box::pin(async { Ok(serde_json::Value::Null) })
	}

	/// Where the customer reaches the job's exposed services (`host:port/protocol`).
	fn endpoints<'a>(&'a self, _id: &'a JobId) -> BackendFuture<'a, Vec<String>> {
		Box::pin(async { Ok(Vec::new()) })
	}

	/// The last `tail` lines of one of the job's units' log (Kubernetes: a pod's).
	fn logs<'a>(
		&'a self,
		_id: &'a JobId,
		_unit: &'a str,
		_tail: u32,
	) -> BackendFuture<'a, Vec<u8>> {
		Box::pin(async move {
			Err(BackendError::Refused {
				backend: self.name().into(),
				what: "logs".into(),
				why: "this backend serves files, not logs".into(),
			})
		})
	}

	/// At start: removes what this provider left in the cluster for leases it no longer tracks
	/// (`keep`: the job names of the leases in the journal); what it removed.
	fn cleanup<'a>(&'a self, _keep: &'a [String]) -> BackendFuture<'a, Vec<String>> {
		Box::pin(async { Ok(Vec::new()) })
	}
}

/// `spec`'s kind is `backend`'s, or why not.
pub fn same_kind(backend: Kind, spec: &Workload) -> Result<(), String> {
	if spec.kind() == backend {
		return Ok(());
	}
	Err(format!(
		"the {backend} backend runs `{}` configurations; this one is `{}`",
		backend.config_kind(),
		spec.kind().config_kind()
	))
}

/// A partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
	/// Its name.
	pub name: String,
	/// Whether jobs without a partition go there.
	pub default: bool,
	/// Its wall-clock limit, if any.
	pub max_time_minutes: Option<u32>,
}

/// What a backend offers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
	/// Everything the daemon may sell (the cluster's, capped by the configuration).
	pub total: Resources,
	/// The most CPUs on one node.
	pub max_cpus_per_node: u32,
	/// The most memory on one node, MiB.
	pub max_memory_mb_per_node: u64,
	/// The most GPUs on one node.
	#[serde(default)]
	pub max_gpus_per_node: u64,
	/// Partitions.
	pub partitions: Vec<Partition>,
}
