//! Smoke test of the real binary: `virtengine-node --dev` starts, produces blocks, accepts a
//! signed balance transfer over JSON-RPC, includes it, and the balances change by the amount and
//! the fee.

use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use codec::{Decode, Encode};
use serde_json::{json, Value};
use sp_core::{bytes, crypto::Ss58Codec, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{generic::Era, MultiAddress, MultiSignature};
use virtengine_runtime::{
	AccountId, Balance, Nonce, Runtime, RuntimeCall, SignedPayload, TxExtension,
	UncheckedExtrinsic, VE,
};

/// A running node, killed when dropped, whatever the test's outcome.
struct Node {
	child: Child,
	rpc_port: u16,
	log: std::path::PathBuf,
}

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("a free local port")
}

impl Node {
	fn start_dev(block_time_ms: u64) -> Node {
		let rpc_port = free_port();
		let p2p_port = free_port();
		let log = std::env::temp_dir().join(format!("virtengine-smoke-{rpc_port}.log"));
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

	fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<_> = text.lines().collect();
		lines[lines.len().saturating_sub(40)..].join("\n")
	}

	/// One JSON-RPC call over HTTP; `Err` on any transport or RPC error.
	fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		let body =
			json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
		let mut stream =
			TcpStream::connect(("127.0.0.1", self.rpc_port)).map_err(|e| e.to_string())?;
		stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
		let request = format!(
			"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
			 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
			body.len()
		);
		stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
		let mut response = String::new();
		stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
		let json_start = response.find("\r\n\r\n").ok_or("no HTTP body")? + 4;
		let reply: Value =
			serde_json::from_str(&response[json_start..]).map_err(|e| e.to_string())?;
		match reply.get("error") {
			Some(error) => Err(format!("{method}: {error}")),
			None => Ok(reply["result"].clone()),
		}
	}

	fn best_number(&self) -> Result<u32, String> {
		let header = self.rpc("chain_getHeader", json!([]))?;
		let number = header["number"].as_str().ok_or("header without number")?;
		u32::from_str_radix(number.trim_start_matches("0x"), 16).map_err(|e| e.to_string())
	}

	fn wait_for_block(&self, at_least: u32, timeout: Duration) -> u32 {
		let start = Instant::now();
		loop {
			if let Ok(n) = self.best_number() {
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

	fn free_balance(&self, who: &AccountId) -> Balance {
		let key = frame_system::Account::<Runtime>::hashed_key_for(who);
		let value =
			self.rpc("state_getStorage", json!([bytes::to_hex(&key, false)])).expect("storage");
		let raw = bytes::from_hex(value.as_str().expect("account exists")).expect("hex");
		let info =
			frame_system::AccountInfo::<Nonce, pallet_balances::AccountData<Balance>>::decode(
				&mut &raw[..],
			)
			.expect("account info");
		info.data.free
	}
}

fn hash_from_rpc(value: &Value) -> H256 {
	let raw = bytes::from_hex(value.as_str().expect("hash string")).expect("hex");
	H256::from_slice(&raw)
}

fn signed_transfer(
	from: Sr25519Keyring,
	to: &AccountId,
	value: Balance,
	nonce: Nonce,
	genesis: H256,
	spec_version: u32,
	tx_version: u32,
) -> UncheckedExtrinsic {
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: MultiAddress::Id(to.clone()),
		value,
	});
	let tx_ext: TxExtension = (
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
	)
		.into();
	// What the signer commits to without it being in the extrinsic: versions and genesis (twice:
	// once for CheckGenesis, once as the immortal era's birth block).
	let implicit = ((), spec_version, tx_version, genesis, genesis, (), (), ());
	let payload = SignedPayload::from_raw(call.clone(), tx_ext.clone(), implicit);
	let signature = payload.using_encoded(|bytes| from.sign(bytes));
	UncheckedExtrinsic::new_signed(
		call,
		MultiAddress::Id(from.to_account_id()),
		MultiSignature::Sr25519(signature),
		tx_ext,
	)
}

#[test]
fn dev_node_produces_blocks_and_includes_a_transfer() {
	let node = Node::start_dev(1_000);
	// The first start compiles the runtime to machine code; allow for a slow machine.
	let first = node.wait_for_block(2, Duration::from_secs(240));
	let later = node.wait_for_block(first + 2, Duration::from_secs(30));
	assert!(later >= first + 2, "the chain must keep growing");
	let log = std::fs::read_to_string(&node.log).unwrap_or_default();
	assert!(
		log.contains("Database: ParityDb"),
		"ParityDB is the default database:\n{}",
		node.log_tail()
	);

	let alice = Sr25519Keyring::Alice.to_account_id();
	let bob = Sr25519Keyring::Bob.to_account_id();
	let alice_before = node.free_balance(&alice);
	let bob_before = node.free_balance(&bob);

	let genesis = hash_from_rpc(&node.rpc("chain_getBlockHash", json!([0])).expect("genesis"));
	let version = node.rpc("state_getRuntimeVersion", json!([])).expect("version");
	assert_eq!(version["specName"], "virtengine");
	let spec_version = version["specVersion"].as_u64().expect("specVersion") as u32;
	let tx_version = version["transactionVersion"].as_u64().expect("transactionVersion") as u32;
	let nonce = node
		.rpc("system_accountNextIndex", json!([alice.to_ss58check()]))
		.expect("nonce")
		.as_u64()
		.expect("nonce number") as Nonce;

	let amount = 12_345 * VE;
	let xt = signed_transfer(
		Sr25519Keyring::Alice,
		&bob,
		amount,
		nonce,
		genesis,
		spec_version,
		tx_version,
	);
	let xt_hex = bytes::to_hex(&xt.encode(), false);
	node.rpc("author_submitExtrinsic", json!([xt_hex])).expect("the pool accepts the transfer");

	// Find the block that includes it.
	let start = Instant::now();
	let mut checked = node.best_number().expect("best block");
	let included_in = 'search: loop {
		let best = node.best_number().expect("best block");
		while checked <= best {
			let hash = node.rpc("chain_getBlockHash", json!([checked])).expect("block hash");
			let block = node.rpc("chain_getBlock", json!([hash])).expect("block");
			let extrinsics = block["block"]["extrinsics"].as_array().cloned().unwrap_or_default();
			if extrinsics.iter().any(|x| x.as_str() == Some(xt_hex.as_str())) {
				break 'search checked;
			}
			checked += 1;
		}
		assert!(
			start.elapsed() < Duration::from_secs(60),
			"the transfer was not included within 60 s; node log:\n{}",
			node.log_tail()
		);
		std::thread::sleep(Duration::from_millis(250));
	};
	node.wait_for_block(included_in + 1, Duration::from_secs(30));

	let alice_after = node.free_balance(&alice);
	let bob_after = node.free_balance(&bob);
	assert_eq!(bob_after, bob_before + amount, "Bob receives exactly the amount");
	let fee = alice_before - amount - alice_after;
	assert!(fee > 0, "Alice pays a fee on top of the amount");
	assert!(fee < VE, "the fee of a transfer is far below one VE, was {fee}");
	let next_nonce =
		node.rpc("system_accountNextIndex", json!([alice.to_ss58check()])).expect("nonce");
	assert_eq!(next_nonce.as_u64(), Some(u64::from(nonce) + 1));
	println!(
		"transfer of {amount} included in block #{included_in}; fee {fee} (blocks #{first}..#{later} before)"
	);
}

#[test]
fn unknown_chain_is_refused_with_a_clear_error() {
	let output = Command::new(env!("CARGO_BIN_EXE_virtengine-node"))
		.args(["--chain", "no-such-chain", "--tmp"])
		.output()
		.expect("run virtengine-node");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("unknown chain `no-such-chain`"), "stderr: {stderr}");
}

#[test]
fn busy_rpc_port_is_refused_with_a_clear_error() {
	let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
	let port = taken.local_addr().expect("addr").port();
	let output = Command::new(env!("CARGO_BIN_EXE_virtengine-node"))
		.args([
			"--dev",
			"--tmp",
			"--rpc-port",
			&port.to_string(),
			"--port",
			&free_port().to_string(),
		])
		.output()
		.expect("run virtengine-node");
	assert!(!output.status.success(), "the node must not start");
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("cannot listen for RPC"), "stderr: {stderr}");
	drop(taken);
}

#[test]
fn bad_flag_is_refused() {
	let output = Command::new(env!("CARGO_BIN_EXE_virtengine-node"))
		.arg("--no-such-flag")
		.output()
		.expect("run virtengine-node");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("--no-such-flag"), "stderr: {stderr}");
}
