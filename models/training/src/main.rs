//! `cargo run -p virtengine-score-training` trains the scoring model and writes
//! `models/scoring/score_v1.onnx` (or the path given), printing its sha256 and the training
//! report. Training is deterministic: the same bytes on every machine.

fn main() {
	let out = std::env::args().nth(1).unwrap_or_else(|| {
		concat!(env!("CARGO_MANIFEST_DIR"), "/../scoring/score_v1.onnx").to_string()
	});
	let (bytes, report) = virtengine_score_training::train();
	println!("{report}");
	if let Err(e) = std::fs::write(&out, &bytes) {
		eprintln!("error: {out}: {e}");
		std::process::exit(1);
	}
	println!(
		"wrote {out}: {} bytes, sha256 {}",
		bytes.len(),
		virtengine_score_training::sha256_hex(&bytes)
	);
}
