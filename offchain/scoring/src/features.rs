//! The scoring model's input: the pipeline's results as integer features, and their digest.
//!
//! Its own module so that the pipeline (which computes them) and the scoring model (which reads
//! them) both depend on it rather than on each other.

use sha2::{Digest, Sha256};

/// The pipeline's version: part of the model set id, bumped whenever features or rules change.
pub const PIPELINE_VERSION: u32 = 1;

/// The quantised features, in this order, are the scoring model's input and the digest's
/// preimage. See docs/veid-scoring.md for each one's meaning and scale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features(pub [i32; FEATURES]);

/// Number of features.
pub const FEATURES: usize = 14;

/// Feature names, in order.
pub const FEATURE_NAMES: [&str; FEATURES] = [
	"face_similarity_milli",
	"document_face_confidence_milli",
	"selfie_face_confidence_milli",
	"selfie_face_count",
	"mrz_found",
	"mrz_failed_checks",
	"document_valid",
	"adult",
	"name_match",
	"birth_date_match",
	"selfie_sharpness",
	"selfie_brightness",
	"selfie_face_area_milli",
	"selfie_face_offset_milli",
];

impl Features {
	/// SHA-256 of the features as little-endian i32s, after the pipeline version.
	pub fn digest(&self) -> [u8; 32] {
		let mut h = Sha256::new();
		h.update(PIPELINE_VERSION.to_le_bytes());
		for v in self.0 {
			h.update(v.to_le_bytes());
		}
		h.finalize().into()
	}
}
