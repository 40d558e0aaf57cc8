//! `polkadot-prepare-worker`: the PVF prepare worker the relay node starts (`polkadot --help`:
//! `--workers-path`). Its version must equal the node's, which it checks at start-up.

polkadot_node_core_pvf_common::decl_worker_main!(
	"prepare-worker",
	polkadot_node_core_pvf_prepare_worker::worker_entrypoint,
	polkadot_cli::NODE_VERSION,
	env!("CARGO_PKG_VERSION"),
);
