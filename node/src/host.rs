//! What VirtEngine's node adds to the runtime's environment: host functions and offchain-worker
//! extensions. They live here, in one place, so the executor and the offchain workers always see
//! the same set.
//!
//! Host functions here may only be called from offchain workers or node-side code: relay-chain
//! validators execute VirtEngine blocks with the standard parachain host functions only, so block
//! execution must never depend on them.

use sp_externalities::Extension;
use virtengine_primitives::Hash;

/// The host functions the node's wasm executor provides: the standard parachain set (which
/// includes storage proof-size recording), plus VirtEngine's own as they are added.
#[cfg(not(feature = "runtime-benchmarks"))]
pub type HostFunctions = cumulus_client_service::ParachainHostFunctions;

/// With `runtime-benchmarks`, also the benchmarking host functions a benchmarking runtime imports.
#[cfg(feature = "runtime-benchmarks")]
pub type HostFunctions = (
	cumulus_client_service::ParachainHostFunctions,
	frame_benchmarking::benchmarking::HostFunctions,
);

/// Extensions registered in every offchain-worker run, at the block `_at`.
///
/// VirtEngine registers none yet; the identity scoring extension (keystore-backed scope
/// decryption and the scoring pipeline) is added here by the identity work.
pub fn offchain_extensions(_at: Hash) -> Vec<Box<dyn Extension>> {
	Vec::new()
}
