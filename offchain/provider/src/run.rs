//! The command line: `virtengine-provider [--config provider.toml] [run|init|check]`.

use std::{path::PathBuf, process::ExitCode, sync::Arc};

use clap::{Parser, Subcommand};
use sp_core::Pair as _;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};
use virtengine_client::{account_text, Client, ConnectOptions};

use crate::{
	backend::{
		kubernetes::{objects::Scope, Kubernetes},
		slurm::Slurm,
	},
	chain::{Chain, ClientChain},
	config::{self, Config},
	daemon::{Backends, Daemon},
	gateway::{self, Gateway},
	journal::Journal,
	keys::{self, Keys},
	metrics::Metrics,
	pricing::Pricing,
};

/// The provider daemon: bids on orders, runs them on SLURM or Kubernetes, reports signed usage.
#[derive(Parser, Debug)]
#[command(name = "virtengine-provider", version)]
pub struct Cli {
	/// The configuration file.
	#[arg(
		long,
		short,
		global = true,
		env = "VIRTENGINE_PROVIDER_CONFIG",
		default_value = "provider.toml"
	)]
	pub config: PathBuf,
	/// More logging (-v: debug, -vv: trace); RUST_LOG overrides.
	#[arg(long, short, global = true, action = clap::ArgAction::Count)]
	pub verbose: u8,
	/// What to do (default: run).
	#[command(subcommand)]
	pub command: Option<Command>,
}

/// Commands.
#[derive(Subcommand, Debug)]
pub enum Command {
	/// Run the daemon until SIGTERM or SIGINT (SIGHUP reloads the pricing).
	Run,
	/// Write a commented example configuration, a pricing file and new keys beside it.
	Init {
		/// Overwrite nothing; the directory to write into (the configuration's if absent).
		#[arg(long)]
		dir: Option<PathBuf>,
	},
	/// Check the configuration, the keys, the pricing, the node and the backend.
	Check,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
enum Error {
	#[error(transparent)]
	Config(#[from] config::ConfigError),
	#[error(transparent)]
	Key(#[from] keys::KeyError),
	#[error(transparent)]
	Journal(#[from] crate::journal::JournalError),
	#[error("pricing: {0}")]
	Pricing(String),
	#[error("node: {0}")]
	Chain(#[from] virtengine_client::Error),
	#[error("backend: {0}")]
	Backend(#[from] crate::backend::BackendError),
	#[error("{0}")]
	Daemon(#[from] crate::daemon::DaemonError),
	#[error("{0}")]
	Other(String),
}

/// The process's entry point.
pub fn main() -> ExitCode {
	ExitCode::from(main_from(std::env::args_os()))
}

/// The command line `args` (the program's name first); the exit status (0: success).
pub fn main_from<I, T>(args: I) -> u8
where
	I: IntoIterator<Item = T>,
	T: Into<std::ffi::OsString> + Clone,
{
	let cli = match Cli::try_parse_from(args) {
		Ok(cli) => cli,
		Err(e) => {
			let _ = e.print();
			return if e.use_stderr() { 2 } else { 0 };
		},
	};
	init_logging(cli.verbose);
	let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(r) => r,
		Err(e) => {
			eprintln!("error: cannot start the async runtime: {e}");
			return 1;
		},
	};
	let result = runtime.block_on(async {
		match cli.command.unwrap_or(Command::Run) {
			Command::Run => run(&cli.config).await,
			Command::Init { dir } => init(&cli.config, dir),
			Command::Check => check(&cli.config).await,
		}
	});
	match result {
		Ok(()) => 0,
		Err(e) => {
			error!("{e}");
			eprintln!("error: {e}");
			1
		},
	}
}

fn init_logging(verbose: u8) {
	use tracing_subscriber::EnvFilter;
	let level = match verbose {
		0 => "info",
		1 => "debug",
		_ => "trace",
	};
	let filter = EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| EnvFilter::new(format!("virtengine_provider={level},warn")));
	let _ = tracing_subscriber::fmt()
		.with_env_filter(filter)
		.with_writer(std::io::stderr)
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.try_init();
}

fn init(config_path: &std::path::Path, dir: Option<PathBuf>) -> Result<(), Error> {
	let dir = dir.unwrap_or_else(|| {
		config_path.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."))
	});
	let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
	let config_file = dir.join(config_path.file_name().unwrap_or("provider.toml".as_ref()));
	let pricing_file = dir.join("pricing.toml");
	for path in [&config_file, &pricing_file] {
		if path.exists() {
			return Err(Error::Other(format!("{} exists: not overwriting it", path.display())));
		}
	}
	let config = Config::parse(config::EXAMPLE, &config_file)?;
	let public = keys::generate(&config.keys)?;
	write_new(&config_file, config::EXAMPLE)?;
	write_new(&pricing_file, PRICING_EXAMPLE)?;
	println!("wrote {} and {}", config_file.display(), pricing_file.display());
	println!("new keys (owner-only files under {}):", dir.join("keys").display());
	println!("  provider account  {}", public["account"].as_str().unwrap_or("?"));
	println!("  daemon key        {}", public["daemon_key"].as_str().unwrap_or("?"));
	println!("  encryption key    {}", public["encryption_key"].as_str().unwrap_or("?"));
	println!(
		"To use an existing provider account, put its secret URI in keys/account.suri instead.\n\
		 Register the keys: virtengine market provider register --daemon-key {} --encryption-key {} ...\n\
		 Then edit [slurm] and pricing.toml, and run: virtengine-provider --config {} check",
		config.keys.daemon.display(),
		config.keys.encryption.display(),
		config_file.display()
	);
	Ok(())
}

fn write_new(path: &std::path::Path, text: &str) -> Result<(), Error> {
	std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.open(path)
		.and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
		.map_err(|e| Error::Other(format!("{}: {e}", path.display())))
}

/// The example pricing file.
pub const PRICING_EXAMPLE: &str = r#"# Prices the daemon bids (docs/provider-daemon.md); read again when this file changes or on
# SIGHUP. Amounts in VE. A bid is never above the order's maximum: an order that pays less, or
# does not pay for a unit priced here, gets no bid.

strategy = "table"

[table]
per_hour = "0.5"                    # while the lease runs
units = { cpu_core_second = "0.0001", memory_gb_hour = "0.01", job = "0.05" }

# strategy = "script"
# [script]
# command = "price-order.sh"        # gets the order as JSON on stdin, answers
# timeout_ms = 1000                 # {"per_hour": "0.4", "units": {"job": "0.1"}} or {"decline": "why"}
"#;

async fn connect(config: &Config) -> Result<Client, Error> {
	let options = ConnectOptions { ca_file: config.chain.ca_file.clone(), ..Default::default() };
	Ok(Client::connect_with(&config.chain.rpc, &options).await?)
}

async fn check(path: &std::path::Path) -> Result<(), Error> {
	let config = Config::load(path)?;
	println!("configuration  {}: ok", path.display());
	let keys = Keys::load(&config.keys)?;
	println!("keys           ok (provider {})", account_text(&keys.account_id()));
	Pricing::load(&config.pricing).map_err(Error::Pricing)?;
	println!("pricing        {}: ok", config.pricing.display());
	let client = connect(&config).await?;
	let (name, spec, _) = client.runtime_version().await?;
	let best = client.best_number().await?;
	println!("node           {}: {name} spec {spec}, best block #{best}", config.chain.rpc);
	let chain = ClientChain::new(client, keys.account.clone());
	match chain.provider().await? {
		None => println!(
			"provider       NOT REGISTERED: {} is not a provider yet",
			account_text(&keys.account_id())
		),
		Some(p) => {
			let daemon_ok = p.daemon_key == keys.daemon.public().0;
			let enc_ok = p.encryption_key == keys.encryption.public();
			println!(
				"provider       registered ({:?}); daemon key {}; encryption key {}",
				p.status,
				if daemon_ok { "matches" } else { "DIFFERS from the registered one" },
				if enc_ok { "matches" } else { "DIFFERS from the registered one" },
			);
			if !daemon_ok || !enc_ok {
				return Err(Error::Other("the keys do not match the registration".into()));
			}
		},
	}
	let (backends, _) = backends(&config, &chain).await?;
	for backend in backends.all() {
		let about = backend.check().await?;
		let capacity = backend.capacity().await?;
		println!("{:<14} {about}", backend.name());
		println!(
			"capacity       {} nodes, {} CPUs, {} MiB, {} MiB storage, {} GPUs{}",
			capacity.total.nodes,
			capacity.total.cpus,
			capacity.total.memory_mb,
			capacity.total.storage_mb,
			capacity.total.gpus,
			match capacity.partitions.is_empty() {
				true => String::new(),
				false => format!(
					"; partitions: {}",
					capacity
						.partitions
						.iter()
						.map(|p| p.name.as_str())
						.collect::<Vec<_>>()
						.join(", ")
				),
			}
		);
	}
	println!("all good");
	Ok(())
}

async fn run(path: &std::path::Path) -> Result<(), Error> {
	let config = Arc::new(Config::load(path)?);
	let keys = Arc::new(Keys::load(&config.keys)?);
	let pricing = Pricing::load(&config.pricing).map_err(Error::Pricing)?;
	let lock = lock_state(&config.state.dir)?;
	let journal = Arc::new(Journal::open(&config.state.dir)?);
	let metrics = Arc::new(Metrics::new().map_err(|e| Error::Other(format!("metrics: {e}")))?);
	let client = connect(&config).await?;
	let chain = Arc::new(ClientChain::new(client, keys.account.clone()));
	let (backends, kubernetes) = backends(&config, &chain).await?;
	info!(
		provider = %account_text(chain.account()),
		node = %config.chain.rpc,
		backends = ?backends.all().map(|b| b.name()).collect::<Vec<_>>(),
		"virtengine-provider starting"
	);
	let cancel = CancellationToken::new();
	// The Kubernetes controller keeps every lease's objects as the lease says.
	let controller =
		kubernetes.map(|k| tokio::spawn(k.controller(cancel.clone(), metrics.clone())));

	// Metrics and the gateway.
	let mut servers = Vec::new();
	if let Some(listen) = config.metrics.listen {
		let listener = tokio::net::TcpListener::bind(listen)
			.await
			.map_err(|e| Error::Other(format!("metrics {listen}: {e}")))?;
		let m = metrics.clone();
		servers.push(tokio::spawn(gateway::serve(listener, None, cancel.clone(), move |req| {
			let m = m.clone();
			async move {
				if req.uri().path() == "/metrics" {
					let mut r = hyper::Response::new(http_body_util::Full::new(
						bytes::Bytes::from(m.render()),
					));
					if let Ok(v) = "text/plain; version=0.0.4".parse() {
						r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
					}
					r
				} else {
					let mut r = hyper::Response::new(http_body_util::Full::new(
						bytes::Bytes::from_static(b"not found\n"),
					));
					*r.status_mut() = hyper::StatusCode::NOT_FOUND;
					r
				}
			}
		})));
	}
	let tls = match (&config.gateway.tls_cert, &config.gateway.tls_key) {
		(Some(cert), Some(key)) => Some(gateway::tls_acceptor(cert, key).map_err(Error::Other)?),
		_ => None,
	};
	let listener = tokio::net::TcpListener::bind(config.gateway.listen)
		.await
		.map_err(|e| Error::Other(format!("gateway {}: {e}", config.gateway.listen)))?;
	let gw = Gateway::new(chain.clone(), backends.clone(), journal.clone());
	servers.push(tokio::spawn(gateway::serve(listener, tls, cancel.clone(), move |req| {
		let gw = gw.clone();
		async move { gw.handle(req).await }
	})));

	let daemon = Daemon::new(
		chain,
		backends,
		journal,
		config.clone(),
		keys,
		metrics,
		pricing,
		cancel.clone(),
	);
	// Signals: TERM and INT stop, HUP reloads the pricing.
	{
		let cancel = cancel.clone();
		let daemon = daemon.clone();
		tokio::spawn(async move {
			use tokio::signal::unix::{signal, SignalKind};
			let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
				signal(SignalKind::terminate()),
				signal(SignalKind::interrupt()),
				signal(SignalKind::hangup()),
			) else {
				warn!("cannot install signal handlers");
				return;
			};
			loop {
				tokio::select! {
					_ = term.recv() => { info!("SIGTERM: shutting down"); cancel.cancel(); return; },
					_ = int.recv() => { info!("SIGINT: shutting down"); cancel.cancel(); return; },
					_ = hup.recv() => { info!("SIGHUP: reloading the pricing"); daemon.reload_pricing(true).await; },
				}
			}
		});
	}
	let result = daemon.run().await;
	cancel.cancel();
	for server in servers {
		let _ = server.await;
	}
	if let Some(controller) = controller {
		let _ = controller.await;
	}
	drop(lock);
	info!("stopped");
	result.map_err(Error::from)
}

/// The configured backends (and the Kubernetes one again, for its controller).
async fn backends(
	config: &Config,
	chain: &ClientChain,
) -> Result<(Backends, Option<Arc<Kubernetes>>), Error> {
	let mut backends = Backends::default();
	if let Some(slurm) = &config.slurm {
		backends = backends.with(Arc::new(Slurm::new(slurm)?));
	}
	let mut kube = None;
	if let Some(k) = &config.kubernetes {
		let scope = Scope {
			provider: account_text(chain.account()),
			chain: hex::encode(&chain.genesis()[..8]),
		};
		let backend = Arc::new(Kubernetes::new(k, scope, &config.state.dir).await?);
		backends = backends.with(backend.clone());
		kube = Some(backend);
	}
	Ok((backends, kube))
}

/// One daemon per state directory: a second one would double every report.
fn lock_state(dir: &std::path::Path) -> Result<std::fs::File, Error> {
	std::fs::create_dir_all(dir).map_err(|e| Error::Other(format!("{}: {e}", dir.display())))?;
	let path = dir.join("lock");
	let file = std::fs::OpenOptions::new()
		.create(true)
		.truncate(false)
		.write(true)
		.open(&path)
		.map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
	file.try_lock().map_err(|_| {
		Error::Other(format!(
			"{} is locked: another virtengine-provider runs on this state directory",
			path.display()
		))
	})?;
	Ok(file)
}
