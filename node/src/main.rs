//! `virtengine-node`: the VirtEngine collator, and a standalone dev chain with `--dev`.

mod chain_spec;
mod cli;
mod command;
mod host;
mod rpc;
mod service;
mod veid;

fn main() -> sc_cli::Result<()> {
	command::run()
}
