//! Builds the runtime to wasm (`WASM_BINARY`) with the toolchain named by `WASM_BUILD_TOOLCHAIN`;
//! see scripts/setup.sh and docs/build.md.

#[cfg(feature = "std")]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

#[cfg(not(feature = "std"))]
fn main() {}
