//! The node's side of VEID scoring (see `docs/veid.md`): the committee keys and the
//! [`VeidScorer`] behind the `virtengine-veid-host` host functions.
//!
//! **Committee keys.** X25519 keys, one per session, kept beside the node keystore in
//! `<keystore>/veid-committee/session-<n>.key` (mode 0600; in memory when the keystore is). They
//! are not in the keystore proper because it holds no X25519 keys and cannot delete keys, and
//! deleting them is the point: `retire_committee_keys` removes every key of a session that ended,
//! after which old uploads (which block history keeps) are unreadable to this node.
//!
//! **Scoring.** The envelope is opened with whichever of the node's committee keys it was sealed
//! to; its bundle is decoded and scored by the pipeline, loaded once from the model directory
//! (`$VIRTENGINE_MODEL_DIR`, else `~/.cache/virtengine/models`). Plaintext stays in this module
//! and is zeroed when dropped; the runtime only gets the [`Vote`]. An upload that opens but whose
//! sender signature, bundle or photos are unusable gets a rejecting vote with reason
//! `UNREADABLE_UPLOAD`, the same at every member; only local problems (no key, no models) are
//! failures, and then this node simply does not vote.

use std::{
	collections::BTreeMap,
	fs,
	io::Write,
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
};

use codec::Decode;
use sha2::{Digest, Sha256};
use virtengine_envelope::{Envelope, RecipientSecret};
use virtengine_scoring::{
	mrz::Date,
	pipeline::{Bundle, Pipeline, PipelineError},
};
use virtengine_veid_host::{ScoreFailure, ScoreJob, VeidScorer, Vote};
use virtengine_veid_primitives::{ScopeBundle, UNREADABLE_UPLOAD};
use zeroize::Zeroizing;

const LOG: &str = "veid";

/// The node's per-session X25519 committee keys.
pub struct CommitteeKeys {
	dir: Option<PathBuf>,
	keys: Mutex<BTreeMap<u32, RecipientSecret>>,
}

fn key_file(dir: &Path, session: u32) -> PathBuf {
	dir.join(format!("session-{session}.key"))
}

impl CommitteeKeys {
	/// Keys stored in `dir` (created if missing), or in memory for `None`.
	pub fn open(dir: Option<PathBuf>) -> Result<CommitteeKeys, String> {
		let mut keys = BTreeMap::new();
		if let Some(dir) = &dir {
			fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
			let entries =
				fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
			for entry in entries.flatten() {
				let name = entry.file_name().to_string_lossy().into_owned();
				let Some(session) = name
					.strip_prefix("session-")
					.and_then(|s| s.strip_suffix(".key"))
					.and_then(|s| s.parse::<u32>().ok())
				else {
					continue;
				};
				let text = Zeroizing::new(
					fs::read_to_string(entry.path())
						.map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?,
				);
				let mut bytes = Zeroizing::new([0u8; 32]);
				hex::decode_to_slice(text.trim(), &mut bytes[..])
					.map_err(|e| format!("{} is not a key: {e}", entry.path().display()))?;
				keys.insert(session, RecipientSecret::from_bytes(*bytes));
			}
		}
		Ok(CommitteeKeys { dir, keys: Mutex::new(keys) })
	}

	/// The public key for `session`, created (and stored) on first use.
	pub fn public(&self, session: u32) -> Result<[u8; 32], String> {
		let mut keys = self.keys.lock().map_err(|_| "committee keys poisoned".to_string())?;
		if let Some(secret) = keys.get(&session) {
			return Ok(secret.public());
		}
		let secret = RecipientSecret::generate();
		if let Some(dir) = &self.dir {
			let path = key_file(dir, session);
			let tmp = path.with_extension("tmp");
			let text = Zeroizing::new(hex::encode(secret.as_bytes()));
			let write = || -> std::io::Result<()> {
				let mut options = fs::OpenOptions::new();
				options.write(true).create(true).truncate(true);
				#[cfg(unix)]
				std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
				let mut file = options.open(&tmp)?;
				file.write_all(text.as_bytes())?;
				file.sync_all()?;
				fs::rename(&tmp, &path)
			};
			write().map_err(|e| format!("cannot store {}: {e}", path.display()))?;
		}
		log::info!(target: LOG, "created the committee key for session {session}");
		let public = secret.public();
		keys.insert(session, secret);
		Ok(public)
	}

	/// Destroys the keys of sessions before `session`.
	pub fn retire(&self, session: u32) {
		let Ok(mut keys) = self.keys.lock() else { return };
		let old: Vec<u32> = keys.range(..session).map(|(s, _)| *s).collect();
		for s in old {
			keys.remove(&s);
			if let Some(dir) = &self.dir {
				if let Err(e) = fs::remove_file(key_file(dir, s)) {
					log::warn!(target: LOG, "cannot delete the committee key of session {s}: {e}");
					continue;
				}
			}
			log::info!(target: LOG, "destroyed the committee key of session {s}");
		}
	}

	/// The secret among ours that `envelope` was sealed to.
	fn secret_for(&self, envelope: &Envelope) -> Option<Zeroizing<[u8; 32]>> {
		let keys = self.keys.lock().ok()?;
		keys.values()
			.find(|secret| envelope.recipient_ids().any(|id| *id == secret.key_id()))
			.map(|secret| Zeroizing::new(*secret.as_bytes()))
	}
}

/// The node's VEID scorer.
pub struct Scorer {
	keys: CommitteeKeys,
	model_dir: PathBuf,
	/// This build's model set id (no model file needed), for votes cast without the pipeline.
	model_set: [u8; 32],
	pipeline: Mutex<Option<Arc<Pipeline>>>,
}

impl Scorer {
	/// A scorer with committee keys in `key_dir` (memory for `None`) and models in `model_dir`.
	pub fn new(key_dir: Option<PathBuf>, model_dir: PathBuf) -> Result<Scorer, String> {
		// Validators must agree bit for bit: pin tract's kernels before any model loads.
		virtengine_scoring::models::pin_kernels().map_err(|e| e.to_string())?;
		let model_set = Pipeline::model_set_id().map_err(|e| e.to_string())?;
		Ok(Scorer {
			keys: CommitteeKeys::open(key_dir)?,
			model_dir,
			model_set,
			pipeline: Mutex::new(None),
		})
	}

	fn pipeline(&self) -> Result<Arc<Pipeline>, ScoreFailure> {
		let mut slot = self.pipeline.lock().map_err(|_| failure("pipeline lock poisoned"))?;
		if let Some(p) = slot.as_ref() {
			return Ok(p.clone());
		}
		log::info!(target: LOG, "loading the scoring models from {}", self.model_dir.display());
		let p = Arc::new(Pipeline::load(&self.model_dir).map_err(|e| {
			failure(&format!(
				"cannot load the models from {}: {e} (run scripts/fetch-models.py)",
				self.model_dir.display()
			))
		})?);
		*slot = Some(p.clone());
		Ok(p)
	}

	fn unreadable(&self) -> Result<Vote, ScoreFailure> {
		Ok(Vote {
			score: 0,
			reasons: UNREADABLE_UPLOAD,
			digest: Sha256::digest(b"virtengine/veid/unreadable-upload").into(),
			model_set: self.model_set,
		})
	}
}

fn failure(message: &str) -> ScoreFailure {
	log::warn!(target: LOG, "{message}");
	ScoreFailure::Pipeline(message.as_bytes().to_vec())
}

impl VeidScorer for Scorer {
	fn committee_key(&self, session: u32) -> Result<[u8; 32], String> {
		self.keys.public(session).inspect_err(|e| log::warn!(target: LOG, "{e}"))
	}

	fn retire_committee_keys(&self, session: u32) {
		self.keys.retire(session)
	}

	fn score(&self, job: ScoreJob) -> Result<Vote, ScoreFailure> {
		let envelope =
			Envelope::decode(&mut &job.envelope[..]).map_err(|_| ScoreFailure::Malformed)?;
		let secret = self.keys.secret_for(&envelope).ok_or(ScoreFailure::NotARecipient)?;
		let plaintext = match virtengine_envelope::open(&envelope, &secret) {
			Ok(bytes) => Zeroizing::new(bytes),
			Err(virtengine_envelope::Error::NotARecipient) => {
				return Err(ScoreFailure::NotARecipient)
			},
			Err(e) => {
				log::info!(target: LOG, "upload unreadable: {e}");
				return self.unreadable();
			},
		};
		let bundle = match ScopeBundle::decode(&mut &plaintext[..]) {
			Ok(b) if b.version == ScopeBundle::VERSION => b,
			_ => {
				log::info!(target: LOG, "upload unreadable: not a version-1 scope bundle");
				return self.unreadable();
			},
		};
		let (document, selfie) = (Zeroizing::new(bundle.document), Zeroizing::new(bundle.selfie));
		let pipeline = self.pipeline()?;
		let input = Bundle {
			document: &document,
			selfie: &selfie,
			salt: job.salt,
			name_commitment: job.name_commitment,
			birth_date_commitment: job.birth_date_commitment,
			today: Date::from_unix_days(u64::from(job.today)),
		};
		match pipeline.score(&input) {
			Ok(outcome) => {
				log::info!(
					target: LOG,
					"scored: {} ({})",
					outcome.score,
					outcome.reasons.iter().map(|r| r.code()).collect::<Vec<_>>().join(", ")
				);
				Ok(Vote {
					score: outcome.score,
					reasons: Pipeline::reason_mask(&outcome.reasons),
					digest: outcome.features.digest(),
					model_set: pipeline.model_set,
				})
			},
			Err(PipelineError::Document(e)) | Err(PipelineError::Selfie(e)) => {
				log::info!(target: LOG, "upload unreadable: {e}");
				self.unreadable()
			},
			Err(e) => Err(failure(&format!("the pipeline failed: {e}"))),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn committee_keys_persist_and_retired_ones_are_destroyed() {
		let dir = std::env::temp_dir().join(format!("veid-keys-{}", std::process::id()));
		let _ = fs::remove_dir_all(&dir);
		let keys = CommitteeKeys::open(Some(dir.clone())).expect("open");
		let k0 = keys.public(0).expect("key");
		let k1 = keys.public(1).expect("key");
		assert_ne!(k0, k1);
		assert_eq!(keys.public(0).expect("key"), k0, "stable within a session");
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = fs::metadata(key_file(&dir, 0)).expect("file").permissions().mode();
			assert_eq!(mode & 0o777, 0o600);
		}
		// A restarted node has the same keys.
		let again = CommitteeKeys::open(Some(dir.clone())).expect("open");
		assert_eq!(again.public(1).expect("key"), k1);
		again.retire(1);
		assert!(!key_file(&dir, 0).exists(), "session 0's key is gone");
		assert!(key_file(&dir, 1).exists());
		assert_ne!(again.public(0).expect("key"), k0, "a retired key never comes back");
		let _ = fs::remove_dir_all(&dir);
	}
}
