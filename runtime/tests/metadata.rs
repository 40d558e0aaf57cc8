//! The metadata the client's static bindings are generated from
//! (`offchain/client/metadata/virtengine.scale`) is this runtime's. `make metadata` rewrites it;
//! this test fails while the committed file is stale, with the command that fixes it.

use std::path::PathBuf;

/// The metadata version the bindings use: V16, the first with view functions (`Veid::identity_of`).
const VERSION: u32 = 16;

fn committed_path() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../offchain/client/metadata/virtengine.scale")
}

#[test]
fn committed_metadata_is_this_runtimes() {
	// Some constants read storage (`parameter_types!` with `storage`): an empty state answers.
	let metadata = sp_io::TestExternalities::new_empty()
		.execute_with(|| virtengine_runtime::Runtime::metadata_at_version(VERSION))
		.expect("the runtime serves metadata V16");
	let bytes: &[u8] = &metadata;
	let path = committed_path();
	if std::env::var_os("VIRTENGINE_WRITE_METADATA").is_some() {
		std::fs::write(&path, bytes).expect("write the metadata file");
		println!("wrote {} ({} bytes)", path.display(), bytes.len());
		return;
	}
	let committed = std::fs::read(&path).unwrap_or_default();
	assert!(
		committed == bytes,
		"{} is stale ({} bytes committed, the runtime's is {} bytes): run `make metadata` and \
		 commit the file, then rebuild the client",
		path.display(),
		committed.len(),
		bytes.len()
	);
}
