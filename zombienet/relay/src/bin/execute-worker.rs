//! `polkadot-execute-worker`: the PVF execute worker the relay node starts (`polkadot --help`:
//! `--workers-path`). Its version must equal the node's, which it checks at start-up.

polkadot_node_core_pvf_common::decl_worker_main!(
	"execute-worker",
	polkadot_node_core_pvf_execute_worker::worker_entrypoint,
	polkadot_cli::NODE_VERSION,
	env!("CARGO_PKG_VERSION"),
);
