//! `virtengine`: the VirtEngine command-line client.
//!
//! `virtengine envelope keygen|register|lookup|seal|open` creates recipient keys, registers them
//! on chain, and seals and opens envelopes, to keys or to accounts' registered keys.
//! `virtengine veid score|synth` runs the identity scoring pipeline on local files.
//! `virtengine mfa enroll|authorize|status|set-channel|issue-code|recover|claim-recovery|cancel-recovery`
//! registers a FIDO2 credential (a software authenticator, for development), authorizes sensitive
//! calls with it, and recovers accounts.
//! `virtengine market provider|offering|order|bid|lease|settle|withdraw` runs the marketplace.

pub mod envelope;
pub mod market;
pub mod mfa;
pub mod veid;

use clap::{Parser, Subcommand};

/// The VirtEngine command-line client.
#[derive(Parser)]
#[command(name = "virtengine", version, about, propagate_version = true)]
pub struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Encrypted envelopes: make a recipient key, seal a file, open an envelope.
	#[command(subcommand)]
	Envelope(envelope::Command),
	/// Identity verification: score a document and a selfie locally, draw test documents.
	#[command(subcommand)]
	Veid(veid::Command),
	/// Multi-factor authentication: enroll a FIDO2 credential, authorize a sensitive call.
	#[command(subcommand)]
	Mfa(mfa::Command),
	/// The marketplace: providers, offerings, orders, bids, leases, usage and settlement.
	#[command(subcommand)]
	Market(market::Command),
}

/// `N` random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> [u8; N] {
	use rand_core::RngCore;
	let mut bytes = [0u8; N];
	rand_core::OsRng.fill_bytes(&mut bytes);
	bytes
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_millis() as u64)
		.unwrap_or(0)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
	match cli.command {
		Command::Envelope(command) => envelope::run(command)?,
		Command::Veid(command) => veid::run(command)?,
		Command::Mfa(command) => mfa::run(command)?,
		Command::Market(command) => market::run(command)?,
	}
	Ok(())
}

/// Parses `args` (the program name first) as the command line and runs it, as `main` does.
pub fn run_args<I, T>(args: I) -> Result<(), Box<dyn std::error::Error>>
where
	I: IntoIterator<Item = T>,
	T: Into<std::ffi::OsString> + Clone,
{
	run(Cli::try_parse_from(args)?)
}
