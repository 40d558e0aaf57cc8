//! Every pinned model verifies, folds where it must, and loads into tract for its input shape.

use virtengine_scoring::models::{default_dir, load_plan, load_proto, Manifest};

#[test]
fn every_model_loads_into_tract() {
	let manifest = Manifest::pinned().expect("manifest");
	let dir = default_dir();
	for (id, shape) in [
		("face_detection", vec![1, 3, 640, 640]),
		("face_embedding", vec![1, 3, 112, 112]),
		("ocr_detection", vec![1, 3, 640, 640]),
		("ocr_recognition", vec![1, 3, 48, 320]),
	] {
		let entry = manifest.model(id).expect("entry");
		let proto = load_proto(&dir, entry).unwrap_or_else(|e| panic!("{e}"));
		let graph = proto.graph.as_ref().expect("graph");
		assert!(graph.node.iter().all(|n| n.op_type != "DequantizeLinear"), "{id} still quantized");
		load_plan(&dir, entry, &shape).unwrap_or_else(|e| panic!("{e}"));
	}
}
