//! Text: PP-OCRv5 mobile detection (DBNet probability map → line boxes) and recognition (CRNN,
//! CTC-decoded against the PP-OCRv5 dictionary).
//!
//! tract optimises a model for one input shape, so both models run on fixed canvases: detection
//! on [`DET_SIDE`]² (the page scaled to fit, zero-padded), recognition on [`REC_HEIGHT`] ×
//! [`REC_WIDTH`] (the line scaled to the height, padded). Pre-processing is PaddleOCR's: BGR,
//! `(v / 255 - mean) / std` with ImageNet statistics for detection and `(v / 255 - 0.5) / 0.5`
//! for recognition.

use std::path::Path;

use tract_onnx::prelude::*;

use crate::{
	image::{letterbox, Rgb},
	models::{floats, load_plan, read_verified, Manifest, ModelError, Plan},
};

/// Detection canvas side.
pub const DET_SIDE: usize = 960;
/// Recognition input height.
pub const REC_HEIGHT: usize = 48;
/// The widest recognition canvas: 160 CTC steps, room for a 44-character MRZ line.
pub const REC_WIDTH: usize = 1280;
/// Recognition canvases, narrowest first: a line runs on the narrowest that holds it (a short
/// label costs a quarter of an MRZ line). The choice depends only on the box, so it is the same
/// on every machine.
pub const REC_WIDTHS: [usize; 3] = [320, 640, REC_WIDTH];
/// Probability above which a pixel is text.
const PIXEL_THRESHOLD: f32 = 0.3;
/// Mean probability a line box needs.
const BOX_THRESHOLD: f32 = 0.6;
/// DBNet's shrunk text kernels are grown back by `area * ratio / perimeter`.
const UNCLIP_RATIO: f32 = 1.5;
/// At most this many lines are recognised per page (bounded work).
pub const MAX_LINES: usize = 48;

/// A recognised line of text.
#[derive(Clone, Debug, PartialEq)]
pub struct TextLine {
	/// Left, top, width, height in the page's pixels.
	pub bbox: [u32; 4],
	/// The text.
	pub text: String,
	/// Mean probability of the decoded characters.
	pub confidence: f32,
	/// The same line decoded with only the classes that read as MRZ characters allowed, folded
	/// to the MRZ alphabet: where an MRZ is looked for.
	pub mrz_text: String,
}

/// Why OCR failed.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
	/// A model could not be loaded.
	#[error(transparent)]
	Model(#[from] ModelError),
	/// Inference failed (a bug or a corrupt model, never bad user input).
	#[error("inference failed: {0}")]
	Inference(String),
}

fn infer(e: TractError) -> OcrError {
	OcrError::Inference(format!("{e:#}"))
}

/// The loaded OCR models and dictionary.
pub struct OcrModels {
	det: Plan,
	/// One plan per width of [`REC_WIDTHS`].
	rec: Vec<Plan>,
	/// Class `i` is `dict[i]`: this dictionary is index-aligned to the model's classes, class 0
	/// being the CTC blank (its line reads `blank`) and the last a space.
	dict: Vec<String>,
	/// For each class, whether it reads as an MRZ character (blank excluded).
	mrz_classes: Vec<bool>,
}

impl OcrModels {
	/// Loads and verifies the models and dictionary from `dir`.
	pub fn load(dir: &Path, manifest: &Manifest) -> Result<Self, ModelError> {
		let dict_bytes = read_verified(dir, manifest.model("ocr_dictionary")?)?;
		let dict: Vec<String> =
			String::from_utf8_lossy(&dict_bytes).lines().map(str::to_owned).collect();
		let mrz_classes = dict
			.iter()
			.enumerate()
			.map(|(i, s)| {
				let mut chars = s.chars();
				match (chars.next(), chars.next()) {
					(Some(c), None) if i > 0 => crate::mrz::is_mrz_char(crate::mrz::fold_char(c)),
					_ => false,
				}
			})
			.collect();
		Ok(OcrModels {
			mrz_classes,
			det: load_plan(dir, manifest.model("ocr_detection")?, &[1, 3, DET_SIDE, DET_SIDE])?,
			rec: REC_WIDTHS
				.iter()
				.map(|&w| {
					load_plan(dir, manifest.model("ocr_recognition")?, &[1, 3, REC_HEIGHT, w])
				})
				.collect::<Result<_, _>>()?,
			dict,
		})
	}

	/// Line boxes on the page, top to bottom then left to right.
	pub fn detect(&self, page: &Rgb) -> Result<Vec<[u32; 4]>, OcrError> {
		let side = DET_SIDE as f32;
		let scale = (side / page.width as f32).min(side / page.height as f32);
		const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
		const STD: [f32; 3] = [0.229, 0.224, 0.225];
		let plane = DET_SIDE * DET_SIDE;
		let (mut input, w, h) = letterbox(page, DET_SIDE, DET_SIDE, scale, true);
		// ImageNet normalisation where the page is; the padding stays zero.
		for (c, channel) in input.chunks_exact_mut(plane).enumerate() {
			for row in channel.chunks_exact_mut(DET_SIDE).take(h) {
				for v in &mut row[..w] {
					*v = (*v / 255.0 - MEAN[c]) / STD[c];
				}
			}
		}
		let tensor = Tensor::from_shape(&[1, 3, DET_SIDE, DET_SIDE], &input).map_err(infer)?;
		let out = self.det.run(tvec!(tensor.into())).map_err(infer)?;
		let prob = floats(&out[0]).map_err(infer)?;
		if prob.len() != plane {
			return Err(OcrError::Inference(format!("detection map of {} values", prob.len())));
		}
		let mut boxes = Vec::new();
		for (x0, y0, x1, y1, mean) in components(prob, DET_SIDE, w, h) {
			if mean < BOX_THRESHOLD || x1 - x0 < 2 || y1 - y0 < 2 {
				continue;
			}
			let (bw, bh) = ((x1 - x0 + 1) as f32, (y1 - y0 + 1) as f32);
			let d = bw * bh * UNCLIP_RATIO / (2.0 * (bw + bh));
			let to_page = |v: f32, max: u32| ((v / scale).round().max(0.0) as u32).min(max);
			let left = to_page(x0 as f32 - d, page.width - 1);
			let top = to_page(y0 as f32 - d, page.height - 1);
			let right = to_page(x1 as f32 + 1.0 + d, page.width);
			let bottom = to_page(y1 as f32 + 1.0 + d, page.height);
			if right > left + 1 && bottom > top + 1 {
				boxes.push([left, top, right - left, bottom - top]);
			}
		}
		boxes.sort_by_key(|b| (b[1] + b[3] / 2, b[0]));
		boxes.truncate(MAX_LINES);
		Ok(boxes)
	}

	/// Recognises the text in one box of the page.
	pub fn recognise(&self, page: &Rgb, bbox: [u32; 4]) -> Result<TextLine, OcrError> {
		let [bx, by, bw, bh] = bbox;
		let scale = REC_HEIGHT as f32 / bh.max(1) as f32;
		let width = ((bw as f32 * scale).round() as usize).clamp(1, REC_WIDTH);
		// A line wider than the canvas is squeezed horizontally to fit.
		let sx_scale = bw as f32 / width as f32;
		let slot = REC_WIDTHS.iter().position(|&w| w >= width).unwrap_or(REC_WIDTHS.len() - 1);
		let canvas = REC_WIDTHS[slot];
		let plane = REC_HEIGHT * canvas;
		let mut input = vec![0f32; 3 * plane];
		for y in 0..REC_HEIGHT {
			let sy = by as f32 + (y as f32 + 0.5) / scale - 0.5;
			for x in 0..width {
				let sx = bx as f32 + (x as f32 + 0.5) * sx_scale - 0.5;
				let p = page.sample(sx, sy);
				let bgr = [p[2], p[1], p[0]];
				for c in 0..3 {
					input[c * plane + y * canvas + x] = (bgr[c] / 255.0 - 0.5) / 0.5;
				}
			}
		}
		let tensor = Tensor::from_shape(&[1, 3, REC_HEIGHT, canvas], &input).map_err(infer)?;
		let out = self.rec[slot].run(tvec!(tensor.into())).map_err(infer)?;
		let shape = out[0].shape().to_vec();
		let probs = floats(&out[0]).map_err(infer)?;
		let classes = *shape.last().unwrap_or(&0);
		if classes != self.dict.len() {
			return Err(OcrError::Inference(format!(
				"recognition has {classes} classes, the dictionary {}",
				self.dict.len()
			)));
		}
		let (text, confidence) = ctc_decode(probs, classes, &self.dict, None);
		let (mrz, _) = ctc_decode(probs, classes, &self.dict, Some(&self.mrz_classes));
		let mrz_text = mrz.chars().map(crate::mrz::fold_char).collect();
		Ok(TextLine { bbox, text, confidence, mrz_text })
	}

	/// Every line of the page, recognised.
	pub fn read(&self, page: &Rgb) -> Result<Vec<TextLine>, OcrError> {
		self.detect(page)?.into_iter().map(|b| self.recognise(page, b)).collect()
	}
}

/// Greedy CTC decoding: the most probable class per step, repeats collapsed, blanks dropped.
/// With `allowed`, a step's choice is between the blank and the allowed classes only. Ties go to
/// the lower class index, so the result is a function of the probabilities alone.
pub fn ctc_decode(
	probs: &[f32],
	classes: usize,
	dict: &[String],
	allowed: Option<&[bool]>,
) -> (String, f32) {
	let mut text = String::new();
	let (mut sum, mut count) = (0f32, 0u32);
	let mut previous = 0usize;
	for step in probs.chunks_exact(classes) {
		let (best, p) = step
			.iter()
			.enumerate()
			.filter(|(i, _)| *i == 0 || allowed.is_none_or(|a| a.get(*i).copied().unwrap_or(false)))
			.fold(
				(0usize, f32::NEG_INFINITY),
				|(bi, bp), (i, &p)| if p > bp { (i, p) } else { (bi, bp) },
			);
		if best != 0 && best != previous {
			if let Some(c) = dict.get(best) {
				text.push_str(c);
				sum += p;
				count += 1;
			}
		}
		previous = best;
	}
	(text, if count == 0 { 0.0 } else { sum / count as f32 })
}

/// 4-connected components of `prob > PIXEL_THRESHOLD` inside the `w` × `h` top-left region of
/// a `stride`-wide map: (min x, min y, max x, max y, mean probability), in scan order.
fn components(
	prob: &[f32],
	stride: usize,
	w: usize,
	h: usize,
) -> Vec<(usize, usize, usize, usize, f32)> {
	let mut seen = vec![false; stride * h];
	let mut out = Vec::new();
	let mut stack = Vec::new();
	for y in 0..h {
		for x in 0..w {
			let i = y * stride + x;
			if seen[i] || prob[i] <= PIXEL_THRESHOLD {
				continue;
			}
			seen[i] = true;
			stack.push((x, y));
			let (mut x0, mut y0, mut x1, mut y1) = (x, y, x, y);
			let (mut sum, mut n) = (0f64, 0u32);
			while let Some((cx, cy)) = stack.pop() {
				sum += f64::from(prob[cy * stride + cx]);
				n += 1;
				(x0, y0, x1, y1) = (x0.min(cx), y0.min(cy), x1.max(cx), y1.max(cy));
				let mut visit = |nx: usize, ny: usize| {
					let j = ny * stride + nx;
					if !seen[j] && prob[j] > PIXEL_THRESHOLD {
						seen[j] = true;
						stack.push((nx, ny));
					}
				};
				if cx > 0 {
					visit(cx - 1, cy);
				}
				if cx + 1 < w {
					visit(cx + 1, cy);
				}
				if cy > 0 {
					visit(cx, cy - 1);
				}
				if cy + 1 < h {
					visit(cx, cy + 1);
				}
			}
			out.push((x0, y0, x1, y1, (sum / f64::from(n)) as f32));
		}
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn ctc_collapses_repeats_and_drops_blanks() {
		let dict: Vec<String> = ["blank", "A", "B"].iter().map(|s| s.to_string()).collect();
		// Steps: A A blank A B B → "AAB".
		let steps = [
			[0.1, 0.8, 0.1],
			[0.1, 0.7, 0.2],
			[0.9, 0.05, 0.05],
			[0.2, 0.6, 0.2],
			[0.1, 0.1, 0.8],
			[0.0, 0.1, 0.9],
		];
		let probs: Vec<f32> = steps.iter().flatten().copied().collect();
		let (text, conf) = ctc_decode(&probs, 3, &dict, None);
		assert_eq!(text, "AAB");
		assert!((conf - (0.8 + 0.6 + 0.8) / 3.0).abs() < 1e-6);
		// Only A allowed: the fifth step ties blank and A (0.1 each) and takes the blank, the
		// sixth falls back to A: A A blank A blank A → "AAA".
		let (text, _) = ctc_decode(&probs, 3, &dict, Some(&[false, true, false]));
		assert_eq!(text, "AAA");
	}

	#[test]
	fn components_are_found_in_scan_order() {
		let (w, h) = (8, 4);
		let mut prob = vec![0f32; w * h];
		for x in 1..4 {
			prob[w + x] = 0.9;
		}
		prob[3 * w + 6] = 0.5;
		let c = components(&prob, w, w, h);
		assert_eq!(c.len(), 2);
		assert_eq!((c[0].0, c[0].1, c[0].2, c[0].3), (1, 1, 3, 1));
		assert!((c[0].4 - 0.9).abs() < 1e-6);
		assert_eq!((c[1].0, c[1].1), (6, 3));
	}
}
