//! `virtengine`: the VirtEngine command-line client.
//!
//! `virtengine envelope keygen|seal|open` creates recipient keys and seals and opens envelopes.

mod envelope;

use clap::{Parser, Subcommand};

/// The VirtEngine command-line client.
#[derive(Parser)]
#[command(version, about, propagate_version = true)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Encrypted envelopes: make a recipient key, seal a file, open an envelope.
	#[command(subcommand)]
	Envelope(envelope::Command),
}

fn main() {
	let cli = Cli::parse();
	let result = match cli.command {
		Command::Envelope(command) => envelope::run(command),
	};
	if let Err(e) = result {
		eprintln!("error: {e}");
		std::process::exit(1);
	}
}
