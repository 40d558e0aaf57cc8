//! Shared by the runtime's test binaries: genesis state built from a preset the way the node
//! builds it.

use frame_support::genesis_builder_helper::build_state;
use sp_genesis_builder::PresetId;
use virtengine_runtime::{genesis_config_presets as presets, RuntimeGenesisConfig};

/// Merges a preset's JSON patch into the default genesis config, as the node's chain-spec
/// builder does: objects key by key, anything else replaced.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// Externalities holding the genesis state of a named preset, built the way the node builds it.
pub fn preset_state(name: &str) -> sp_io::TestExternalities {
	let patch = presets::get_preset(&PresetId::from(name)).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("default config");
	merge(&mut config, serde_json::from_slice(&patch).expect("preset is JSON"));
	let json = serde_json::to_vec(&config).expect("json");
	let mut ext = sp_io::TestExternalities::new(Default::default());
	ext.execute_with(|| build_state::<RuntimeGenesisConfig>(json).expect("preset builds"));
	ext
}
