//! `virtengine veid ...`: the identity scoring pipeline on local files.

use std::{
	path::{Path, PathBuf},
	time::{Instant, SystemTime, UNIX_EPOCH},
};

use clap::{Subcommand, ValueEnum};
use virtengine_scoring::{
	image::Rgb,
	models::{default_dir, kernel_tier},
	mrz::Date,
	pipeline::{birth_date_commitment, name_commitment, Bundle, Pipeline, FEATURE_NAMES},
	synth::{render, Holder, Layout},
	Tier,
};

/// What can go wrong, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// A file could not be read or written.
	#[error("{path}: {source}")]
	Io {
		/// The file.
		path: PathBuf,
		/// Why.
		source: std::io::Error,
	},
	/// A date argument is malformed.
	#[error("{0}: expected a date as YYYY-MM-DD")]
	BadDate(String),
	/// The salt is malformed.
	#[error("--salt: expected 64 hex characters (32 bytes)")]
	BadSalt,
	/// A name argument is unusable.
	#[error("{0}")]
	BadName(String),
	/// The models could not be loaded.
	#[error("{0}")]
	Models(String),
	/// The pipeline refused the input.
	#[error("{0}")]
	Pipeline(String),
}

/// Document layouts for `synth`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LayoutArg {
	/// ID-1 card with a TD1 MRZ.
	Card,
	/// Passport data page with a TD3 MRZ.
	Passport,
}

/// `virtengine veid` sub-commands.
#[derive(Subcommand)]
pub enum Command {
	/// Score a document photo and a selfie with the identity pipeline, locally, and print the
	/// score, tier, reasons, each stage's time and the feature digest validators agree on.
	Score {
		/// Photo of the identity document (JPEG or PNG).
		#[arg(long)]
		document: PathBuf,
		/// The selfie (JPEG or PNG).
		#[arg(long)]
		selfie: PathBuf,
		/// The surname you claim, as on the document.
		#[arg(long)]
		surname: String,
		/// The given names you claim, as on the document.
		#[arg(long)]
		given_names: String,
		/// The birth date you claim, YYYY-MM-DD.
		#[arg(long)]
		birth_date: String,
		/// The commitments' salt (64 hex characters); random if absent.
		#[arg(long)]
		salt: Option<String>,
		/// The reference day, YYYY-MM-DD (validators use the block's timestamp); today if
		/// absent.
		#[arg(long)]
		today: Option<String>,
		/// The model directory (default: $VIRTENGINE_MODEL_DIR or ~/.cache/virtengine/models).
		#[arg(long)]
		models: Option<PathBuf>,
	},
	/// Draw a synthetic identity document (for trying `score`; never for real use).
	Synth {
		/// The portrait photo (JPEG or PNG).
		#[arg(long)]
		photo: PathBuf,
		/// Where to write the document (PNG).
		#[arg(long, short)]
		out: PathBuf,
		/// Card (TD1) or passport (TD3).
		#[arg(long, value_enum, default_value = "card")]
		layout: LayoutArg,
		/// Surname (A-Z and spaces).
		#[arg(long, default_value = "MARTIN")]
		surname: String,
		/// Given names (A-Z and spaces).
		#[arg(long, default_value = "ANNA MARIA")]
		given_names: String,
		/// Birth date, YYYY-MM-DD.
		#[arg(long, default_value = "1990-03-14")]
		birth_date: String,
		/// Expiry date, YYYY-MM-DD.
		#[arg(long, default_value = "2031-06-30")]
		expiry_date: String,
		/// Document number (up to 9 of A-Z 0-9).
		#[arg(long, default_value = "X4RTBPFW4")]
		number: String,
	},
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
	std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })
}

fn parse_date(text: &str) -> Result<Date, Error> {
	let bad = || Error::BadDate(text.to_string());
	let mut parts = text.split('-');
	let mut next = || parts.next().and_then(|p| p.parse::<u16>().ok()).ok_or_else(bad);
	let (y, m, d) = (next()?, next()?, next()?);
	Date::new(y, u8::try_from(m).map_err(|_| bad())?, u8::try_from(d).map_err(|_| bad())?)
		.ok_or_else(bad)
}

fn today() -> Date {
	let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
	Date::from_unix_days(secs / 86_400)
}

fn mrz_name(text: &str, what: &str) -> Result<String, Error> {
	let upper = text.trim().to_ascii_uppercase();
	if upper.is_empty() || !upper.chars().all(|c| c.is_ascii_uppercase() || c == ' ') {
		return Err(Error::BadName(format!("{what}: use the letters A-Z and spaces, as the document's machine-readable zone prints them")));
	}
	Ok(upper)
}

/// Runs a `veid` sub-command.
pub fn run(command: Command) -> Result<(), Error> {
	match command {
		Command::Score {
			document,
			selfie,
			surname,
			given_names,
			birth_date,
			salt,
			today: day,
			models,
		} => {
			let (document, selfie) = (read(&document)?, read(&selfie)?);
			let (surname, given_names) =
				(mrz_name(&surname, "--surname")?, mrz_name(&given_names, "--given-names")?);
			let birth = parse_date(&birth_date)?;
			let salt: [u8; 32] = match salt {
				Some(h) => hex::decode(h.trim_start_matches("0x"))
					.ok()
					.and_then(|b| b.try_into().ok())
					.ok_or(Error::BadSalt)?,
				None => {
					use rand_core::RngCore;
					let mut s = [0u8; 32];
					rand_core::OsRng.fill_bytes(&mut s);
					s
				},
			};
			let today = match day {
				Some(d) => parse_date(&d)?,
				None => today(),
			};
			// Refuse unusable photos before the (slow) model loading.
			Rgb::decode(&document).map_err(|e| Error::Pipeline(format!("document photo: {e}")))?;
			Rgb::decode(&selfie).map_err(|e| Error::Pipeline(format!("selfie: {e}")))?;
			let dir = models.unwrap_or_else(default_dir);
			eprintln!("loading models from {}", dir.display());
			let started = Instant::now();
			let pipeline = Pipeline::load(&dir).map_err(|e| Error::Models(e.to_string()))?;
			let load_ms = started.elapsed().as_secs_f64() * 1000.0;
			eprintln!("scoring (single-threaded; kernel tier {})", kernel_tier());
			let bundle = Bundle {
				document: &document,
				selfie: &selfie,
				salt,
				name_commitment: name_commitment(&salt, &surname, &given_names),
				birth_date_commitment: birth_date_commitment(&salt, &birth),
				today,
			};
			let o = pipeline.score(&bundle).map_err(|e| Error::Pipeline(e.to_string()))?;
			println!("score      {} ({:?})", o.score, Tier::of(o.score).unwrap_or(Tier::Rejected));
			let reasons: Vec<&str> = o.reasons.iter().map(|r| r.code()).collect();
			println!(
				"reasons    {}",
				if reasons.is_empty() { "none".to_string() } else { reasons.join(", ") }
			);
			println!("digest     {}", hex::encode(o.digest));
			println!("model set  {}", hex::encode(pipeline.model_set));
			if let Some(m) = &o.mrz {
				println!(
					"document   {} {} {}, born {:?}, expires {:?}",
					m.document_code,
					m.issuing_state,
					m.document_number,
					m.birth_date,
					m.expiry_date
				);
			}
			println!("features");
			for (name, value) in FEATURE_NAMES.iter().zip(o.features.0) {
				println!("  {name:<32} {value}");
			}
			println!("time (ms)");
			println!("  {:<32} {load_ms:.0}", "load models");
			let mut total = 0.0;
			for (stage, ms) in &o.timings.stages {
				println!("  {stage:<32} {ms:.0}");
				total += ms;
			}
			println!("  {:<32} {total:.0}", "total (scoring)");
			Ok(())
		},
		Command::Synth {
			photo,
			out,
			layout,
			surname,
			given_names,
			birth_date,
			expiry_date,
			number,
		} => {
			let portrait = Rgb::decode(&read(&photo)?)
				.map_err(|e| Error::Pipeline(format!("{}: {e}", photo.display())))?;
			let holder = Holder {
				surname: mrz_name(&surname, "--surname")?,
				given_names: mrz_name(&given_names, "--given-names")?,
				document_number: number.to_ascii_uppercase(),
				state: "UTO".into(),
				birth_date: parse_date(&birth_date)?,
				sex: 'X',
				expiry_date: parse_date(&expiry_date)?,
			};
			let layout = match layout {
				LayoutArg::Card => Layout::Card,
				LayoutArg::Passport => Layout::Passport,
			};
			let doc = render(&holder, &portrait, layout, None)
				.map_err(|e| Error::Pipeline(e.to_string()))?;
			let img = image::RgbImage::from_raw(doc.width, doc.height, doc.data)
				.ok_or_else(|| Error::Pipeline("rendering produced a wrong-sized image".into()))?;
			img.save_with_format(&out, image::ImageFormat::Png).map_err(|e| Error::Io {
				path: out.clone(),
				source: std::io::Error::other(e.to_string()),
			})?;
			println!("wrote {} ({}x{})", out.display(), img.width(), img.height());
			Ok(())
		},
	}
}
