//! Decoding photos within bounds, and the few deterministic pixel operations the pipeline needs
//! (quarter-turn rotations, bilinear resampling, planar tensors). Everything is plain scalar
//! arithmetic in a fixed order, so it gives the same bits on every machine.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

/// Largest accepted encoded photo.
pub const MAX_BYTES: usize = 20 << 20;
/// Largest accepted side, in pixels.
pub const MAX_SIDE: u32 = 8192;
/// Largest accepted pixel count.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Smallest accepted side: below this nothing can be recognised.
pub const MIN_SIDE: u32 = 64;

/// Why a photo was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
	/// More bytes than [`MAX_BYTES`].
	#[error("the photo is {0} bytes; at most {MAX_BYTES} are accepted")]
	TooManyBytes(usize),
	/// Not a JPEG or PNG.
	#[error("not a JPEG or PNG image")]
	UnknownFormat,
	/// Too large in pixels.
	#[error("the photo is {width}x{height} pixels; at most {MAX_SIDE} per side and {MAX_PIXELS} in all are accepted")]
	TooLarge {
		/// Width.
		width: u32,
		/// Height.
		height: u32,
	},
	/// Too small in pixels.
	#[error("the photo is {width}x{height} pixels; at least {MIN_SIDE} per side are needed")]
	TooSmall {
		/// Width.
		width: u32,
		/// Height.
		height: u32,
	},
	/// The bytes do not decode.
	#[error("the image is damaged: {0}")]
	Corrupt(String),
}

/// An 8-bit RGB image, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rgb {
	/// Width in pixels.
	pub width: u32,
	/// Height in pixels.
	pub height: u32,
	/// `width * height * 3` bytes.
	pub data: Vec<u8>,
}

impl Rgb {
	/// Decodes a JPEG or PNG within the limits above.
	pub fn decode(bytes: &[u8]) -> Result<Rgb, ImageError> {
		if bytes.len() > MAX_BYTES {
			return Err(ImageError::TooManyBytes(bytes.len()));
		}
		let format = match image::guess_format(bytes) {
			Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png)) => f,
			_ => return Err(ImageError::UnknownFormat),
		};
		let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
		let (width, height) =
			reader.into_dimensions().map_err(|e| ImageError::Corrupt(e.to_string()))?;
		if width > MAX_SIDE
			|| height > MAX_SIDE
			|| u64::from(width) * u64::from(height) > MAX_PIXELS
		{
			return Err(ImageError::TooLarge { width, height });
		}
		if width < MIN_SIDE || height < MIN_SIDE {
			return Err(ImageError::TooSmall { width, height });
		}
		reader = ImageReader::with_format(Cursor::new(bytes), format);
		let mut limits = Limits::default();
		limits.max_image_width = Some(MAX_SIDE);
		limits.max_image_height = Some(MAX_SIDE);
		limits.max_alloc = Some(MAX_PIXELS * 4 * 2);
		reader.limits(limits);
		let decoded = reader.decode().map_err(|e| ImageError::Corrupt(e.to_string()))?;
		let rgb = decoded.to_rgb8();
		Ok(Rgb { width: rgb.width(), height: rgb.height(), data: rgb.into_raw() })
	}

	/// The pixel at (x, y).
	pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
		let i = (y as usize * self.width as usize + x as usize) * 3;
		[self.data[i], self.data[i + 1], self.data[i + 2]]
	}

	/// Rotated clockwise by `quarters` quarter turns (exact: a permutation of pixels).
	pub fn rotate(&self, quarters: u8) -> Rgb {
		let (w, h) = (self.width, self.height);
		let (nw, nh) = if quarters % 2 == 1 { (h, w) } else { (w, h) };
		let mut data = vec![0u8; self.data.len()];
		for y in 0..nh {
			for x in 0..nw {
				// Source of the output pixel (x, y).
				let (sx, sy) = match quarters % 4 {
					0 => (x, y),
					1 => (y, h - 1 - x),
					2 => (w - 1 - x, h - 1 - y),
					_ => (w - 1 - y, x),
				};
				let o = (y as usize * nw as usize + x as usize) * 3;
				data[o..o + 3].copy_from_slice(&self.pixel(sx, sy));
			}
		}
		Rgb { width: nw, height: nh, data }
	}

	/// Bilinear sample at a real position (pixel centres at integer + 0.5 convention removed:
	/// (0, 0) is the centre of the first pixel); outside the image is black.
	pub fn sample(&self, x: f32, y: f32) -> [f32; 3] {
		let (x0, y0) = (x.floor(), y.floor());
		let (fx, fy) = (x - x0, y - y0);
		let mut out = [0f32; 3];
		for (dy, wy) in [(0, 1.0 - fy), (1, fy)] {
			for (dx, wx) in [(0, 1.0 - fx), (1, fx)] {
				let (px, py) = (x0 as i64 + dx, y0 as i64 + dy);
				if px < 0 || py < 0 || px >= i64::from(self.width) || py >= i64::from(self.height) {
					continue;
				}
				let p = self.pixel(px as u32, py as u32);
				let w = wx * wy;
				for c in 0..3 {
					out[c] += w * f32::from(p[c]);
				}
			}
		}
		out
	}

	/// The grey level (ITU-R BT.601 luma) of the pixel at (x, y).
	pub fn grey(&self, x: u32, y: u32) -> f32 {
		let p = self.pixel(x, y);
		0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
	}
}

/// The image scaled by `scale` (same factor on both axes) into the top-left corner of a
/// `width` × `height` canvas of zeros, as a planar `[1, 3, height, width]` tensor in BGR or RGB
/// channel order with raw 0-255 values. Returns the tensor data and the width and height the
/// image covers.
pub fn letterbox(
	img: &Rgb,
	width: usize,
	height: usize,
	scale: f32,
	bgr: bool,
) -> (Vec<f32>, usize, usize) {
	let plane = width * height;
	let mut out = vec![0f32; 3 * plane];
	let w = ((img.width as f32 * scale).round() as usize).min(width);
	let h = ((img.height as f32 * scale).round() as usize).min(height);
	for y in 0..h {
		let sy = (y as f32 + 0.5) / scale - 0.5;
		for x in 0..w {
			let sx = (x as f32 + 0.5) / scale - 0.5;
			let p = img.sample(sx.max(0.0), sy.max(0.0));
			let i = y * width + x;
			let (c0, c2) = if bgr { (p[2], p[0]) } else { (p[0], p[2]) };
			out[i] = c0;
			out[plane + i] = p[1];
			out[2 * plane + i] = c2;
		}
	}
	(out, w, h)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn gradient(w: u32, h: u32) -> Rgb {
		let data = (0..w * h).flat_map(|i| [(i % 251) as u8, (i / w) as u8, 7]).collect();
		Rgb { width: w, height: h, data }
	}

	#[test]
	fn four_quarter_turns_are_the_identity() {
		let img = gradient(70, 90);
		let r = img.rotate(1);
		assert_eq!((r.width, r.height), (90, 70));
		// Clockwise: the top-left pixel goes to the top-right corner.
		assert_eq!(r.pixel(89, 0), img.pixel(0, 0));
		assert_eq!(img.rotate(1).rotate(1).rotate(1).rotate(1), img);
		assert_eq!(img.rotate(2), img.rotate(1).rotate(1));
	}

	#[test]
	fn bad_inputs_are_typed_errors() {
		assert_eq!(Rgb::decode(b"not an image"), Err(ImageError::UnknownFormat));
		assert_eq!(
			Rgb::decode(&vec![0u8; MAX_BYTES + 1]),
			Err(ImageError::TooManyBytes(MAX_BYTES + 1))
		);
		// A PNG header promising a huge image.
		let mut png = Vec::new();
		image::RgbImage::new(80, 80)
			.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
			.expect("encode");
		let truncated = &png[..png.len() / 2];
		assert!(matches!(Rgb::decode(truncated), Err(ImageError::Corrupt(_))));
		let mut small = Vec::new();
		image::RgbImage::new(10, 80)
			.write_to(&mut Cursor::new(&mut small), ImageFormat::Png)
			.expect("encode");
		assert_eq!(Rgb::decode(&small), Err(ImageError::TooSmall { width: 10, height: 80 }));
		// Width and height fields patched to 60000 x 60000 in the IHDR chunk.
		let mut huge = png.clone();
		huge[16..20].copy_from_slice(&60_000u32.to_be_bytes());
		huge[20..24].copy_from_slice(&60_000u32.to_be_bytes());
		assert!(matches!(
			Rgb::decode(&huge),
			Err(ImageError::TooLarge { .. }) | Err(ImageError::Corrupt(_))
		));
	}

	#[test]
	fn letterbox_pads_with_zeros_and_keeps_values() {
		let img = Rgb { width: 64, height: 64, data: vec![100; 64 * 64 * 3] };
		let (t, w, h) = letterbox(&img, 128, 96, 1.0, true);
		assert_eq!((w, h), (64, 64));
		assert_eq!(t.len(), 3 * 128 * 96);
		assert_eq!(t[0], 100.0);
		assert_eq!(t[63], 100.0);
		assert_eq!(t[64], 0.0, "right of the image is padding");
		assert_eq!(t[64 * 128], 0.0, "below the image is padding");
	}
}

#[cfg(test)]
mod robustness {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(256))]
		/// Random bytes, and valid images with random bytes changed, decode or give a typed error;
		/// never a panic.
		#[test]
		fn damaged_images_are_errors_not_panics(noise in proptest::collection::vec(any::<u8>(), 0..4096),
			flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16)) {
			let _ = Rgb::decode(&noise);
			let mut png = Vec::new();
			image::RgbImage::from_fn(70, 70, |x, y| image::Rgb([x as u8, y as u8, 9]))
				.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
				.expect("encode");
			for (i, v) in flips {
				let n = png.len();
				png[i % n] ^= v | 1;
			}
			let _ = Rgb::decode(&png);
		}
	}
}
