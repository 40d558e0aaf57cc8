//! `virtengine`: the VirtEngine command-line client. The commands live in the library, so the
//! end-to-end tests run exactly what a user runs.

use clap::Parser;

fn main() {
	if let Err(e) = virtengine_cli::run(virtengine_cli::Cli::parse()) {
		eprintln!("error: {e}");
		std::process::exit(1);
	}
}
