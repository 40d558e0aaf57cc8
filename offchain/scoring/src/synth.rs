//! Synthetic identity documents for tests, benchmarks and demos: an ID-1 card (TD1 MRZ) or a
//! passport data page (TD3 MRZ) with a face photograph, printed fields and a machine-readable
//! zone in OCR-B (Debian's `fonts-ocr-b`), with correct check digits unless told otherwise.
//! Nothing here is used to score real documents.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

use crate::{
	image::Rgb,
	mrz::{check_digit, Date},
};

/// Where Debian's `fonts-ocr-b` puts the font.
pub const OCR_B: &str = "/usr/share/fonts/opentype/ocr-b/OCRB.otf";

/// The holder and document the card shows.
#[derive(Clone, Debug)]
pub struct Holder {
	/// Surname, upper case A-Z and spaces.
	pub surname: String,
	/// Given names, upper case A-Z and spaces.
	pub given_names: String,
	/// Document number, up to 9 characters A-Z 0-9.
	pub document_number: String,
	/// Issuing state and nationality (ICAO code).
	pub state: String,
	/// Date of birth.
	pub birth_date: Date,
	/// `M`, `F` or `X`.
	pub sex: char,
	/// Date of expiry.
	pub expiry_date: Date,
}

impl Holder {
	/// The fictitious holder the tests, the benchmark and `virtengine veid synth` use.
	pub fn example() -> Holder {
		Holder {
			surname: "MARTIN".into(),
			given_names: "ANNA MARIA".into(),
			document_number: "X4RTBPFW4".into(),
			state: "UTO".into(),
			birth_date: Date { year: 1990, month: 3, day: 14 },
			sex: 'F',
			expiry_date: Date { year: 2031, month: 6, day: 30 },
		}
	}
}

/// Which document to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
	/// ID-1 card, 85.6 × 54 mm at 300 dpi, TD1 MRZ.
	Card,
	/// Passport data page, 125 × 88 mm at 300 dpi, TD3 MRZ.
	Passport,
}

fn yymmdd(d: &Date) -> String {
	format!("{:02}{:02}{:02}", d.year % 100, d.month, d.day)
}

fn field(text: &str, len: usize) -> String {
	let mut s: String = text.chars().map(|c| if c == ' ' { '<' } else { c }).take(len).collect();
	while s.len() < len {
		s.push('<');
	}
	s
}

fn digit(s: &str) -> char {
	char::from(b'0' + check_digit(s).unwrap_or(0))
}

/// The MRZ lines for a holder, with correct check digits.
pub fn mrz_lines(holder: &Holder, layout: Layout) -> Vec<String> {
	let name =
		format!("{}<<{}", holder.surname.replace(' ', "<"), holder.given_names.replace(' ', "<"));
	let number = field(&holder.document_number, 9);
	let (birth, expiry) = (yymmdd(&holder.birth_date), yymmdd(&holder.expiry_date));
	match layout {
		Layout::Card => {
			let l1 = format!(
				"I<{}{}{}{}",
				field(&holder.state, 3),
				number,
				digit(&number),
				field("", 15)
			);
			let l2_body = format!(
				"{birth}{}{}{expiry}{}{}{}",
				digit(&birth),
				holder.sex,
				digit(&expiry),
				field(&holder.state, 3),
				field("", 11)
			);
			let composite =
				format!("{}{}{}{}", &l1[5..30], &l2_body[0..7], &l2_body[8..15], &l2_body[18..29]);
			let l2 = format!("{l2_body}{}", digit(&composite));
			vec![l1, l2, field(&name, 30)]
		},
		Layout::Passport => {
			let l1 = format!("P<{}{}", field(&holder.state, 3), field(&name, 39));
			let personal = field("", 14);
			let l2_body = format!(
				"{number}{}{}{birth}{}{}{expiry}{}{personal}{}",
				digit(&number),
				field(&holder.state, 3),
				digit(&birth),
				holder.sex,
				digit(&expiry),
				digit(&personal)
			);
			let composite = format!("{}{}{}", &l2_body[0..10], &l2_body[13..20], &l2_body[21..43]);
			let l2 = format!("{l2_body}{}", digit(&composite));
			vec![l1, l2]
		},
	}
}

/// Why a document could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
	/// The OCR-B font is not installed.
	#[error("{OCR_B}: {0} (install Debian's fonts-ocr-b; scripts/setup.sh does)")]
	Font(String),
}

struct Canvas {
	img: Rgb,
}

impl Canvas {
	fn new(width: u32, height: u32, paper: [u8; 3]) -> Canvas {
		let data = (0..width * height).flat_map(|_| paper).collect();
		Canvas { img: Rgb { width, height, data } }
	}

	fn blend(&mut self, x: i64, y: i64, ink: [u8; 3], coverage: f32) {
		if x < 0 || y < 0 || x >= i64::from(self.img.width) || y >= i64::from(self.img.height) {
			return;
		}
		let i = (y as usize * self.img.width as usize + x as usize) * 3;
		let a = coverage.clamp(0.0, 1.0);
		for (px, ink) in self.img.data[i..i + 3].iter_mut().zip(ink) {
			let old = f32::from(*px);
			*px = (old + (f32::from(ink) - old) * a).round() as u8;
		}
	}

	fn rect(&mut self, x: u32, y: u32, w: u32, h: u32, colour: [u8; 3]) {
		for yy in y..(y + h).min(self.img.height) {
			for xx in x..(x + w).min(self.img.width) {
				self.blend(i64::from(xx), i64::from(yy), colour, 1.0);
			}
		}
	}

	/// Draws `text` with its baseline at `y`, left edge at `x`; `advance` forces a fixed pitch.
	#[allow(clippy::too_many_arguments)]
	fn text(
		&mut self,
		font: &FontRef,
		px: f32,
		x: f32,
		y: f32,
		text: &str,
		ink: [u8; 3],
		advance: Option<f32>,
	) {
		let scaled = font.as_scaled(PxScale::from(px));
		let mut caret = x;
		for c in text.chars() {
			let glyph = scaled.scaled_glyph(c);
			let step = advance.unwrap_or_else(|| scaled.h_advance(glyph.id));
			let glyph = ab_glyph::Glyph { position: ab_glyph::point(caret, y), ..glyph };
			if let Some(outline) = font.outline_glyph(glyph) {
				let b = outline.px_bounds();
				outline.draw(|gx, gy, cov| {
					self.blend(
						b.min.x as i64 + i64::from(gx),
						b.min.y as i64 + i64::from(gy),
						ink,
						cov,
					)
				});
			}
			caret += step;
		}
	}

	/// Pastes `photo` scaled to fit `w` × `h` at (x, y), centred.
	fn photo(&mut self, photo: &Rgb, x: u32, y: u32, w: u32, h: u32) {
		let scale = (w as f32 / photo.width as f32).min(h as f32 / photo.height as f32);
		let (pw, ph) = ((photo.width as f32 * scale) as u32, (photo.height as f32 * scale) as u32);
		let (ox, oy) = (x + (w - pw) / 2, y + (h - ph) / 2);
		for yy in 0..ph {
			for xx in 0..pw {
				let p =
					photo.sample((xx as f32 + 0.5) / scale - 0.5, (yy as f32 + 0.5) / scale - 0.5);
				let i = ((oy + yy) as usize * self.img.width as usize + (ox + xx) as usize) * 3;
				for (px, v) in self.img.data[i..i + 3].iter_mut().zip(p) {
					*px = v.round().clamp(0.0, 255.0) as u8;
				}
			}
		}
	}
}

/// Draws a document for `holder` with `photo` as the portrait; `mrz` overrides the MRZ lines
/// (to test wrong check digits), otherwise they are computed.
pub fn render(
	holder: &Holder,
	photo: &Rgb,
	layout: Layout,
	mrz: Option<Vec<String>>,
) -> Result<Rgb, SynthError> {
	let font_bytes = std::fs::read(OCR_B).map_err(|e| SynthError::Font(e.to_string()))?;
	let font = FontRef::try_from_slice(&font_bytes).map_err(|e| SynthError::Font(e.to_string()))?;
	let lines = mrz.unwrap_or_else(|| mrz_lines(holder, layout));
	let (w, h) = match layout {
		Layout::Card => (1011, 638),
		Layout::Passport => (1476, 1039),
	};
	let mut c = Canvas::new(w, h, [236, 240, 232]);
	let ink = [20, 24, 30];
	c.rect(0, 0, w, 70, [40, 70, 120]);
	let title = match layout {
		Layout::Card => "UTOPIA  IDENTITY CARD",
		Layout::Passport => "UTOPIA  PASSPORT",
	};
	c.text(&font, 40.0, 30.0, 50.0, title, [250, 250, 250], None);
	let (pw, ph) = match layout {
		Layout::Card => (260, 320),
		Layout::Passport => (380, 480),
	};
	c.photo(photo, 30, 95, pw, ph);
	let fx = 30.0 + pw as f32 + 40.0;
	let fields = [
		("SURNAME", holder.surname.clone()),
		("GIVEN NAMES", holder.given_names.clone()),
		(
			"DATE OF BIRTH",
			format!(
				"{:02}.{:02}.{}",
				holder.birth_date.day, holder.birth_date.month, holder.birth_date.year
			),
		),
		("SEX", holder.sex.to_string()),
		("DOCUMENT NO", holder.document_number.clone()),
		(
			"DATE OF EXPIRY",
			format!(
				"{:02}.{:02}.{}",
				holder.expiry_date.day, holder.expiry_date.month, holder.expiry_date.year
			),
		),
	];
	for (i, (label, value)) in fields.iter().enumerate() {
		let y = 120.0 + i as f32 * 52.0;
		c.text(&font, 18.0, fx, y, label, [90, 90, 110], None);
		c.text(&font, 28.0, fx, y + 28.0, value, ink, None);
	}
	// The MRZ: a white band at the bottom, fixed pitch, as ICAO 9303 prints it.
	let pitch = (w as f32 - 60.0) / lines[0].len() as f32;
	let band = lines.len() as u32 * 58 + 20;
	c.rect(0, h - band, w, band, [250, 250, 250]);
	for (i, line) in lines.iter().enumerate() {
		let y = (h - band) as f32 + 58.0 * (i as f32 + 1.0);
		c.text(&font, 44.0, 30.0, y, line, [0, 0, 0], Some(pitch));
	}
	Ok(c.img)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mrz::{parse_td1, parse_td3};

	fn holder() -> Holder {
		Holder::example()
	}

	#[test]
	fn generated_mrz_lines_parse_with_every_check_digit() {
		let today = Date { year: 2026, month: 11, day: 21 };
		let td1 = mrz_lines(&holder(), Layout::Card);
		assert!(td1.iter().all(|l| l.len() == 30), "{td1:?}");
		let m = parse_td1(&td1[0], &td1[1], &td1[2], &today).expect("td1");
		assert!(m.checks_pass(), "{:?} {td1:?}", m.failed_checks);
		assert_eq!((m.surname.as_str(), m.given_names.as_str()), ("MARTIN", "ANNA MARIA"));
		let td3 = mrz_lines(&holder(), Layout::Passport);
		assert!(td3.iter().all(|l| l.len() == 44), "{td3:?}");
		let m = parse_td3(&td3[0], &td3[1], &today).expect("td3");
		assert!(m.checks_pass(), "{:?} {td3:?}", m.failed_checks);
		assert_eq!(m.birth_date, Some(holder().birth_date));
	}
}
