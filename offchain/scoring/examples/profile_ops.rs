//! Where tract spends its time in one model: total per operator kind over repeated runs.
//! `cargo run --release -p virtengine-scoring --example profile_ops -- face_detection 1,3,640,640`

use std::{collections::BTreeMap, time::Instant};

use tract_onnx::prelude::*;
use virtengine_scoring::models::{default_dir, load_proto, pin_kernels, Manifest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
	let args: Vec<String> = std::env::args().collect();
	let id = args.get(1).map(String::as_str).unwrap_or("face_detection");
	let shape: Vec<usize> = args
		.get(2)
		.map(String::as_str)
		.unwrap_or("1,3,640,640")
		.split(',')
		.map(|d| d.parse().unwrap_or(1))
		.collect();
	pin_kernels()?;
	let manifest = Manifest::pinned()?;
	let proto = load_proto(&default_dir(), manifest.model(id)?)?;
	let plan = tract_onnx::onnx()
		.model_for_proto_model(&proto)?
		.with_input_fact(0, f32::fact(&shape).into())?
		.into_optimized()?
		.into_runnable()?;
	let input: TValue = Tensor::zero::<f32>(&shape)?.into();
	let mut per_op: BTreeMap<String, (usize, f64)> = BTreeMap::new();
	let runs = 10;
	let total = Instant::now();
	for _ in 0..runs {
		let mut state = tract_onnx::tract_core::plan::SimpleState::new(&plan)?;
		state
			.run_plan_with_eval(tvec!(input.clone()), |ctx, st, node, inputs| {
				let t = Instant::now();
				let r = tract_onnx::tract_core::plan::eval(ctx, st, node, inputs);
				let e = per_op.entry(node.op().name().to_string()).or_default();
				e.0 += 1;
				e.1 += t.elapsed().as_secs_f64() * 1000.0;
				r
			})
			.map_err(|e| format!("{e:#}"))?;
	}
	let mut rows: Vec<_> = per_op.into_iter().collect();
	rows.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1));
	println!(
		"{id} {shape:?}: {:.1} ms per run",
		total.elapsed().as_secs_f64() * 1000.0 / runs as f64
	);
	for (op, (n, ms)) in rows.iter().take(12) {
		println!("  {op:<28} {:>4} nodes {:>8.2} ms/run", n / runs, ms / runs as f64);
	}
	Ok(())
}
