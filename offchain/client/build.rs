//! The static bindings (`#[subxt::subxt(runtime_metadata_path = …)]` in src/lib.rs) are generated
//! from the committed metadata, a file cargo does not know the macro reads: without this, a new
//! `make metadata` would leave the bindings of the old runtime in place until something else
//! changed in this crate.

fn main() {
	println!("cargo:rerun-if-changed=metadata/virtengine.scale");
	println!("cargo:rerun-if-changed=build.rs");
}
