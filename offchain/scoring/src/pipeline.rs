//! The whole pipeline: a scope bundle in, an identity score, reason codes and a feature digest
//! out.
//!
//! Every stage's result is turned into an integer feature ([`Features`]) before anything is
//! decided, so validators whose floating-point results differed in the last bits still agree
//! unless a value sits exactly on a quantisation boundary; the digest is SHA-256 of those
//! integers, and the scoring model sees them (as exact f32 values) and nothing else.

use std::{path::Path, time::Instant};

use sha2::{Digest, Sha256};

pub use crate::features::{Features, FEATURES, FEATURE_NAMES, PIPELINE_VERSION};
use crate::{
	face::{cosine, Face, FaceError, FaceModels},
	image::{ImageError, Rgb},
	models::{Manifest, ModelError},
	mrz::{self, Date, Mrz},
	ocr::{OcrError, OcrModels},
	score::{ScoreError, ScoringModel},
};

/// Cosine similarity at or above which the selfie and the document show the same person.
pub const FACE_MATCH: f32 = 0.40;
/// Minimum age.
pub const ADULT_AGE: i32 = 18;

/// What the user uploaded, decrypted.
pub struct Bundle<'a> {
	/// The photo of the identity document (JPEG or PNG).
	pub document: &'a [u8],
	/// The selfie (JPEG or PNG).
	pub selfie: &'a [u8],
	/// The salt of the commitments.
	pub salt: [u8; 32],
	/// [`name_commitment`] of the holder's name.
	pub name_commitment: [u8; 32],
	/// [`birth_date_commitment`] of the holder's birth date.
	pub birth_date_commitment: [u8; 32],
	/// The reference day (from the block timestamp, never the local clock).
	pub today: Date,
}

/// The salted commitment to a name, as the MRZ gives it: upper-case surname, a zero byte, the
/// given names separated by single spaces.
pub fn name_commitment(salt: &[u8; 32], surname: &str, given_names: &str) -> [u8; 32] {
	let mut h = Sha256::new();
	h.update(b"virtengine/veid/name/v1");
	h.update(salt);
	h.update(surname.to_ascii_uppercase().as_bytes());
	h.update([0]);
	h.update(
		given_names
			.to_ascii_uppercase()
			.split_whitespace()
			.collect::<Vec<_>>()
			.join(" ")
			.as_bytes(),
	);
	h.finalize().into()
}

/// The salted commitment to a birth date, `YYYY-MM-DD`.
pub fn birth_date_commitment(salt: &[u8; 32], date: &Date) -> [u8; 32] {
	let mut h = Sha256::new();
	h.update(b"virtengine/veid/birth-date/v1");
	h.update(salt);
	h.update(format!("{:04}-{:02}-{:02}", date.year, date.month, date.day).as_bytes());
	h.finalize().into()
}

/// Why a score was lowered or refused. Stable names: they go on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
	/// No face found on the document at any rotation.
	NoDocumentFace,
	/// No face in the selfie.
	NoSelfieFace,
	/// More than one face in the selfie.
	MultipleSelfieFaces,
	/// The selfie and the document show different people.
	FaceMismatch,
	/// No machine-readable zone could be read.
	MrzNotFound,
	/// A check digit of the MRZ is wrong.
	MrzCheckDigit,
	/// The document has expired (or its expiry date is unreadable).
	DocumentExpired,
	/// The holder is under 18 (or the birth date is unreadable).
	Underage,
	/// The name on the document is not the one committed to.
	NameMismatch,
	/// The birth date on the document is not the one committed to.
	BirthDateMismatch,
	/// The selfie's face is blurred.
	Blurry,
	/// The selfie is too dark.
	TooDark,
	/// The selfie is over-exposed.
	TooBright,
	/// The face is too small in the selfie.
	FaceTooSmall,
	/// The face is far from the selfie's centre.
	FaceOffCentre,
}

impl Reason {
	/// The reason's code as it appears on chain.
	pub fn code(&self) -> &'static str {
		match self {
			Reason::NoDocumentFace => "NO_DOCUMENT_FACE",
			Reason::NoSelfieFace => "NO_SELFIE_FACE",
			Reason::MultipleSelfieFaces => "MULTIPLE_SELFIE_FACES",
			Reason::FaceMismatch => "FACE_MISMATCH",
			Reason::MrzNotFound => "MRZ_NOT_FOUND",
			Reason::MrzCheckDigit => "MRZ_CHECK_DIGIT",
			Reason::DocumentExpired => "DOCUMENT_EXPIRED",
			Reason::Underage => "UNDERAGE",
			Reason::NameMismatch => "NAME_MISMATCH",
			Reason::BirthDateMismatch => "BIRTH_DATE_MISMATCH",
			Reason::Blurry => "BLURRY",
			Reason::TooDark => "TOO_DARK",
			Reason::TooBright => "TOO_BRIGHT",
			Reason::FaceTooSmall => "FACE_TOO_SMALL",
			Reason::FaceOffCentre => "FACE_OFF_CENTRE",
		}
	}

	/// Whether this reason alone rejects the identity (caps the score below the basic tier).
	pub fn is_critical(&self) -> bool {
		!matches!(
			self,
			Reason::Blurry
				| Reason::TooDark
				| Reason::TooBright
				| Reason::FaceTooSmall
				| Reason::FaceOffCentre
		)
	}
}

/// How long each stage took (not part of the result validators agree on).
#[derive(Clone, Debug, Default)]
pub struct Timings {
	/// (stage, milliseconds).
	pub stages: Vec<(&'static str, f64)>,
}

/// The pipeline's result.
#[derive(Clone, Debug)]
pub struct Outcome {
	/// 0-100.
	pub score: u8,
	/// Why it is not higher, sorted.
	pub reasons: Vec<Reason>,
	/// The quantised features.
	pub features: Features,
	/// Their digest.
	pub digest: [u8; 32],
	/// The MRZ as read, if any (stays off chain).
	pub mrz: Option<Mrz>,
	/// Stage timings.
	pub timings: Timings,
}

/// Why the pipeline could not produce a score at all (as opposed to a low score).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
	/// The document photo is unusable.
	#[error("document photo: {0}")]
	Document(ImageError),
	/// The selfie is unusable.
	#[error("selfie: {0}")]
	Selfie(ImageError),
	/// A model could not be loaded.
	#[error(transparent)]
	Model(#[from] ModelError),
	/// Face inference failed.
	#[error(transparent)]
	Face(#[from] FaceError),
	/// OCR failed.
	#[error(transparent)]
	Ocr(#[from] OcrError),
	/// The scoring model failed.
	#[error(transparent)]
	Score(#[from] ScoreError),
}

/// Every model of the pipeline, loaded once.
pub struct Pipeline {
	faces: FaceModels,
	ocr: OcrModels,
	scorer: ScoringModel,
	/// The model set id (sha256 over the pinned models, the scoring model and the pipeline
	/// version).
	pub model_set: [u8; 32],
}

fn milli(v: f32) -> i32 {
	(v * 1000.0).round() as i32
}

/// Variance of the 4-neighbour Laplacian of the grey levels inside a box (a blur measure), and
/// the mean grey level there.
fn sharpness_and_brightness(img: &Rgb, bbox: &[f32; 4]) -> (f32, f32) {
	let (w, h) = (img.width as i64, img.height as i64);
	let x0 = (bbox[0].floor() as i64).clamp(1, w - 2);
	let y0 = (bbox[1].floor() as i64).clamp(1, h - 2);
	let x1 = ((bbox[0] + bbox[2]).ceil() as i64).clamp(x0 + 1, w - 1);
	let y1 = ((bbox[1] + bbox[3]).ceil() as i64).clamp(y0 + 1, h - 1);
	let at = |x: i64, y: i64| f64::from(img.grey(x as u32, y as u32));
	let (mut sum, mut sum_sq, mut bright, mut n) = (0f64, 0f64, 0f64, 0f64);
	for y in y0..y1 {
		for x in x0..x1 {
			let lap = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
			sum += lap;
			sum_sq += lap * lap;
			bright += at(x, y);
			n += 1.0;
		}
	}
	if n == 0.0 {
		return (0.0, 0.0);
	}
	let mean = sum / n;
	((sum_sq / n - mean * mean) as f32, (bright / n) as f32)
}

impl Pipeline {
	/// Loads every model from `dir`, verifying each against the compiled-in manifest.
	pub fn load(dir: &Path) -> Result<Pipeline, ModelError> {
		Self::load_with(dir, &Manifest::pinned()?)
	}

	/// Loads every model from `dir`, verifying each against `manifest`.
	pub fn load_with(dir: &Path, manifest: &Manifest) -> Result<Pipeline, ModelError> {
		let scorer = ScoringModel::load()?;
		Ok(Pipeline {
			faces: FaceModels::load(dir, manifest)?,
			ocr: OcrModels::load(dir, manifest)?,
			model_set: Self::model_set_of(manifest, &scorer),
			scorer,
		})
	}

	/// The model set id of this build (no model file needed): what a pipeline loaded from the
	/// pinned models reports, and what the chain's presets activate.
	pub fn model_set_id() -> Result<[u8; 32], ModelError> {
		Self::model_set_id_of(&Manifest::pinned()?)
	}

	/// The model set id of a pipeline loaded with `manifest` (no model file needed).
	pub fn model_set_id_of(manifest: &Manifest) -> Result<[u8; 32], ModelError> {
		Ok(Self::model_set_of(manifest, &ScoringModel::load()?))
	}

	fn model_set_of(manifest: &Manifest, scorer: &ScoringModel) -> [u8; 32] {
		let mut h = Sha256::new();
		h.update(manifest.model_set_id());
		h.update(scorer.sha256());
		h.update(PIPELINE_VERSION.to_le_bytes());
		h.finalize().into()
	}

	/// A reason mask over `virtengine_veid_primitives::REASON_CODES` (bit `i` is `Reason` number
	/// `i`).
	pub fn reason_mask(reasons: &[Reason]) -> u32 {
		reasons.iter().fold(0, |mask, r| mask | 1 << (*r as u32))
	}

	/// The document photo turned upright: the quarter turn whose most confident face is the
	/// most confident of the four (ties to the smaller turn), with that face.
	fn upright_document(&self, doc: &Rgb) -> Result<(Rgb, Option<Face>), FaceError> {
		let mut best: Option<(Rgb, Face)> = None;
		for quarters in 0..4 {
			let turned = doc.rotate(quarters);
			if let Some(face) = self.faces.detect(&turned)?.into_iter().next() {
				if best.as_ref().is_none_or(|(_, b)| face.confidence > b.confidence) {
					best = Some((turned, face));
				}
			}
		}
		Ok(match best {
			Some((img, face)) => (img, Some(face)),
			None => (doc.clone(), None),
		})
	}

	/// Scores a bundle.
	pub fn score(&self, bundle: &Bundle) -> Result<Outcome, PipelineError> {
		let mut timings = Timings::default();
		let mut clock = Instant::now();
		let mut lap = |name: &'static str, timings: &mut Timings| {
			timings.stages.push((name, clock.elapsed().as_secs_f64() * 1000.0));
			clock = Instant::now();
		};
		let document = Rgb::decode(bundle.document).map_err(PipelineError::Document)?;
		let selfie = Rgb::decode(bundle.selfie).map_err(PipelineError::Selfie)?;
		lap("decode", &mut timings);

		let (document, document_face) = self.upright_document(&document)?;
		let selfie_faces = self.faces.detect(&selfie)?;
		lap("face detection", &mut timings);

		let mut reasons = Vec::new();
		let mut f = [0i32; FEATURES];
		let similarity = match (&document_face, selfie_faces.first()) {
			(Some(d), Some(s)) => {
				let (a, b) = (self.faces.embed(&document, d)?, self.faces.embed(&selfie, s)?);
				Some(cosine(&a, &b))
			},
			_ => None,
		};
		lap("face embedding", &mut timings);
		f[0] = similarity.map(milli).unwrap_or(-1000);
		f[1] = document_face.as_ref().map(|d| milli(d.confidence)).unwrap_or(0);
		f[2] = selfie_faces.first().map(|s| milli(s.confidence)).unwrap_or(0);
		f[3] = selfie_faces.len().min(9) as i32;
		if document_face.is_none() {
			reasons.push(Reason::NoDocumentFace);
		}
		match selfie_faces.len() {
			0 => reasons.push(Reason::NoSelfieFace),
			1 => {},
			_ => reasons.push(Reason::MultipleSelfieFaces),
		}
		if similarity.is_some_and(|s| s < FACE_MATCH) {
			reasons.push(Reason::FaceMismatch);
		}

		// Only lines shaped like an MRZ line are recognised first (an MRZ line is at least six
		// times as wide as it is high); every line only if that finds no MRZ. Either way the
		// result depends on the page alone.
		let boxes = self.ocr.detect(&document)?;
		let read = |boxes: &[[u32; 4]]| -> Result<Option<Mrz>, OcrError> {
			let texts = boxes
				.iter()
				.map(|b| self.ocr.recognise(&document, *b).map(|l| l.mrz_text))
				.collect::<Result<Vec<_>, _>>()?;
			Ok(mrz::find(&texts, &bundle.today))
		};
		let long: Vec<[u32; 4]> = boxes.iter().copied().filter(|b| b[2] >= 6 * b[3]).collect();
		let found = match read(&long)? {
			Some(m) => Some(m),
			None => read(&boxes)?,
		};
		lap("ocr", &mut timings);
		match &found {
			None => reasons.push(Reason::MrzNotFound),
			Some(m) => {
				f[4] = 1;
				f[5] = m.failed_checks.len() as i32;
				if !m.checks_pass() {
					reasons.push(Reason::MrzCheckDigit);
				}
				let valid = m.expiry_date.is_some_and(|e| e >= bundle.today);
				f[6] = i32::from(valid);
				if !valid {
					reasons.push(Reason::DocumentExpired);
				}
				let adult = m.birth_date.is_some_and(|b| b.years_until(&bundle.today) >= ADULT_AGE);
				f[7] = i32::from(adult);
				if !adult {
					reasons.push(Reason::Underage);
				}
				let name = name_commitment(&bundle.salt, &m.surname, &m.given_names);
				f[8] = i32::from(name == bundle.name_commitment);
				if f[8] == 0 {
					reasons.push(Reason::NameMismatch);
				}
				let birth = m.birth_date.map(|b| birth_date_commitment(&bundle.salt, &b));
				f[9] = i32::from(birth == Some(bundle.birth_date_commitment));
				if f[9] == 0 {
					reasons.push(Reason::BirthDateMismatch);
				}
			},
		}

		if let Some(face) = selfie_faces.first() {
			let (sharp, bright) = sharpness_and_brightness(&selfie, &face.bbox);
			f[10] = (sharp.round() as i32).clamp(0, 5000);
			f[11] = (bright.round() as i32).clamp(0, 255);
			let area = (face.bbox[2] * face.bbox[3]) / (selfie.width as f32 * selfie.height as f32);
			f[12] = milli(area).clamp(0, 1000);
			let (cx, cy) = (face.bbox[0] + face.bbox[2] / 2.0, face.bbox[1] + face.bbox[3] / 2.0);
			let (dx, dy) = (cx / selfie.width as f32 - 0.5, cy / selfie.height as f32 - 0.5);
			f[13] = milli((dx * dx + dy * dy).sqrt()).clamp(0, 1000);
			if f[10] < 20 {
				reasons.push(Reason::Blurry);
			}
			if f[11] < 40 {
				reasons.push(Reason::TooDark);
			}
			if f[11] > 225 {
				reasons.push(Reason::TooBright);
			}
			if f[12] < 20 {
				reasons.push(Reason::FaceTooSmall);
			}
			if f[13] > 350 {
				reasons.push(Reason::FaceOffCentre);
			}
		}
		lap("quality", &mut timings);

		let features = Features(f);
		let mut score = self.scorer.score(&features)?;
		reasons.sort();
		if reasons.iter().any(Reason::is_critical) {
			// A critical failure rejects whatever the model says (tier 0-49).
			score = score.min(crate::score::MAX_REJECTED);
		}
		lap("scoring", &mut timings);
		Ok(Outcome { score, reasons, digest: features.digest(), features, mrz: found, timings })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn reasons_are_numbered_as_the_chain_names_them() {
		let all = [
			Reason::NoDocumentFace,
			Reason::NoSelfieFace,
			Reason::MultipleSelfieFaces,
			Reason::FaceMismatch,
			Reason::MrzNotFound,
			Reason::MrzCheckDigit,
			Reason::DocumentExpired,
			Reason::Underage,
			Reason::NameMismatch,
			Reason::BirthDateMismatch,
			Reason::Blurry,
			Reason::TooDark,
			Reason::TooBright,
			Reason::FaceTooSmall,
			Reason::FaceOffCentre,
		];
		for (i, r) in all.iter().enumerate() {
			assert_eq!(*r as usize, i);
			assert_eq!(virtengine_veid_primitives::REASON_CODES[i], r.code());
			let codes: Vec<_> =
				virtengine_veid_primitives::reason_codes(Pipeline::reason_mask(&[*r])).collect();
			assert_eq!(codes, [r.code()]);
		}
	}

	#[test]
	fn the_presets_activate_this_builds_model_set() {
		let id = Pipeline::model_set_id().expect("pinned manifest");
		assert_eq!(
			id,
			virtengine_veid_primitives::PINNED_MODEL_SET,
			"the model set changed: set PINNED_MODEL_SET in primitives/veid to {}",
			id.iter().map(|b| format!("{b:02x}")).collect::<String>()
		);
	}
}
