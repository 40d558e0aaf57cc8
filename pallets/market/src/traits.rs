//! What the market needs from the rest of the runtime.

/// The envelope keys accounts registered: access details are sealed to the customer's.
pub trait EnvelopeKeys<AccountId> {
	/// `who`'s active X25519 public key, if it has one.
	fn active_key(who: &AccountId) -> Option<[u8; 32]>;
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Makes `who` an active provider with these keys (the benchmarks pass the public key of
	/// [`crate::BENCH_ENC_SECRET`], which `bench_envelope.scale` is sealed to).
	fn make_provider(who: &AccountId, encryption_key: [u8; 32], daemon: [u8; 32]);
	/// Gives `who` a verified identity of tier Premium.
	fn set_premium_tier(who: &AccountId);
	/// Makes `public` `who`'s active envelope key.
	fn set_envelope_key(who: &AccountId, public: [u8; 32]);
}
