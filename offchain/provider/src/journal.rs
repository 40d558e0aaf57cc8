//! The daemon's local journal: what the chain cannot tell after a crash. One JSON file, written
//! whole to a temporary file, synced, and renamed over the old one (then the directory synced),
//! so a crash at any instant leaves either the old state or the new, never half of one.
//!
//! It holds, per lease: the job's name and number (a job submitted just before a crash is
//! found again by name), what usage was billed and confirmed on chain, the next usage `seq`, and
//! a usage record in flight (written before it is submitted: after a restart it is either found
//! on chain or submitted again, byte for byte, so it is never lost, never billed twice, and its
//! `seq` never reused for other quantities).

use std::{
	collections::BTreeMap,
	io::Write,
	path::{Path, PathBuf},
	sync::Mutex,
};

use serde::{Deserialize, Serialize};

use crate::{backend::JobId, workload::Workload};

/// The journal's format version.
pub const VERSION: u32 = 1;

/// A usage record written before it is submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
	/// Its number.
	pub seq: u32,
	/// Quantities per unit (the units' names).
	pub quantities: Vec<(String, u64)>,
}

/// One lease.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseEntry {
	/// The job's unique name in the backend.
	pub job_name: String,
	/// The job's handle, once the backend accepted it (SLURM's number, Kubernetes' namespace).
	pub job_id: Option<JobId>,
	/// A submission was started: it may have reached the backend without its answer reaching
	/// the journal, so the job is looked up by name before any other submission. (Missing in a
	/// journal written before this field existed: read as `true`, the safe side.)
	#[serde(default = "assume_submitted")]
	pub submit_started: bool,
	/// What the job asked for (capacity held until the lease ends).
	pub spec: Option<Workload>,
	/// `start_lease` landed.
	pub started: bool,
	/// The lease's access details are on chain (sealed to the customer).
	#[serde(default)]
	pub access_given: bool,
	/// Usage billed and confirmed on chain, per unit.
	pub billed: BTreeMap<String, u64>,
	/// The next usage record's number.
	pub next_seq: u32,
	/// A usage record being submitted.
	pub in_flight: Option<InFlight>,
	/// The job ended and its final usage was billed.
	pub final_billed: bool,
	/// The daemon asked the chain to close the lease.
	pub close_sent: bool,
	/// Why the lease could not run, if it could not.
	pub refused: Option<String>,
}

fn assume_submitted() -> bool {
	true
}

/// The whole journal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
	/// Format version.
	pub version: u32,
	/// Leases not yet finished, by number.
	pub leases: BTreeMap<u64, LeaseEntry>,
}

/// Why the journal is unusable.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
	/// Reading or writing failed.
	#[error("journal {path}: {source}")]
	Io {
		/// The file.
		path: PathBuf,
		/// The error.
		source: std::io::Error,
	},
	/// The file is damaged or of another version.
	#[error("journal {path}: {why} (move it aside to start afresh: the chain holds the rest)")]
	Corrupt {
		/// The file.
		path: PathBuf,
		/// What is wrong.
		why: String,
	},
}

/// The journal on disk and in memory.
pub struct Journal {
	path: PathBuf,
	state: Mutex<State>,
}

impl Journal {
	/// Opens (or starts) the journal in `dir`.
	pub fn open(dir: &Path) -> Result<Journal, JournalError> {
		let path = dir.join("journal.json");
		let io = |source| JournalError::Io { path: path.clone(), source };
		std::fs::create_dir_all(dir).map_err(io)?;
		let state = match std::fs::read(&path) {
			Ok(bytes) => {
				let state: State = serde_json::from_slice(&bytes).map_err(|e| {
					JournalError::Corrupt { path: path.clone(), why: e.to_string() }
				})?;
				if state.version != VERSION {
					return Err(JournalError::Corrupt {
						path: path.clone(),
						why: format!("version {} (this daemon writes {VERSION})", state.version),
					});
				}
				state
			},
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
				State { version: VERSION, leases: BTreeMap::new() }
			},
			Err(e) => return Err(io(e)),
		};
		Ok(Journal { path, state: Mutex::new(state) })
	}

	/// A copy of the state.
	pub fn snapshot(&self) -> State {
		self.lock().clone()
	}

	/// One lease's entry.
	pub fn lease(&self, id: u64) -> Option<LeaseEntry> {
		self.lock().leases.get(&id).cloned()
	}

	/// Changes the state with `f` and writes it before returning.
	pub fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> Result<R, JournalError> {
		let mut state = self.lock();
		let mut next = state.clone();
		let result = f(&mut next);
		if next != *state {
			write_atomically(&self.path, &next)?;
			*state = next;
		}
		Ok(result)
	}

	/// Changes one lease's entry (created empty if absent).
	pub fn update_lease<R>(
		&self,
		id: u64,
		f: impl FnOnce(&mut LeaseEntry) -> R,
	) -> Result<R, JournalError> {
		self.update(|s| f(s.leases.entry(id).or_default()))
	}

	fn lock(&self) -> std::sync::MutexGuard<'_, State> {
		// A panic while holding the lock cannot leave a half-changed state: changes are made on
		// a copy.
		self.state.lock().unwrap_or_else(|p| p.into_inner())
	}
}

fn write_atomically(path: &Path, state: &State) -> Result<(), JournalError> {
	let io = |source| JournalError::Io { path: path.to_path_buf(), source };
	let bytes = serde_json::to_vec_pretty(state)
		.map_err(|e| JournalError::Corrupt { path: path.to_path_buf(), why: e.to_string() })?;
	let tmp = path.with_extension("json.partial");
	{
		let mut file = std::fs::File::create(&tmp).map_err(io)?;
		file.write_all(&bytes).map_err(io)?;
		file.sync_all().map_err(io)?;
	}
	std::fs::rename(&tmp, path).map_err(io)?;
	if let Some(dir) = path.parent() {
		std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_journal_survives_a_reopen_and_refuses_damage() {
		let dir = tempfile::tempdir().expect("dir");
		let journal = Journal::open(dir.path()).expect("open");
		journal
			.update_lease(7, |l| {
				l.job_name = "virtengine-lease-7".into();
				l.in_flight = Some(InFlight { seq: 1, quantities: vec![("job".into(), 1)] });
			})
			.expect("update");
		drop(journal);
		let journal = Journal::open(dir.path()).expect("reopen");
		let lease = journal.lease(7).expect("lease 7");
		assert_eq!(lease.job_name, "virtengine-lease-7");
		assert_eq!(lease.in_flight.expect("in flight").seq, 1);
		assert!(!dir.path().join("journal.json.partial").exists());

		// A journal written before `submit_started` existed: its leases may have a submission
		// in flight, so they are looked up before submitting.
		std::fs::write(
			dir.path().join("journal.json"),
			br#"{"version": 1, "leases": {"3": {"job_name": "virtengine-lease-3-0badcafe", "job_id": null, "spec": null, "started": false, "billed": {}, "next_seq": 0, "in_flight": null, "final_billed": false, "close_sent": false, "refused": null}}}"#,
		)
		.expect("old journal");
		let journal = Journal::open(dir.path()).expect("old journal opens");
		assert!(journal.lease(3).expect("lease 3").submit_started);
		assert!(!LeaseEntry::default().submit_started);
		drop(journal);

		std::fs::write(dir.path().join("journal.json"), b"{\"version\": 1, \"lea").expect("damage");
		let err = Journal::open(dir.path()).err().expect("damaged");
		assert!(err.to_string().contains("move it aside"), "{err}");
	}
}
