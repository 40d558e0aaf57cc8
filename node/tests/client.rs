//! The client on subxt against a real dev node: WebSocket subscriptions, a transaction followed
//! to inclusion and to finality (with the pool's `InBlock` report, which wallets wait for),
//! refusals decoded from the runtime's own answer, a transaction usurped by another with the
//! same nonce, one dropped by a full pool, HTTP with polling, and `wss://` through a real TLS
//! terminator (Debian's stunnel4) with a test CA made by openssl.

mod common;

use std::{
	net::TcpListener,
	path::Path,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

use futures::StreamExt;
use virtengine_client::{
	runtime::{self, runtime_types},
	AccountId, Client, ConnectOptions, Error, Keypair, Refused, RuntimeCall, Status, TxOptions,
	Wait,
};
use virtengine_primitives::units::VE;

/// A process killed when dropped, whatever the test's outcome.
struct Process(Child);

impl Drop for Process {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("a free local port")
}

/// A dev node sealing a block every second, with `extra` arguments; its RPC port and log.
fn start_node(extra: &[&str]) -> (Process, u16, std::path::PathBuf) {
	start_node_every(1_000, extra)
}

/// A dev node sealing a block every `block_ms`.
fn start_node_every(block_ms: u64, extra: &[&str]) -> (Process, u16, std::path::PathBuf) {
	let rpc_port = free_port();
	let log = std::env::temp_dir().join(format!("virtengine-client-test-{rpc_port}.log"));
	let child = Command::new(env!("CARGO_BIN_EXE_virtengine-node"))
		.args(["--dev", "--tmp", "--no-prometheus", "--no-telemetry"])
		.args(["--dev-block-time", &block_ms.to_string()])
		.args(["--rpc-port", &rpc_port.to_string(), "--port", &free_port().to_string()])
		.args(extra)
		.stdout(Stdio::null())
		.stderr(std::fs::File::create(&log).expect("log file"))
		.spawn()
		.expect("start virtengine-node");
	(Process(child), rpc_port, log)
}

fn log_tail(log: &Path) -> String {
	let text = std::fs::read_to_string(log).unwrap_or_default();
	let lines: Vec<_> = text.lines().collect();
	lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Connects once the node answers (the first start compiles the runtime: allow for a slow
/// machine) and has produced block #2.
async fn connect(url: &str, options: &ConnectOptions, log: &Path) -> Client {
	let started = Instant::now();
	loop {
		if let Ok(client) = Client::connect_with(url, options).await {
			if client.best_number().await.unwrap_or(0) >= 2 {
				return client;
			}
		}
		assert!(
			started.elapsed() < Duration::from_secs(240),
			"no node at {url} with block #2 within 240 s; log:\n{}",
			log_tail(log)
		);
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

fn alice() -> Keypair {
	subxt_signer::sr25519::dev::alice()
}

fn bob_id() -> AccountId {
	subxt_signer::sr25519::dev::bob().public_key().to_account_id()
}

fn transfer(amount: u128) -> RuntimeCall {
	RuntimeCall::Balances(runtime_types::pallet_balances::pallet::Call::transfer_keep_alive {
		dest: subxt::utils::MultiAddress::Id(bob_id()),
		value: amount,
	})
}

fn transferred(included: &virtengine_client::Included) -> Option<u128> {
	included.find(|e| match e {
		runtime::Event::Balances(runtime::balances::Event::Transfer { amount, .. }) => {
			Some(*amount)
		},
		_ => None,
	})
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_subscriptions_inclusion_finality_and_refusals() {
	let (_node, port, log) = start_node(&[]);
	let url = format!("ws://127.0.0.1:{port}");
	let client = connect(&url, &ConnectOptions::default(), &log).await;

	// Subscriptions: three new blocks and three finalized ones, each higher than the last.
	let mut best = client.subscribe_best().await.expect("new heads");
	let mut finalized = client.subscribe_finalized().await.expect("finalized heads");
	let mut last = (0, 0);
	for _ in 0..3 {
		let b = best.next().await.expect("a block").expect("decoded");
		let f = finalized.next().await.expect("a final block").expect("decoded");
		assert!(b.number > last.0 && f.number > last.1, "blocks advance: {b:?} {f:?}");
		last = (b.number, f.number);
	}
	println!("subscriptions: best #{}, finalized #{}", last.0, last.1);

	// Included, waiting for the block; the pool reports InBlock.
	let (bob_before, _) = client.balance(&bob_id()).await.expect("balance");
	let mut seen = Vec::new();
	let included = client
		.submit(&alice(), &transfer(7 * VE), &TxOptions::default(), |s| seen.push(s.clone()))
		.await
		.unwrap_or_else(|e| panic!("transfer: {e}; log:\n{}", log_tail(&log)));
	assert_eq!(transferred(&included), Some(7 * VE), "a Transfer event: {:?}", included.events);
	assert!(matches!(seen.first(), Some(Status::Submitted(_))), "{seen:?}");
	assert!(
		seen.iter().any(|s| matches!(s, Status::InBlock { .. })),
		"the pool reports InBlock before returning (wallets wait for it): {seen:?}"
	);
	let (bob_after, _) = client.balance(&bob_id()).await.expect("balance");
	assert_eq!(bob_after, bob_before + 7 * VE);
	println!("in block #{}: {:?}", included.block_number, seen);

	// Waiting for finality: InBlock first, then Finalized, and the block is final.
	let options = TxOptions { wait: Wait::Finalized, tip: VE / 100, ..Default::default() };
	let mut seen = Vec::new();
	let included = client
		.submit(&alice(), &transfer(3 * VE), &options, |s| seen.push(s.clone()))
		.await
		.unwrap_or_else(|e| panic!("transfer: {e}; log:\n{}", log_tail(&log)));
	assert!(included.finalized);
	let in_block = seen.iter().position(|s| matches!(s, Status::InBlock { .. }));
	let finalized_at = seen.iter().position(|s| matches!(s, Status::Finalized { .. }));
	assert!(
		matches!((in_block, finalized_at), (Some(a), Some(b)) if a < b),
		"InBlock, then Finalized: {seen:?}"
	);
	assert!(client.finalized_number().await.expect("finalized") >= included.block_number);
	println!("finalized in block #{}: {:?}", included.block_number, seen);

	// A refusal, decoded from the runtime's validity answer: a transfer above the large-transfer
	// threshold without an MFA authorization.
	let error = client
		.submit(&alice(), &transfer(6_000 * VE), &TxOptions::default(), |_| {})
		.await
		.expect_err("a large transfer needs MFA");
	match &error {
		Error::Rejected(Refused::Code(code)) => {
			assert_eq!(*code, virtengine_primitives::refusal::mfa::MFA_REQUIRED, "{error}")
		},
		other => panic!("expected a refusal code, got {other}"),
	}
	assert!(
		error.to_string().contains("MfaRequired") || error.to_string().contains("MFA"),
		"{error}"
	);
	println!("refused: {error}");

	// A dispatch error comes back by pallet and name, with its documentation: cancelling an
	// order that does not exist.
	let cancel = RuntimeCall::Market(runtime_types::pallet_market::pallet::Call::cancel_order {
		id: u64::MAX,
	});
	let error = client
		.submit(&alice(), &cancel, &TxOptions::default(), |_| {})
		.await
		.expect_err("no such order");
	assert!(
		matches!(&error, Error::Failed { error, .. } if error.starts_with("Market::OrderNotFound")),
		"{error}"
	);
	println!("failed: {error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_replaced_by_its_nonce_is_usurped_and_a_full_pool_drops() {
	// A pool of 20 ready and 2 future transactions (a tenth, sc-transaction-pool's builder).
	// Blocks every 6 s: time to replace a ready transaction before a block includes it.
	let (_node, port, log) = start_node_every(6_000, &["--pool-limit", "20"]);
	let url = format!("ws://127.0.0.1:{port}");
	let client = connect(&url, &ConnectOptions::default(), &log).await;
	let who = alice().public_key().to_account_id();
	let nonce = client.next_nonce(&who).await.expect("nonce");

	// Usurped: two transactions with the same nonce, the second tipping more, both submitted
	// between two blocks.
	let first = TxOptions { nonce: Some(nonce), ..Default::default() };
	let second = TxOptions { nonce: Some(nonce), tip: VE, ..Default::default() };
	let signed_first = client.sign(&alice(), &transfer(VE), &first).await.expect("sign");
	let watcher = {
		let client = client.clone();
		tokio::spawn(async move {
			let mut seen = Vec::new();
			let outcome =
				client.submit_signed(&signed_first, &first, |s| seen.push(s.clone())).await;
			(outcome, seen)
		})
	};
	tokio::time::sleep(Duration::from_millis(300)).await;
	let signed_second = client.sign(&alice(), &transfer(2 * VE), &second).await.expect("sign");
	let replacing = {
		let client = client.clone();
		tokio::spawn(async move { client.submit_signed(&signed_second, &second, |_| {}).await })
	};
	let (outcome, seen) = tokio::time::timeout(Duration::from_secs(60), watcher)
		.await
		.expect("an outcome for the first")
		.expect("task");
	match outcome {
		Err(Error::Usurped { .. }) => println!("usurped after {seen:?}"),
		other => panic!("expected Usurped, got {other:?} after {seen:?}"),
	}
	let replaced = tokio::time::timeout(Duration::from_secs(60), replacing)
		.await
		.expect("an outcome for the second")
		.expect("task")
		.expect("the replacing transaction is included");
	assert_eq!(transferred(&replaced), Some(2 * VE));

	// Dropped: three future transactions with rising tips, and room for two: the first goes.
	let base = client.next_nonce(&who).await.expect("nonce") + 10;
	let mut watchers = Vec::new();
	for (i, tip) in [0u128, VE, 2 * VE].into_iter().enumerate() {
		let options = TxOptions {
			nonce: Some(base + i as u64),
			tip,
			timeout: Duration::from_secs(30),
			..Default::default()
		};
		let signed = client.sign(&alice(), &transfer(VE), &options).await.expect("sign");
		let client = client.clone();
		watchers.push(tokio::spawn(async move {
			let mut seen = Vec::new();
			let outcome = client.submit_signed(&signed, &options, |s| seen.push(s.clone())).await;
			(outcome, seen)
		}));
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	let mut outcomes = Vec::new();
	for watcher in watchers {
		outcomes.push(watcher.await.expect("task"));
	}
	for (outcome, seen) in &outcomes {
		println!(
			"future transaction: {:?} after {seen:?}",
			outcome.as_ref().map(|i| i.block_number)
		);
	}
	assert!(
		matches!(outcomes[0].0, Err(Error::Dropped(_))),
		"the lowest-priority future transaction is dropped: {:?}",
		outcomes[0]
	);
	for (outcome, _) in &outcomes[1..] {
		assert!(
			matches!(outcome, Err(Error::Timeout { .. })),
			"the others wait for their nonce, and time out: {outcome:?}"
		);
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn http_polls_and_wss_goes_through_a_tls_terminator() {
	let (_node, port, log) = start_node(&[]);

	// HTTP: reads, and a transaction followed by polling, to finality.
	let http = connect(&format!("http://127.0.0.1:{port}"), &ConnectOptions::default(), &log).await;
	let mut seen = Vec::new();
	let options = TxOptions { wait: Wait::Finalized, ..Default::default() };
	let included = http
		.submit(&alice(), &transfer(5 * VE), &options, |s| seen.push(s.clone()))
		.await
		.unwrap_or_else(|e| panic!("over HTTP: {e}; log:\n{}", log_tail(&log)));
	assert_eq!(transferred(&included), Some(5 * VE));
	assert!(included.finalized);
	println!("over HTTP: {seen:?}");
	let error = http.subscribe_best().await.err().expect("no subscriptions over HTTP").to_string();
	assert!(error.contains("ws://"), "{error}");

	// wss: stunnel terminates TLS with a certificate for 127.0.0.1 signed by a test CA.
	let dir = tempfile::tempdir().expect("dir");
	let ca = common::make_test_pki(dir.path());
	let tls_port = free_port();
	let conf = dir.path().join("stunnel.conf");
	std::fs::write(
		&conf,
		format!(
			"foreground = yes\npid =\n[rpc]\naccept = 127.0.0.1:{tls_port}\nconnect = 127.0.0.1:{port}\n\
			 cert = {}\nkey = {}\n",
			dir.path().join("server.pem").display(),
			dir.path().join("server.key").display(),
		),
	)
	.expect("stunnel.conf");
	let _stunnel = Process(
		Command::new("stunnel4")
			.arg(&conf)
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("stunnel4 (scripts/setup.sh installs it)"),
	);
	let url = format!("wss://127.0.0.1:{tls_port}");
	// Without the test CA the certificate is not trusted.
	let started = Instant::now();
	let untrusted = loop {
		match Client::connect_with(&url, &ConnectOptions { ca_file: None, ..Default::default() })
			.await
		{
			Err(Error::Unreachable { why, .. }) if why.contains("Connection refused") => {
				assert!(started.elapsed() < Duration::from_secs(20), "stunnel did not start");
				tokio::time::sleep(Duration::from_millis(200)).await;
			},
			other => break other,
		}
	};
	let error = untrusted.err().expect("an untrusted certificate is refused").to_string();
	assert!(error.to_lowercase().contains("certificate"), "{error}");
	println!("without the CA: {error}");

	let options = ConnectOptions { ca_file: Some(ca), ..Default::default() };
	let wss = connect(&url, &options, &log).await;
	let mut finalized = wss.subscribe_finalized().await.expect("subscription over wss");
	let block = finalized.next().await.expect("a block").expect("decoded");
	let included = wss
		.submit(&alice(), &transfer(2 * VE), &TxOptions::default(), |_| {})
		.await
		.unwrap_or_else(|e| panic!("over wss: {e}"));
	assert_eq!(transferred(&included), Some(2 * VE));
	println!(
		"over wss: finalized #{} seen, transfer in block #{}",
		block.number, included.block_number
	);
}
