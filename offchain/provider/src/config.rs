//! `provider.toml`: the daemon's configuration (`virtengine-provider init` writes a commented
//! example). Relative paths are relative to the configuration file's directory. Secrets live in
//! their own owner-only files, never in the configuration or on the command line.

use std::{
	net::SocketAddr,
	path::{Path, PathBuf},
	time::Duration,
};

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::workload::Kind;

/// Why a configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
	/// The file could not be read.
	#[error("{path}: {source}")]
	Read {
		/// The file.
		path: PathBuf,
		/// The error.
		source: std::io::Error,
	},
	/// The file is not valid TOML of this shape.
	#[error("{path}: {why}")]
	Parse {
		/// The file.
		path: PathBuf,
		/// TOML's message (with the line).
		why: String,
	},
	/// A value is unusable.
	#[error("{path}: {key}: {why}")]
	Value {
		/// The file.
		path: PathBuf,
		/// The key, dotted (`slurm.url`).
		key: &'static str,
		/// What is wrong.
		why: String,
	},
}

/// The whole configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
	/// The node.
	pub chain: Chain,
	/// Key files.
	pub keys: Keys,
	/// Where the journal lives.
	pub state: State,
	/// What to bid on.
	#[serde(default)]
	pub bidding: Bidding,
	/// The pricing file (reloaded on change and on SIGHUP).
	pub pricing: PathBuf,
	/// Usage reports.
	#[serde(default)]
	pub usage: Usage,
	/// The SLURM backend (batch jobs).
	pub slurm: Option<Slurm>,
	/// The Kubernetes backend (container services).
	pub kubernetes: Option<Kubernetes>,
	/// The customers' gateway.
	pub gateway: Gateway,
	/// Prometheus metrics.
	#[serde(default)]
	pub metrics: Metrics,
	/// The file this was read from (not in the file).
	#[serde(skip)]
	pub path: PathBuf,
}

/// The node.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
	/// `ws://` or `wss://` (the daemon follows blocks by subscription).
	pub rpc: String,
	/// Extra CA certificates (PEM) for `wss://`.
	#[serde(default)]
	pub ca_file: Option<PathBuf>,
}

/// Key files, each readable by its owner only.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
	/// The provider account's secret URI (a mnemonic or `0x` seed, optionally with a
	/// derivation path), one line.
	pub account: PathBuf,
	/// The daemon's usage-signing key (`virtengine market provider daemon-keygen`).
	pub daemon: PathBuf,
	/// The order-decryption key (`virtengine envelope keygen`), registered with the provider.
	pub encryption: PathBuf,
}

/// Local state.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
	/// The journal's directory.
	pub dir: PathBuf,
}

/// What to bid on.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bidding {
	/// Bid on plan orders of these offerings only (empty: every offering of the provider).
	#[serde(default)]
	pub offerings: Vec<u64>,
	/// Bid on requirement orders that the provider's attributes meet.
	#[serde(default = "yes")]
	pub requirements: bool,
	/// Bids lapse this many blocks after they are placed.
	#[serde(default = "default_bid_blocks")]
	pub valid_blocks: u32,
	/// Which backend serves each offering, by number (`{ 0 = "slurm", 3 = "kubernetes" }`).
	/// An offering not listed is served by the only backend configured; with both configured,
	/// it gets no bids until it is listed.
	#[serde(default)]
	pub backends: BTreeMap<String, Kind>,
}

impl Default for Bidding {
	fn default() -> Self {
		Bidding {
			offerings: Vec::new(),
			requirements: true,
			valid_blocks: default_bid_blocks(),
			backends: BTreeMap::new(),
		}
	}
}

fn yes() -> bool {
	true
}

fn default_bid_blocks() -> u32 {
	600
}

/// Usage reports.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
	/// Seconds between usage reports of a running lease.
	#[serde(default = "default_usage_interval")]
	pub interval_secs: u64,
	/// Seconds between looks at each lease's job.
	#[serde(default = "default_poll")]
	pub poll_secs: u64,
}

impl Default for Usage {
	fn default() -> Self {
		Usage { interval_secs: default_usage_interval(), poll_secs: default_poll() }
	}
}

fn default_usage_interval() -> u64 {
	60
}

fn default_poll() -> u64 {
	5
}

/// The SLURM backend (slurmrestd).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slurm {
	/// slurmrestd's address, `http://host:port` (loopback or a private network: slurmrestd
	/// speaks plain HTTP).
	pub url: String,
	/// The REST API version (`v0.0.38` on SLURM 22.05).
	#[serde(default = "default_api")]
	pub api_version: String,
	/// The accounting API version (`dbv0.0.38` on SLURM 22.05).
	#[serde(default = "default_db_api")]
	pub db_api_version: String,
	/// The user jobs run as (the JWT's user).
	pub user: String,
	/// A file holding a JWT for `user` (`scontrol token username=<user> lifespan=<s>`),
	/// re-read when it changes, so a cron job can renew it.
	pub token_file: PathBuf,
	/// The directory leases' job files go to (`<jobs_dir>/lease-<id>`): a file system the
	/// daemon and the compute nodes share.
	pub jobs_dir: PathBuf,
	/// The partition for jobs that name none (the cluster's default if absent).
	#[serde(default)]
	pub partition: Option<String>,
	/// The most CPUs to sell in all (the cluster's if absent or larger).
	#[serde(default)]
	pub max_cpus: Option<u64>,
	/// The most memory to sell in all, MiB.
	#[serde(default)]
	pub max_memory_mb: Option<u64>,
	/// The most GPUs to sell in all.
	#[serde(default)]
	pub max_gpus: Option<u64>,
}

/// The Kubernetes backend (the API server).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
	/// A kubeconfig file (owner-only: it holds the daemon's credentials). Absent: the daemon
	/// runs in the cluster and uses its service account, or `$KUBECONFIG`.
	#[serde(default)]
	pub kubeconfig: Option<PathBuf>,
	/// The kubeconfig's context (its current one if absent).
	#[serde(default)]
	pub context: Option<String>,
	/// The host name or address customers reach the exposed ports at (the nodes' or a load
	/// balancer's in front of them); sealed to them with the ports.
	pub public_host: String,
	/// The most CPUs to sell in all (the cluster's allocatable if absent or larger).
	#[serde(default)]
	pub max_cpus: Option<u64>,
	/// The most memory to sell in all, MiB.
	#[serde(default)]
	pub max_memory_mb: Option<u64>,
	/// The most ephemeral storage to sell in all, MiB.
	#[serde(default)]
	pub max_storage_mb: Option<u64>,
	/// The most GPUs to sell in all.
	#[serde(default)]
	pub max_gpus: Option<u64>,
	/// How long the deletion of a lease's namespace is awaited before it is retried.
	#[serde(default = "default_delete_timeout")]
	pub delete_timeout_secs: u64,
}

fn default_delete_timeout() -> u64 {
	300
}

fn default_api() -> String {
	"v0.0.38".into()
}

fn default_db_api() -> String {
	"dbv0.0.38".into()
}

/// The gateway customers reach their leases through.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateway {
	/// Where it listens.
	pub listen: SocketAddr,
	/// The address customers use (sealed to them in the lease's access details).
	pub public_url: String,
	/// TLS certificate chain (PEM); plain HTTP without it.
	#[serde(default)]
	pub tls_cert: Option<PathBuf>,
	/// TLS private key (PEM, owner-only).
	#[serde(default)]
	pub tls_key: Option<PathBuf>,
}

/// Prometheus metrics.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
	/// Where `/metrics` is served (none if absent).
	#[serde(default)]
	pub listen: Option<SocketAddr>,
}

impl Config {
	/// Reads and checks `path`.
	pub fn load(path: &Path) -> Result<Config, ConfigError> {
		let text = std::fs::read_to_string(path)
			.map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
		Config::parse(&text, path)
	}

	/// Parses the text of `path`.
	pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
		let mut config: Config = toml::from_str(text)
			.map_err(|e| ConfigError::Parse { path: path.to_path_buf(), why: e.to_string() })?;
		config.path = path.to_path_buf();
		let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
		let rel = |p: &mut PathBuf| {
			if p.is_relative() {
				*p = base.join(&*p);
			}
		};
		rel(&mut config.keys.account);
		rel(&mut config.keys.daemon);
		rel(&mut config.keys.encryption);
		rel(&mut config.state.dir);
		rel(&mut config.pricing);
		if let Some(ca) = config.chain.ca_file.as_mut() {
			rel(ca);
		}
		if let Some(s) = config.slurm.as_mut() {
			rel(&mut s.token_file);
			rel(&mut s.jobs_dir);
		}
		if let Some(k) = config.kubernetes.as_mut().and_then(|k| k.kubeconfig.as_mut()) {
			rel(k);
		}
		if let Some(c) = config.gateway.tls_cert.as_mut() {
			rel(c);
		}
		if let Some(k) = config.gateway.tls_key.as_mut() {
			rel(k);
		}
		config.check()?;
		Ok(config)
	}

	fn value(&self, key: &'static str, why: impl Into<String>) -> ConfigError {
		ConfigError::Value { path: self.path.clone(), key, why: why.into() }
	}

	fn check(&self) -> Result<(), ConfigError> {
		if !(self.chain.rpc.starts_with("ws://") || self.chain.rpc.starts_with("wss://")) {
			return Err(self.value(
				"chain.rpc",
				format!("`{}`: the daemon follows blocks, so ws:// or wss://", self.chain.rpc),
			));
		}
		if self.slurm.is_none() && self.kubernetes.is_none() {
			return Err(self.value("slurm", "no backend configured ([slurm] or [kubernetes])"));
		}
		if let Some(slurm) = &self.slurm {
			if !slurm.url.starts_with("http://") {
				return Err(self.value(
					"slurm.url",
					format!(
						"`{}`: slurmrestd speaks plain http:// (keep it on a private network)",
						slurm.url
					),
				));
			}
			if !slurm.api_version.starts_with('v') || !slurm.db_api_version.starts_with("dbv") {
				return Err(
					self.value("slurm.api_version", "versions look like `v0.0.38` and `dbv0.0.38`")
				);
			}
			if slurm.user.is_empty() {
				return Err(self.value("slurm.user", "empty"));
			}
		}
		if let Some(k) = &self.kubernetes {
			if k.public_host.is_empty() || k.public_host.contains(['/', ' ']) {
				return Err(self.value(
					"kubernetes.public_host",
					format!("`{}`: a host name or address", k.public_host),
				));
			}
			if k.delete_timeout_secs == 0 {
				return Err(self.value("kubernetes.delete_timeout_secs", "at least 1"));
			}
		}
		for (offering, kind) in &self.bidding.backends {
			if offering.parse::<u64>().is_err() {
				return Err(self
					.value("bidding.backends", format!("`{offering}` is not an offering number")));
			}
			if !self.has_backend(*kind) {
				return Err(self.value(
					"bidding.backends",
					format!("offering {offering}: no [{kind}] section configures that backend"),
				));
			}
		}
		if self.usage.interval_secs == 0 || self.usage.poll_secs == 0 {
			return Err(self.value("usage", "intervals must be at least 1 second"));
		}
		if self.bidding.valid_blocks < 2 {
			return Err(self.value("bidding.valid_blocks", "at least 2 blocks"));
		}
		if self.gateway.tls_cert.is_some() != self.gateway.tls_key.is_some() {
			return Err(self.value("gateway", "tls_cert and tls_key go together"));
		}
		Ok(())
	}

	/// How often a running lease's usage is reported.
	pub fn usage_interval(&self) -> Duration {
		Duration::from_secs(self.usage.interval_secs)
	}

	/// Whether the backend of `kind` is configured.
	pub fn has_backend(&self, kind: Kind) -> bool {
		match kind {
			Kind::Slurm => self.slurm.is_some(),
			Kind::Kubernetes => self.kubernetes.is_some(),
		}
	}

	/// The backend that serves offering `offering`'s orders, or why none does.
	pub fn backend_of_offering(&self, offering: u64) -> Result<Kind, String> {
		if let Some(kind) = self.bidding.backends.get(&offering.to_string()) {
			return Ok(*kind);
		}
		match (self.slurm.is_some(), self.kubernetes.is_some()) {
			(true, false) => Ok(Kind::Slurm),
			(false, true) => Ok(Kind::Kubernetes),
			_ => Err(format!(
				"offering {offering} has no backend in [bidding] backends (both are configured)"
			)),
		}
	}
}

/// The example `virtengine-provider init` writes.
pub const EXAMPLE: &str = r#"# virtengine-provider configuration (docs/provider-daemon.md).
# Relative paths are relative to this file. Secrets live in owner-only files (chmod 600).

# Prices (reloaded when the file changes, and on SIGHUP).
pricing = "pricing.toml"

[chain]
# The node the daemon follows (ws:// or wss://).
rpc = "ws://127.0.0.1:9944"
# ca_file = "ca.pem"          # extra CA certificates for wss://

[keys]
account = "keys/account.suri"       # the provider account's secret URI (one line)
daemon = "keys/daemon.json"         # usage-signing key (registered as the provider's daemon key)
encryption = "keys/encryption.json" # order-decryption key (registered as its encryption key)

[state]
dir = "state"                       # the journal: what survives a restart

[bidding]
offerings = []                      # plan orders of these offerings only; empty: all of ours
requirements = true                 # bid on requirement orders our attributes meet
valid_blocks = 600                  # bids lapse after this many blocks
# backends = { 0 = "slurm", 1 = "kubernetes" }  # per offering; needed when both are configured

[usage]
interval_secs = 60                  # usage reports of a running lease
poll_secs = 5                       # how often each job is looked at

[slurm]
url = "http://127.0.0.1:6820"       # slurmrestd (plain HTTP: loopback or a private network)
api_version = "v0.0.38"             # SLURM 22.05
db_api_version = "dbv0.0.38"
user = "virtengine-job"             # jobs run as this user
token_file = "keys/slurm.jwt"       # scontrol token username=virtengine-job lifespan=...
jobs_dir = "/srv/virtengine/jobs"   # shared with the compute nodes; lease-<id>/ per lease
# partition = "debug"
# max_cpus = 64                     # sell at most this much of the cluster
# max_memory_mb = 262144
# max_gpus = 0

# Container services on Kubernetes (docs/provider-daemon.md, "Kubernetes"). Either backend may
# be left out; with both, [bidding] backends says which serves each offering.
# [kubernetes]
# kubeconfig = "keys/kubeconfig"    # owner-only; absent: in-cluster service account or $KUBECONFIG
# context = "provider"
# public_host = "provider.example.com"  # where customers reach the exposed (node) ports
# max_cpus = 64
# max_memory_mb = 262144
# max_storage_mb = 1048576
# max_gpus = 0
# delete_timeout_secs = 300

[gateway]
listen = "0.0.0.0:8443"
public_url = "https://provider.example.com:8443"
# tls_cert = "tls/cert.pem"
# tls_key = "tls/key.pem"

[metrics]
listen = "127.0.0.1:9616"
"#;

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_example_is_a_valid_configuration() {
		let config = Config::parse(EXAMPLE, Path::new("/etc/virtengine/provider.toml"))
			.expect("the example parses");
		assert_eq!(config.keys.daemon, Path::new("/etc/virtengine/keys/daemon.json"));
		assert_eq!(config.slurm.as_ref().map(|s| s.api_version.as_str()), Some("v0.0.38"));
		assert_eq!(config.backend_of_offering(7), Ok(Kind::Slurm));
		assert_eq!(config.usage_interval(), Duration::from_secs(60));
	}

	#[test]
	fn mistakes_name_their_key() {
		let cases = [
			("ws://127.0.0.1:9944", "http://127.0.0.1:9944", "chain.rpc"),
			("http://127.0.0.1:6820", "https://127.0.0.1:6820", "slurm.url"),
			("interval_secs = 60", "interval_secs = 0", "usage"),
			("valid_blocks = 600", "valid_blocks = 1", "bidding.valid_blocks"),
			("# tls_cert = ", "tls_cert = ", "gateway"),
			("# backends = ", "backends = ", "bidding.backends"),
		];
		for (from, to, key) in cases {
			let text = EXAMPLE.replacen(from, to, 1);
			let err = Config::parse(&text, Path::new("p.toml")).expect_err(key).to_string();
			assert!(err.contains(key), "{key}: {err}");
		}
		let err = Config::parse(
			&EXAMPLE.replace("[usage]", "[usage]\nsurprise = 1"),
			Path::new("p.toml"),
		)
		.expect_err("unknown key")
		.to_string();
		assert!(err.contains("surprise"), "{err}");
	}

	#[test]
	fn offerings_are_served_by_the_backend_the_configuration_names() {
		let both = EXAMPLE
			.replace("# [kubernetes]", "[kubernetes]")
			.replace("# public_host", "public_host")
			.replace(
				"# backends = { 0 = \"slurm\", 1 = \"kubernetes\" }",
				"backends = { 1 = \"kubernetes\" }",
			);
		let config = Config::parse(&both, Path::new("p.toml")).expect("both backends");
		assert_eq!(config.backend_of_offering(1), Ok(Kind::Kubernetes));
		let err = config.backend_of_offering(0).expect_err("unlisted");
		assert!(err.contains("offering 0 has no backend"), "{err}");
		let k8s_only = both.replace("[slurm]", "[unused]");
		let k8s_only = k8s_only.split("[unused]").next().unwrap_or_default().to_string()
			+ &both[both.find("# Container services").unwrap_or(0)..];
		let config = Config::parse(&k8s_only, Path::new("p.toml")).expect("kubernetes only");
		assert_eq!(config.backend_of_offering(0), Ok(Kind::Kubernetes));
		let err = Config::parse(
			&both.replace("public_host = \"provider.example.com\"", "public_host = \"a b\""),
			Path::new("p.toml"),
		)
		.expect_err("host")
		.to_string();
		assert!(err.contains("kubernetes.public_host"), "{err}");
	}
}
