//! The benchmarks' committed envelope fixture.

use super::*;

/// Writes the envelope the benchmarks use (`src/bench_envelope.scale`): the largest
/// configuration, sealed to the benchmark provider's key. Run by hand when the envelope format
/// changes; `benchmark_envelope_is_sealed_to_the_benchmark_key` checks the committed one.
#[test]
#[ignore]
fn write_benchmark_envelope() {
	use codec::Encode;
	let public = virtengine_envelope::kdf::public_key(&crate::BENCH_ENC_SECRET);
	let key = virtengine_envelope::SenderKey::Sr25519(sp_core::sr25519::Pair::from_seed(&[3; 32]));
	let envelope = virtengine_envelope::seal(
		&vec![b'x'; 3_700],
		&[public],
		&key,
		b"order-config",
		0,
		&virtengine_envelope::Limits::DEFAULT,
	)
	.unwrap();
	let bytes = envelope.encode();
	assert!(bytes.len() <= 4096, "{}", bytes.len());
	let path = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
		.join("src/bench_envelope.scale");
	std::fs::write(path, bytes).unwrap();
}

#[test]
fn benchmark_envelope_is_sealed_to_the_benchmark_key() {
	new_test_ext().execute_with(|| {
		let public = virtengine_envelope::kdf::public_key(&crate::BENCH_ENC_SECRET);
		let bytes = std::fs::read(
			std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap())
				.join("src/bench_envelope.scale"),
		)
		.unwrap();
		assert!(bytes.len() > 3_700 && bytes.len() <= 4096);
		assert_ok!(Market::check_sealed(&bytes, &public));
		assert_noop!(
			Market::check_sealed(&bytes, &enc_secret(PROV).public()),
			Error::<Test>::NotSealedToProvider
		);
	});
}
