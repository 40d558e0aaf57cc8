//! `polkadot`: the relay chain node, as polkadot-sdk's own binary runs it.

fn main() {
	if let Err(e) = polkadot_cli::run() {
		eprintln!("Error: {e}");
		std::process::exit(1);
	}
}
