//! The scoring model: quantised features in, an integer score 0-100 out, run under tract.
//!
//! The model is an ONNX file trained by `models/training` (a reproducible Rust program, see
//! there) and committed as `models/scoring/score_v1.onnx`; its sha256 is pinned here, and the
//! training crate's test checks that training again gives the same bytes.

use prost::Message;
use sha2::{Digest, Sha256};
use tract_onnx::{pb::ModelProto, prelude::*};

use crate::{
	features::{Features, FEATURES},
	models::{floats, ModelError, Plan},
};

/// The committed scoring model.
pub const MODEL: &[u8] = include_bytes!("../../../models/scoring/score_v1.onnx");
/// Its sha256.
pub const MODEL_SHA256: &str = "dd1eeb902967111e2551ae2886faa90e4d3e87942572a7267b5add465276b406";
/// The highest score of the rejected tier.
pub const MAX_REJECTED: u8 = 49;

/// Why scoring failed.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
	/// Inference failed.
	#[error("scoring model: {0}")]
	Inference(String),
}

/// The loaded scoring model.
pub struct ScoringModel {
	plan: Plan,
}

impl ScoringModel {
	/// Loads the committed model, checking its hash.
	pub fn load() -> Result<ScoringModel, ModelError> {
		let actual = hex::encode(Sha256::digest(MODEL));
		if actual != MODEL_SHA256 {
			return Err(ModelError::Hash {
				what: "scoring model".into(),
				actual,
				expected: MODEL_SHA256.into(),
			});
		}
		Self::from_bytes(MODEL)
	}

	/// Loads a scoring model from ONNX bytes (training and tests).
	pub fn from_bytes(bytes: &[u8]) -> Result<ScoringModel, ModelError> {
		crate::models::pin_kernels()?;
		let err =
			|e: TractError| ModelError::Tract { id: "scoring".into(), message: format!("{e:#}") };
		let proto = ModelProto::decode(bytes)
			.map_err(|e| ModelError::Tract { id: "scoring".into(), message: e.to_string() })?;
		let plan = tract_onnx::onnx()
			.model_for_proto_model(&proto)
			.map_err(err)?
			.with_input_fact(0, f32::fact([1, FEATURES]).into())
			.map_err(err)?
			.into_optimized()
			.map_err(err)?
			.into_runnable()
			.map_err(err)?;
		Ok(ScoringModel { plan: Plan::new("scoring", plan) })
	}

	/// The model's sha256 (part of the model set id).
	pub fn sha256(&self) -> [u8; 32] {
		Sha256::digest(MODEL).into()
	}

	/// The model's probability for the features, as an integer 0-100.
	pub fn score(&self, features: &Features) -> Result<u8, ScoreError> {
		let input: Vec<f32> = features.0.iter().map(|&v| v as f32).collect();
		let err = |e: TractError| ScoreError::Inference(format!("{e:#}"));
		let tensor = Tensor::from_shape(&[1, FEATURES], &input).map_err(err)?;
		let out = self.plan.run(tvec!(tensor.into())).map_err(err)?;
		let p = *floats(&out[0])
			.map_err(err)?
			.first()
			.ok_or_else(|| ScoreError::Inference("no output".into()))?;
		if !p.is_finite() {
			return Err(ScoreError::Inference(format!("probability {p}")));
		}
		Ok((p.clamp(0.0, 1.0) * 100.0).round() as u8)
	}
}
