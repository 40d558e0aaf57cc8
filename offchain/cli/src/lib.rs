//! `virtengine`: the VirtEngine command-line client.
//!
//! `virtengine envelope keygen|register|lookup|seal|open` creates recipient keys, registers them
//! on chain, and seals and opens envelopes, to keys or to accounts' registered keys.
//! `virtengine veid score|synth` runs the identity scoring pipeline on local files;
//! `virtengine veid add-client|upload|status` verifies identities on chain.
//! `virtengine mfa enroll|authorize|status|set-channel|issue-code|recover|claim-recovery|cancel-recovery|totp-*`
//! registers a FIDO2 credential (a software authenticator, for development), authorizes sensitive
//! calls with it, and recovers accounts.
//! `virtengine market provider|offering|order|bid|lease|settle|withdraw` runs the marketplace.
//! `virtengine key inspect|export` shows an account and writes polkadot.js key files.
//! `virtengine load transfers` loads a development or test network with signed transfers and
//! reports what its blocks included against their theoretical capacity.
//!
//! Global options: `--rpc` (`VIRTENGINE_RPC`; ws, wss, http or https), `--ca-file`, the signing
//! key (`--suri-file`, `--key-file`, `VIRTENGINE_SURI`, `--suri //Dev`), the transaction options
//! (`--finalized`, `--tip`, `--mortality`), `--output json` and `-v`/`-vv`.

pub mod envelope;
pub mod files;
pub mod keys;
pub mod load;
pub mod market;
pub mod mfa;
pub mod veid;

use std::{io::IsTerminal, path::PathBuf, time::Duration};

use clap::{ArgAction, Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};
use virtengine_client::{
	Balance, Client, ConnectOptions, Included, Keypair, RuntimeCall, Status, TxOptions, Wait,
};

pub use keys::{KeyArgs, Signer};

/// What can go wrong, in words a user can act on. Every error about an argument names the flag.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// An argument is unusable; the text names the flag.
	#[error("{0}")]
	Arg(String),
	/// A key is missing or unusable; the text names where it came from.
	#[error("{0}")]
	Key(String),
	/// A file could not be read or written.
	#[error("{path}: {source}")]
	File {
		/// The file.
		path: PathBuf,
		/// Why.
		source: std::io::Error,
	},
	/// A file holding a secret may be read by others.
	#[error(
		"{path} holds a secret but its group or others may access it (mode {mode:03o}): \
		 run `chmod 600 {path}` (and consider the key exposed if others could read it)"
	)]
	NotPrivate {
		/// The file.
		path: PathBuf,
		/// Its permission bits.
		mode: u32,
	},
	/// A key file exists where a new key would be written.
	#[error(
		"{path} exists: not overwriting {what} (the old key would be lost, and with it \
		 everything only it opens or signs); choose another file or pass --force"
	)]
	WouldOverwrite {
		/// The file.
		path: PathBuf,
		/// What the key is, and what losing it means.
		what: String,
	},
	/// Talking to the node failed, or the chain refused or failed the transaction.
	#[error(transparent)]
	Chain(#[from] virtengine_client::Error),
	/// An envelope command failed.
	#[error(transparent)]
	Envelope(#[from] envelope::EnvelopeError),
	/// The chain did something other than what was asked.
	#[error("{0}")]
	Outcome(String),
	/// The identity pipeline failed.
	#[error("{0}")]
	Pipeline(String),
}

/// How results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
	/// Text for people.
	#[default]
	Human,
	/// One JSON object (stable snake_case fields) on standard output, for scripts.
	Json,
}

/// Options of every transaction (global).
#[derive(clap::Args, Clone, Debug)]
pub struct TxArgs {
	/// Wait until a finalized block includes the transaction (default: until a block does).
	#[arg(long, global = true)]
	pub finalized: bool,
	/// A tip to the block author, in VE, for priority.
	#[arg(long, global = true, value_name = "VE", value_parser = ve_arg, default_value = "0")]
	pub tip: Balance,
	/// Blocks the transaction stays valid for (0: immortal, valid until included).
	#[arg(long, global = true, value_name = "BLOCKS", default_value_t = 64)]
	pub mortality: u64,
}

impl TxArgs {
	fn options(&self) -> TxOptions {
		TxOptions {
			wait: if self.finalized { Wait::Finalized } else { Wait::InBlock },
			mortal_blocks: (self.mortality > 0).then_some(self.mortality),
			tip: self.tip,
			timeout: if self.finalized {
				Duration::from_secs(300)
			} else {
				Duration::from_secs(120)
			},
			..Default::default()
		}
	}
}

/// The VirtEngine command-line client.
#[derive(Parser)]
#[command(name = "virtengine", version, about, propagate_version = true)]
pub struct Cli {
	/// The node's RPC address: ws://, wss://, http:// or https:// (WebSocket follows
	/// transactions as they progress; HTTP polls).
	#[arg(
		long,
		global = true,
		env = "VIRTENGINE_RPC",
		default_value = "ws://127.0.0.1:9944",
		value_name = "URL"
	)]
	rpc: String,
	/// Certificate authorities (PEM) to trust besides the system's, for a wss:// or https://
	/// node behind a private CA.
	#[arg(long, global = true, env = "VIRTENGINE_CA_FILE", value_name = "PEM")]
	ca_file: Option<PathBuf>,
	/// How to print results: human text, or JSON for scripts.
	#[arg(long, global = true, value_enum, default_value_t = Output::Human)]
	output: Output,
	/// Log what the client does to standard error (-v: info, -vv: debug; RUST_LOG refines).
	#[arg(short, long, global = true, action = ArgAction::Count)]
	verbose: u8,
	#[command(flatten)]
	keys: KeyArgs,
	#[command(flatten)]
	tx: TxArgs,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Encrypted envelopes: make a recipient key, register it, seal a file, open an envelope.
	#[command(subcommand)]
	Envelope(envelope::Command),
	/// Identity verification: score a document and a selfie locally, draw test documents,
	/// upload to the chain's committee, show an identity.
	#[command(subcommand)]
	Veid(veid::Command),
	/// Multi-factor authentication: enroll a FIDO2 credential, authorize a sensitive call.
	#[command(subcommand)]
	Mfa(mfa::Command),
	/// The marketplace: providers, offerings, orders, bids, leases, usage and settlement.
	#[command(subcommand)]
	Market(market::Command),
	/// Account keys: show the account of a key, export it as a polkadot.js key file.
	#[command(subcommand)]
	Key(KeyCommand),
	/// Load generation on development and test networks: signed transfers, reported against
	/// the chain's theoretical capacity.
	#[command(subcommand)]
	Load(load::Command),
}

#[derive(Subcommand)]
enum KeyCommand {
	/// Show the account of the signing key (--suri-file, --key-file, VIRTENGINE_SURI, --suri).
	Inspect,
	/// Write the signing key as a polkadot.js JSON key file, encrypted with a password
	/// (VIRTENGINE_KEY_PASSWORD, or asked twice); polkadot.js apps and the extension import it.
	Export {
		/// Where to write it (readable by you only).
		#[arg(long, short)]
		out: PathBuf,
		/// The name polkadot.js shows for the account.
		#[arg(long, default_value = "VirtEngine account")]
		name: String,
		/// Replace an existing file.
		#[arg(long)]
		force: bool,
	},
}

/// What every command shares: where the node is, as whom, how to print, how to submit.
pub struct Ctx {
	rpc: String,
	ca_file: Option<PathBuf>,
	output: Output,
	keys: KeyArgs,
	tx: TxOptions,
	progress: bool,
	/// Where results go: standard output, or a buffer ([`run_args_output`]).
	captured: Option<std::sync::Mutex<String>>,
}

impl Ctx {
	/// Connects to the node.
	pub async fn connect(&self) -> Result<Client, Error> {
		tracing::info!(rpc = %self.rpc, "connecting");
		let options = ConnectOptions { ca_file: self.ca_file.clone(), ..Default::default() };
		let client = Client::connect_with(&self.rpc, &options).await?;
		tracing::debug!(genesis = ?client.genesis(), "connected");
		Ok(client)
	}

	/// Extra certificate authorities for TLS (`--ca-file`).
	pub fn ca_file(&self) -> Option<&PathBuf> {
		self.ca_file.as_ref()
	}

	/// The signing account.
	pub fn signer(&self) -> Result<Signer, Error> {
		self.keys.signer()
	}

	/// The signing key's sources.
	pub fn keys(&self) -> &KeyArgs {
		&self.keys
	}

	/// How transactions are built and followed.
	pub fn tx_options(&self) -> &TxOptions {
		&self.tx
	}

	/// Reports a transaction's progress on standard error when it is a terminal.
	pub fn progress(&self) -> impl FnMut(&Status) {
		let show = self.progress;
		move |status: &Status| {
			tracing::debug!(%status, "transaction");
			if show {
				eprintln!("{status}");
			}
		}
	}

	/// A line about a long wait, on standard error when it is a terminal.
	pub fn wait_note(&self, text: &str) {
		tracing::debug!("{text}");
		if self.progress {
			eprintln!("{text}");
		}
	}

	/// Signs `call` as `signer`, submits it and follows it as the transaction options say.
	pub async fn submit(
		&self,
		client: &Client,
		signer: &Keypair,
		call: &RuntimeCall,
	) -> Result<Included, Error> {
		let included = client.submit(signer, call, &self.tx, self.progress()).await?;
		tracing::info!(block = included.block_number, hash = ?included.extrinsic_hash, "included");
		Ok(included)
	}

	/// Prints a result: `json` as one JSON object, or `human` as text.
	pub fn print(&self, json: Value, human: impl FnOnce() -> String) {
		let text = match self.output {
			Output::Json => format!("{json:#}"),
			Output::Human => human(),
		};
		if text.is_empty() {
			return;
		}
		match &self.captured {
			Some(buffer) => {
				let mut buffer = buffer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
				buffer.push_str(&text);
				buffer.push('\n');
			},
			None => println!("{text}"),
		}
	}

	/// Prints a line of a human result that comes before the end (nothing with `--output json`,
	/// whose one object comes at the end).
	pub fn human(&self, text: String) {
		if self.output == Output::Human {
			self.print(Value::Null, || text);
		}
	}

	/// The output format.
	pub fn output(&self) -> Output {
		self.output
	}
}

/// A transaction's outcome as JSON fields (`block`, `block_hash`, `extrinsic_hash`, `finalized`).
pub fn tx_json(included: &Included) -> Value {
	json!({
		"block": included.block_number,
		"block_hash": format!("{:?}", included.block_hash),
		"extrinsic_hash": format!("{:?}", included.extrinsic_hash),
		"finalized": included.finalized,
	})
}

/// A sudo call's own outcome: sudo succeeds as a transaction and reports the inner call's
/// failure in its `Sudid` event, which this turns into [`virtengine_client::Error::Failed`].
pub async fn sudo_result(client: &Client, included: &Included) -> Result<(), Error> {
	use virtengine_client::runtime;
	let failed = included.find(|e| match e {
		runtime::Event::Sudo(runtime::sudo::Event::Sudid { sudo_result: Err(error) }) => {
			Some(error.clone())
		},
		_ => None,
	});
	let Some(error) = failed else { return Ok(()) };
	let at = client.at(included.block_hash).await?;
	let bytes = codec::Encode::encode(&error);
	let error =
		match virtengine_client::subxt::error::DispatchError::decode_from(bytes, at.metadata()) {
			Ok(error) => virtengine_client::describe_dispatch_error(&error),
			Err(e) => format!("an error this client cannot decode ({e})"),
		};
	Err(virtengine_client::Error::Failed { block: included.block_number, error }.into())
}

/// Adds `fields` to the JSON object `base`.
pub fn with(mut base: Value, fields: Value) -> Value {
	if let (Some(base), Value::Object(fields)) = (base.as_object_mut(), fields) {
		base.extend(fields);
	}
	base
}

/// "in block #n" (and "(finalized)" when it was final).
pub fn in_block(included: &Included) -> String {
	if included.finalized {
		format!("in block #{} (finalized)", included.block_number)
	} else {
		format!("in block #{}", included.block_number)
	}
}

/// An amount of VE for clap: `12`, `0.5`, `1_000` (`--flag: ... is not an amount of VE`).
pub fn ve_arg(text: &str) -> Result<Balance, String> {
	virtengine_client::parse_ve(text)
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

/// 32 bytes from hex (`0x` optional); the error names the flag.
pub(crate) fn hex32(flag: &str, text: &str) -> Result<[u8; 32], Error> {
	hex::decode(text.trim().trim_start_matches("0x"))
		.ok()
		.and_then(|b| b.try_into().ok())
		.ok_or_else(|| Error::Arg(format!("{flag}: `{text}` is not 64 hex characters (32 bytes)")))
}

/// An account from the command line; the error names the flag.
pub(crate) fn account_arg(flag: &str, text: &str) -> Result<virtengine_client::AccountId, Error> {
	virtengine_client::parse_account(text).map_err(|e| Error::Arg(format!("{flag}: {e}")))
}

fn init_logging(verbose: u8) {
	if verbose == 0 {
		return;
	}
	let level = if verbose == 1 { "info" } else { "debug" };
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
	// A second run in the same process (the end-to-end tests) keeps the first subscriber.
	let _ = tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_writer(std::io::stderr)
		.with_ansi(std::io::stderr().is_terminal())
		.try_init();
}

/// Runs a parsed command line. The client is asynchronous; this drives it on a runtime of its
/// own, so callers stay synchronous (call it outside any tokio runtime).
pub fn run(cli: Cli) -> Result<(), Error> {
	run_to(cli, false).map(|_| ())
}

/// Runs `cli`; with `capture`, returns what it printed as its result instead of printing it.
fn run_to(cli: Cli, capture: bool) -> Result<String, Error> {
	init_logging(cli.verbose);
	let ctx = Ctx {
		rpc: cli.rpc,
		ca_file: cli.ca_file,
		output: cli.output,
		keys: cli.keys,
		tx: cli.tx.options(),
		progress: std::io::stderr().is_terminal(),
		captured: capture.then(|| std::sync::Mutex::new(String::new())),
	};
	let runtime = tokio::runtime::Builder::new_current_thread()
		.enable_all()
		.build()
		.map_err(|e| Error::Outcome(format!("cannot start the async runtime: {e}")))?;
	runtime.block_on(async {
		match cli.command {
			Command::Envelope(command) => envelope::run(&ctx, command).await,
			Command::Veid(command) => veid::run(&ctx, command).await,
			Command::Mfa(command) => mfa::run(&ctx, command).await,
			Command::Market(command) => market::run(&ctx, command).await,
			Command::Key(command) => key(&ctx, command),
			Command::Load(command) => load::run(&ctx, command).await,
		}
	})?;
	Ok(ctx
		.captured
		.map(|buffer| buffer.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()))
		.unwrap_or_default())
}

fn key(ctx: &Ctx, command: KeyCommand) -> Result<(), Error> {
	let signer = ctx.signer()?;
	let account = signer.account();
	match command {
		KeyCommand::Inspect => ctx.print(
			json!({
				"account": account.to_string(),
				"public_key": format!("0x{}", hex::encode(account.0)),
			}),
			|| format!("account    {account}\npublic key 0x{}", hex::encode(account.0)),
		),
		KeyCommand::Export { out, name, force } => {
			if !force && out.exists() {
				return Err(Error::WouldOverwrite { path: out, what: "a key file".into() });
			}
			let password = keys::password(&format!("the new key file {}", out.display()), true)?;
			if password.is_empty() {
				return Err(Error::Key("--out: refusing an empty password".into()));
			}
			let json = keys::polkadot_js::encrypt(&signer.pair()?, &password, &name, now_ms())
				.map_err(Error::Key)?;
			files::write_key(&out, json.as_bytes(), force, "a key file")?;
			ctx.print(
				json!({ "account": account.to_string(), "file": out.display().to_string() }),
				|| format!("wrote {} (polkadot.js JSON) for {account}", out.display()),
			);
		},
	}
	Ok(())
}

/// Parses `args` (the program name first) as the command line and runs it, as `main` does.
pub fn run_args<I, T>(args: I) -> Result<(), Box<dyn std::error::Error>>
where
	I: IntoIterator<Item = T>,
	T: Into<std::ffi::OsString> + Clone,
{
	Ok(run(Cli::try_parse_from(args)?)?)
}

/// As [`run_args`], returning what the command prints as its result (with `--output json`, one
/// JSON object) instead of writing it to standard output: for programs that embed the CLI.
pub fn run_args_output<I, T>(args: I) -> Result<String, Box<dyn std::error::Error>>
where
	I: IntoIterator<Item = T>,
	T: Into<std::ffi::OsString> + Clone,
{
	Ok(run_to(Cli::try_parse_from(args)?, true)?)
}
