//! The configuration a customer seals to an HPC provider: one SLURM batch job, format version 1
//! (`docs/provider-job.md`, JSON Schema `docs/schemas/provider-job-v1.json`).
//!
//! ```json
//! { "version": 1, "kind": "slurm-batch",
//!   "script": "#!/bin/bash\nsrun hostname\n",
//!   "nodes": 1, "tasks": 1, "cpus_per_task": 2, "memory_mb": 512,
//!   "time_limit_minutes": 10, "partition": "debug", "gpus": 0,
//!   "environment": { "STEPS": "100" } }
//! ```
//!
//! Parsing is strict: unknown fields, a missing field, a zero count or a script that does not
//! start with `#!` are errors that say which field is wrong, so a customer's mistake is refused
//! before any bid rather than discovered by the cluster.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The only format version this daemon reads.
pub const VERSION: u32 = 1;
/// The largest script accepted (the whole sealed configuration is at most 4 KiB on chain).
pub const MAX_SCRIPT: usize = 4096;
/// At most this many environment variables.
pub const MAX_ENV: usize = 64;

/// One batch job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
	/// The format version: 1.
	pub version: u32,
	/// What the configuration describes: `slurm-batch`.
	pub kind: String,
	/// The batch script, starting with `#!`.
	pub script: String,
	/// Nodes (at least 1).
	pub nodes: u32,
	/// Tasks (at least 1).
	pub tasks: u32,
	/// CPUs per task (at least 1).
	pub cpus_per_task: u32,
	/// Memory per node, in MiB (at least 1).
	pub memory_mb: u64,
	/// Wall-clock limit in minutes (at least 1).
	pub time_limit_minutes: u32,
	/// The partition; the backend's default if absent.
	#[serde(default)]
	pub partition: Option<String>,
	/// GPUs per node.
	#[serde(default)]
	pub gpus: u32,
	/// Environment variables of the job (names: letters, digits, `_`, not starting with a digit,
	/// not `SLURM_*`).
	#[serde(default)]
	pub environment: BTreeMap<String, String>,
}

/// Why a configuration is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
	/// Not JSON of this shape.
	#[error("not a job configuration: {0}")]
	Malformed(String),
	/// A field's value is unusable.
	#[error("{field}: {why}")]
	Field {
		/// The field.
		field: &'static str,
		/// What is wrong.
		why: String,
	},
}

fn field(field: &'static str, why: impl Into<String>) -> SpecError {
	SpecError::Field { field, why: why.into() }
}

/// Reads a configuration's JSON as `T` (unknown fields and missing ones are `Malformed`).
pub(crate) fn read<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, SpecError> {
	serde_json::from_slice(bytes).map_err(|e| SpecError::Malformed(e.to_string()))
}

/// Whether `name` is an environment variable name a workload may set: letters, digits and `_`,
/// not starting with a digit.
pub fn is_env_name(name: &str) -> bool {
	!name.is_empty()
		&& !name.starts_with(|c: char| c.is_ascii_digit())
		&& name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl JobSpec {
	/// Parses and checks a configuration.
	pub fn parse(bytes: &[u8]) -> Result<JobSpec, SpecError> {
		let spec: JobSpec = read(bytes)?;
		spec.check()?;
		Ok(spec)
	}

	/// Checks what parsing cannot.
	pub fn check(&self) -> Result<(), SpecError> {
		if self.version != VERSION {
			return Err(field(
				"version",
				format!("{} is not supported (only {VERSION})", self.version),
			));
		}
		if self.kind != "slurm-batch" {
			return Err(field(
				"kind",
				format!("`{}` is not supported (only `slurm-batch`)", self.kind),
			));
		}
		if !self.script.starts_with("#!") {
			return Err(field("script", "must start with an interpreter line (#!)"));
		}
		if self.script.len() > MAX_SCRIPT {
			return Err(field("script", format!("at most {MAX_SCRIPT} bytes")));
		}
		for (name, value) in [
			("nodes", u64::from(self.nodes)),
			("tasks", u64::from(self.tasks)),
			("cpus_per_task", u64::from(self.cpus_per_task)),
			("memory_mb", self.memory_mb),
			("time_limit_minutes", u64::from(self.time_limit_minutes)),
		] {
			if value == 0 {
				return Err(field(name, "must be at least 1"));
			}
		}
		if self.tasks < self.nodes {
			return Err(field("tasks", "at least one task per node"));
		}
		if let Some(p) = &self.partition {
			if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
			{
				return Err(field("partition", format!("`{p}` is not a partition name")));
			}
		}
		if self.environment.len() > MAX_ENV {
			return Err(field("environment", format!("at most {MAX_ENV} variables")));
		}
		for name in self.environment.keys() {
			let ok = is_env_name(name) && !name.starts_with("SLURM_");
			if !ok {
				return Err(field(
					"environment",
					format!("`{name}` is not an allowed variable name"),
				));
			}
		}
		Ok(())
	}

	/// CPUs the job holds in all.
	pub fn cpus(&self) -> u64 {
		u64::from(self.tasks) * u64::from(self.cpus_per_task)
	}

	/// Memory the job holds in all, in MiB.
	pub fn memory_total_mb(&self) -> u64 {
		u64::from(self.nodes) * self.memory_mb
	}

	/// GPUs the job holds in all.
	pub fn gpus_total(&self) -> u64 {
		u64::from(self.nodes) * u64::from(self.gpus)
	}

	/// What the job asks for, as pricing scripts and logs see it.
	pub fn resources(&self) -> Resources {
		Resources {
			nodes: self.nodes,
			cpus: self.cpus(),
			memory_mb: self.memory_total_mb(),
			gpus: self.gpus_total(),
			storage_mb: 0,
			time_limit_minutes: self.time_limit_minutes,
			partition: self.partition.clone(),
		}
	}
}

/// A job's resources in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
	/// Nodes.
	pub nodes: u32,
	/// CPUs.
	pub cpus: u64,
	/// Memory, MiB.
	pub memory_mb: u64,
	/// GPUs.
	pub gpus: u64,
	/// Ephemeral storage, MiB (container services; batch jobs use the shared file system).
	#[serde(default)]
	pub storage_mb: u64,
	/// Wall-clock limit, minutes.
	pub time_limit_minutes: u32,
	/// Partition, if named.
	pub partition: Option<String>,
}

impl Resources {
	/// Whether `self` fits in `free`.
	pub fn fits(&self, free: &Resources) -> Result<(), String> {
		let mut short = Vec::new();
		if self.nodes > free.nodes {
			short.push(format!("{} nodes of {} free", self.nodes, free.nodes));
		}
		if self.cpus > free.cpus {
			short.push(format!("{} CPUs of {} free", self.cpus, free.cpus));
		}
		if self.memory_mb > free.memory_mb {
			short.push(format!("{} MiB of {} free", self.memory_mb, free.memory_mb));
		}
		if self.gpus > free.gpus {
			short.push(format!("{} GPUs of {} free", self.gpus, free.gpus));
		}
		if self.storage_mb > free.storage_mb {
			short.push(format!("{} MiB of storage of {} free", self.storage_mb, free.storage_mb));
		}
		if short.is_empty() {
			Ok(())
		} else {
			Err(short.join(", "))
		}
	}

	/// `self` less `other`, never below zero. Nodes are shared between jobs (SLURM packs jobs
	/// on nodes by CPUs and memory), so they are not subtracted: what is free is CPUs, memory
	/// and GPUs, on the same nodes.
	pub fn minus(&self, other: &Resources) -> Resources {
		Resources {
			nodes: self.nodes,
			cpus: self.cpus.saturating_sub(other.cpus),
			memory_mb: self.memory_mb.saturating_sub(other.memory_mb),
			gpus: self.gpus.saturating_sub(other.gpus),
			storage_mb: self.storage_mb.saturating_sub(other.storage_mb),
			time_limit_minutes: self.time_limit_minutes,
			partition: self.partition.clone(),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn good() -> serde_json::Value {
		serde_json::json!({
			"version": 1, "kind": "slurm-batch", "script": "#!/bin/bash\necho hi\n",
			"nodes": 1, "tasks": 2, "cpus_per_task": 1, "memory_mb": 256,
			"time_limit_minutes": 5, "environment": {"STEPS": "3"}
		})
	}

	fn parse(v: &serde_json::Value) -> Result<JobSpec, SpecError> {
		JobSpec::parse(&serde_json::to_vec(v).expect("json"))
	}

	#[test]
	fn a_good_configuration_parses() {
		let spec = parse(&good()).expect("good");
		assert_eq!(spec.cpus(), 2);
		assert_eq!(spec.partition, None);
		assert_eq!(spec.resources().memory_mb, 256);
	}

	#[test]
	fn every_mistake_names_its_field() {
		let cases: [(&str, serde_json::Value, &str); 8] = [
			("version", serde_json::json!(2), "version"),
			("kind", serde_json::json!("k8s"), "kind"),
			("script", serde_json::json!("echo hi"), "script"),
			("nodes", serde_json::json!(0), "nodes"),
			("memory_mb", serde_json::json!(0), "memory_mb"),
			("tasks", serde_json::json!(0), "tasks"),
			("partition", serde_json::json!("a b"), "partition"),
			("environment", serde_json::json!({"SLURM_JOB_ID": "1"}), "environment"),
		];
		for (key, value, named) in cases {
			let mut v = good();
			v[key] = value;
			let err = parse(&v).expect_err(key);
			assert!(err.to_string().starts_with(named), "{key}: {err}");
		}
		let mut v = good();
		v["surprise"] = serde_json::json!(1);
		assert!(matches!(parse(&v), Err(SpecError::Malformed(_))));
		assert!(matches!(JobSpec::parse(b"not json"), Err(SpecError::Malformed(_))));
		let mut v = good();
		v.as_object_mut().expect("object").remove("script");
		assert!(matches!(parse(&v), Err(SpecError::Malformed(m)) if m.contains("script")));
	}

	#[test]
	fn fitting_names_what_is_short() {
		let want = Resources { nodes: 1, cpus: 4, memory_mb: 1024, ..Default::default() };
		let free = Resources { nodes: 1, cpus: 2, memory_mb: 4096, ..Default::default() };
		assert_eq!(want.fits(&free), Err("4 CPUs of 2 free".into()));
		assert!(want.fits(&Resources { cpus: 4, ..free.clone() }).is_ok());
		// A job on the only node leaves that node to the next job's CPUs.
		let after =
			free.minus(&Resources { nodes: 1, cpus: 1, memory_mb: 100, ..Default::default() });
		assert_eq!((after.nodes, after.cpus, after.memory_mb), (1, 1, 3996));
	}
}
