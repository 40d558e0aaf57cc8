//! Chain specifications: built from the runtime's genesis presets, or read from a JSON file.

use std::path::Path;

use sc_chain_spec::{ChainSpecExtension, ChainSpecGroup, ChainType};
use sc_service::ChainSpec;
use serde::{Deserialize, Serialize};
use virtengine_primitives::units::{DECIMALS, SYMBOL};
use virtengine_runtime::genesis_config_presets::PARACHAIN_ID;

/// The relay chain the dev and local chain specs name.
pub const DEFAULT_RELAY_CHAIN: &str = "rococo-local";

/// The chain spec names the node knows, with what they mean (for `--help` and errors).
pub const KNOWN_CHAINS: &[(&str, &str)] = &[
	("dev", "one collator (Alice), dev accounts funded; what --dev runs"),
	("local", "three collators (Alice, Bob, Charlie), for a local relay chain (zombienet)"),
];

/// The parachain fields of a chain spec: which relay chain, which para id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ChainSpecGroup, ChainSpecExtension)]
pub struct Extensions {
	/// The relay chain's chain spec id.
	#[serde(alias = "relayChain", alias = "RelayChain")]
	pub relay_chain: String,
	/// The parachain id on that relay chain.
	#[serde(alias = "paraId", alias = "ParaId")]
	pub para_id: u32,
}

impl Extensions {
	/// The extensions of a chain spec, if it has them.
	pub fn try_get(chain_spec: &dyn ChainSpec) -> Option<&Self> {
		sc_chain_spec::get_extension(chain_spec.extensions())
	}
}

/// A VirtEngine chain spec.
pub type VirtEngineChainSpec = sc_service::GenericChainSpec<Extensions>;

fn properties() -> sc_chain_spec::Properties {
	let mut p = sc_chain_spec::Properties::new();
	p.insert("tokenSymbol".into(), SYMBOL.into());
	p.insert("tokenDecimals".into(), DECIMALS.into());
	p.insert("ss58Format".into(), 42.into());
	p
}

/// The runtime code a chain spec carries for a relay chain: the build's blob, compressed if the
/// build left it uncompressed. A debug build of the node embeds its runtime as built (about
/// 7.7 MB); a relay chain takes parachain code up to its `max_code_size` (3 MiB on rococo-local),
/// and a runtime upgrade carries the code in a parachain block. Compressed, it is about 1.6 MB, as
/// a release build embeds it. The executor decompresses either form.
fn relay_chain_code(wasm: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
	use sp_maybe_compressed_blob::{decompress, CODE_BLOB_BOMB_LIMIT};
	match decompress(wasm, CODE_BLOB_BOMB_LIMIT) {
		// Decompressed into a new buffer: it was compressed already.
		Ok(std::borrow::Cow::Owned(_)) => Ok(wasm.into()),
		_ => sp_maybe_compressed_blob::compress_weakly(wasm, CODE_BLOB_BOMB_LIMIT)
			.map(Into::into)
			.ok_or_else(|| {
				format!("the runtime's wasm ({} bytes) cannot be compressed", wasm.len())
			}),
	}
}

fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<Box<dyn ChainSpec>, String> {
	let wasm = virtengine_runtime::WASM_BINARY.ok_or_else(|| {
		"this node was built without the runtime's wasm (SKIP_WASM_BUILD was set); \
		 rebuild it, or pass a chain spec file with --chain"
			.to_string()
	})?;
	// The dev chain runs without a relay chain: its code stays as built.
	let wasm =
		if chain_type == ChainType::Development { wasm.into() } else { relay_chain_code(wasm)? };
	Ok(Box::new(
		VirtEngineChainSpec::builder(
			&wasm,
			Extensions { relay_chain: DEFAULT_RELAY_CHAIN.into(), para_id: PARACHAIN_ID },
		)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_protocol_id("virtengine")
		.with_properties(properties())
		.build(),
	))
}

/// Loads a chain spec by name (`dev`, `local`) or from a JSON file.
pub fn load(id: &str) -> Result<Box<dyn ChainSpec>, String> {
	match id {
		"dev" | "development" => from_preset(
			"VirtEngine Development",
			"virtengine_dev",
			ChainType::Development,
			sp_genesis_builder::DEV_RUNTIME_PRESET,
		),
		"" | "local" | "local_testnet" => from_preset(
			"VirtEngine Local Testnet",
			"virtengine_local",
			ChainType::Local,
			sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
		),
		path if Path::new(path).is_file() => VirtEngineChainSpec::from_json_file(path.into())
			.map(|spec| Box::new(spec) as Box<dyn ChainSpec>)
			.map_err(|e| format!("cannot read the chain spec file `{path}`: {e}")),
		unknown => {
			let names = KNOWN_CHAINS
				.iter()
				.map(|(name, what)| format!("  {name}: {what}"))
				.collect::<Vec<_>>()
				.join("\n");
			Err(format!(
				"unknown chain `{unknown}`: it is neither a known name nor an existing file.\n\
				 Known names:\n{names}\n  or the path of a chain spec JSON file."
			))
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn known_names_load() {
		for name in ["dev", "development", "local", "local_testnet", ""] {
			let spec = load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
			let ext = Extensions::try_get(&*spec).expect("parachain extensions");
			assert_eq!(ext.para_id, PARACHAIN_ID);
			assert_eq!(ext.relay_chain, DEFAULT_RELAY_CHAIN);
		}
		assert_eq!(load("dev").map(|s| s.id().to_string()), Ok("virtengine_dev".into()));
	}

	#[test]
	fn unknown_name_is_a_clear_error() {
		let err = load("no-such-chain").err().expect("must fail");
		assert!(err.contains("unknown chain `no-such-chain`"), "{err}");
		assert!(err.contains("dev") && err.contains("local"), "{err}");
	}

	#[test]
	fn broken_file_is_a_clear_error() {
		let dir = std::env::temp_dir().join(format!("ve-spec-{}", std::process::id()));
		std::fs::create_dir_all(&dir).expect("temp dir");
		let file = dir.join("broken.json");
		std::fs::write(&file, b"{ not json").expect("write");
		let err = load(file.to_str().expect("utf-8 path")).err().expect("must fail");
		assert!(err.contains("cannot read the chain spec file"), "{err}");
		let _ = std::fs::remove_dir_all(dir);
	}

	#[test]
	fn the_local_spec_carries_code_a_relay_chain_accepts() {
		let wasm = virtengine_runtime::WASM_BINARY.expect("built with the runtime's wasm");
		let json: serde_json::Value =
			serde_json::from_str(&load("local").expect("local").as_json(false).expect("json"))
				.expect("parse");
		let code = json["genesis"]["runtimeGenesis"]["code"].as_str().expect("code");
		let code = hex::decode(code.trim_start_matches("0x")).expect("hex");
		// rococo-local's `max_code_size`.
		assert!(code.len() <= 3 * 1024 * 1024, "{} bytes", code.len());
		let plain = sp_maybe_compressed_blob::decompress(&code, 50 << 20).expect("decompress");
		assert_eq!(
			&*plain,
			&*sp_maybe_compressed_blob::decompress(wasm, 50 << 20).expect("the build's")
		);
		// Compressing compressed code again would leave it unreadable: once only.
		assert_eq!(relay_chain_code(&code).expect("again"), code);
	}

	#[test]
	fn built_spec_round_trips_through_json() {
		let spec = load("local").expect("local spec");
		let json = spec.as_json(false).expect("json");
		let parsed = VirtEngineChainSpec::from_json_bytes(json.into_bytes()).expect("parse");
		assert_eq!(parsed.id(), "virtengine_local");
		assert_eq!(parsed.properties().get("tokenSymbol"), Some(&"VE".into()));
	}
}
