//! Builds the runtime to wasm (`WASM_BINARY`) with the toolchain named by `WASM_BUILD_TOOLCHAIN`;
//! see scripts/setup.sh and docs/build.md.
//!
//! With the `metadata-hash` feature the wasm is built twice: once to read its metadata, whose
//! RFC-78 hash the second build embeds for `CheckMetadataHash` (docs/build.md says what it costs).
//!
//! A second runtime is built with the `upgrade-test` feature (one `spec_version` higher, no metadata
//! hash): `upgrade_test::WASM_BINARY`, the code the runtime upgrade test sets on a dev chain.

#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn main() {
	// VE's symbol and decimals (`virtengine_primitives::units`; a runtime test keeps them equal).
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_metadata_hash("VE", 12)
		.build();
	build_upgrade_test();
}

#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
	build_upgrade_test();
}

#[cfg(feature = "std")]
fn build_upgrade_test() {
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_feature("upgrade-test")
		.set_file_name("upgrade_test_wasm.rs")
		.build();
}

#[cfg(not(feature = "std"))]
fn main() {}
