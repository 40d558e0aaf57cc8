//! Cluster backends: what the daemon needs from a workload manager, behind one trait. SLURM
//! (`slurm`, through slurmrestd) is the first; Kubernetes follows.

use std::{future::Future, path::PathBuf};

use serde::{Deserialize, Serialize};

use crate::job::{JobSpec, Resources};

pub mod slurm;

/// A job's number in its backend.
pub type JobId = u64;

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
}

/// A workload manager.
pub trait Backend: Send + Sync + 'static {
	/// Its name in logs and metrics (`slurm`).
	fn name(&self) -> &'static str;

	/// Answers at all (and its accounting too), for `virtengine-provider check`.
	fn check(&self) -> impl Future<Output = Result<String, BackendError>> + Send;

	/// What the cluster has in all and the most one job may take, capped by the configuration.
	fn capacity(&self) -> impl Future<Output = Result<Capacity, BackendError>> + Send;

	/// Whether the cluster could ever run `spec` (partition, limits), before bidding.
	fn admits(&self, spec: &JobSpec, capacity: &Capacity) -> Result<(), String> {
		let want = spec.resources();
		if let Some(p) = &want.partition {
			if !capacity.partitions.iter().any(|q| q.name == *p) {
				return Err(format!("no partition `{p}`"));
			}
		}
		let partition = match &want.partition {
			Some(p) => capacity.partitions.iter().find(|q| q.name == *p),
			None => capacity.partitions.iter().find(|q| q.default).or(capacity.partitions.first()),
		};
		if let Some(p) = partition {
			if let Some(max) = p.max_time_minutes {
				if want.time_limit_minutes > max {
					return Err(format!(
						"time limit {} min exceeds partition `{}`'s {max} min",
						want.time_limit_minutes, p.name
					));
				}
			}
		}
		if spec.cpus_per_task > capacity.max_cpus_per_node {
			return Err(format!(
				"{} CPUs per task; a node has at most {}",
				spec.cpus_per_task, capacity.max_cpus_per_node
			));
		}
		if spec.memory_mb > capacity.max_memory_mb_per_node {
			return Err(format!(
				"{} MiB per node; a node has at most {}",
				spec.memory_mb, capacity.max_memory_mb_per_node
			));
		}
		want.fits(&capacity.total).map_err(|short| format!("larger than the cluster: {short}"))
	}

	/// Submits `spec` as `name` (unique per lease), its files in `dir`.
	fn submit(
		&self,
		name: &str,
		spec: &JobSpec,
		dir: &std::path::Path,
	) -> impl Future<Output = Result<JobId, BackendError>> + Send;

	/// The job named `name`, if the backend has one (queued, running or in accounting): how a
	/// job submitted just before a crash is found again instead of submitted twice.
	fn find(&self, name: &str) -> impl Future<Output = Result<Option<JobId>, BackendError>> + Send;

	/// A job's state.
	fn state(&self, id: JobId) -> impl Future<Output = Result<JobState, BackendError>> + Send;

	/// Cancels a job (nothing if it already ended).
	fn cancel(&self, id: JobId) -> impl Future<Output = Result<(), BackendError>> + Send;

	/// What accounting recorded for a job; `None` before accounting knows it.
	fn accounting(
		&self,
		id: JobId,
	) -> impl Future<Output = Result<Option<Accounting>, BackendError>> + Send;

	/// The directory a lease's job writes its files to.
	fn lease_dir(&self, lease: u64) -> PathBuf;
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
	/// Partitions.
	pub partitions: Vec<Partition>,
}
