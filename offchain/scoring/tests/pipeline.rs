//! The whole pipeline on synthetic documents carrying real face photographs: a genuine
//! applicant scores in an accepted tier; each kind of failure gets its reason code and a
//! rejected score; bad input is a typed error; the genuine cases match their golden files
//! (score, feature digest, features) bit for bit.
//!
//! `VIRTENGINE_BLESS=1` rewrites the golden files (after a deliberate change to the pipeline).

use std::{io::Cursor, path::PathBuf, sync::OnceLock};

use virtengine_scoring::{
	image::{ImageError, Rgb},
	models::{default_dir, read_verified, Manifest},
	mrz::Date,
	pipeline::{
		birth_date_commitment, name_commitment, Bundle, Outcome, Pipeline, PipelineError, Reason,
	},
	synth::{mrz_lines, render, Holder, Layout},
	Tier,
};

const TODAY: Date = Date { year: 2026, month: 11, day: 21 };
const SALT: [u8; 32] = [7; 32];

fn pipeline() -> &'static Pipeline {
	static P: OnceLock<Pipeline> = OnceLock::new();
	P.get_or_init(|| Pipeline::load(&default_dir()).unwrap_or_else(|e| panic!("{e}")))
}

fn fixture(id: &str) -> Vec<u8> {
	let manifest = Manifest::pinned().expect("manifest");
	read_verified(&default_dir(), manifest.fixture(id).expect("fixture")).expect("fixture file")
}

fn png(img: &Rgb) -> Vec<u8> {
	let buf = image::RgbImage::from_raw(img.width, img.height, img.data.clone()).expect("size");
	let mut out = Vec::new();
	buf.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
	out
}

fn holder() -> Holder {
	Holder::example()
}

/// Scores a document drawn for `h` with `portrait`, turned `quarters` quarter turns, against
/// `selfie`, with commitments to `committed`.
fn run(
	h: &Holder,
	portrait: &Rgb,
	layout: Layout,
	mrz: Option<Vec<String>>,
	quarters: u8,
	selfie: &[u8],
	committed: &Holder,
) -> Outcome {
	let doc = render(h, portrait, layout, mrz).expect("render").rotate(quarters);
	let document = png(&doc);
	let bundle = Bundle {
		document: &document,
		selfie,
		salt: SALT,
		name_commitment: name_commitment(&SALT, &committed.surname, &committed.given_names),
		birth_date_commitment: birth_date_commitment(&SALT, &committed.birth_date),
		today: TODAY,
	};
	let outcome = pipeline().score(&bundle).unwrap_or_else(|e| panic!("{e}"));
	println!(
		"score {} ({:?}), reasons {:?}, features {:?}, stages {:?}",
		outcome.score,
		Tier::of(outcome.score),
		outcome.reasons,
		outcome.features.0,
		outcome.timings.stages
	);
	outcome
}

fn decoded(id: &str) -> Rgb {
	Rgb::decode(&fixture(id)).expect("decodes")
}

fn golden(name: &str, o: &Outcome) {
	let path = manifest_dir().join("tests/golden").join(format!("{name}.txt"));
	let text = format!(
		"score {}\ndigest {}\nfeatures {}\nmodel_set {}\n",
		o.score,
		hex::encode(o.digest),
		o.features.0.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(","),
		hex::encode(pipeline().model_set)
	);
	if std::env::var_os("VIRTENGINE_BLESS").is_some() {
		std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
		std::fs::write(&path, &text).expect("write golden");
		return;
	}
	let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
		panic!("{}: {e}; run with VIRTENGINE_BLESS=1 to create it:\n{text}", path.display())
	});
	assert_eq!(text, expected, "{name}: the pipeline's result differs from its golden file");
}

fn critical(o: &Outcome) -> bool {
	o.reasons.iter().any(Reason::is_critical)
}

#[test]
fn genuine_card_is_accepted_and_matches_its_golden_file() {
	let o = run(
		&holder(),
		&decoded("person_b_1"),
		Layout::Card,
		None,
		0,
		&fixture("person_b_2"),
		&holder(),
	);
	assert!(!critical(&o), "{:?}", o.reasons);
	assert!(o.score >= 70, "score {}", o.score);
	golden("card_genuine", &o);
}

#[test]
fn genuine_passport_photographed_sideways_is_turned_upright() {
	let o = run(
		&holder(),
		&decoded("person_a_2"),
		Layout::Passport,
		None,
		3,
		&fixture("person_a_1"),
		&holder(),
	);
	assert!(!critical(&o), "{:?}", o.reasons);
	assert!(o.score >= 50, "score {}", o.score);
	golden("passport_sideways_genuine", &o);
}

#[test]
fn another_persons_selfie_is_a_face_mismatch() {
	let o = run(
		&holder(),
		&decoded("person_b_1"),
		Layout::Card,
		None,
		0,
		&fixture("impostor_1"),
		&holder(),
	);
	assert!(o.reasons.contains(&Reason::FaceMismatch), "{:?}", o.reasons);
	assert!(o.score <= 49);
}

#[test]
fn a_wrong_check_digit_is_named() {
	let mut lines = mrz_lines(&holder(), Layout::Card);
	// The document number's check digit, one off.
	let mut l1: Vec<char> = lines[0].chars().collect();
	l1[14] = if l1[14] == '9' { '0' } else { char::from(l1[14] as u8 + 1) };
	lines[0] = l1.into_iter().collect();
	let o = run(
		&holder(),
		&decoded("person_b_1"),
		Layout::Card,
		Some(lines),
		0,
		&fixture("person_b_2"),
		&holder(),
	);
	assert!(o.reasons.contains(&Reason::MrzCheckDigit), "{:?}", o.reasons);
	assert!(o.score <= 49);
}

#[test]
fn expired_documents_and_minors_are_refused() {
	let expired = Holder { expiry_date: Date { year: 2024, month: 1, day: 31 }, ..holder() };
	let o = run(
		&expired,
		&decoded("person_b_1"),
		Layout::Card,
		None,
		0,
		&fixture("person_b_2"),
		&expired,
	);
	assert!(o.reasons.contains(&Reason::DocumentExpired), "{:?}", o.reasons);
	assert!(o.score <= 49);
	let minor = Holder { birth_date: Date { year: 2010, month: 5, day: 2 }, ..holder() };
	let o =
		run(&minor, &decoded("person_b_1"), Layout::Card, None, 0, &fixture("person_b_2"), &minor);
	assert!(o.reasons.contains(&Reason::Underage), "{:?}", o.reasons);
	assert!(o.score <= 49);
}

#[test]
fn commitments_to_another_name_or_birth_date_are_refused() {
	let other = Holder {
		surname: "MARTINEZ".into(),
		birth_date: Date { year: 1990, month: 3, day: 15 },
		..holder()
	};
	let o = run(
		&holder(),
		&decoded("person_b_1"),
		Layout::Card,
		None,
		0,
		&fixture("person_b_2"),
		&other,
	);
	assert!(o.reasons.contains(&Reason::NameMismatch), "{:?}", o.reasons);
	assert!(o.reasons.contains(&Reason::BirthDateMismatch), "{:?}", o.reasons);
	assert!(o.score <= 49);
}

#[test]
fn no_face_on_the_document_and_two_faces_in_the_selfie() {
	let blank = Rgb { width: 300, height: 380, data: vec![180; 300 * 380 * 3] };
	let o = run(&holder(), &blank, Layout::Card, None, 0, &fixture("person_b_2"), &holder());
	assert!(o.reasons.contains(&Reason::NoDocumentFace), "{:?}", o.reasons);
	assert!(o.score <= 49);

	// Two portraits side by side.
	let (a, b) = (decoded("person_b_2"), decoded("impostor_2"));
	let (w, h) = (a.width + b.width, a.height.max(b.height));
	let mut data = vec![255u8; (w * h * 3) as usize];
	for (img, ox) in [(&a, 0), (&b, a.width)] {
		for y in 0..img.height {
			for x in 0..img.width {
				let o = ((y * w + x + ox) * 3) as usize;
				data[o..o + 3].copy_from_slice(&img.pixel(x, y));
			}
		}
	}
	let pair = png(&Rgb { width: w, height: h, data });
	let o = run(&holder(), &decoded("person_b_1"), Layout::Card, None, 0, &pair, &holder());
	assert!(o.reasons.contains(&Reason::MultipleSelfieFaces), "{:?}", o.reasons);
	assert!(o.score <= 49);
}

#[test]
fn unusable_photos_are_typed_errors() {
	let document =
		png(&render(&holder(), &decoded("person_b_1"), Layout::Card, None).expect("render"));
	let bundle = Bundle {
		document: &document,
		selfie: b"definitely not a photo",
		salt: SALT,
		name_commitment: [0; 32],
		birth_date_commitment: [0; 32],
		today: TODAY,
	};
	match pipeline().score(&bundle) {
		Err(PipelineError::Selfie(ImageError::UnknownFormat)) => {},
		other => panic!("expected a selfie format error, got {other:?}"),
	}
}

/// The genuine card's digest under other kernel tiers, each in a fresh process (tract probes the
/// CPU once per process): the pinned tier, the same pin spelt out, and the host's full feature
/// set (AVX-512 and more where the machine has them) must all give the golden digest; an
/// AVX-only tier (no FMA) is reported.
#[test]
fn digests_agree_across_kernel_tiers() {
	if std::env::var_os("VIRTENGINE_TIER_CHILD").is_some() {
		let o = run(
			&holder(),
			&decoded("person_b_1"),
			Layout::Card,
			None,
			0,
			&fixture("person_b_2"),
			&holder(),
		);
		println!(
			"TIER {} DIGEST {} SCORE {}",
			virtengine_scoring::models::kernel_tier(),
			hex::encode(o.digest),
			o.score
		);
		return;
	}
	let golden_text = std::fs::read_to_string(manifest_dir().join("tests/golden/card_genuine.txt"))
		.expect("golden file");
	let golden_digest = golden_text
		.lines()
		.find_map(|l| l.strip_prefix("digest "))
		.expect("digest line")
		.to_string();
	let exe = std::env::current_exe().expect("test binary");
	let child = |isa: Option<&str>| -> (String, String) {
		let mut cmd = std::process::Command::new(&exe);
		cmd.args([
			"digests_agree_across_kernel_tiers",
			"--exact",
			"--nocapture",
			"--test-threads",
			"1",
		])
		.env("VIRTENGINE_TIER_CHILD", "1")
		.env_remove("TRACT_CPU_ISA");
		if let Some(isa) = isa {
			cmd.env("TRACT_CPU_ISA", isa);
		}
		let out = cmd.output().expect("run child");
		let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
		let line = stdout
			.lines()
			.find(|l| l.starts_with("TIER "))
			.unwrap_or_else(|| {
				panic!(
					"child ({isa:?}) printed no digest: {stdout}{}",
					String::from_utf8_lossy(&out.stderr)
				)
			})
			.to_string();
		let mut words = line.split_whitespace();
		let tier = words.nth(1).unwrap_or_default().to_string();
		let digest = words.nth(1).unwrap_or_default().to_string();
		(tier, digest)
	};
	let pinned_isa = virtengine_scoring::models::PINNED_ISA;
	for (label, isa) in [
		("pinned", None),
		("pinned, spelt out", Some(pinned_isa)),
		("host's full set", Some("+avx512f")),
	] {
		let (tier, digest) = child(isa);
		println!("{label:<20} {tier:<60} {digest}");
		assert_eq!(digest, golden_digest, "{label} ({tier}) differs from the golden digest");
	}
	let (tier, digest) =
		child(Some("-fma,-avx2,-avx512f,-avx512vnni,-avx512fp16,-avxvnni,-amx-int8,-amx-bf16"));
	println!(
		"{:<20} {tier:<60} {digest} ({})",
		"avx only (report)",
		if digest == golden_digest { "same" } else { "differs: why the tier is pinned" }
	);
}

/// The crate's directory at run time (cargo sets it for tests), not the one baked in at build
/// time: a test binary built in another clone sharing the target directory stays valid.
fn manifest_dir() -> PathBuf {
	PathBuf::from(
		std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
	)
}
