//! The VEID identity scoring pipeline.
//!
//! Turns a decrypted scope bundle (a photo of an identity document, a selfie and the user's
//! salted commitments) into an integer identity score that every validator recomputes bit for
//! bit: face detection (YuNet) and embeddings (SFace), OCR (PP-OCRv5) and the MRZ, quality
//! signals, and a scoring model, all run under tract, single-threaded, from models pinned by
//! hash in `models/models.toml`.

pub mod face;
pub mod features;
pub mod fold;
pub mod image;
pub mod models;
pub mod mrz;
pub mod ocr;
pub mod pipeline;
pub mod score;
pub mod synth;

/// The identity tiers (the seeds' table), shared with the chain.
pub use virtengine_veid_primitives::Tier;
