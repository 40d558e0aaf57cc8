//! What VirtEngine's node adds to the runtime's environment: host functions and offchain-worker
//! extensions. They live here, in one place, so the executor and the offchain workers always see
//! the same set.
//!
//! Host functions here may only be called from offchain workers or node-side code: relay-chain
//! validators execute VirtEngine blocks with the standard parachain host functions only, so block
//! execution must never depend on them.

use std::sync::Arc;

use sp_externalities::Extension;
use virtengine_primitives::Hash;
use virtengine_veid_host::{VeidScorer, VeidScorerExt};

/// The host functions the node's wasm executor provides: the standard parachain set (which
/// includes storage proof-size recording), plus VEID scoring (`virtengine-veid-host`).
#[cfg(not(feature = "runtime-benchmarks"))]
pub type HostFunctions =
	(cumulus_client_service::ParachainHostFunctions, virtengine_veid_host::HostFunctions);

/// With `runtime-benchmarks`, also the benchmarking host functions a benchmarking runtime imports.
#[cfg(feature = "runtime-benchmarks")]
pub type HostFunctions = (
	cumulus_client_service::ParachainHostFunctions,
	virtengine_veid_host::HostFunctions,
	frame_benchmarking::benchmarking::HostFunctions,
);

/// The extensions registered in every offchain-worker run: the VEID scorer, if this node has
/// one.
pub fn offchain_extensions(
	scorer: Option<Arc<dyn VeidScorer>>,
) -> impl Fn(Hash) -> Vec<Box<dyn Extension>> + Send + 'static {
	move |_at| match &scorer {
		Some(scorer) => vec![Box::new(VeidScorerExt::new(scorer.clone())) as Box<dyn Extension>],
		None => Vec::new(),
	}
}
