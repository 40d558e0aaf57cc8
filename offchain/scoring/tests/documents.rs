//! OCR and the MRZ on synthetic documents (rendered with OCR-B, a real face photograph as the
//! portrait): the MRZ is found and parsed with every check digit, in both layouts.

use virtengine_scoring::{
	image::Rgb,
	models::{default_dir, read_verified, Manifest},
	mrz::{self, Date},
	ocr::OcrModels,
	synth::{render, Holder, Layout},
};

const TODAY: Date = Date { year: 2026, month: 11, day: 21 };

fn holder() -> Holder {
	Holder::example()
}

#[test]
fn the_mrz_of_synthetic_documents_is_read_and_checked() {
	let manifest = Manifest::pinned().expect("manifest");
	let dir = default_dir();
	let ocr = OcrModels::load(&dir, &manifest).unwrap_or_else(|e| panic!("{e}"));
	let photo = Rgb::decode(
		&read_verified(&dir, manifest.fixture("person_b_1").expect("fixture")).expect("file"),
	)
	.expect("decodes");
	for layout in [Layout::Card, Layout::Passport] {
		let doc = render(&holder(), &photo, layout, None).unwrap_or_else(|e| panic!("{e}"));
		let lines = ocr.read(&doc).expect("ocr");
		let texts: Vec<String> = lines.iter().map(|l| l.mrz_text.clone()).collect();
		let m =
			mrz::find(&texts, &TODAY).unwrap_or_else(|| panic!("{layout:?}: no MRZ in {texts:#?}"));
		assert!(m.checks_pass(), "{layout:?}: {:?} in {texts:#?}", m.failed_checks);
		assert_eq!(m.surname, "MARTIN");
		assert_eq!(m.given_names, "ANNA MARIA");
		assert_eq!(m.document_number, "X4RTBPFW4");
		assert_eq!(m.birth_date, Some(holder().birth_date));
		assert_eq!(m.expiry_date, Some(holder().expiry_date));
	}
}
