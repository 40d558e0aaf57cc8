//! The node's side of VEID scoring (see `docs/veid.md`): the committee keys and the
//! [`VeidScorer`] behind the `virtengine-veid-host` host functions.
//!
//! **Committee keys.** X25519 keys, one per session, kept beside the node keystore in
//! `<keystore>/veid-committee/session-<n>.seed` (mode 0600; in memory when the keystore is). Each
//! is made from an ed25519 seed (the X25519 secret is the seed's expanded scalar), so the node
//! can prove it holds the key it publishes: the ed25519 key signs the chain's
//! `key_proof_payload` (`virtengine_veid_primitives::KeyProof`). They
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
use sha2::{Digest, Sha256, Sha512};
use sp_core::Pair;
use virtengine_envelope::{Envelope, RecipientSecret};
use virtengine_scoring::{
	models::Manifest,
	mrz::Date,
	pipeline::{Bundle, Pipeline, PipelineError},
};
use virtengine_veid_host::{KeyProof, ScoreFailure, ScoreJob, VeidScorer, Vote};
use virtengine_veid_primitives::{
	ScopeBundle, BUNDLE_MISMATCH, UNREADABLE_FOR_MEMBER, UNREADABLE_UPLOAD,
};
use zeroize::Zeroizing;

const LOG: &str = "veid";

/// The node's per-session X25519 committee keys.
pub struct CommitteeKeys {
	dir: Option<PathBuf>,
	keys: Mutex<BTreeMap<u32, SessionKey>>,
}

/// A session's committee key: an ed25519 seed and the X25519 secret it expands to.
struct SessionKey {
	seed: Zeroizing<[u8; 32]>,
	secret: RecipientSecret,
}

impl SessionKey {
	fn from_seed(seed: [u8; 32]) -> SessionKey {
		// As libsodium's crypto_sign_ed25519_sk_to_curve25519: the first half of SHA-512(seed),
		// which X25519 clamps exactly as ed25519 clamps its scalar.
		let mut expanded = Zeroizing::new([0u8; 64]);
		expanded.copy_from_slice(&Sha512::digest(seed));
		let mut secret = Zeroizing::new([0u8; 32]);
		secret.copy_from_slice(&expanded[..32]);
		SessionKey { seed: Zeroizing::new(seed), secret: RecipientSecret::from_bytes(*secret) }
	}

	fn prove(&self, message: &[u8]) -> KeyProof {
		let pair = sp_core::ed25519::Pair::from_seed(&self.seed);
		KeyProof { ed25519: pair.public().0, signature: pair.sign(message).0 }
	}
}

fn key_file(dir: &Path, session: u32) -> PathBuf {
	dir.join(format!("session-{session}.seed"))
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
				// Keys of the format before proofs of possession cannot be proven: delete them
				// (that costs at most the current session's votes).
				if name.starts_with("session-") && name.ends_with(".key") {
					match fs::remove_file(entry.path()) {
						Ok(()) => {
							log::info!(target: LOG, "deleted the unprovable committee key {name}")
						},
						Err(e) => log::warn!(target: LOG, "cannot delete {name}: {e}"),
					}
					continue;
				}
				let Some(session) = name
					.strip_prefix("session-")
					.and_then(|s| s.strip_suffix(".seed"))
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
				keys.insert(session, SessionKey::from_seed(*bytes));
			}
		}
		Ok(CommitteeKeys { dir, keys: Mutex::new(keys) })
	}

	/// The public key for `session`, created (and stored) on first use.
	pub fn public(&self, session: u32) -> Result<[u8; 32], String> {
		let mut keys = self.keys.lock().map_err(|_| "committee keys poisoned".to_string())?;
		if let Some(key) = keys.get(&session) {
			return Ok(key.secret.public());
		}
		let (_, seed) = sp_core::ed25519::Pair::generate();
		let key = SessionKey::from_seed(seed);
		if let Some(dir) = &self.dir {
			let path = key_file(dir, session);
			let tmp = path.with_extension("tmp");
			let text = Zeroizing::new(hex::encode(&key.seed[..]));
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
		let public = key.secret.public();
		keys.insert(session, key);
		Ok(public)
	}

	/// The proof of possession of the key for `session` over `message`, if there is one.
	pub fn prove(&self, session: u32, message: &[u8]) -> Option<KeyProof> {
		let keys = self.keys.lock().ok()?;
		keys.get(&session).map(|key| key.prove(message))
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
			.find(|key| envelope.recipient_ids().any(|id| *id == key.secret.key_id()))
			.map(|key| Zeroizing::new(*key.secret.as_bytes()))
	}
}

/// The node's VEID scorer.
pub struct Scorer {
	keys: CommitteeKeys,
	model_dir: PathBuf,
	/// The models it scores with: this build's pins, or a manifest given at start.
	manifest: Manifest,
	/// Their model set id (no model file needed), for votes cast without the pipeline.
	model_set: [u8; 32],
	pipeline: Mutex<Option<Arc<Pipeline>>>,
}

impl Scorer {
	/// A scorer with committee keys in `key_dir` (memory for `None`) and models in `model_dir`,
	/// pinned by this build or, if given, by the manifest at `manifest`.
	pub fn new(
		key_dir: Option<PathBuf>,
		model_dir: PathBuf,
		manifest: Option<&Path>,
	) -> Result<Scorer, String> {
		// Validators must agree bit for bit: pin tract's kernels before any model loads.
		virtengine_scoring::models::pin_kernels().map_err(|e| e.to_string())?;
		let pinned = Manifest::pinned().map_err(|e| e.to_string())?;
		let built = Pipeline::model_set_id_of(&pinned).map_err(|e| e.to_string())?;
		let (manifest, model_set) = match manifest {
			Some(path) => {
				let other = Manifest::from_file(path).map_err(|e| e.to_string())?;
				let set = Pipeline::model_set_id_of(&other).map_err(|e| e.to_string())?;
				log::warn!(
					target: LOG,
					"scoring with the model set 0x{} of {} (this build pins 0x{}): its votes \
					 count only while it is the chain's active model set",
					hex::encode(set),
					path.display(),
					hex::encode(built)
				);
				(other, set)
			},
			None => (pinned, built),
		};
		Ok(Scorer {
			keys: CommitteeKeys::open(key_dir)?,
			model_dir,
			manifest,
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
		let p = Arc::new(Pipeline::load_with(&self.model_dir, &self.manifest).map_err(|e| {
			failure(&format!(
				"cannot load the models from {}: {e} (run scripts/fetch-models.py)",
				self.model_dir.display()
			))
		})?);
		*slot = Some(p.clone());
		Ok(p)
	}

	fn unreadable(&self) -> Result<Vote, ScoreFailure> {
		self.rejection(UNREADABLE_UPLOAD, b"virtengine/veid/unreadable-upload")
	}

	/// A vote cast without the pipeline: score 0, one reason, a digest naming the reason.
	fn rejection(&self, reason: u32, label: &[u8]) -> Result<Vote, ScoreFailure> {
		Ok(Vote {
			score: 0,
			reasons: reason,
			digest: Sha256::digest(label).into(),
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

	fn prove_committee_key(&self, session: u32, message: &[u8]) -> Option<KeyProof> {
		self.keys.prove(session, message)
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
			// Our wrapped key, or the data key it unwraps to, does not open the payload. The
			// uploader chooses each member's wrapped key, so it can do this to some members and
			// not others: an abstention, never counted against this member.
			Err(e @ virtengine_envelope::Error::Tampered) => {
				log::info!(target: LOG, "upload unreadable for this member: {e}");
				return self
					.rejection(UNREADABLE_FOR_MEMBER, b"virtengine/veid/unreadable-for-member");
			},
			// The same bytes fail the same way at every member (sender signature, format).
			Err(e) => {
				log::info!(target: LOG, "upload unreadable: {e}");
				return self.unreadable();
			},
		};
		let bundle = match ScopeBundle::decode(&mut &plaintext[..]) {
			Ok(b) if b.version == ScopeBundle::VERSION => b,
			_ => {
				log::info!(target: LOG, "upload unreadable: not a version-2 scope bundle");
				return self.unreadable();
			},
		};
		// A bundle made for another account or salt is a replay of someone else's upload.
		if !bundle.is_bound_to(&job.account, &job.salt) {
			log::info!(target: LOG, "upload refused: the bundle names another account or salt");
			return self.rejection(BUNDLE_MISMATCH, b"virtengine/veid/bundle-mismatch");
		}
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
	fn a_manifest_given_at_start_scores_with_its_own_model_set() {
		let dir = tempfile::tempdir().expect("temp dir");
		let built = Scorer::new(None, dir.path().into(), None).expect("scorer").model_set;
		assert_eq!(built, Pipeline::model_set_id().expect("id"));
		// Another set: the pinned manifest without its last model.
		let text = virtengine_scoring::models::MANIFEST;
		let cut = text.rfind("[[model]]").expect("a model");
		let rest = text[cut + 1..].find("\n[[").map_or(text.len(), |i| cut + 1 + i);
		let other = dir.path().join("other.toml");
		fs::write(&other, format!("{}{}", &text[..cut], &text[rest..])).expect("write");
		let scorer = Scorer::new(None, dir.path().into(), Some(&other)).expect("scorer");
		assert_ne!(scorer.model_set, built, "another model set");
		assert_eq!(
			scorer.rejection(UNREADABLE_UPLOAD, b"x").expect("vote").model_set,
			scorer.model_set
		);
		// A manifest that cannot be used is an error, said with its path.
		let missing = dir.path().join("missing.toml");
		let e = Scorer::new(None, dir.path().into(), Some(&missing)).err().expect("refused");
		assert!(e.contains("missing.toml"), "{e}");
		fs::write(&other, "[[fixture]]\nid = 1").expect("write");
		assert!(Scorer::new(None, dir.path().into(), Some(&other)).is_err());
	}

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

	#[test]
	fn the_node_proves_the_committee_key_it_publishes() {
		let keys = CommitteeKeys::open(None).expect("open");
		let key = keys.public(4).expect("key");
		let member = [7u8; 32];
		let payload = virtengine_veid_primitives::key_proof_payload(&[1u8; 32], 4, &member, &key);
		let proof = keys.prove(4, &payload).expect("a proof");
		// The X25519 key is the Montgomery form of the ed25519 key (x25519-dalek's public key
		// of the expanded seed agrees with the chain's field arithmetic), and the proof verifies.
		assert_eq!(virtengine_veid_primitives::x25519_of_ed25519(&proof.ed25519), Some(key));
		assert!(virtengine_veid_primitives::verify_key_proof(&[1u8; 32], 4, &member, &key, &proof));
		assert!(keys.prove(5, &payload).is_none(), "no key for that session yet");
	}

	use codec::Encode;
	use sp_core::Pair;

	/// An in-memory scorer whose session-0 key is `key`, and no models (the votes below are
	/// all cast before the pipeline would load).
	fn scorer() -> (Scorer, [u8; 32]) {
		let scorer = Scorer::new(None, PathBuf::from("/nonexistent"), None).expect("scorer");
		let key = scorer.committee_key(0).expect("key");
		(scorer, key)
	}

	fn bundle_for(account: &[u8], salt: [u8; 32]) -> Vec<u8> {
		ScopeBundle {
			version: ScopeBundle::VERSION,
			account: account.to_vec(),
			salt,
			document: vec![1; 64],
			selfie: vec![2; 64],
		}
		.encode()
	}

	fn sender() -> sp_core::sr25519::Pair {
		sp_core::sr25519::Pair::from_string("//Alice", None).expect("seed")
	}

	fn sealed(plaintext: &[u8], keys: &[[u8; 32]]) -> virtengine_envelope::Envelope {
		virtengine_envelope::seal(
			plaintext,
			keys,
			&virtengine_envelope::SenderKey::Sr25519(sender()),
			ScopeBundle::CONTEXT,
			0,
			&virtengine_envelope::Limits::DEFAULT,
		)
		.expect("seal")
	}

	fn job(envelope: &virtengine_envelope::Envelope, account: &[u8], salt: [u8; 32]) -> ScoreJob {
		ScoreJob {
			envelope: envelope.encode(),
			account: account.to_vec(),
			salt,
			name_commitment: [3; 32],
			birth_date_commitment: [4; 32],
			today: 20_778,
		}
	}

	#[test]
	fn a_replayed_bundle_is_refused_by_the_scorer() {
		let (scorer, key) = scorer();
		let victim = [0xa1u8; 32].encode();
		let envelope = sealed(&bundle_for(&victim, [7; 32]), &[key]);
		// The same envelope and salt, resubmitted by another account.
		let vote = scorer.score(job(&envelope, &[0xb0u8; 32].encode(), [7; 32])).expect("vote");
		assert_eq!((vote.score, vote.reasons), (0, BUNDLE_MISMATCH));
		// Or by the victim's account with another salt (other commitments).
		let vote = scorer.score(job(&envelope, &victim, [8; 32])).expect("vote");
		assert_eq!((vote.score, vote.reasons), (0, BUNDLE_MISMATCH));
		// The victim's own request goes on to the pipeline (absent here).
		assert!(matches!(
			scorer.score(job(&envelope, &victim, [7; 32])),
			Err(ScoreFailure::Pipeline(_))
		));
	}

	#[test]
	fn a_member_whose_wrapped_key_was_broken_abstains() {
		let (scorer, key) = scorer();
		let other = virtengine_envelope::RecipientSecret::generate().public();
		let account = [0xa1u8; 32].encode();
		let mut envelope = sealed(&bundle_for(&account, [7; 32]), &[key, other]);
		// The uploader breaks our wrapped key only, and signs the result as the sender.
		let ours = virtengine_envelope::key_id(&key);
		for r in envelope.recipients.iter_mut().filter(|r| r.key_id == ours) {
			r.wrapped_key[40] ^= 1;
		}
		envelope.sender.signature = sender().sign(&envelope.signing_hash()).0;
		let vote = scorer.score(job(&envelope, &account, [7; 32])).expect("vote");
		assert_eq!((vote.score, vote.reasons), (0, UNREADABLE_FOR_MEMBER));
		// A broken sender signature is the same for every member: a rejection.
		envelope.sender.signature[0] ^= 1;
		let vote = scorer.score(job(&envelope, &account, [7; 32])).expect("vote");
		assert_eq!(vote.reasons, UNREADABLE_UPLOAD);
	}
}
