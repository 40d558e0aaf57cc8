//! `make bench-provider` (issue 16): the provider daemon `virtengine-provider` measured end to end
//! on a dev node (`--dev-block-time 1000`, as `node/tests/provider.rs` runs it) and the one-host
//! SLURM of `scripts/slurm-dev.sh`, the provider set up with the `virtengine` CLI as in that test.
//!
//! 1. **Bid latency.** `BENCH_ORDERS` (120) orders the daemon serves, one every 250 ms from four
//!    customers (about four a block). For each: the blocks from the order's block to the block
//!    including the daemon's bid, and the milliseconds between the imports of those two blocks.
//! 2. **1,000 open orders.** `BENCH_FOLLOW_ORDERS` (1,000) orders submitted at once as
//!    `utility.batch_all` transactions of 50 `create_order`s from the four customers. They offer
//!    at most 1 VE an hour against the daemon's 36, so the daemon evaluates each in full (reads
//!    the order, opens its sealed configuration, checks it against the cluster and SLURM's free
//!    capacity, prices it) and declines it for price. The bench checks that
//!    `virtengine_provider_orders_seen_total` grew by the number created, finds each order's
//!    decision (`no bid order=<id>`) in the daemon's log, and measures how far behind the chain
//!    the daemon fell: the oldest block with an order not yet evaluated, against the best block.
//! 3. **Provisioning.** `BENCH_ROUNDS` (10) rounds, each on an idle cluster: an order, the daemon's
//!    bid, the customer accepts it; then the same job submitted directly with `sbatch` (same
//!    script, 1 node, 1 task, 1 CPU, 100 MB, 5 minutes, partition `debug`, user `virtengine-job`,
//!    the same environment). Daemon: from the import of the block including `accept_bid` (the
//!    lease's `Matched` event: what the daemon reacts to) to the job RUNNING. sbatch: from the
//!    call of `sbatch` (through `runuser -u virtengine-job`) to the job RUNNING. Both sides are
//!    observed the same way: `squeue` polled every 20 ms from before the start, the job found by
//!    its name (RUNNING = the first answer saying so), and the job script's first command writing
//!    `date +%s%N`. The ratio is of the medians.
//!
//! Clocks: the dev node's `Timestamp::Now` is mocked (each block advances it by the 6 s slot,
//! whatever `--dev-block-time` is), so every time here is the host's wall clock: a block's time
//! is when the bench's `chain_subscribeNewHeads` subscription heard of its import (loopback, the
//! same notification the daemon follows), the daemon's are its log's timestamps, the job's its
//! `date`.
//!
//! The daemon runs as a real process: this bench binary started again with
//! `VIRTENGINE_BENCH_DAEMON_CONFIG` set runs `virtengine_provider::run::main_from`. Its log is kept
//! as `$TMPDIR/virtengine-bench-daemon-<rpc port>.log`, beside the node's
//! `virtengine-test-node-<rpc port>.log`. SLURM is started if it is not running, and stopped at
//! the end only then.
//!
//! `make bench-provider` runs it from the test profile's build, the one `make test` makes
//! (`cargo test --locked --workspace --bench provider -- --bench`): a release build of the node
//! takes over an hour on a two-core machine, and what it measures is the daemon's reaction
//! against sbatch's in the same run, not the node's speed. `cargo bench` (release) works too;
//! the summary says which build ran.

// The tests' helpers, shared; they panic with their context, as tests do.
#[allow(clippy::panic)]
#[path = "../tests/common/mod.rs"]
mod common;

use std::{
	collections::{BTreeMap, HashMap},
	io::{Read as _, Write as _},
	net::TcpStream,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use codec::Encode;
use common::{
	account, approve_capture_client, block_on, cli, cli_json, free_port, keypair,
	set_critical_policy, veid_upload, Node, CAPTURE_CLIENT,
};
use futures::StreamExt;
use virtengine_client::{
	runtime::{self, runtime_types},
	AccountId, Client, RuntimeCall, TxOptions,
};
use virtengine_mfa_primitives::Factor;
use virtengine_primitives::units::VE;

use runtime_types::pallet_escrow::types::Unit;
type Rate = runtime_types::pallet_escrow::types::Rate<u128>;

const DAEMON_ENV: &str = "VIRTENGINE_BENCH_DAEMON_CONFIG";
/// The dev chain's block time, as the end-to-end test runs it.
const BLOCK_MS: u64 = 1_000;
/// The customers; each makes its first order through the CLI with MFA (the FirstOrder rule).
const CUSTOMERS: [&str; 4] = ["//Charlie", "//Dave", "//Eve", "//Ferdie"];
/// `create_order` calls per `utility.batch_all`.
const BATCH: usize = 50;
/// One order every this long in the bid-latency part.
const PACE: Duration = Duration::from_millis(250);
/// How often `squeue` is asked.
const POLL: Duration = Duration::from_millis(20);
/// Every order's job: its first command stamps the time it started.
const SCRIPT: &str = "#!/bin/bash\ndate +%s%N > started.ns\nsleep 120\n";
const PATH_ENV: &str = "/usr/local/bin:/usr/bin:/bin";

fn main() {
	if let Ok(config) = std::env::var(DAEMON_ENV) {
		let code = virtengine_provider::run::main_from([
			"virtengine-provider",
			"--config",
			&config,
			"run",
		]);
		std::process::exit(i32::from(code));
	}
	if !std::env::args().any(|a| a == "--bench") {
		// `cargo test --benches` runs bench binaries without `--bench`: not the place for a
		// fifteen-minute run.
		println!("provider bench: run it with `make bench-provider` (it passes --bench)");
		return;
	}
	run();
}

fn env_usize(name: &str, default: usize) -> usize {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn now_ms() -> f64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The job configuration every order seals.
fn job() -> String {
	serde_json::json!({
		"version": 1, "kind": "slurm-batch", "script": SCRIPT,
		"nodes": 1, "tasks": 1, "cpus_per_task": 1, "memory_mb": 100,
		"time_limit_minutes": 5, "environment": {"GREETING": "bench"}
	})
	.to_string()
}

/// What orders the daemon serves offer (above its price of 36 VE an hour, 0.000001 VE a
/// CPU-second and 0.5 VE a job; the test's figures).
fn serve_price() -> Rate {
	Rate { per_hour: 40 * VE, per_unit: vec![(Unit::CpuCoreSecond, VE / 100_000), (Unit::Job, VE)] }
}

/// What the 1,000 orders offer: 1 VE an hour, below the daemon's price.
fn low_price() -> Rate {
	Rate { per_hour: VE, per_unit: vec![(Unit::CpuCoreSecond, VE / 100_000), (Unit::Job, VE)] }
}

fn create_order(sealed: Vec<u8>, max_price: Rate, funds: u128) -> RuntimeCall {
	RuntimeCall::Market(runtime_types::pallet_market::pallet::Call::create_order {
		target: runtime_types::pallet_market::types::Target::Offering { id: 0, plan: 0 },
		config: Some(sealed),
		max_price,
		funds,
	})
}

/// `plain` sealed by `customer` to the provider's encryption key, as `market order create` does.
fn seal(customer: &str, provider_key: [u8; 32], plain: &[u8]) -> Vec<u8> {
	use sp_core::Pair as _;
	let pair = sp_core::sr25519::Pair::from_string(customer, None).expect("customer key");
	virtengine_envelope::seal(
		plain,
		&[provider_key],
		&virtengine_envelope::SenderKey::Sr25519(pair),
		b"order-config",
		now_ms() as u64,
		&virtengine_envelope::Limits::DEFAULT,
	)
	.expect("seal")
	.encode()
}

/// The `p`th percentile (nearest rank); NaN for no samples.
fn pct(v: &[f64], p: f64) -> f64 {
	if v.is_empty() {
		return f64::NAN;
	}
	let mut s = v.to_vec();
	s.sort_by(f64::total_cmp);
	let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
	s[rank.clamp(1, s.len()) - 1]
}

fn max(v: &[f64]) -> f64 {
	v.iter().copied().fold(f64::NAN, f64::max)
}

/// A log line's time (tracing's RFC 3339 UTC, `2026-11-26T06:44:19.204123Z`) in Unix ms.
fn log_ms(line: &str) -> Option<f64> {
	let ts = line.split_whitespace().next()?.strip_suffix('Z')?;
	let (date, time) = ts.split_once('T')?;
	let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
	let (y, m, day) = (d.next()??, d.next()??, d.next()??);
	let mut t = time.split(':');
	let h: i64 = t.next()?.parse().ok()?;
	let min: i64 = t.next()?.parse().ok()?;
	let s: f64 = t.next()?.parse().ok()?;
	// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
	let y = if m <= 2 { y - 1 } else { y };
	let era = y.div_euclid(400);
	let yoe = y - era * 400;
	let doy = (153 * ((m + 9) % 12) + 2) / 5 + day - 1;
	let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
	Some(((days * 86_400 + h * 3_600 + min * 60) as f64 + s) * 1000.0)
}

/// A `key=value` field of a log line.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
	line.split_whitespace().find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

/// When each block was announced to the bench (`chain_subscribeNewHeads`), in Unix ms.
#[derive(Clone, Default)]
struct Heads(Arc<Mutex<BTreeMap<u32, f64>>>);

impl Heads {
	fn follow(client: &Client) -> Heads {
		let heads = Heads::default();
		let into = heads.clone();
		let client = client.clone();
		block_on(async move {
			let mut blocks = client.subscribe_best().await.expect("subscribe to new blocks");
			tokio::spawn(async move {
				while let Some(Ok(block)) = blocks.next().await {
					let at = now_ms();
					if let Ok(mut m) = into.0.lock() {
						m.entry(block.number).or_insert(at);
					}
				}
			});
		});
		heads
	}

	fn at(&self, n: u32) -> Option<f64> {
		self.0.lock().ok()?.get(&n).copied()
	}

	fn wait(&self, n: u32) -> f64 {
		let start = Instant::now();
		loop {
			if let Some(t) = self.at(n) {
				return t;
			}
			assert!(start.elapsed() < Duration::from_secs(60), "block #{n} never announced");
			std::thread::sleep(Duration::from_millis(10));
		}
	}

	/// The newest block announced at or before `t`.
	fn best_at(&self, t: f64) -> u32 {
		self.0
			.lock()
			.map(|m| m.iter().filter(|(_, at)| **at <= t).map(|(n, _)| *n).max().unwrap_or(0))
			.unwrap_or(0)
	}

	fn between(&self, from: f64, to: f64) -> Vec<(u32, f64)> {
		self.0
			.lock()
			.map(|m| {
				m.iter()
					.filter(|(_, at)| **at >= from && **at <= to)
					.map(|(n, t)| (*n, *t))
					.collect()
			})
			.unwrap_or_default()
	}
}

/// The daemon's Prometheus text.
fn scrape(port: u16) -> String {
	let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return String::new() };
	let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
	let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
	let mut out = String::new();
	let _ = s.read_to_string(&mut out);
	out
}

/// One sample's value (`name` with its labels, as the text has it); 0 when absent.
fn metric(text: &str, name: &str) -> f64 {
	text.lines()
		.filter(|l| !l.starts_with('#'))
		.find_map(|l| {
			let (k, v) = l.rsplit_once(' ')?;
			if k == name {
				v.trim().parse().ok()
			} else {
				None
			}
		})
		.unwrap_or(0.0)
}

/// `orders_declined_total` by reason.
fn declined(text: &str) -> BTreeMap<String, f64> {
	let prefix = "virtengine_provider_orders_declined_total{reason=\"";
	text.lines()
		.filter_map(|l| {
			let rest = l.strip_prefix(prefix)?;
			let (reason, value) = rest.split_once("\"} ")?;
			Some((reason.to_string(), value.trim().parse().ok()?))
		})
		.collect()
}

/// The one-host SLURM cluster; stopped at the end only if this bench started it.
struct Slurm {
	script: PathBuf,
	env: BTreeMap<String, String>,
	started_here: bool,
}

impl Slurm {
	fn start() -> Slurm {
		let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/slurm-dev.sh");
		let status = Command::new(&script).arg("status").output().expect("slurm-dev.sh status");
		let running = status.status.success();
		if !running {
			let out = Command::new(&script).arg("start").output().expect("slurm-dev.sh start");
			assert!(
				out.status.success(),
				"slurm-dev.sh start failed:\n{}",
				String::from_utf8_lossy(&out.stderr)
			);
		}
		let out = Command::new(&script).arg("env").output().expect("slurm-dev.sh env");
		let env = String::from_utf8_lossy(&out.stdout)
			.lines()
			.filter_map(|l| l.strip_prefix("export "))
			.filter_map(|l| l.split_once('='))
			.map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
			.collect();
		Slurm { script, env, started_here: !running }
	}

	fn var(&self, name: &str) -> &str {
		self.env.get(name).map(String::as_str).expect("a variable of slurm-dev.sh env")
	}

	fn token(&self, user: &str) -> String {
		let out = Command::new(&self.script).args(["token", user]).output().expect("token");
		assert!(out.status.success(), "token: {}", String::from_utf8_lossy(&out.stderr));
		String::from_utf8_lossy(&out.stdout).trim().to_string()
	}

	/// A SLURM tool talking to this cluster through munge.
	fn tool(&self, program: &str) -> Command {
		let mut c = Command::new(program);
		c.env("SLURM_CONF", self.var("SLURM_CONF")).env_remove("SLURM_JWT");
		c
	}

	/// Every job in the queue (`id name state user`).
	fn queue(&self) -> Vec<String> {
		let out = self.tool("squeue").args(["-h", "-o", "%i %j %T %u"]).output().expect("squeue");
		String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
	}

	/// Waits (up to `timeout`) until no job whose name starts with `prefix` is in the queue.
	fn wait_gone(&self, prefix: &str, timeout: Duration) {
		let conf = self.var("SLURM_CONF");
		let start = Instant::now();
		while start.elapsed() < timeout {
			if jobs(conf).is_some_and(|jobs| !jobs.iter().any(|(name, _)| name.starts_with(prefix)))
			{
				return;
			}
			std::thread::sleep(Duration::from_millis(200));
		}
		println!("  (job {prefix}* still in the queue after {timeout:?})");
	}

	/// Waits for an empty queue (up to a minute), then two idle seconds; whether it was empty.
	fn wait_idle(&self) -> bool {
		let start = Instant::now();
		let mut empty = false;
		while start.elapsed() < Duration::from_secs(60) {
			if self.queue().is_empty() {
				empty = true;
				break;
			}
			std::thread::sleep(Duration::from_millis(250));
		}
		if !empty {
			println!("  (the queue is not empty: {:?}; measuring anyway)", self.queue());
		}
		std::thread::sleep(Duration::from_secs(2));
		empty
	}

	/// Polls `squeue` from now until a job whose name starts with `prefix` runs: the time of
	/// the first answer saying so.
	fn watch_running(
		&self,
		prefix: &str,
		timeout: Duration,
	) -> std::thread::JoinHandle<Option<f64>> {
		let conf = self.var("SLURM_CONF").to_string();
		let prefix = prefix.to_string();
		std::thread::spawn(move || {
			let start = Instant::now();
			while start.elapsed() < timeout {
				let jobs = jobs(&conf)?;
				let t = now_ms();
				if jobs.iter().any(|(name, state)| name.starts_with(&prefix) && state == "RUNNING")
				{
					return Some(t);
				}
				std::thread::sleep(POLL);
			}
			None
		})
	}
}

/// Every job in the queue, `(name, state)`, as `squeue -h -o '%j %T'` tells.
fn jobs(slurm_conf: &str) -> Option<Vec<(String, String)>> {
	let out = Command::new("squeue")
		.env("SLURM_CONF", slurm_conf)
		.env_remove("SLURM_JWT")
		.args(["-h", "-o", "%j %T"])
		.output()
		.ok()?;
	if !out.status.success() {
		return None;
	}
	Some(
		String::from_utf8_lossy(&out.stdout)
			.lines()
			.filter_map(|l| l.trim().rsplit_once(' '))
			.map(|(name, state)| (name.to_string(), state.to_string()))
			.collect(),
	)
}

impl Drop for Slurm {
	fn drop(&mut self) {
		if self.started_here {
			let _ = Command::new(&self.script).arg("stop").status();
		}
	}
}

/// The time a job's script stamped into `file` (`date +%s%N`), in Unix ms.
fn stamp(file: &Path, timeout: Duration) -> Option<f64> {
	let start = Instant::now();
	while start.elapsed() < timeout {
		if let Some(ns) =
			std::fs::read_to_string(file).ok().and_then(|t| t.trim().parse::<u64>().ok())
		{
			return Some(ns as f64 / 1e6);
		}
		std::thread::sleep(Duration::from_millis(50));
	}
	None
}

/// The daemon's process, killed when dropped.
struct Daemon {
	child: Option<Child>,
	log: PathBuf,
}

impl Daemon {
	fn start(config: &Path, log: &Path) -> Daemon {
		let file = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log");
		let child = Command::new(std::env::current_exe().expect("bench binary"))
			.env(DAEMON_ENV, config)
			.env("RUST_LOG", "virtengine_provider=info,warn")
			.stdout(Stdio::null())
			.stderr(file)
			.spawn()
			.expect("start the daemon");
		Daemon { child: Some(child), log: log.to_path_buf() }
	}

	fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	fn wait_log(&self, what: &str, timeout: Duration) {
		let start = Instant::now();
		while !self.log().contains(what) {
			assert!(
				start.elapsed() < timeout,
				"the daemon did not log `{what}` within {timeout:?}:\n{}",
				self.tail()
			);
			std::thread::sleep(Duration::from_millis(200));
		}
	}

	fn tail(&self) -> String {
		let log = self.log();
		let lines: Vec<_> = log.lines().collect();
		lines[lines.len().saturating_sub(40)..].join("\n")
	}
}

impl Drop for Daemon {
	fn drop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

/// Orders a transaction created, and its block.
struct Submitted {
	ids: Vec<u64>,
	block: u32,
}

/// Signs `calls` with consecutive nonces per signer and submits them, one every `pace` (all at
/// once when zero), then waits for every one's inclusion.
fn submit_all(
	client: &Client,
	calls: Vec<(&'static str, RuntimeCall)>,
	pace: Duration,
) -> Vec<Submitted> {
	block_on(async {
		let mut nonces: HashMap<&str, u64> = HashMap::new();
		let mut tasks = Vec::new();
		for (who, call) in calls {
			let nonce = match nonces.get(who) {
				Some(n) => *n,
				None => client.next_nonce(&account(who)).await.expect("nonce"),
			};
			nonces.insert(who, nonce + 1);
			let options = TxOptions {
				nonce: Some(nonce),
				timeout: Duration::from_secs(300),
				..TxOptions::default()
			};
			let signed = client.sign(&keypair(who), &call, &options).await.expect("sign");
			let c = client.clone();
			tasks.push(tokio::spawn(
				async move { c.submit_signed(&signed, &options, |_| {}).await },
			));
			if !pace.is_zero() {
				tokio::time::sleep(pace).await;
			}
		}
		let mut out = Vec::new();
		for task in tasks {
			let included = task.await.expect("submission task").expect("an order transaction");
			let ids = included
				.events
				.iter()
				.filter_map(|e| match e {
					runtime::Event::Market(runtime::market::Event::OrderCreated { id, .. }) => {
						Some(*id)
					},
					_ => None,
				})
				.collect();
			out.push(Submitted { ids, block: included.block_number });
		}
		out
	})
}

fn order_blocks(subs: &[Submitted]) -> BTreeMap<u64, u32> {
	subs.iter().flat_map(|s| s.ids.iter().map(move |id| (*id, s.block))).collect()
}

/// Everything the parts share.
/// Fields drop in this order: the daemon, the node, then the cluster (if this bench started it).
struct Bench {
	daemon: Daemon,
	node: Node,
	client: Client,
	heads: Heads,
	bob: AccountId,
	enc_key: [u8; 32],
	metrics_port: u16,
	jobs_dir: PathBuf,
	sbatch_dir: PathBuf,
	_dir: tempfile::TempDir,
	slurm: Slurm,
}

fn run() {
	let started = Instant::now();
	let latency_orders = env_usize("BENCH_ORDERS", 120);
	let follow_orders = env_usize("BENCH_FOLLOW_ORDERS", 1_000);
	let rounds = env_usize("BENCH_ROUNDS", 10);
	println!(
		"provider bench: dev node with {BLOCK_MS} ms blocks, {latency_orders} orders for bid \
		 latency, {follow_orders} open orders to follow, {rounds} provisioning rounds"
	);
	let b = setup();
	println!("set up in {:.0} s", started.elapsed().as_secs_f64());

	let t = Instant::now();
	let latency = bid_latency(&b, latency_orders);
	println!("bid latency measured in {:.0} s", t.elapsed().as_secs_f64());
	let t = Instant::now();
	let provisioning = provisioning(&b, rounds);
	println!("provisioning measured in {:.0} s", t.elapsed().as_secs_f64());
	let t = Instant::now();
	let follow = follow(&b, follow_orders);
	println!("open orders followed in {:.0} s", t.elapsed().as_secs_f64());

	let problems = daemon_problems(&b.daemon.log());
	summary(&latency, &follow, &provisioning, &problems, started.elapsed());
	let _ = std::fs::remove_dir_all(&b.jobs_dir);
	let _ = std::fs::remove_dir_all(&b.sbatch_dir);
	drop(b);
}

/// The provider (Bob) registered with an offering as `node/tests/provider.rs` does, its daemon
/// running, and each customer past its first order.
fn setup() -> Bench {
	let slurm = Slurm::start();
	let node = Node::start_dev(BLOCK_MS);
	node.wait_for_block(1, Duration::from_secs(240));
	let rpc = node.rpc_url();
	let r = rpc.as_str();
	let client = node.client();
	let heads = Heads::follow(&client);
	let dir = tempfile::tempdir().expect("temp dir");
	let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

	for rule in [
		runtime_types::pallet_mfa::policy::Rule::ProviderRegistration,
		runtime_types::pallet_mfa::policy::Rule::FirstOffering,
		runtime_types::pallet_mfa::policy::Rule::FirstOrder,
	] {
		set_critical_policy(&node, rule, &[Factor::Fido2]);
	}

	// Providers need a verified identity (tier Standard): Bob uploads his, as in the test.
	node.wait_until("a committee", Duration::from_secs(60), || {
		block_on(client.committee()).is_ok()
	});
	approve_capture_client(r).expect("approve the capture client");
	let portrait = common::fixture(dir.path(), "person_b_1");
	let selfie = common::fixture(dir.path(), "person_b_2");
	let document = path("card.png");
	cli(&["veid", "synth", "--photo", &portrait, "--out", &document]).expect("synth");
	veid_upload(r, &document, &selfie, "//Bob", CAPTURE_CLIENT).expect("Bob's identity upload");

	let pdir = dir.path().join("provider");
	let config_path = pdir.join("provider.toml");
	let config_text = config_path.to_str().expect("utf-8").to_string();
	assert_eq!(
		virtengine_provider::run::main_from([
			"virtengine-provider",
			"--config",
			&config_text,
			"init"
		]),
		0
	);
	std::fs::remove_file(pdir.join("keys/account.suri")).expect("rm");
	virtengine_provider::keys::write_new_secret(&pdir.join("keys/account.suri"), b"//Bob\n")
		.expect("account");
	let bob = account("//Bob");
	let bob_fido = path("bob.fido.json");
	cli(&["mfa", "enroll", "--rpc", r, "--suri", "//Bob", "--fido2-key", &bob_fido])
		.expect("enroll");
	let claimed = cli_json(&[
		"market",
		"provider",
		"claim-domain",
		"--rpc",
		r,
		"--suri",
		"//Bob",
		"--domain",
		"hpc.bob.example",
	])
	.expect("claim");
	let token = claimed["txt_record"].as_str().expect("txt").to_string();
	cli(&[
		"market",
		"provider",
		"confirm-domain",
		"--rpc",
		r,
		"--suri",
		"//Alice",
		"--who",
		&bob.to_string(),
		"--domain",
		"hpc.bob.example",
		"--token",
		&token,
	])
	.expect("confirm");
	let enc = pdir.join("keys/encryption.json").to_string_lossy().into_owned();
	let daemon_key = pdir.join("keys/daemon.json").to_string_lossy().into_owned();
	cli(&[
		"market",
		"provider",
		"register",
		"--rpc",
		r,
		"--suri",
		"//Bob",
		"--region",
		"eu-central",
		"--capabilities",
		"slurm",
		"--encryption-key",
		&enc,
		"--daemon-key",
		&daemon_key,
		"--mfa",
		"--fido2-key",
		&bob_fido,
	])
	.expect("register");
	let details = path("details.txt");
	std::fs::write(&details, b"slurm-dev cluster, partition debug").expect("details");
	cli(&[
		"market",
		"offering",
		"create",
		"--rpc",
		r,
		"--suri",
		"//Bob",
		"--category",
		"hpc",
		"--per-hour",
		"36",
		"--unit",
		"cpu-core-second=0.000001",
		"--unit",
		"job=0.5",
		"--details",
		&details,
		"--mfa",
		"--fido2-key",
		&bob_fido,
	])
	.expect("offering");
	let enc_key =
		block_on(client.provider(&bob)).expect("provider").expect("registered").encryption_key;

	// The daemon's configuration as the test writes it: this node, the cluster, usage every 4 s.
	let jobs_dir = Path::new(slurm.var("VIRTENGINE_SLURM_WORK_DIR"))
		.join(format!("provider-bench-{}", node.rpc_port));
	let sbatch_dir = Path::new(slurm.var("VIRTENGINE_SLURM_WORK_DIR"))
		.join(format!("sbatch-bench-{}", node.rpc_port));
	let token_file = pdir.join("keys/slurm.jwt");
	virtengine_provider::keys::write_new_secret(
		&token_file,
		slurm.token(slurm.var("VIRTENGINE_SLURM_JOB_USER")).as_bytes(),
	)
	.expect("token");
	let (gateway_port, metrics_port) = (free_port(), free_port());
	let config = virtengine_provider::config::EXAMPLE
		.replace("ws://127.0.0.1:9944", &rpc)
		.replace("http://127.0.0.1:6820", slurm.var("VIRTENGINE_SLURM_REST_URL"))
		.replace("\"virtengine-job\"", &format!("\"{}\"", slurm.var("VIRTENGINE_SLURM_JOB_USER")))
		.replace("/srv/virtengine/jobs", jobs_dir.to_str().expect("utf-8"))
		.replace("interval_secs = 60", "interval_secs = 4")
		.replace("poll_secs = 5", "poll_secs = 1")
		.replace("0.0.0.0:8443", &format!("127.0.0.1:{gateway_port}"))
		.replace("127.0.0.1:9616", &format!("127.0.0.1:{metrics_port}"));
	std::fs::write(&config_path, config).expect("config");
	std::fs::write(
		pdir.join("pricing.toml"),
		"strategy = \"table\"\n[table]\nper_hour = \"36\"\nunits = { cpu_core_second = \"0.000001\", job = \"0.5\" }\n",
	)
	.expect("pricing");
	assert_eq!(
		virtengine_provider::run::main_from([
			"virtengine-provider",
			"--config",
			&config_text,
			"check"
		]),
		0,
		"virtengine-provider check"
	);
	// Kept after the run, beside the node's (common::Node writes virtengine-test-node-<port>.log).
	let daemon_log =
		std::env::temp_dir().join(format!("virtengine-bench-daemon-{}.log", node.rpc_port));
	let _ = std::fs::remove_file(&daemon_log);
	let daemon = Daemon::start(&config_path, &daemon_log);
	daemon.wait_log("open orders at start", Duration::from_secs(60));
	println!("daemon log: {}; node log: {}", daemon_log.display(), node.log.display());

	// Each customer's first order, with MFA (FirstOrder), through the CLI.
	let config_file = path("job.json");
	std::fs::write(&config_file, job()).expect("job");
	for who in CUSTOMERS {
		let fido = path(&format!("{}.fido.json", who.trim_start_matches('/')));
		cli(&["mfa", "enroll", "--rpc", r, "--suri", who, "--fido2-key", &fido]).expect("enroll");
		cli_json(&[
			"market",
			"order",
			"create",
			"--rpc",
			r,
			"--suri",
			who,
			"--offering",
			"0",
			"--config",
			&config_file,
			"--per-hour",
			"40",
			"--unit",
			"cpu-core-second=0.00001",
			"--unit",
			"job=1",
			"--funds",
			"10",
			"--mfa",
			"--fido2-key",
			&fido,
		])
		.expect("first order");
	}
	Bench {
		daemon,
		node,
		client,
		heads,
		bob,
		enc_key,
		metrics_port,
		jobs_dir,
		sbatch_dir,
		_dir: dir,
		slurm,
	}
}

struct Latency {
	orders: usize,
	blocks: Vec<f64>,
	ms: Vec<f64>,
	missing: usize,
	daemon_mean_s: f64,
	daemon_mean_blocks: f64,
}

/// Part 1: orders the daemon serves, a steady stream; the blocks and milliseconds to each bid.
fn bid_latency(b: &Bench, n: usize) -> Latency {
	let before = scrape(b.metrics_port);
	let plain = job();
	let calls = (0..n)
		.map(|i| {
			let who = CUSTOMERS[i % CUSTOMERS.len()];
			(who, create_order(seal(who, b.enc_key, plain.as_bytes()), serve_price(), 10 * VE))
		})
		.collect();
	let orders = order_blocks(&submit_all(&b.client, calls, PACE));
	assert_eq!(orders.len(), n, "every order created");
	let from = orders.values().copied().min().unwrap_or(1);
	let mut bids: BTreeMap<u64, u32> = BTreeMap::new();
	let mut next = from;
	let start = Instant::now();
	while bids.len() < orders.len() && start.elapsed() < Duration::from_secs(120) {
		let best = block_on(b.client.best_number()).expect("best");
		for number in next..=best {
			let hash = block_on(b.client.block_hash(number)).expect("hash");
			for e in block_on(b.client.events(hash)).expect("events") {
				if let runtime::Event::Market(runtime::market::Event::BidPlaced {
					order,
					provider,
					..
				}) = e
				{
					if provider == b.bob && orders.contains_key(&order) {
						bids.entry(order).or_insert(number);
					}
				}
			}
		}
		next = best + 1;
		std::thread::sleep(Duration::from_millis(500));
	}
	let after = scrape(b.metrics_port);
	let mut blocks = Vec::new();
	let mut ms = Vec::new();
	for (order, at) in &orders {
		let Some(bid) = bids.get(order) else { continue };
		blocks.push(f64::from(bid - at));
		if let (Some(t0), Some(t1)) = (b.heads.at(*at), b.heads.at(*bid)) {
			ms.push(t1 - t0);
		}
	}
	let delta = |name: &str| metric(&after, name) - metric(&before, name);
	let count = delta("virtengine_provider_bid_latency_seconds_count").max(1.0);
	Latency {
		orders: n,
		missing: orders.len() - bids.len(),
		blocks,
		ms,
		daemon_mean_s: delta("virtengine_provider_bid_latency_seconds_sum") / count,
		daemon_mean_blocks: delta("virtengine_provider_bid_blocks_sum")
			/ delta("virtengine_provider_bid_blocks_count").max(1.0),
	}
}

/// One side of a provisioning round, in Unix ms.
#[derive(Clone, Copy, Default)]
struct Side {
	/// Daemon: the import of the block including accept_bid. sbatch: the call.
	start: f64,
	/// When the submission to SLURM began (daemon: its log's `job submitted` time less `took_ms`).
	submit: f64,
	/// When SLURM answered the submission.
	submitted: f64,
	/// The first `squeue` answer saying RUNNING.
	running: f64,
	/// The job script's first command.
	script: f64,
}

impl Side {
	fn total(&self) -> f64 {
		self.running - self.start
	}
}

struct Provisioning {
	daemon: Vec<Side>,
	sbatch: Vec<Side>,
}

/// Part 3: the same job through the daemon (order, bid, accept) and with sbatch, round by round.
fn provisioning(b: &Bench, rounds: usize) -> Provisioning {
	let customer = "//Charlie";
	let user = b.slurm.var("VIRTENGINE_SLURM_JOB_USER").to_string();
	let mut leases: Vec<u64> = Vec::new();
	let mut out = Provisioning { daemon: Vec::new(), sbatch: Vec::new() };
	let lease_over = |id: u64| {
		matches!(
			block_on(b.client.lease(id)).ok().flatten().map(|l| l.state),
			None | Some(virtengine_client::market::LeaseState::Closed(_))
		)
	};
	let sbatch = |name: &str, dir: &Path| -> u64 {
		let mut child = b
			.slurm
			.tool("runuser")
			.args(["-u", &user, "--", "sbatch", "--parsable", "-J", name, "-D"])
			.arg(dir)
			.args(["-N", "1", "-n", "1", "-c", "1", "--mem=100", "-t", "5", "-p", "debug"])
			.arg(format!("--output={}/output.txt", dir.display()))
			.arg(format!("--error={}/error.txt", dir.display()))
			.arg("--no-requeue")
			.arg(format!("--export=PATH={PATH_ENV},GREETING=bench"))
			.stdin(Stdio::piped())
			.stdout(Stdio::piped())
			.stderr(Stdio::piped())
			.spawn()
			.expect("sbatch");
		child.stdin.take().expect("stdin").write_all(SCRIPT.as_bytes()).expect("script");
		let done = child.wait_with_output().expect("sbatch");
		assert!(done.status.success(), "sbatch: {}", String::from_utf8_lossy(&done.stderr));
		String::from_utf8_lossy(&done.stdout)
			.trim()
			.split(';')
			.next()
			.and_then(|id| id.parse().ok())
			.expect("a job id from sbatch --parsable")
	};

	// One direct job first, discarded: the cluster's first job after its start is slower
	// (both sides get the warm cluster).
	let _ = std::fs::create_dir_all(&b.sbatch_dir);
	let chown = |dir: &Path| {
		let ok = Command::new("chown").arg(&user).arg(dir).status().is_ok_and(|s| s.success());
		assert!(ok, "chown {}", dir.display());
	};
	chown(&b.sbatch_dir);
	let warm = b.sbatch_dir.join("warm-up");
	let _ = std::fs::create_dir_all(&warm);
	chown(&warm);
	b.slurm.wait_idle();
	let warm_name = format!("bench-sbatch-{}-warm-", b.node.rpc_port);
	let watch = b.slurm.watch_running(&warm_name, Duration::from_secs(60));
	let id = sbatch(&format!("{warm_name}job"), &warm);
	let _ = watch.join();
	let _ = b.slurm.tool("scancel").arg(id.to_string()).status();
	b.slurm.wait_gone(&warm_name, Duration::from_secs(30));

	for round in 0..rounds {
		// The daemon holds a closing lease's CPU until the lease closes (the closing timeout):
		// at most one earlier lease may still be closing (a CPU each, two in the cluster).
		for old in &leases[..leases.len().saturating_sub(1)] {
			b.node.wait_until("an earlier lease closed", Duration::from_secs(180), || {
				lease_over(*old)
			});
		}
		b.slurm.wait_idle();

		// Through the daemon. 10 VE each: the customer's acceptances add up in MFA's rolling
		// window for committed funds (LargeOrder at 1,000 VE), which ten 100 VE rounds reach.
		let sealed = seal(customer, b.enc_key, job().as_bytes());
		let subs = submit_all(
			&b.client,
			vec![(customer, create_order(sealed, serve_price(), 10 * VE))],
			Duration::ZERO,
		);
		let id = subs[0].ids[0];
		let mut price = None;
		b.node.wait_until("the daemon's bid", Duration::from_secs(60), || {
			price = block_on(b.client.bid(id, &b.bob)).ok().flatten().map(|bid| bid.price);
			price.is_some()
		});
		// The daemon names the job `virtengine-lease-<id>-<random>`.
		let name = format!("virtengine-lease-{id}-");
		let watch = b.slurm.watch_running(&name, Duration::from_secs(90));
		let accept = RuntimeCall::Market(runtime_types::pallet_market::pallet::Call::accept_bid {
			order: id,
			provider: b.bob,
			price: price.expect("bid"),
			config: None,
		});
		let included =
			block_on(b.client.submit(&keypair(customer), &accept, &TxOptions::default(), |_| {}))
				.expect("accept_bid");
		let start = b.heads.wait(included.block_number);
		let running = watch.join().expect("squeue poller").unwrap_or_else(|| {
			println!("daemon log:\n{}", b.daemon.tail());
			f64::NAN
		});
		assert!(running.is_finite(), "lease {id}: the job did not run within 90 s");
		let script =
			stamp(&b.jobs_dir.join(format!("lease-{id}/started.ns")), Duration::from_secs(10))
				.unwrap_or(f64::NAN);
		let mut submitted_line = None;
		let t = Instant::now();
		while submitted_line.is_none() && t.elapsed() < Duration::from_secs(10) {
			submitted_line = b.daemon.log().lines().find_map(|l| {
				(l.contains("job submitted") && field(l, "lease") == Some(&id.to_string()))
					.then(|| l.to_string())
			});
			std::thread::sleep(Duration::from_millis(100));
		}
		let line = submitted_line.expect("the daemon's `job submitted` line");
		let submitted = log_ms(&line).expect("a log time");
		let took: f64 = field(&line, "took_ms").and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
		let side = Side { start, submit: submitted - took, submitted, running, script };
		println!(
			"  round {}: lease {id}: accept in #{} → RUNNING {:.0} ms (daemon submit after {:.0} ms, \
			 REST {:.0} ms, then {:.0} ms; script at {:.0} ms)",
			round + 1,
			included.block_number,
			side.total(),
			side.submit - side.start,
			took,
			side.running - side.submitted,
			side.script - side.start
		);
		out.daemon.push(side);
		leases.push(id);
		let close =
			RuntimeCall::Market(runtime_types::pallet_market::pallet::Call::close_lease { id });
		block_on(b.client.submit(&keypair(customer), &close, &TxOptions::default(), |_| {}))
			.expect("close_lease");
		b.slurm.wait_gone(&name, Duration::from_secs(60));

		// Directly.
		b.slurm.wait_idle();
		let dir = b.sbatch_dir.join(format!("round-{round}"));
		let _ = std::fs::create_dir_all(&dir);
		chown(&dir);
		let name = format!("bench-sbatch-{}-{round}-", b.node.rpc_port);
		// At a random point of the second: the daemon's submissions fall wherever the blocks and
		// its reaction put them, and SLURM's start latency varies within a second.
		std::thread::sleep(Duration::from_millis(now_ms() as u64 * 7919 % 1000));
		let watch = b.slurm.watch_running(&name, Duration::from_secs(90));
		let start = now_ms();
		let job_id = sbatch(&format!("{name}job"), &dir);
		let submitted = now_ms();
		let running =
			watch.join().expect("squeue poller").expect("the sbatch job RUNNING within 90 s");
		let script = stamp(&dir.join("started.ns"), Duration::from_secs(10)).unwrap_or(f64::NAN);
		let side = Side { start, submit: start, submitted, running, script };
		println!(
			"  round {}: sbatch job {job_id} → RUNNING {:.0} ms (sbatch returned after {:.0} ms, \
			 then {:.0} ms; script at {:.0} ms)",
			round + 1,
			side.total(),
			side.submitted - side.start,
			side.running - side.submitted,
			side.script - side.start
		);
		out.sbatch.push(side);
		let _ = b.slurm.tool("scancel").arg(job_id.to_string()).status();
		b.slurm.wait_gone(&name, Duration::from_secs(60));
	}
	out
}

struct Follow {
	orders: usize,
	blocks: (u32, u32),
	seen: f64,
	declined: BTreeMap<String, f64>,
	decided: usize,
	/// The daemon's logged reasons, with their counts.
	reasons: BTreeMap<String, usize>,
	bid_on: usize,
	latency_ms: Vec<f64>,
	latency_blocks: Vec<f64>,
	/// `latency_ms` of the orders declined for their price, and of the others.
	price_ms: Vec<f64>,
	other_ms: Vec<f64>,
	max_lag: u32,
	max_backlog: f64,
	/// From the first order block's import to the last decision.
	span_ms: f64,
	/// From the last order block's import to the last decision.
	after_last_ms: f64,
	/// Blocks from the last order block to the best block at the last decision.
	after_last_blocks: u32,
	submit_to_last_block_ms: f64,
}

/// Part 2: 1,000 orders at once, declined for price; the daemon must look at every one and keep
/// up with the chain.
fn follow(b: &Bench, n: usize) -> Follow {
	let before = scrape(b.metrics_port);
	let seen0 = metric(&before, "virtengine_provider_orders_seen_total");
	let declined0 = declined(&before);
	let count0 = block_on(b.client.order_count()).expect("order count");
	let plain = job();
	// Orders round robin over the customers, each customer's in batches of BATCH.
	let mut per_customer: Vec<Vec<RuntimeCall>> = vec![Vec::new(); CUSTOMERS.len()];
	for i in 0..n {
		let who = CUSTOMERS[i % CUSTOMERS.len()];
		per_customer[i % CUSTOMERS.len()].push(create_order(
			seal(who, b.enc_key, plain.as_bytes()),
			low_price(),
			VE,
		));
	}
	let mut batches = Vec::new();
	for (c, calls) in per_customer.into_iter().enumerate() {
		for chunk in calls.chunks(BATCH) {
			let call =
				RuntimeCall::Utility(runtime_types::pallet_utility::pallet::Call::batch_all {
					calls: chunk.to_vec(),
				});
			batches.push((CUSTOMERS[c], call));
		}
	}
	println!("  {n} orders in {} batch_all transactions of at most {BATCH}", batches.len());

	// Sampled while it runs: orders created on chain against orders the daemon has seen.
	let stop = Arc::new(AtomicBool::new(false));
	let backlog = Arc::new(Mutex::new(0.0_f64));
	let sampler = {
		let (stop, backlog, client, port) =
			(stop.clone(), backlog.clone(), b.client.clone(), b.metrics_port);
		std::thread::spawn(move || {
			while !stop.load(Ordering::Relaxed) {
				let seen = metric(&scrape(port), "virtengine_provider_orders_seen_total") - seen0;
				if let Ok(count) = block_on(client.order_count()) {
					let behind = (count - count0) as f64 - seen;
					if let Ok(mut m) = backlog.lock() {
						*m = m.max(behind);
					}
				}
				std::thread::sleep(Duration::from_millis(250));
			}
		})
	};
	let submit_at = now_ms();
	let orders = order_blocks(&submit_all(&b.client, batches, Duration::ZERO));
	assert_eq!(orders.len(), n, "every order created");
	let first_block = orders.values().copied().min().unwrap_or(0);
	let last_block = orders.values().copied().max().unwrap_or(0);
	println!("  created in blocks #{first_block}..#{last_block}");

	// Each order's decision in the daemon's log.
	let mut decisions: BTreeMap<u64, f64> = BTreeMap::new();
	// Orders declined for their price, as meant (the others failed on the way).
	let mut for_price: std::collections::HashSet<u64> = std::collections::HashSet::new();
	let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
	let mut bid_on = 0;
	let start = Instant::now();
	while decisions.len() < n && start.elapsed() < Duration::from_secs(300) {
		std::thread::sleep(Duration::from_secs(1));
		for line in b.daemon.log().lines() {
			let placed = line.contains("bid placed");
			if !(line.contains("no bid") || placed) {
				continue;
			}
			let Some(order) = field(line, "order").and_then(|v| v.parse::<u64>().ok()) else {
				continue;
			};
			if orders.contains_key(&order) && !decisions.contains_key(&order) {
				if let Some(t) = log_ms(line) {
					decisions.insert(order, t);
					bid_on += usize::from(placed);
					if line.contains("above the order's maximum") {
						for_price.insert(order);
					}
					// The reason, its digits blurred, so that alike ones count together.
					let why = line.split_once("reason=").map_or("bid placed", |(_, r)| r);
					let why: String = why
						.chars()
						.map(|c| if c.is_ascii_digit() { '#' } else { c })
						.take(160)
						.collect();
					*reasons.entry(why).or_default() += 1;
				}
			}
		}
	}
	// The metric once the last decision is in (it counts an order when the daemon starts on it).
	std::thread::sleep(Duration::from_secs(1));
	stop.store(true, Ordering::Relaxed);
	let _ = sampler.join();
	let after = scrape(b.metrics_port);
	let seen = metric(&after, "virtengine_provider_orders_seen_total") - seen0;
	let declined: BTreeMap<String, f64> = declined(&after)
		.into_iter()
		.map(|(k, v)| {
			let d = v - declined0.get(&k).copied().unwrap_or(0.0);
			(k, d)
		})
		.filter(|(_, v)| *v > 0.0)
		.collect();

	let mut latency_ms = Vec::new();
	let mut latency_blocks = Vec::new();
	let mut price_ms = Vec::new();
	let mut other_ms = Vec::new();
	for (order, t) in &decisions {
		let block = orders[order];
		if let Some(at) = b.heads.at(block) {
			latency_ms.push(t - at);
			if for_price.contains(order) { &mut price_ms } else { &mut other_ms }.push(t - at);
		}
		latency_blocks.push(f64::from(b.heads.best_at(*t).saturating_sub(block)));
	}
	// How far behind: at each new block, the oldest block holding an order not evaluated yet.
	let last_decision = decisions.values().copied().fold(f64::NAN, f64::max);
	let t_first = b.heads.at(first_block).unwrap_or(submit_at);
	let t_last_block = b.heads.at(last_block).unwrap_or(t_first);
	let mut max_lag = 0;
	for (number, at) in b.heads.between(t_first, last_decision) {
		let oldest_pending = orders
			.iter()
			.filter(|(o, block)| **block <= number && decisions.get(o).is_none_or(|t| *t > at))
			.map(|(_, block)| *block)
			.min();
		if let Some(oldest) = oldest_pending {
			max_lag = max_lag.max(number - oldest);
		}
	}
	Follow {
		orders: n,
		blocks: (first_block, last_block),
		seen,
		declined,
		decided: decisions.len(),
		reasons,
		bid_on,
		latency_ms,
		latency_blocks,
		price_ms,
		other_ms,
		max_lag,
		max_backlog: backlog.lock().map(|m| *m).unwrap_or(f64::NAN),
		span_ms: last_decision - t_first,
		after_last_ms: last_decision - t_last_block,
		after_last_blocks: b.heads.best_at(last_decision).saturating_sub(last_block),
		submit_to_last_block_ms: t_last_block - submit_at,
	}
}

/// The daemon's warnings and errors, each distinct message once with its count.
fn daemon_problems(log: &str) -> Vec<(usize, String)> {
	let mut seen: BTreeMap<String, usize> = BTreeMap::new();
	for line in log.lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ")) {
		// Without the time and the ids that differ from line to line.
		let text: Vec<&str> = line
			.split_whitespace()
			.skip(1)
			.filter(|w| {
				!w.starts_with("order=") && !w.starts_with("lease=") && !w.starts_with("block=")
			})
			.collect();
		*seen.entry(text.join(" ")).or_default() += 1;
	}
	let mut v: Vec<(usize, String)> = seen.into_iter().map(|(k, n)| (n, k)).collect();
	v.sort_by_key(|p| std::cmp::Reverse(p.0));
	v
}

fn summary(
	l: &Latency,
	f: &Follow,
	p: &Provisioning,
	problems: &[(usize, String)],
	took: Duration,
) {
	let row = |what: &str, v: &[f64], unit: &str| {
		println!(
			"| {what:<58} | {:>9.0} | {:>9.0} | {:>9.0} | {:>5} | {unit:<6} |",
			pct(v, 50.0),
			pct(v, 99.0),
			max(v),
			v.len()
		);
	};
	let rowf = |what: &str, v: &[f64], unit: &str| {
		println!(
			"| {what:<58} | {:>9.1} | {:>9.1} | {:>9.1} | {:>5} | {unit:<6} |",
			pct(v, 50.0),
			pct(v, 99.0),
			max(v),
			v.len()
		);
	};
	let line = format!(
		"|{}|{}|{}|{}|{}|{}|",
		"-".repeat(60),
		"-".repeat(11),
		"-".repeat(11),
		"-".repeat(11),
		"-".repeat(7),
		"-".repeat(8)
	);
	println!();
	let profile = if cfg!(debug_assertions) { "debug build" } else { "release build" };
	println!(
		"=== virtengine-provider benchmark: dev node, {BLOCK_MS} ms blocks, one-host SLURM, \
		 {profile} ==="
	);
	println!(
		"times: wall clock; a block's time is its import as announced by chain_subscribeNewHeads"
	);
	println!("(the dev chain's Timestamp::Now is mocked: +6 s a block whatever the block time)");
	println!();
	println!(
		"| {:<58} | {:>9} | {:>9} | {:>9} | {:>5} | {:<6} |",
		"measure", "p50", "p99", "max", "n", "unit"
	);
	println!("{line}");
	rowf("1. bid latency: order's block → bid's block", &l.blocks, "blocks");
	row("1. bid latency: import of order's block → of bid's block", &l.ms, "ms");
	row("2. decision: order's block import → daemon's no-bid log", &f.latency_ms, "ms");
	rowf("2. decision: blocks after the order's block", &f.latency_blocks, "blocks");
	row("2. decision, the orders declined for price", &f.price_ms, "ms");
	row("2. decision, the orders declined for an error", &f.other_ms, "ms");
	let d_total: Vec<f64> = p.daemon.iter().map(Side::total).collect();
	let s_total: Vec<f64> = p.sbatch.iter().map(Side::total).collect();
	let d_script: Vec<f64> = p.daemon.iter().map(|s| s.script - s.start).collect();
	let s_script: Vec<f64> = p.sbatch.iter().map(|s| s.script - s.start).collect();
	let d_from_submit: Vec<f64> = p.daemon.iter().map(|s| s.running - s.submit).collect();
	let d_react: Vec<f64> = p.daemon.iter().map(|s| s.submit - s.start).collect();
	let d_rest: Vec<f64> = p.daemon.iter().map(|s| s.submitted - s.submit).collect();
	let s_cli: Vec<f64> = p.sbatch.iter().map(|s| s.submitted - s.submit).collect();
	row("3. daemon: accept's block import → job RUNNING (squeue)", &d_total, "ms");
	row("3. sbatch: sbatch called → job RUNNING (squeue)", &s_total, "ms");
	row("3. daemon: accept's block import → job script started", &d_script, "ms");
	row("3. sbatch: sbatch called → job script started", &s_script, "ms");
	row("3. daemon: block import → start of its REST submit", &d_react, "ms");
	row("3. daemon: REST submit (its took_ms)", &d_rest, "ms");
	row("3. sbatch: sbatch call returned", &s_cli, "ms");
	row("3. daemon: start of its REST submit → job RUNNING", &d_from_submit, "ms");
	println!();
	println!(
		"1. bid latency over {} orders ({} without a bid in 120 s); the daemon's own metrics: \
		 bid_latency_seconds mean {:.2} s, bid_blocks mean {:.2}",
		l.orders, l.missing, l.daemon_mean_s, l.daemon_mean_blocks
	);
	println!(
		"2. {} orders in blocks #{}..#{} ({} ms from submission to the last one's import): \
		 orders_seen_total +{:.0}, decisions in the log {}/{} (bids {}), declined {:?}",
		f.orders,
		f.blocks.0,
		f.blocks.1,
		f.submit_to_last_block_ms.round(),
		f.seen,
		f.decided,
		f.orders,
		f.bid_on,
		f.declined
	);
	println!(
		"   all evaluated {:.0} ms after the first order block's import, {:.0} ms ({} blocks) after \
		 the last's; at most {} blocks behind the best block; at most {:.0} orders on chain not yet \
		 seen (sampled every 250 ms)",
		f.span_ms, f.after_last_ms, f.after_last_blocks, f.max_lag, f.max_backlog
	);
	let mut reasons: Vec<(&String, &usize)> = f.reasons.iter().collect();
	reasons.sort_by(|a, b| b.1.cmp(a.1));
	for (why, n) in reasons.iter().take(8) {
		println!("   {n:>5} × {why}");
	}
	let (dm, sm) = (pct(&d_total, 50.0), pct(&s_total, 50.0));
	let (dsm, ssm) = (pct(&d_script, 50.0), pct(&s_script, 50.0));
	println!(
		"3. provisioning, medians of {} rounds: daemon {:.0} ms vs sbatch {:.0} ms: ratio {:.2}x \
		 (target <= 1.2x: {}); to the script's start {:.0} vs {:.0} ms: {:.2}x; from the daemon's own \
		 submit {:.0} vs {:.0} ms: {:.2}x",
		d_total.len(),
		dm,
		sm,
		dm / sm,
		if dm / sm <= 1.2 { "met" } else { "NOT met" },
		dsm,
		ssm,
		dsm / ssm,
		pct(&d_from_submit, 50.0),
		sm,
		pct(&d_from_submit, 50.0) / sm
	);
	if problems.is_empty() {
		println!("daemon warnings and errors: none");
	} else {
		println!("daemon warnings and errors ({} kinds):", problems.len());
		for (n, text) in problems.iter().take(15) {
			println!("  {n:>5} × {}", text.chars().take(300).collect::<String>());
		}
	}
	println!("whole run: {:.0} s", took.as_secs_f64());
}
