//! Envelope throughput beside libsodium (PyNaCl) on the same machine, in the same run.
//!
//! For each payload size (1 KiB, 1 MiB, 8 MiB) and recipient count (1, 10) it seals and opens the
//! same envelope construction here and with libsodium (scripts/bench/envelope_libsodium.py: the
//! same algorithm, every primitive from libsodium, the same BLAKE2 signing hash and ed25519
//! signature), and prints MiB/s for both and their ratio. Target: ratio >= 0.8.
//!
//! `cargo bench -p virtengine-envelope` (or `make bench-envelope`).

use std::{
	process::Command,
	time::{Duration, Instant},
};

use sp_core::Pair;
use virtengine_envelope::{open, seal, Limits, RecipientSecret, SenderKey};

const SIZES: [(usize, &str); 3] = [(1 << 10, "1 KiB"), (1 << 20, "1 MiB"), (8 << 20, "8 MiB")];
const RECIPIENTS: [usize; 2] = [1, 10];

/// Runs `f` repeatedly for about `budget` (at least 3 times) and returns the median seconds.
fn time(budget: Duration, mut f: impl FnMut()) -> f64 {
	let mut samples = Vec::new();
	let start = Instant::now();
	while samples.len() < 3 || (start.elapsed() < budget && samples.len() < 1_000) {
		let t = Instant::now();
		f();
		samples.push(t.elapsed().as_secs_f64());
	}
	samples.sort_by(|a, b| a.total_cmp(b));
	samples[samples.len() / 2]
}

/// libsodium's median seconds per seal and per open for one case, from the Python reference.
fn reference(python: &str, budget: Duration, size: usize, n: usize) -> (f64, f64, String) {
	let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/bench/envelope_libsodium.py");
	let output = Command::new(python)
		.arg(script)
		.args([budget.as_millis().to_string(), size.to_string(), n.to_string()])
		.output()
		.unwrap_or_else(|e| panic!("cannot run {python} {script}: {e} (run scripts/setup.sh)"));
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("reference JSON");
	let row = &json["results"][0];
	(
		row["seal_s"].as_f64().expect("seal_s"),
		row["open_s"].as_f64().expect("open_s"),
		json["libsodium"].as_str().unwrap_or("libsodium").to_string(),
	)
}

fn median(mut v: Vec<f64>) -> f64 {
	v.sort_by(|a, b| a.total_cmp(b));
	v[v.len() / 2]
}

fn main() {
	let budget = Duration::from_millis(
		std::env::var("BENCH_BUDGET_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(700),
	);
	let rounds: usize =
		std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
	let python = std::env::var("VIRTENGINE_PYTHON").unwrap_or_else(|_| "python3".into());
	let sender = SenderKey::Ed25519(sp_core::ed25519::Pair::from_seed(&[9; 32]));
	let limits = Limits { max_ciphertext: 64 << 20, ..Limits::DEFAULT };
	let mib = |size: usize, s: f64| size as f64 / s / (1 << 20) as f64;

	let mut label = String::new();
	let mut rows = Vec::new();
	// `BENCH_CASE="1 KiB/10"` runs one case only (for profiling).
	let only = std::env::var("BENCH_CASE").ok();
	for (size, size_label) in SIZES {
		for n in RECIPIENTS {
			if only.as_ref().is_some_and(|case| *case != format!("{size_label}/{n}")) {
				continue;
			}
			let keys: Vec<_> =
				(0..n).map(|i| RecipientSecret::from_bytes([i as u8 + 1; 32])).collect();
			let publics: Vec<_> = keys.iter().map(RecipientSecret::public).collect();
			let plaintext = vec![0x5a; size];
			let envelope = seal(&plaintext, &publics, &sender, b"bench", 0, &limits).expect("seal");
			// Interleave ours and libsodium's, round after round, so drift in the machine's speed
			// hits both alike; report the median of each.
			let (mut ours_seal, mut ours_open, mut ref_seal, mut ref_open) =
				(vec![], vec![], vec![], vec![]);
			for _ in 0..rounds {
				ours_seal.push(time(budget, || {
					seal(&plaintext, &publics, &sender, b"bench", 0, &limits).expect("seal");
				}));
				ours_open.push(time(budget, || {
					open(&envelope, keys[n - 1].as_bytes()).expect("open");
				}));
				let (s, o, l) = reference(&python, budget, size, n);
				ref_seal.push(s);
				ref_open.push(o);
				label = l;
			}
			rows.push((
				size_label,
				n,
				size,
				median(ours_seal),
				median(ref_seal),
				median(ours_open),
				median(ref_open),
			));
		}
	}

	println!(
		"envelope throughput (MiB/s, median of {rounds} interleaved rounds): this crate vs {label}"
	);
	println!(
		"salsa20 keystream: {}",
		if virtengine_envelope::secretbox::accelerated() { "AVX2 kernel" } else { "portable" }
	);
	println!(
		"{:>6} {:>3} | {:>10} {:>10} {:>6} | {:>10} {:>10} {:>6}",
		"size", "n", "seal", "libsodium", "ratio", "open", "libsodium", "ratio"
	);
	let mut worst = f64::INFINITY;
	for (size_label, n, size, seal_s, ref_seal, open_s, ref_open) in rows {
		let (seal_ratio, open_ratio) = (ref_seal / seal_s, ref_open / open_s);
		worst = worst.min(seal_ratio).min(open_ratio);
		println!(
			"{size_label:>6} {n:>3} | {:>10.1} {:>10.1} {seal_ratio:>5.2}x | {:>10.1} {:>10.1} {open_ratio:>5.2}x",
			mib(size, seal_s),
			mib(size, ref_seal),
			mib(size, open_s),
			mib(size, ref_open),
		);
	}
	println!("worst ratio {worst:.2}x (target >= 0.80x)");
}
