//! Shared by the tests that run the real `virtengine-node` binary: start a dev node on free ports,
//! kill it when dropped, read its log, talk to it through the client on subxt.
//!
//! The tests are synchronous, like a user at a terminal: `cli` runs the `virtengine` CLI
//! in-process (it drives the async client on a runtime of its own), and the tests' own client
//! calls go through [`block_on`], on one runtime shared by the test binary. `cli` is never called
//! from inside that runtime.

#![allow(dead_code)]

pub mod market;
pub mod network;

use std::{
	future::Future,
	net::TcpListener,
	process::{Child, Command, Stdio},
	str::FromStr,
	sync::LazyLock,
	time::{Duration, Instant},
};

use virtengine_client::{AccountId, Balance, Client, Error, Keypair, Refused};

/// The runtime the tests' client calls run on (the client's connection lives on it).
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
	tokio::runtime::Builder::new_multi_thread()
		.worker_threads(2)
		.enable_all()
		.build()
		.expect("a tokio runtime")
});

/// Runs a client call to completion.
pub fn block_on<F: Future>(future: F) -> F::Output {
	RUNTIME.block_on(future)
}

/// A CLI command's failure: its text, and the structured chain error when there is one.
#[derive(Debug)]
pub struct CliError {
	/// What the CLI prints after `error:`.
	pub text: String,
	/// The refusal code when the pool refused the transaction.
	pub refused: Option<u8>,
	/// The runtime error (`Pallet::Name: docs`) when the transaction failed in a block.
	pub failed: Option<String>,
}

impl CliError {
	/// Whether the text contains `what`.
	pub fn contains(&self, what: &str) -> bool {
		self.text.contains(what)
	}

	/// Whether the transaction failed with the runtime error `name` (`Pallet::Error`).
	pub fn failed_with(&self, name: &str) -> bool {
		self.failed.as_deref().is_some_and(|e| e == name || e.starts_with(&format!("{name}:")))
	}
}

impl std::fmt::Display for CliError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(&self.text)
	}
}

/// A client error's refusal code and runtime error, if it is one of those.
pub fn chain_error(error: &Error) -> (Option<u8>, Option<String>) {
	match error {
		Error::Rejected(Refused::Code(code)) => (Some(*code), None),
		Error::Failed { error, .. } => (None, Some(error.clone())),
		_ => (None, None),
	}
}

fn cli_error(e: Box<dyn std::error::Error>) -> CliError {
	let (refused, failed) = match e.downcast_ref::<virtengine_cli::Error>() {
		Some(virtengine_cli::Error::Chain(error)) => chain_error(error),
		_ => (None, None),
	};
	CliError { text: e.to_string(), refused, failed }
}

/// Runs the `virtengine` CLI in-process, as a user types it.
pub fn cli(args: &[&str]) -> Result<(), CliError> {
	virtengine_cli::run_args(std::iter::once("virtengine").chain(args.iter().copied()))
		.map_err(cli_error)
}

/// Runs the `virtengine` CLI in-process with `--output json`; the JSON object it prints.
pub fn cli_json(args: &[&str]) -> Result<serde_json::Value, CliError> {
	let args =
		std::iter::once("virtengine").chain(args.iter().copied()).chain(["--output", "json"]);
	let text = virtengine_cli::run_args_output(args).map_err(cli_error)?;
	Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

/// The key of `uri` (`//Alice`, `//CaptureApp`...).
pub fn keypair(uri: &str) -> Keypair {
	let uri = subxt_signer::SecretUri::from_str(uri).expect("a secret URI");
	Keypair::from_uri(&uri).expect("a key")
}

/// The account of `uri`.
pub fn account(uri: &str) -> AccountId {
	keypair(uri).public_key().to_account_id()
}

/// Writes the pinned test photo `id` (checked against its sha256) into `dir`; its path.
pub fn fixture(dir: &std::path::Path, id: &str) -> String {
	use virtengine_scoring::models::{default_dir, read_verified, Manifest};
	let manifest = Manifest::pinned().expect("manifest");
	let bytes = read_verified(&default_dir(), manifest.fixture(id).expect("fixture"))
		.expect("fixture file");
	let path = dir.join(format!("{id}.jpg"));
	std::fs::write(&path, bytes).expect("write");
	path.to_string_lossy().into_owned()
}

/// The pinned models' manifest with its `[[model]]` entries in reverse order: the same files,
/// another model set id (the id hashes the entries in order).
pub fn manifest_in_another_order() -> String {
	let text = virtengine_scoring::models::MANIFEST;
	let mut head = String::new();
	let mut models: Vec<String> = Vec::new();
	let mut tail = String::new();
	for section in text.split_inclusive('\n').fold(Vec::<String>::new(), |mut acc, line| {
		if line.starts_with("[[") || acc.is_empty() {
			acc.push(String::new());
		}
		if let Some(last) = acc.last_mut() {
			last.push_str(line);
		}
		acc
	}) {
		if section.starts_with("[[model]]") {
			models.push(section);
		} else if models.is_empty() {
			head.push_str(&section);
		} else {
			tail.push_str(&section);
		}
	}
	models.reverse();
	format!("{head}{}{tail}", models.concat())
}

/// A running node, killed when dropped, whatever the test's outcome.
pub struct Node {
	child: Child,
	pub rpc_port: u16,
	pub log: std::path::PathBuf,
	client: std::sync::OnceLock<Client>,
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("a free local port")
}

impl Node {
	pub fn start_dev(block_time_ms: u64) -> Node {
		let rpc_port = free_port();
		let p2p_port = free_port();
		let log = std::env::temp_dir().join(format!("virtengine-test-node-{rpc_port}.log"));
		let log_file = std::fs::File::create(&log).expect("log file");
		let child = Command::new(env!("CARGO_BIN_EXE_virtengine-node"))
			.args(["--dev", "--tmp", "--no-prometheus", "--no-telemetry"])
			.args(["--rpc-port", &rpc_port.to_string(), "--port", &p2p_port.to_string()])
			.args(["--dev-block-time", &block_time_ms.to_string()])
			.stdout(Stdio::null())
			.stderr(log_file)
			.spawn()
			.expect("start virtengine-node");
		Node { child, rpc_port, log, client: std::sync::OnceLock::new() }
	}

	pub fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<_> = text.lines().collect();
		lines[lines.len().saturating_sub(40)..].join("\n")
	}

	/// The RPC address, as a user passes it to `virtengine --rpc` (the dev node serves
	/// WebSocket and HTTP on one port).
	pub fn rpc_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	/// A client of the node's RPC, connected once the node answers (waits up to 240 s: the
	/// first start compiles the runtime).
	pub fn client(&self) -> Client {
		self.client
			.get_or_init(|| {
				let started = Instant::now();
				loop {
					match block_on(Client::connect(&self.rpc_url())) {
						Ok(client) => break client,
						Err(e) => assert!(
							started.elapsed() < Duration::from_secs(240),
							"no node at {} within 240 s ({e}); node log:\n{}",
							self.rpc_url(),
							self.log_tail()
						),
					}
					std::thread::sleep(Duration::from_millis(250));
				}
			})
			.clone()
	}

	pub fn wait_for_block(&self, at_least: u32, timeout: Duration) -> u32 {
		let start = Instant::now();
		let client = self.client();
		loop {
			if let Ok(n) = block_on(client.best_number()) {
				if n >= at_least {
					return n;
				}
			}
			assert!(
				start.elapsed() < timeout,
				"no block #{at_least} within {timeout:?}; node log:\n{}",
				self.log_tail()
			);
			std::thread::sleep(Duration::from_millis(250));
		}
	}

	/// The free balance of `who`.
	pub fn free_balance(&self, who: &AccountId) -> Balance {
		block_on(self.client().balance(who)).expect("balance").0
	}

	/// The reserved (held) balance of `who`.
	pub fn reserved_balance(&self, who: &AccountId) -> Balance {
		block_on(self.client().balance(who)).expect("balance").1
	}

	/// Waits until `done` holds, up to `timeout`.
	pub fn wait_until(&self, what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
		let started = Instant::now();
		while !done() {
			assert!(
				started.elapsed() < timeout,
				"{what} within {timeout:?}; node log:\n{}",
				self.log_tail()
			);
			std::thread::sleep(Duration::from_millis(300));
		}
	}
}

/// Governance (sudo, Alice on a dev chain) sets a critical MFA rule's policy to require
/// `factors` (the genesis default but for its factors), and the sudo call itself succeeds.
pub fn set_critical_policy(
	node: &Node,
	rule: virtengine_client::runtime::runtime_types::pallet_mfa::policy::Rule,
	factors: &[virtengine_mfa_primitives::Factor],
) {
	use virtengine_client::runtime::{self, runtime_types};
	let policy = runtime_types::pallet_mfa::policy::Policy {
		factors: runtime_types::virtengine_mfa_primitives::FactorSet(
			virtengine_mfa_primitives::FactorSet::of(factors).0,
		),
		min_tier: runtime_types::virtengine_veid_primitives::Tier::Standard,
		critical: true,
		device_reduction: false,
		enrolled_only: false,
		session_blocks: 0,
	};
	let call = virtengine_client::sudo(virtengine_client::RuntimeCall::Mfa(
		runtime_types::pallet_mfa::pallet::Call::set_policy { rule, policy },
	));
	let client = node.client();
	let included = block_on(client.submit(
		&keypair("//Alice"),
		&call,
		&virtengine_client::TxOptions::default(),
		|_| {},
	))
	.expect("sudo set_policy");
	assert!(
		included.events.iter().any(|e| matches!(
			e,
			runtime::Event::Sudo(runtime::sudo::Event::Sudid { sudo_result: Ok(()) })
		)),
		"the policy is set: {:?}",
		included.events
	);
}

/// A test CA and a server certificate for 127.0.0.1 and localhost signed by it; the CA's path.
pub fn make_test_pki(dir: &std::path::Path) -> std::path::PathBuf {
	let run = |args: &[&str]| {
		let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
		assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
	};
	run(&[
		"req",
		"-x509",
		"-newkey",
		"ec",
		"-pkeyopt",
		"ec_paramgen_curve:P-256",
		"-nodes",
		"-keyout",
		"ca.key",
		"-out",
		"ca.pem",
		"-days",
		"2",
		"-subj",
		"/CN=VirtEngine test CA",
	]);
	run(&[
		"req",
		"-newkey",
		"ec",
		"-pkeyopt",
		"ec_paramgen_curve:P-256",
		"-nodes",
		"-keyout",
		"server.key",
		"-out",
		"server.csr",
		"-subj",
		"/CN=127.0.0.1",
	]);
	std::fs::write(
		dir.join("ext.cnf"),
		"subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n",
	)
	.expect("ext");
	run(&[
		"x509",
		"-req",
		"-in",
		"server.csr",
		"-CA",
		"ca.pem",
		"-CAkey",
		"ca.key",
		"-CAcreateserial",
		"-out",
		"server.pem",
		"-days",
		"2",
		"-extfile",
		"ext.cnf",
	]);
	dir.join("ca.pem")
}

/// The test capture client: its id and the key it signs with.
pub const CAPTURE_CLIENT: (&str, &str) = ("capture-app", "//CaptureApp");

/// `virtengine veid add-client`: the sudo key (//Alice) approves [`CAPTURE_CLIENT`].
pub fn approve_capture_client(rpc: &str) -> Result<(), CliError> {
	let (id, key) = CAPTURE_CLIENT;
	cli(&["veid", "add-client", "--id", id, "--client-key", key, "--suri", "//Alice", "--rpc", rpc])
}

/// `virtengine veid upload --wait`: `document` and `selfie` with the synthetic documents' claimed
/// data, signed by `suri` and by the capture client `client` (id, key), decided before it returns.
pub fn veid_upload(
	rpc: &str,
	document: &str,
	selfie: &str,
	suri: &str,
	client: (&str, &str),
) -> Result<(), CliError> {
	cli(&[
		"veid",
		"upload",
		"--document",
		document,
		"--selfie",
		selfie,
		"--surname",
		"MARTIN",
		"--given-names",
		"ANNA MARIA",
		"--birth-date",
		"1990-03-14",
		"--suri",
		suri,
		"--client-id",
		client.0,
		"--client-key",
		client.1,
		"--rpc",
		rpc,
		"--wait",
	])
}

/// The code of a runtime one `spec_version` later than the genesis runtime
/// (`virtengine_runtime::upgrade_test`, built by runtime/build.rs with the `upgrade-test`
/// feature), compressed as a chain takes it.
pub fn upgrade_code() -> Vec<u8> {
	let built = virtengine_runtime::upgrade_test::WASM_BINARY
		.expect("the upgrade-test runtime is built (not with SKIP_WASM_BUILD)");
	assert_ne!(
		Some(built),
		virtengine_runtime::WASM_BINARY,
		"the upgrade is different code from the genesis runtime"
	);
	// Release builds embed compacted, compressed code; a debug build's is the plain wasm
	// (7 MB), larger than a block: compress it as the release build does, which the node
	// decompresses when it loads the code.
	use sp_maybe_compressed_blob::{compress_strongly, decompress, CODE_BLOB_BOMB_LIMIT};
	match decompress(built, CODE_BLOB_BOMB_LIMIT) {
		Ok(std::borrow::Cow::Owned(_)) => built.to_vec(),
		_ => compress_strongly(built, CODE_BLOB_BOMB_LIMIT).expect("compressible"),
	}
}
