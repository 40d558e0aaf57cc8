//! Usage from accounting: what SLURM's accounting recorded for a job, turned into the lease's
//! priced units, and the part of it not billed yet.
//!
//! Quantities are cumulative and only ever rounded down, so a report bills what accounting
//! recorded since the last one and nothing it did not: the remainder of a unit not yet whole
//! (a part of a GB-hour) is billed once it is. Units:
//!
//! - `cpu_core_second`: CPUs allocated × seconds elapsed (the cluster's allocation, as HPC
//!   centres bill: a reserved core is a core nobody else can use; docs/provider-daemon.md);
//! - `gpu_second`: GPUs allocated × seconds elapsed;
//! - `memory_gb_hour`: MiB allocated × seconds elapsed / (1024 × 3600), rounded down;
//! - `job`: 1 once accounting holds the job's final record;
//! - `storage_gb_hour`: MiB of ephemeral storage × seconds / (1024 × 3600), rounded down
//!   (Kubernetes; SLURM jobs use the shared file system and hold none);
//! - `egress_gb`: not measured, never billed.
//!
//! Kubernetes integrates what each pod held while it ran ([`Held`]): pods come and go.

use std::collections::BTreeMap;

use crate::{
	backend::{Accounting, Held},
	pricing::unit_name,
};
use virtengine_client::market::Unit;

/// What accounting recorded, per unit, in all.
pub fn cumulative(acc: &Accounting) -> BTreeMap<&'static str, u64> {
	let held = acc.held.clone().unwrap_or_else(|| Held {
		cpu_millis_seconds: acc.cpus.saturating_mul(acc.elapsed_s).saturating_mul(1000),
		memory_mb_seconds: acc.memory_mb.saturating_mul(acc.elapsed_s),
		storage_mb_seconds: 0,
		gpu_seconds: acc.gpus.saturating_mul(acc.elapsed_s),
	});
	let gb_hours = |mb_seconds: u64| mb_seconds / (1024 * 3600);
	let mut q = BTreeMap::new();
	q.insert(unit_name(&Unit::CpuCoreSecond), held.cpu_millis_seconds / 1000);
	q.insert(unit_name(&Unit::GpuSecond), held.gpu_seconds);
	q.insert(unit_name(&Unit::MemoryGbHour), gb_hours(held.memory_mb_seconds));
	q.insert(unit_name(&Unit::StorageGbHour), gb_hours(held.storage_mb_seconds));
	q.insert(unit_name(&Unit::Job), u64::from(acc.ended));
	q
}

/// The part of `cumulative` not yet in `billed`, for the units the lease prices, in the
/// order `priced` lists them; units with nothing new are left out.
pub fn unbilled(
	cumulative: &BTreeMap<&'static str, u64>,
	billed: &BTreeMap<String, u64>,
	priced: &[Unit],
) -> Vec<(String, u64)> {
	priced
		.iter()
		.filter_map(|unit| {
			let name = unit_name(unit);
			let total = cumulative.get(name).copied().unwrap_or(0);
			let done = billed.get(name).copied().unwrap_or(0);
			let new = total.saturating_sub(done);
			(new > 0).then(|| (name.to_string(), new))
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn usage_is_billed_once_and_only_as_recorded() {
		let priced = [Unit::CpuCoreSecond, Unit::MemoryGbHour, Unit::Job];
		let mut billed = BTreeMap::new();
		let mut acc = Accounting { elapsed_s: 30, cpus: 2, memory_mb: 2048, ..Default::default() };
		// 30 s of 2 CPUs; 2 GiB for 30 s is not a whole GB-hour yet; the job has not ended.
		let first = unbilled(&cumulative(&acc), &billed, &priced);
		assert_eq!(first, vec![("cpu_core_second".to_string(), 60)]);
		for (unit, n) in &first {
			*billed.entry(unit.clone()).or_default() += n;
		}
		// The same accounting again bills nothing.
		assert!(unbilled(&cumulative(&acc), &billed, &priced).is_empty());
		// Half an hour later, ended: one whole GB-hour, the rest of the CPU time, the job.
		acc.elapsed_s = 1830;
		acc.ended = true;
		let second = unbilled(&cumulative(&acc), &billed, &priced);
		assert_eq!(
			second,
			vec![
				("cpu_core_second".to_string(), 3600),
				("memory_gb_hour".to_string(), 1),
				("job".to_string(), 1)
			]
		);
		// GPUs are not priced by this lease: never billed.
		acc.gpus = 1;
		assert!(!unbilled(&cumulative(&acc), &billed, &priced)
			.iter()
			.any(|(u, _)| u == "gpu_second"));
	}
}
