//! What a customer seals to a provider, whichever backend runs it: a SLURM batch job
//! ([`crate::job`], `kind: "slurm-batch"`) or container services ([`crate::services`],
//! `kind: "container-services"`). The `kind` field decides which format the rest is read as,
//! and which backend may run it.

use serde::{Deserialize, Serialize};

use crate::{
	job::{JobSpec, Resources, SpecError},
	services::ServicesSpec,
};

/// The kinds of workload, one per backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
	/// A SLURM batch job.
	Slurm,
	/// Container services on Kubernetes.
	Kubernetes,
}

impl Kind {
	/// The backend's name (`slurm`, `kubernetes`), as the configuration and metrics name it.
	pub fn name(self) -> &'static str {
		match self {
			Kind::Slurm => "slurm",
			Kind::Kubernetes => "kubernetes",
		}
	}

	/// The configuration kind this backend runs.
	pub fn config_kind(self) -> &'static str {
		match self {
			Kind::Slurm => "slurm-batch",
			Kind::Kubernetes => crate::services::KIND,
		}
	}
}

impl std::fmt::Display for Kind {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(self.name())
	}
}

/// A workload. In the journal it is stored as its configuration's own JSON (untagged: the two
/// formats have disjoint required fields, and a journal written before services existed holds
/// batch jobs only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Workload {
	/// A SLURM batch job.
	Batch(JobSpec),
	/// Container services.
	Services(ServicesSpec),
}

impl Workload {
	/// Parses a configuration of either kind, by its `kind` field.
	pub fn parse(bytes: &[u8]) -> Result<Workload, SpecError> {
		#[derive(Deserialize)]
		struct Peek {
			kind: Option<serde_json::Value>,
		}
		let peek: Peek =
			serde_json::from_slice(bytes).map_err(|e| SpecError::Malformed(e.to_string()))?;
		match peek.kind.as_ref().and_then(|k| k.as_str()) {
			Some("slurm-batch") => JobSpec::parse(bytes).map(Workload::Batch),
			Some(crate::services::KIND) => ServicesSpec::parse(bytes).map(Workload::Services),
			Some(other) => Err(SpecError::Field {
				field: "kind",
				why: format!(
					"`{other}` is not supported (`slurm-batch` or `{}`)",
					crate::services::KIND
				),
			}),
			None => Err(SpecError::Malformed("missing field `kind`".into())),
		}
	}

	/// The backend that runs it.
	pub fn kind(&self) -> Kind {
		match self {
			Workload::Batch(_) => Kind::Slurm,
			Workload::Services(_) => Kind::Kubernetes,
		}
	}

	/// What it holds in all.
	pub fn resources(&self) -> Resources {
		match self {
			Workload::Batch(spec) => spec.resources(),
			Workload::Services(spec) => spec.resources(),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_kind_decides_the_format() {
		let batch = br##"{"version":1,"kind":"slurm-batch","script":"#!/bin/sh\n","nodes":1,"tasks":1,"cpus_per_task":1,"memory_mb":1,"time_limit_minutes":1}"##;
		let w = Workload::parse(batch).expect("batch");
		assert_eq!(w.kind(), Kind::Slurm);
		let services = br#"{"version":1,"kind":"container-services","services":[{"name":"a","image":"busybox","resources":{"cpu_millis":100,"memory_mb":16}}]}"#;
		let w = Workload::parse(services).expect("services");
		assert_eq!(w.kind(), Kind::Kubernetes);
		assert_eq!(w.resources().cpus, 1);
		let err = Workload::parse(br#"{"kind":"vm"}"#).expect_err("vm").to_string();
		assert!(err.starts_with("kind: `vm` is not supported"), "{err}");
		assert!(matches!(Workload::parse(b"{}"), Err(SpecError::Malformed(_))));
		assert!(matches!(Workload::parse(b"[1]"), Err(SpecError::Malformed(_))));
	}

	#[test]
	fn the_journal_reads_both_kinds_back() {
		for bytes in [
			&br##"{"version":1,"kind":"slurm-batch","script":"#!/bin/sh\n","nodes":1,"tasks":1,"cpus_per_task":1,"memory_mb":1,"time_limit_minutes":1}"##[..],
			&br#"{"version":1,"kind":"container-services","services":[{"name":"a","image":"busybox","resources":{"cpu_millis":100,"memory_mb":16}}]}"#[..],
		] {
			let w = Workload::parse(bytes).expect("parse");
			let stored = serde_json::to_vec(&w).expect("store");
			let back: Workload = serde_json::from_slice(&stored).expect("read back");
			assert_eq!(back, w);
		}
	}
}
