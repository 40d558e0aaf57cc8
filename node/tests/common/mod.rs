//! Shared by the tests that run the real `virtengine-node` binary: start a dev node on free ports,
//! kill it when dropped, read its log, talk to it through `virtengine-client`.

#![allow(dead_code)]

use std::{
	net::TcpListener,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use virtengine_client::Client;
use virtengine_runtime::{AccountId, Balance, Nonce, Runtime};

/// Runs the `virtengine` CLI in-process, as a user types it; the error as text.
pub fn cli(args: &[&str]) -> Result<(), String> {
	virtengine_cli::run_args(std::iter::once("virtengine").chain(args.iter().copied()))
		.map_err(|e| e.to_string())
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

/// A running node, killed when dropped, whatever the test's outcome.
pub struct Node {
	child: Child,
	pub rpc_port: u16,
	pub log: std::path::PathBuf,
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
		Node { child, rpc_port, log }
	}

	pub fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<_> = text.lines().collect();
		lines[lines.len().saturating_sub(40)..].join("\n")
	}

	/// A client of the node's RPC.
	pub fn client(&self) -> Client {
		Client::new(&format!("http://127.0.0.1:{}", self.rpc_port)).expect("local address")
	}

	pub fn wait_for_block(&self, at_least: u32, timeout: Duration) -> u32 {
		let start = Instant::now();
		let client = self.client();
		loop {
			if let Ok(n) = client.best_number() {
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

	pub fn free_balance(&self, who: &AccountId) -> Balance {
		self.client()
			.storage_value::<frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>>>(
				&frame_system::Account::<Runtime>::hashed_key_for(who),
				"account info",
			)
			.expect("storage")
			.expect("the account exists")
			.data
			.free
	}

	/// The RPC address, as a user passes it to `virtengine --rpc`.
	/// The reserved (held) balance of `who`.
	pub fn reserved_balance(&self, who: &AccountId) -> Balance {
		self.client()
			.storage_value::<frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>>>(
				&frame_system::Account::<Runtime>::hashed_key_for(who),
				"account info",
			)
			.expect("storage")
			.expect("the account exists")
			.data
			.reserved
	}

	pub fn rpc_url(&self) -> String {
		format!("http://127.0.0.1:{}", self.rpc_port)
	}
}
