//! End to end: the provider daemon (`virtengine-provider`) on a dev node with a real SLURM
//! cluster (`scripts/slurm-dev.sh`: munge, slurmctld, slurmd, slurmdbd on MariaDB, slurmrestd
//! with JWT), customers using the `virtengine` CLI.
//!
//! - Orders the daemon must not serve (a malformed configuration, a job larger than the
//!   cluster, a configuration sealed to a key the provider has since rotated away) get no bid
//!   and a logged reason.
//! - A lease from order to settlement: the daemon bids within two blocks of the order, the
//!   customer accepts, the job runs on SLURM, the daemon puts the lease's access details on
//!   chain sealed to the customer (who finds the gateway through them), the job's output is read
//!   through the gateway (signed by the customer; others are refused), usage from accounting is
//!   signed, submitted and settled, and the escrow's figures add up to the unit.
//! - The customer closes a running lease: the job is cancelled.
//! - A requirements order (category, region, capabilities; no offering) gets a bid, and the
//!   configuration sealed at acceptance runs.
//! - A job that fails closes its lease with its final usage.
//! - Container services on Kubernetes, from the same daemon (offering 1 is served by the
//!   Kubernetes backend, `[bidding] backends`), against the API server stand-in
//!   (`virtengine-kube-emulator`: no API server can be installed here): the lease is started
//!   only once its pods are ready, its access details carry the exposed port's endpoint, the
//!   gateway shows its pods and their logs, usage of the pods is billed, and the customer's close
//!   deletes its namespace; at a restart, a namespace no lease holds (a crash's leftover) is
//!   deleted.
//! - The daemon exiting right after SLURM accepted a job, before its journal holds the job's
//!   number (the crash hook `VIRTENGINE_PROVIDER_FAULT`), then killed (SIGKILL) mid-lease, and
//!   started again each time: the job found by its name and not submitted twice, no usage `seq`
//!   reused, nothing billed twice, and the final bill equals accounting's figures.
//!
//! The daemon runs as a real process: this test binary started again with
//! `VIRTENGINE_TEST_DAEMON_CONFIG` set runs `virtengine_provider::run::main_from` (the
//! `virtengine-provider` binary's own entry point) in `daemon_process`.

mod common;

use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use codec::Encode;
use common::{
	account, approve_capture_client, block_on, cli, cli_json, fixture, free_port, keypair,
	set_critical_policy, veid_upload, Node, CAPTURE_CLIENT,
};
use virtengine_client::{
	market::LeaseState,
	runtime::{self, runtime_types},
	Client, RuntimeCall,
};
use virtengine_mfa_primitives::Factor;
use virtengine_primitives::units::VE;

const CONFIG_ENV: &str = "VIRTENGINE_TEST_DAEMON_CONFIG";

/// Not a test of its own: the daemon's process when started by the test below.
#[test]
fn daemon_process() {
	if let Ok(config) = std::env::var(CONFIG_ENV) {
		let code = virtengine_provider::run::main_from([
			"virtengine-provider",
			"--config",
			&config,
			"-v",
			"run",
		]);
		std::process::exit(i32::from(code));
	}
}

/// The one-host SLURM cluster; stopped at the end only if this test started it.
struct Slurm {
	script: PathBuf,
	env: BTreeMap<String, String>,
	started_here: bool,
	/// When this handle was made, as sacct's `-S` takes it.
	since: String,
}

impl Slurm {
	fn start() -> Slurm {
		let date = Command::new("date").arg("+%Y-%m-%dT%H:%M:%S").output().expect("date");
		let since = String::from_utf8_lossy(&date.stdout).trim().to_string();
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
		Slurm { script, env, started_here: !running, since }
	}

	fn var(&self, name: &str) -> &str {
		self.env.get(name).unwrap_or_else(|| panic!("slurm-dev.sh env has no {name}"))
	}

	fn token(&self, user: &str) -> String {
		let out = Command::new(&self.script).args(["token", user]).output().expect("token");
		assert!(out.status.success(), "token: {}", String::from_utf8_lossy(&out.stderr));
		String::from_utf8_lossy(&out.stdout).trim().to_string()
	}

	/// `sacct` rows (`JobID|JobName|State|AllocCPUS|ElapsedRaw`) of lease `lease`'s jobs since
	/// this cluster handle was made (the daemon names them `virtengine-lease-<id>-<random>`).
	fn jobs_of(&self, lease: u64) -> Vec<Vec<String>> {
		let prefix = format!("virtengine-lease-{lease}-");
		// Accounting may lag the daemon's view by a moment: ask a few times for a job it has.
		let mut rows = Vec::new();
		for _ in 0..20 {
			let out = Command::new("sacct")
				.env("SLURM_CONF", self.var("SLURM_CONF"))
				.env_remove("SLURM_JWT")
				.args(["-n", "-X", "-P", "-a", "-S", &self.since, "-o"])
				.arg("JobID,JobName,State,AllocCPUS,ElapsedRaw")
				.output()
				.expect("sacct");
			assert!(out.status.success(), "sacct: {}", String::from_utf8_lossy(&out.stderr));
			rows = String::from_utf8_lossy(&out.stdout)
				.lines()
				.map(|l| l.split('|').map(str::to_string).collect::<Vec<_>>())
				.filter(|row| row.get(1).is_some_and(|name| name.starts_with(&prefix)))
				.collect();
			if !rows.is_empty() {
				break;
			}
			std::thread::sleep(Duration::from_millis(500));
		}
		rows
	}
}

impl Drop for Slurm {
	fn drop(&mut self) {
		if self.started_here {
			let _ = Command::new(&self.script).arg("stop").status();
		}
	}
}

/// The daemon's process, killed when dropped.
struct Daemon {
	child: Option<Child>,
	config: PathBuf,
	log: PathBuf,
}

impl Daemon {
	fn start(config: &Path, log: &Path) -> Daemon {
		let mut d = Daemon { child: None, config: config.to_path_buf(), log: log.to_path_buf() };
		d.spawn();
		d
	}

	fn spawn(&mut self) {
		self.spawn_with(None);
	}

	/// Starts the daemon, with the crash hook `fault` (`virtengine_provider::daemon::FAULT_ENV`).
	fn spawn_with(&mut self, fault: Option<&str>) {
		let log =
			std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("log");
		let mut command = Command::new(std::env::current_exe().expect("test binary"));
		if let Some(fault) = fault {
			command.env(virtengine_provider::daemon::FAULT_ENV, fault);
		}
		let child = command
			.args(["--exact", "daemon_process", "--nocapture", "--test-threads=1"])
			.env(CONFIG_ENV, &self.config)
			.env("RUST_LOG", "virtengine_provider=debug,warn")
			.stdout(Stdio::null())
			.stderr(log)
			.spawn()
			.expect("start the daemon");
		self.child = Some(child);
	}

	fn kill(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}

	/// Waits for the daemon to exit by itself; its exit code.
	fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
		let start = Instant::now();
		let child = self.child.as_mut().expect("a running daemon");
		loop {
			if let Some(status) = child.try_wait().expect("wait") {
				self.child = None;
				return status.code();
			}
			assert!(start.elapsed() < timeout, "the daemon did not exit:\n{}", self.tail());
			std::thread::sleep(Duration::from_millis(100));
		}
	}

	fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	fn wait_log(&self, what: &str, timeout: Duration) {
		self.wait_log_after(0, what, timeout);
	}

	/// Waits for `what` in the log after its first `offset` bytes (what a restart logs).
	fn wait_log_after(&self, offset: usize, what: &str, timeout: Duration) {
		let start = Instant::now();
		while !self.log().get(offset..).is_some_and(|l| l.contains(what)) {
			assert!(
				start.elapsed() < timeout,
				"the daemon did not log `{what}` within {timeout:?}:\n{}",
				self.tail()
			);
			std::thread::sleep(Duration::from_millis(200));
		}
	}

	fn tail(&self) -> String {
		tail_of(&self.log)
	}
}

/// The last 60 lines of the log at `path`.
fn tail_of(path: &Path) -> String {
	let log = std::fs::read_to_string(path).unwrap_or_default();
	let lines: Vec<_> = log.lines().collect();
	lines[lines.len().saturating_sub(60)..].join("\n")
}

impl Drop for Daemon {
	fn drop(&mut self) {
		self.kill();
	}
}

fn job(script: &str, cpus: u32) -> String {
	serde_json::json!({
		"version": 1, "kind": "slurm-batch", "script": script,
		"nodes": 1, "tasks": 1, "cpus_per_task": cpus, "memory_mb": 100,
		"time_limit_minutes": 5, "environment": {"GREETING": "hello-from-lease"}
	})
	.to_string()
}

/// The block an event matching `pick` is in, scanning `from..=to`.
fn find_event(
	client: &Client,
	from: u32,
	to: u32,
	pick: impl Fn(&runtime::Event) -> bool,
) -> Option<(u32, runtime::Event)> {
	for n in from..=to {
		let hash = block_on(client.block_hash(n)).ok()?;
		for e in block_on(client.events(hash)).unwrap_or_default() {
			if pick(&e) {
				return Some((n, e));
			}
		}
	}
	None
}

#[test]
fn the_provider_daemon_bids_runs_jobs_on_slurm_and_bills_from_accounting() {
	let slurm = Slurm::start();
	// The Kubernetes API stand-in, served by this process; pods take 3 s to start, so the lease
	// visibly waits for them.
	let kube_runtime = tokio::runtime::Runtime::new().expect("runtime");
	let kube = kube_runtime
		.block_on(virtengine_kube_emulator::Emulator::start(virtengine_kube_emulator::Options {
			start_after: Duration::from_secs(3),
			..Default::default()
		}))
		.expect("the Kubernetes emulator");
	let node = Node::start_dev(1_000);
	node.wait_for_block(1, Duration::from_secs(240));
	let rpc = node.rpc_url();
	let r = rpc.as_str();
	let client = node.client();
	let dir = tempfile::tempdir().expect("temp dir");
	let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

	// Governance relaxes the identity requirements this test is not about to FIDO2 (the
	// marketplace test goes through VEID).
	for rule in [
		runtime_types::pallet_mfa::policy::Rule::ProviderRegistration,
		runtime_types::pallet_mfa::policy::Rule::FirstOffering,
		runtime_types::pallet_mfa::policy::Rule::FirstOrder,
	] {
		set_critical_policy(&node, rule, &[Factor::Fido2]);
	}

	// Providers need a verified identity (tier Standard): Bob uploads his.
	node.wait_until("a committee", Duration::from_secs(60), || {
		block_on(client.committee()).is_ok()
	});
	approve_capture_client(r).expect("approve the capture client");
	let portrait = fixture(dir.path(), "person_b_1");
	let selfie = fixture(dir.path(), "person_b_2");
	let document = path("card.png");
	cli(&["veid", "synth", "--photo", &portrait, "--out", &document]).expect("synth");
	veid_upload(r, &document, &selfie, "//Bob", CAPTURE_CLIENT)
		.unwrap_or_else(|e| panic!("upload: {e}; node log:\n{}", node.log_tail()));

	// The operator: `virtengine-provider init`, then Bob's own account in keys/account.suri.
	let pdir = dir.path().join("provider");
	let config_path = pdir.join("provider.toml");
	assert_eq!(
		virtengine_provider::run::main_from([
			"virtengine-provider",
			"--config",
			config_path.to_str().expect("utf-8"),
			"init"
		]),
		0
	);
	std::fs::remove_file(pdir.join("keys/account.suri")).expect("rm");
	virtengine_provider::keys::write_new_secret(&pdir.join("keys/account.suri"), b"//Bob\n")
		.expect("account");
	let bob = account("//Bob");
	let (bob_fido, charlie_fido) = (path("bob.fido.json"), path("charlie.fido.json"));
	cli(&["mfa", "enroll", "--rpc", r, "--suri", "//Bob", "--fido2-key", &bob_fido])
		.expect("enroll");
	cli(&["mfa", "enroll", "--rpc", r, "--suri", "//Charlie", "--fido2-key", &charlie_fido])
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
	let (enc, daemon_key) = (
		pdir.join("keys/encryption.json").to_string_lossy().into_owned(),
		pdir.join("keys/daemon.json").to_string_lossy().into_owned(),
	);
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
		"slurm,kubernetes",
		"--encryption-key",
		&enc,
		"--daemon-key",
		&daemon_key,
		"--mfa",
		"--fido2-key",
		&bob_fido,
	])
	.unwrap_or_else(|e| panic!("register: {e}; node log:\n{}", node.log_tail()));
	// 36 VE an hour (0.01 a second), 0.000001 VE a CPU-second, 0.5 VE a job.
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
	.unwrap_or_else(|e| panic!("offering: {e}; node log:\n{}", node.log_tail()));
	// Offering 1: containers, served by the Kubernetes backend (not the first offering: no MFA).
	let details_k8s = path("details-k8s.txt");
	std::fs::write(&details_k8s, b"containers on Kubernetes").expect("details");
	cli(&[
		"market",
		"offering",
		"create",
		"--rpc",
		r,
		"--suri",
		"//Bob",
		"--category",
		"compute",
		"--per-hour",
		"36",
		"--unit",
		"cpu-core-second=0.000001",
		"--unit",
		"job=0.5",
		"--details",
		&details_k8s,
	])
	.unwrap_or_else(|e| panic!("offering 1: {e}; node log:\n{}", node.log_tail()));

	// The daemon's configuration: this node, the test cluster, prices within the orders'.
	let jobs_dir = Path::new(slurm.var("VIRTENGINE_SLURM_WORK_DIR"))
		.join(format!("provider-test-{}", node.rpc_port));
	let token_file = pdir.join("keys/slurm.jwt");
	virtengine_provider::keys::write_new_secret(
		&token_file,
		slurm.token(slurm.var("VIRTENGINE_SLURM_JOB_USER")).as_bytes(),
	)
	.expect("token");
	let (gateway_port, metrics_port) = (free_port(), free_port());
	// The gateway over TLS, with a certificate from a test CA the customers' CLI is given.
	let tls = dir.path().join("tls");
	std::fs::create_dir_all(&tls).expect("tls dir");
	let ca = common::make_test_pki(&tls);
	{
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(tls.join("server.key"), std::fs::Permissions::from_mode(0o600))
			.expect("chmod");
	}
	let ca = ca.to_string_lossy().into_owned();
	let config = virtengine_provider::config::EXAMPLE
		.replace("ws://127.0.0.1:9944", &rpc)
		.replace("http://127.0.0.1:6820", slurm.var("VIRTENGINE_SLURM_REST_URL"))
		.replace("\"virtengine-job\"", &format!("\"{}\"", slurm.var("VIRTENGINE_SLURM_JOB_USER")))
		.replace("/srv/virtengine/jobs", jobs_dir.to_str().expect("utf-8"))
		.replace("interval_secs = 60", "interval_secs = 4")
		.replace("poll_secs = 5", "poll_secs = 1")
		.replace("0.0.0.0:8443", &format!("127.0.0.1:{gateway_port}"))
		.replace("https://provider.example.com:8443", &format!("https://127.0.0.1:{gateway_port}"))
		.replace("127.0.0.1:9616", &format!("127.0.0.1:{metrics_port}"))
		.replace(
			"# tls_cert = \"tls/cert.pem\"",
			&format!("tls_cert = {:?}", tls.join("server.pem")),
		)
		.replace("# tls_key = \"tls/key.pem\"", &format!("tls_key = {:?}", tls.join("server.key")))
		.replace(
			"# backends = { 0 = \"slurm\", 1 = \"kubernetes\" }",
			"backends = { 0 = \"slurm\", 1 = \"kubernetes\" }",
		)
		.replace("# [kubernetes]", "[kubernetes]")
		.replace("# kubeconfig = ", "kubeconfig = ")
		.replace("# public_host = \"provider.example.com\"", "public_host = \"127.0.0.1\"");
	std::fs::write(&config_path, config).expect("config");
	virtengine_provider::keys::write_new_secret(
		&pdir.join("keys/kubeconfig"),
		kube.kubeconfig().as_bytes(),
	)
	.expect("kubeconfig");
	std::fs::write(
		pdir.join("pricing.toml"),
		"strategy = \"table\"\n[table]\nper_hour = \"36\"\nunits = { cpu_core_second = \"0.000001\", job = \"0.5\" }\n",
	)
	.expect("pricing");
	let check = virtengine_provider::run::main_from([
		"virtengine-provider",
		"--config",
		config_path.to_str().expect("utf-8"),
		"check",
	]);
	assert_eq!(check, 0, "virtengine-provider check");

	// Charlie's first order needs an MFA authorization (the FirstOrder rule), later ones none.
	let first_order = std::cell::Cell::new(true);
	let order_on = |offering: u32, config: &str| -> u64 {
		let file = path(&format!("job-{}.json", rand_suffix()));
		let offering = offering.to_string();
		std::fs::write(&file, config).expect("job");
		let mut args = vec![
			"market",
			"order",
			"create",
			"--rpc",
			r,
			"--suri",
			"//Charlie",
			"--offering",
			&offering,
			"--config",
			&file,
			"--per-hour",
			"40",
			"--unit",
			"cpu-core-second=0.00001",
			"--unit",
			"job=1",
			"--funds",
			"100",
		];
		if first_order.replace(false) {
			args.extend(["--mfa", "--fido2-key", &charlie_fido]);
		}
		let out = cli_json(&args)
			.unwrap_or_else(|e| panic!("order: {e}; node log:\n{}", node.log_tail()));
		out["order"].as_u64().unwrap_or_else(|| panic!("an order number: {out}"))
	};
	let order = |config: &str| order_on(0, config);

	// An order sealed to the provider's key, which the provider then rotates (KeyRotation:
	// authorized with Bob's factors): the daemon, holding only the new key, cannot open it.
	let foreign = order(&job("#!/bin/bash\necho hi\n", 1));
	let key2 = pdir.join("keys/encryption2.json").to_string_lossy().into_owned();
	cli(&["envelope", "keygen", "--out", &key2]).expect("keygen");
	let key2_json: serde_json::Value =
		serde_json::from_slice(&std::fs::read(&key2).expect("key")).expect("json");
	let key2_public: [u8; 32] = hex::decode(key2_json["public"].as_str().expect("public"))
		.expect("hex")
		.try_into()
		.expect("32 bytes");
	let registered = block_on(client.provider(&bob)).expect("provider").expect("registered");
	let rotate = RuntimeCall::Provider(runtime_types::pallet_provider::pallet::Call::update {
		attributes: registered.attributes,
		encryption_key: key2_public,
		daemon_key: registered.daemon_key,
	});
	cli(&[
		"mfa",
		"authorize",
		"--rpc",
		r,
		"--suri",
		"//Bob",
		"--fido2-key",
		&bob_fido,
		"--call",
		&format!("0x{}", hex::encode(rotate.encode())),
		"--submit",
	])
	.unwrap_or_else(|e| panic!("key rotation: {e}; node log:\n{}", node.log_tail()));
	let config = std::fs::read_to_string(&config_path).expect("config");
	std::fs::write(&config_path, config.replace("keys/encryption.json", "keys/encryption2.json"))
		.expect("config");
	// Beside the node's log, kept after the test for reading.
	let daemon_log =
		std::env::temp_dir().join(format!("virtengine-provider-test-{}.log", node.rpc_port));
	let mut daemon = Daemon::start(&config_path, &daemon_log);
	println!("daemon log: {}", daemon_log.display());
	daemon.wait_log("open orders at start", Duration::from_secs(60));

	let wait_bid = |daemon: &Daemon, id: u64| {
		let start = Instant::now();
		while block_on(client.bid(id, &bob)).ok().flatten().is_none() {
			assert!(
				start.elapsed() < Duration::from_secs(30),
				"no bid on order {id} within 30 s; daemon log:\n{}",
				daemon.tail()
			);
			std::thread::sleep(Duration::from_millis(250));
		}
	};
	// Orders it must not serve.
	let malformed = order("{\"version\": 1, \"kind\": \"slurm-batch\"}");
	let too_big = order(&job("#!/bin/bash\necho big\n", 4096));
	daemon.wait_log(&format!("order={foreign}"), Duration::from_secs(30));
	for (id, why) in [
		(malformed, "configuration: not a job configuration"),
		(too_big, "the cluster cannot run it"),
		(foreign, "cannot open the configuration"),
	] {
		daemon.wait_log(why, Duration::from_secs(30));
		assert!(
			daemon.log().lines().any(|l| l.contains(&format!("order={id}")) && l.contains(why)),
			"order {id}: `{why}` logged:\n{}",
			daemon.tail()
		);
		assert!(block_on(client.bid(id, &bob)).expect("bid").is_none(), "no bid on order {id}");
	}
	println!("refused: malformed #{malformed}, too big #{too_big}, foreign key #{foreign}");

	// A lease from order to settlement. Charlie, the customer, has an envelope key: the
	// daemon seals the lease's access details to it.
	let charlie_key = path("charlie-envelope.key");
	cli(&["envelope", "keygen", "--out", &charlie_key]).expect("keygen");
	cli(&["envelope", "register", "--key", &charlie_key, "--suri", "//Charlie", "--rpc", r])
		.expect("register Charlie's envelope key");
	let bob_payouts_before = block_on(client.payouts(&bob)).expect("payouts");
	let first = order(&job("#!/bin/bash\necho \"$GREETING\"\nsleep 6\necho done\n", 1));
	let created_in = find_event(&client, 1, block_on(client.best_number()).expect("best"), |e| {
		matches!(e, runtime::Event::Market(runtime::market::Event::OrderCreated { id, .. }) if *id == first)
	})
	.expect("OrderCreated")
	.0;
	node.wait_until("Bob's bid", Duration::from_secs(30), || {
		block_on(client.bid(first, &bob)).ok().flatten().is_some()
	});
	let bid_in = find_event(&client, created_in, block_on(client.best_number()).expect("best"), |e| {
		matches!(e, runtime::Event::Market(runtime::market::Event::BidPlaced { order, .. }) if *order == first)
	})
	.expect("BidPlaced")
	.0;
	assert!(
		bid_in - created_in <= 2,
		"the bid lands in the first or second block after the order (order #{created_in}, bid #{bid_in})"
	);
	println!("order {first} in block #{created_in}, bid in #{bid_in}");
	let accept = |id: u64| {
		cli(&[
			"market",
			"lease",
			"accept",
			"--rpc",
			r,
			"--suri",
			"//Charlie",
			"--order",
			&id.to_string(),
			"--provider",
			&bob.to_string(),
			"--per-hour",
			"36",
			"--unit",
			"cpu-core-second=0.000001",
			"--unit",
			"job=0.5",
		])
		.unwrap_or_else(|e| panic!("accept {id}: {e}; daemon:\n{}", tail_of(&daemon_log)))
	};
	accept(first);
	let lease_state = |id: u64| block_on(client.lease(id)).expect("lease").map(|l| l.state);
	node.wait_until("lease active", Duration::from_secs(60), || {
		lease_state(first) == Some(LeaseState::Active)
	});
	let gateway = format!("https://127.0.0.1:{gateway_port}");
	// The access details on chain, sealed to Charlie: the gateway and the job's name.
	node.wait_until("the lease's access details", Duration::from_secs(30), || {
		block_on(client.lease_access(first)).ok().flatten().is_some()
	});
	let access = cli_json(&[
		"market",
		"lease",
		"access",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--id",
		&first.to_string(),
		"--key",
		&charlie_key,
	])
	.unwrap_or_else(|e| panic!("access: {e}; daemon:\n{}", daemon.tail()));
	assert_eq!(access["gateway"], gateway.as_str(), "{access}");
	assert!(
		access["job"]
			.as_str()
			.is_some_and(|j| j.starts_with(&format!("virtengine-lease-{first}-"))),
		"{access}"
	);
	// Nobody else can open them (Bob's encryption key is the provider's, not Charlie's).
	let err =
		cli(&["market", "lease", "access", "--rpc", r, "--id", &first.to_string(), "--key", &key2])
			.expect_err("another key");
	assert!(err.contains("sealed to another"), "{err}");
	// The status, through the gateway the access details name.
	let status = cli_json(&[
		"market",
		"lease",
		"status",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--id",
		&first.to_string(),
		"--key",
		&charlie_key,
		"--ca-file",
		&ca,
	])
	.unwrap_or_else(|e| panic!("status: {e}; daemon:\n{}", daemon.tail()));
	assert!(status["job"].as_u64().is_some(), "a job: {status}");
	// Anyone else is refused.
	let err = cli(&[
		"market",
		"lease",
		"status",
		"--rpc",
		r,
		"--suri",
		"//Dave",
		"--id",
		&first.to_string(),
		"--gateway",
		&gateway,
		"--ca-file",
		&ca,
	])
	.expect_err("not the customer");
	assert!(err.contains("403") && err.contains("only the lease's customer"), "{err}");
	// A captured request cannot be replayed, nor one signed over a minute ago, nor a signature
	// over another path used for this one.
	{
		use virtengine_client::gateway::{get_with, signed_headers, GatewayUrl};
		let url = GatewayUrl::parse(&gateway).expect("url");
		let lease_path = format!("/v1/leases/{first}");
		let (charlie, genesis) = (keypair("//Charlie"), client.genesis().0);
		let ca_path = PathBuf::from(&ca);
		let now = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.expect("clock")
			.as_millis() as u64;
		let ask = |headers: &[(&'static str, String)]| {
			block_on(get_with(&url, &lease_path, headers, Some(&ca_path))).expect("gateway")
		};
		let signed = signed_headers(&lease_path, &charlie, &genesis, now, &[9; 16]);
		assert_eq!(ask(&signed).status, 200);
		let replayed = ask(&signed);
		assert_eq!(replayed.status, 401);
		assert!(String::from_utf8_lossy(&replayed.body).contains("replayed"), "{replayed:?}");
		let stale = signed_headers(&lease_path, &charlie, &genesis, now - 5 * 60_000, &[8; 16]);
		let stale = ask(&stale);
		assert_eq!(stale.status, 401);
		assert!(String::from_utf8_lossy(&stale.body).contains("more than a minute"), "{stale:?}");
		let other = signed_headers("/v1/leases/999", &charlie, &genesis, now, &[7; 16]);
		let other = ask(&other);
		assert_eq!(other.status, 401);
		assert!(String::from_utf8_lossy(&other.body).contains("bad signature"), "{other:?}");
	}
	// The gateway's certificate is checked: without the CA that signed it, no connection.
	let err = cli(&[
		"market",
		"lease",
		"status",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--id",
		&first.to_string(),
		"--gateway",
		&gateway,
	])
	.expect_err("unknown issuer");
	assert!(err.contains("UnknownIssuer") || err.contains("certificate"), "{err}");
	// The job ends; the daemon bills the final usage and closes; the chain settles.
	node.wait_until("the lease closed and settled", Duration::from_secs(120), || {
		matches!(lease_state(first), Some(LeaseState::Closed(_)) | None)
			&& block_on(client.escrow(first)).ok().flatten().is_none()
	});
	let output = path("output.txt");
	cli(&[
		"market",
		"lease",
		"output",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--id",
		&first.to_string(),
		"--gateway",
		&gateway,
		"--ca-file",
		&ca,
		"--file",
		"output.txt",
		"--out",
		&output,
	])
	.unwrap_or_else(|e| panic!("output: {e}; daemon:\n{}", daemon.tail()));
	let text = std::fs::read_to_string(&output).expect("output");
	assert_eq!(text, "hello-from-lease\ndone\n", "the job's output through the gateway");

	// Figures: accounting, what was billed, what the escrow paid.
	let rows = slurm.jobs_of(first);
	assert_eq!(rows.len(), 1, "one job for the lease: {rows:?}");
	let (state, cpus, elapsed): (&str, u64, u64) =
		(&rows[0][2], rows[0][3].parse().expect("cpus"), rows[0][4].parse().expect("elapsed"));
	assert_eq!(state, "COMPLETED");
	let best = block_on(client.best_number()).expect("best");
	let events: Vec<runtime::Event> = (created_in..=best)
		.flat_map(|n| {
			let hash = block_on(client.block_hash(n)).expect("hash");
			block_on(client.events(hash)).expect("events")
		})
		.collect();
	let usage: Vec<(u32, u128)> = events
		.iter()
		.filter_map(|e| match e {
			runtime::Event::Escrow(runtime::escrow::Event::UsageRecorded { id, seq, amount })
				if *id == first =>
			{
				Some((*seq, *amount))
			},
			_ => None,
		})
		.collect();
	let seqs: Vec<u32> = usage.iter().map(|(s, _)| *s).collect();
	assert!(
		seqs.windows(2).all(|w| w[1] == w[0] + 1) && seqs.first() == Some(&1),
		"seq 1, 2, ...: {seqs:?}"
	);
	let billed: u128 = usage.iter().map(|(_, a)| *a).sum();
	let expected_usage = u128::from(cpus * elapsed) * (VE / 1_000_000) + VE / 2;
	assert_eq!(
		billed, expected_usage,
		"usage billed = {cpus} CPUs × {elapsed} s × price + one job"
	);
	// Every settlement of the lease (submitting usage settles what matured; the lease's end
	// settles the rest), and its refund.
	let (mut to_payee, mut fee, mut shortfall, mut settlements) = (0u128, 0u128, 0u128, 0);
	let mut refund = None;
	for e in &events {
		match e {
			runtime::Event::Escrow(runtime::escrow::Event::Settled {
				id,
				to_payee: p,
				fee: f,
				shortfall: s,
			}) if *id == first => {
				(to_payee, fee, shortfall) = (to_payee + p, fee + f, shortfall + s);
				settlements += 1;
			},
			runtime::Event::Escrow(runtime::escrow::Event::Refunded { id, amount, .. })
				if *id == first =>
			{
				refund = Some(*amount);
			},
			_ => {},
		}
	}
	assert!(settlements >= 1, "lease {first} settled");
	let refund = refund.unwrap_or_else(|| panic!("a Refunded event for lease {first}"));
	assert_eq!(shortfall, 0);
	assert_eq!(to_payee + fee + refund, 100 * VE, "the escrow's 100 VE: paid, fee and refund");
	assert!(to_payee + fee >= billed, "everything billed was paid (plus the hourly rate)");
	assert_eq!(
		block_on(client.payouts(&bob)).expect("payouts") - bob_payouts_before,
		to_payee,
		"Bob's payouts grew by what the escrow paid him"
	);
	println!(
		"lease {first}: {cpus} CPU × {elapsed} s from accounting; usage billed {billed} in records {seqs:?}; paid {to_payee} + fee {fee} in {settlements} settlements, refunded {refund}"
	);

	// The customer closes a running lease: the job is cancelled.
	let closed = order(&job("#!/bin/bash\nsleep 600\n", 1));
	wait_bid(&daemon, closed);
	accept(closed);
	node.wait_until("running", Duration::from_secs(60), || {
		lease_state(closed) == Some(LeaseState::Active)
			&& slurm.jobs_of(closed).first().is_some_and(|r| r[2] == "RUNNING")
	});
	cli(&[
		"market",
		"lease",
		"close",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--id",
		&closed.to_string(),
	])
	.expect("close");
	node.wait_until("the job cancelled", Duration::from_secs(60), || {
		slurm.jobs_of(closed).first().is_some_and(|r| r[2].starts_with("CANCELLED"))
	});
	println!("lease {closed}: closed by the customer, job cancelled");

	// A job that fails closes its lease with its final usage.
	let failing = order(&job("#!/bin/bash\necho failing >&2\nexit 3\n", 1));
	wait_bid(&daemon, failing);
	accept(failing);
	node.wait_until("closing after the failure", Duration::from_secs(90), || {
		matches!(
			lease_state(failing),
			Some(LeaseState::Closing(runtime_types::pallet_market::types::CloseReason::ByProvider))
				| Some(LeaseState::Closed(_))
				| None
		)
	});
	assert_eq!(slurm.jobs_of(failing)[0][2], "FAILED");
	println!("lease {failing}: the job failed, the provider closed the lease");

	// A requirements order (any HPC provider in eu-central with SLURM), for no offering: the
	// daemon bids on its registered attributes and runs the configuration sealed to it when the
	// customer accepts.
	let requirements = cli_json(&[
		"market",
		"order",
		"create",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--category",
		"hpc",
		"--region",
		"eu-central",
		"--capabilities",
		"slurm",
		"--per-hour",
		"40",
		"--unit",
		"cpu-core-second=0.00001",
		"--unit",
		"job=1",
		"--funds",
		"100",
	])
	.unwrap_or_else(|e| panic!("requirements order: {e}; node log:\n{}", node.log_tail()));
	let requirements = requirements["order"].as_u64().expect("an order number");
	wait_bid(&daemon, requirements);
	let job_file = path("requirements-job.json");
	std::fs::write(&job_file, job("#!/bin/bash\necho \"$GREETING\" from requirements\n", 1))
		.expect("job");
	cli(&[
		"market",
		"lease",
		"accept",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--order",
		&requirements.to_string(),
		"--provider",
		&bob.to_string(),
		"--config",
		&job_file,
	])
	.unwrap_or_else(|e| panic!("accept {requirements}: {e}; daemon:\n{}", daemon.tail()));
	node.wait_until("the requirements lease closed", Duration::from_secs(120), || {
		matches!(lease_state(requirements), Some(LeaseState::Closed(_)) | None)
	});
	let rows = slurm.jobs_of(requirements);
	assert_eq!(rows.len(), 1, "one job: {rows:?}");
	assert_eq!(rows[0][2], "COMPLETED", "{rows:?}");
	println!("lease {requirements}: a requirements order, configured at acceptance, ran");

	// The daemon crashing right after SLURM accepted a job, before its journal holds the job's
	// number: started again, it finds the job by its name and does not submit it twice. Then
	// killed mid-lease and started again: no gap, no double report.
	let crash = order(&job("#!/bin/bash\nsleep 25\n", 1));
	wait_bid(&daemon, crash);
	daemon.kill();
	let offset = daemon.log().len();
	daemon.spawn_with(Some(&format!("exit-after-submit:{crash}")));
	daemon.wait_log_after(offset, "open orders at start", Duration::from_secs(60));
	accept(crash);
	assert_eq!(daemon.wait_exit(Duration::from_secs(60)), Some(86), "the crash hook's exit");
	node.wait_until("the job in SLURM's accounting", Duration::from_secs(30), || {
		slurm.jobs_of(crash).len() == 1
	});
	daemon.spawn();
	daemon.wait_log(
		&format!("job found again after a restart; not submitting twice lease={crash}"),
		Duration::from_secs(60),
	);
	node.wait_until("a first usage record", Duration::from_secs(90), || {
		block_on(client.escrow(crash)).ok().flatten().is_some_and(|e| e.last_seq >= 1)
	});
	daemon.kill();
	let seq_at_kill =
		block_on(client.escrow(crash)).expect("escrow").map(|e| e.last_seq).unwrap_or(0);
	std::thread::sleep(Duration::from_secs(3));
	daemon.spawn();
	node.wait_until("the lease closed after the restart", Duration::from_secs(150), || {
		matches!(lease_state(crash), Some(LeaseState::Closed(_)) | None)
	});
	let rows = slurm.jobs_of(crash);
	assert_eq!(rows.len(), 1, "the job was not submitted twice: {rows:?}");
	let (cpus, elapsed): (u64, u64) =
		(rows[0][3].parse().expect("cpus"), rows[0][4].parse().expect("elapsed"));
	let best = block_on(client.best_number()).expect("best");
	let records: Vec<(u32, u128)> = (bid_in..=best)
		.flat_map(|n| {
			block_on(client.events(block_on(client.block_hash(n)).expect("hash"))).expect("events")
		})
		.filter_map(|e| match e {
			runtime::Event::Escrow(runtime::escrow::Event::UsageRecorded { id, seq, amount })
				if id == crash =>
			{
				Some((seq, amount))
			},
			_ => None,
		})
		.collect();
	let seqs: Vec<u32> = records.iter().map(|(s, _)| *s).collect();
	assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "no seq reused or skipped: {seqs:?}");
	assert!(
		seqs.len() as u32 > seq_at_kill,
		"records after the restart: {seqs:?} (killed at {seq_at_kill})"
	);
	let billed: u128 = records.iter().map(|(_, a)| *a).sum();
	assert_eq!(
		billed,
		u128::from(cpus * elapsed) * (VE / 1_000_000) + VE / 2,
		"billed once, exactly what accounting recorded ({cpus} × {elapsed} s and the job)"
	);
	println!("lease {crash}: killed after seq {seq_at_kill}, records {seqs:?}, billed {billed}");

	let metrics = std::process::Command::new("curl")
		.args(["-s", &format!("http://127.0.0.1:{metrics_port}/metrics")])
		.output()
		.expect("curl");
	let metrics = String::from_utf8_lossy(&metrics.stdout);
	// The restarted daemon's own counters: the usage records it submitted after the restart.
	let value = |name: &str| -> f64 {
		metrics
			.lines()
			.find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
			.unwrap_or_else(|| panic!("{name} in the metrics:\n{metrics}"))
	};
	assert!(value("virtengine_provider_usage_records_total") >= 1.0, "{metrics}");

	// Container services on Kubernetes (offering 1), from order to the namespace's deletion.
	let services = serde_json::json!({
		"version": 1, "kind": "container-services",
		"services": [
			{ "name": "web", "image": "nginx:1.27", "replicas": 2,
			  "ports": [ { "port": 80, "expose": true } ],
			  "resources": { "cpu_millis": 500, "memory_mb": 128 } },
			{ "name": "worker", "image": "busybox:1.36", "command": ["sleep", "infinity"],
			  "resources": { "cpu_millis": 1000, "memory_mb": 64 } }
		]
	})
	.to_string();
	let file = path("services.json");
	std::fs::write(&file, &services).expect("services");
	let out = cli_json(&[
		"market",
		"order",
		"create",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--offering",
		"1",
		"--config",
		&file,
		"--per-hour",
		"40",
		"--unit",
		"cpu-core-second=0.00001",
		"--unit",
		"job=1",
		"--funds",
		"100",
	])
	.unwrap_or_else(|e| panic!("order: {e}; node log:\n{}", node.log_tail()));
	let containers = out["order"].as_u64().expect("an order number");
	// A batch job ordered from the Kubernetes offering gets no bid, with the reason.
	let wrong = order_on(1, &job("#!/bin/bash\necho hi\n", 1));
	wait_bid(&daemon, containers);
	daemon.wait_log("runs `container-services` configurations", Duration::from_secs(30));
	assert!(block_on(client.bid(wrong, &bob)).expect("bid").is_none(), "no bid on order {wrong}");
	accept(containers);
	node.wait_until("the containers' lease active", Duration::from_secs(90), || {
		lease_state(containers) == Some(LeaseState::Active)
	});
	let log = daemon.log();
	let waited = log.lines().position(|l| {
		l.contains("waiting for the workload to be ready")
			&& l.contains(&format!("lease={containers}"))
	});
	let started = log.lines().position(|l| {
		l.contains("workload ready; lease started") && l.contains(&format!("lease={containers}"))
	});
	assert!(
		matches!((waited, started), (Some(w), Some(s)) if w < s),
		"started only once ready:\n{}",
		daemon.tail()
	);
	let ns = format!("virtengine-lease-{containers}-");
	let namespace = kube
		.objects("namespaces", Some(""))
		.into_iter()
		.find(|n| n["metadata"]["name"].as_str().is_some_and(|n| n.starts_with(&ns)))
		.unwrap_or_else(|| panic!("the lease's namespace; daemon:\n{}", daemon.tail()));
	let ns = namespace["metadata"]["name"].as_str().expect("name").to_string();
	assert_eq!(kube.objects("pods", Some(&ns)).len(), 3, "2 web + 1 worker");
	node.wait_until("the containers' access details", Duration::from_secs(60), || {
		block_on(client.lease_access(containers)).ok().flatten().is_some()
	});
	let access = cli_json(&[
		"market",
		"lease",
		"access",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--id",
		&containers.to_string(),
		"--key",
		&charlie_key,
	])
	.unwrap_or_else(|e| panic!("access: {e}; daemon:\n{}", daemon.tail()));
	assert_eq!(access["job"], ns.as_str(), "{access}");
	let endpoint =
		access["endpoints"][0].as_str().unwrap_or_else(|| panic!("an endpoint: {access}"));
	assert!(endpoint.starts_with("web 80/TCP: 127.0.0.1:3"), "{access}");
	let status = cli_json(&[
		"market",
		"lease",
		"status",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--id",
		&containers.to_string(),
		"--key",
		&charlie_key,
		"--ca-file",
		&ca,
	])
	.unwrap_or_else(|e| panic!("status: {e}; daemon:\n{}", daemon.tail()));
	assert_eq!(status["job_state"], "running", "{status}");
	let pods = status["details"]["pods"].as_array().unwrap_or_else(|| panic!("pods: {status}"));
	assert!(pods.len() == 3 && pods.iter().all(|p| p["ready"] == true), "{status}");
	let pod = pods[0]["name"].as_str().expect("a pod").to_string();
	let logs = cli_json(&[
		"market",
		"lease",
		"logs",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--id",
		&containers.to_string(),
		"--key",
		&charlie_key,
		"--ca-file",
		&ca,
		"--pod",
		&pod,
		"--tail",
		"2",
	])
	.unwrap_or_else(|e| panic!("logs: {e}; daemon:\n{}", daemon.tail()));
	let text = logs["log"].as_str().unwrap_or_default();
	assert!(text.contains("emulator: container") && text.lines().count() == 2, "{logs}");
	node.wait_until("a usage record of the containers", Duration::from_secs(60), || {
		block_on(client.escrow(containers)).ok().flatten().is_some_and(|e| e.last_seq >= 1)
	});
	cli(&[
		"market",
		"lease",
		"close",
		"--rpc",
		r,
		"--suri",
		"//Charlie",
		"--id",
		&containers.to_string(),
	])
	.expect("close");
	node.wait_until("the containers' lease closed", Duration::from_secs(120), || {
		matches!(lease_state(containers), Some(LeaseState::Closed(_)) | None)
	});
	assert!(kube.object("namespaces", "", &ns).is_none(), "the namespace was deleted");
	let best = block_on(client.best_number()).expect("best");
	let records: Vec<(u32, u128)> = (bid_in..=best)
		.flat_map(|n| {
			block_on(client.events(block_on(client.block_hash(n)).expect("hash"))).expect("events")
		})
		.filter_map(|e| match e {
			runtime::Event::Escrow(runtime::escrow::Event::UsageRecorded { id, seq, amount })
				if id == containers =>
			{
				Some((seq, amount))
			},
			_ => None,
		})
		.collect();
	let seqs: Vec<u32> = records.iter().map(|(s, _)| *s).collect();
	assert!(seqs.first() == Some(&1) && seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
	let billed: u128 = records.iter().map(|(_, a)| *a).sum();
	// What the daemon's ledger integrated from the pods (2 × 500 m + 1000 m while they ran) is
	// what was billed, at 0.000001 VE a core-second, plus the job unit at the end.
	let ledger: serde_json::Value = serde_json::from_slice(
		&std::fs::read(pdir.join(format!("state/kubernetes/{ns}.json"))).expect("the ledger"),
	)
	.expect("json");
	assert_eq!(ledger["ended"], true, "{ledger}");
	let millis_seconds: u64 = ledger["pods"]
		.as_object()
		.expect("pods")
		.values()
		.map(|p| {
			let (start, seen) = (p["start_s"].as_u64(), p["seen_s"].as_u64());
			p["cpu_millis"].as_u64().unwrap_or(0)
				* seen.unwrap_or(0).saturating_sub(start.unwrap_or(0))
		})
		.sum();
	assert!(millis_seconds >= 2000, "the pods ran at least a second: {ledger}");
	assert_eq!(
		billed,
		u128::from(millis_seconds / 1000) * (VE / 1_000_000) + VE / 2,
		"billed = the pods' core-seconds × price + one job: {ledger}"
	);
	println!("lease {containers}: containers on {ns}; records {seqs:?}, billed {billed}; namespace deleted");

	// A crash's leftover: a namespace of this provider whose lease the journal no longer
	// holds. At the next start it is deleted.
	let labels = &namespace["metadata"]["labels"];
	let orphan = "virtengine-lease-999-0000cafe";
	kube.apply_as(
		"virtengine-provider",
		"namespaces",
		"",
		serde_json::json!({
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": { "name": orphan, "labels": {
			"app.kubernetes.io/managed-by": "virtengine-provider",
			"virtengine.io/lease": "999",
			"virtengine.io/provider": labels["virtengine.io/provider"].clone(),
			"virtengine.io/chain": labels["virtengine.io/chain"].clone() } } }),
	)
	.expect("the leftover namespace");
	daemon.kill();
	daemon.spawn();
	node.wait_until("the leftover namespace deleted", Duration::from_secs(60), || {
		kube.object("namespaces", "", orphan).is_none()
	});
	daemon.wait_log("removed what no lease holds", Duration::from_secs(30));
	println!("the leftover namespace {orphan} was deleted at the restart");
	drop(kube);
}

fn rand_suffix() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map_or(0, |d| d.as_nanos() as u64)
}
