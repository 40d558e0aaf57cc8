//! The real network (issue 17): a rococo-local relay chain with two validators and VirtEngine as
//! parachain 2000 with three collators, each a separate `virtengine-node` process with its own
//! keystore, database and offchain worker, started by zombienet from `zombienet/local.toml`.
//!
//! What it checks, on the live network:
//! - the relay chain has registered the parachain, and every collator sees parachain blocks
//!   finalized (which only the relay chain's finality gives a parachain);
//! - the identity committee is the three collators, each with its own published key;
//! - an identity upload, sealed to the three members and submitted to one collator, is scored by
//!   every member's offchain worker on its own node (all three commit a vote); each member's vote
//!   is printed, and the decision, read from another collator, is what two of them revealed;
//! - one collator killed (SIGKILL): blocks go on, and an upload is decided by the other two;
//! - the killed collator started again from its database catches up and votes again;
//! - governance shortens sessions (sudo `system.set_storage` of `:SessionLength:`), a new session
//!   begins, and the restarted collator votes in it and publishes its key for the session after.
//!
//! `make network-test` runs it: it builds the relay chain's programs first (scripts/relay.sh) and
//! installs zombienet (scripts/zombienet.sh). `cargo test --workspace` skips it (`#[ignore]`), as
//! it needs those programs. The network's files and every node's log stay in a temporary directory
//! that is printed, and removed when the test passes.

mod common;

use std::{
	collections::BTreeMap,
	io::{BufRead, BufReader},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use common::{
	account, approve_capture_client, block_on, cli, fixture, veid_upload, CAPTURE_CLIENT,
};
use virtengine_client::{runtime, veid::Status, AccountId, Client};

/// The parachain's id (the `local` spec's).
const PARA_ID: u32 = 2000;

/// A network zombienet runs; everything it started is stopped when this is dropped.
struct Network {
	zombienet: Child,
	/// zombienet's directory: the specs, every node's data and `<name>.log`.
	dir: PathBuf,
	_tmp: Option<tempfile::TempDir>,
	/// Node name → its RPC address.
	rpc: BTreeMap<String, String>,
	/// What zombienet printed (its last lines go into failure messages).
	output: Arc<Mutex<Vec<String>>>,
}

impl Drop for Network {
	fn drop(&mut self) {
		// zombienet and every node it started share its process group.
		let group = format!("-{}", self.zombienet.id());
		let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
		let _ = self.zombienet.wait();
		if std::thread::panicking() {
			if let Some(tmp) = self._tmp.take() {
				let kept = tmp.keep();
				eprintln!("the network's files and logs are kept in {}", kept.display());
			}
		}
	}
}

/// Where the relay chain's programs are (scripts/relay.sh installs them; scripts/env.sh names it).
fn relay_bin() -> PathBuf {
	std::env::var_os("VIRTENGINE_BIN").map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/virtengine/bin")
	})
}

fn tail(path: &Path, lines: usize) -> String {
	let text = std::fs::read_to_string(path).unwrap_or_default();
	let all: Vec<_> = text.lines().collect();
	all[all.len().saturating_sub(lines)..].join("\n")
}

impl Network {
	fn start() -> Network {
		let bin = relay_bin();
		for program in
			["polkadot", "polkadot-prepare-worker", "polkadot-execute-worker", "zombienet"]
		{
			assert!(
				bin.join(program).exists(),
				"{} is missing: `make network-test` builds it (scripts/relay.sh, scripts/zombienet.sh)",
				bin.join(program).display()
			);
		}
		let node = PathBuf::from(env!("CARGO_BIN_EXE_virtengine-node"));
		let tmp = tempfile::tempdir().expect("temp dir");
		let spec = tmp.path().join("virtengine-local.json");
		let out = Command::new(&node)
			.args(["build-spec", "--chain", "local", "--raw", "--disable-default-bootnode"])
			.stderr(Stdio::inherit())
			.output()
			.expect("virtengine-node build-spec");
		assert!(out.status.success(), "build-spec failed");
		std::fs::write(&spec, &out.stdout).expect("write the spec");
		let dir = tmp.path().join("net");
		let path = format!(
			"{}:{}:{}",
			bin.display(),
			node.parent().expect("the node's directory").display(),
			std::env::var("PATH").unwrap_or_default()
		);
		let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../zombienet/local.toml");
		eprintln!("starting the network in {} (zombienet/local.toml)", dir.display());
		let mut zombienet = {
			use std::os::unix::process::CommandExt;
			Command::new(bin.join("zombienet"))
				.args(["spawn", "--provider", "native", "--logType", "text", "--dir"])
				.arg(&dir)
				.arg(&config)
				.env("PATH", path)
				.env("VIRTENGINE_SPEC", &spec)
				.stdin(Stdio::null())
				.stdout(Stdio::piped())
				.stderr(Stdio::piped())
				.process_group(0)
				.spawn()
				.expect("start zombienet")
		};
		let output = Arc::new(Mutex::new(Vec::new()));
		for stream in [
			Box::new(zombienet.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
			Box::new(zombienet.stderr.take().expect("stderr")),
		] {
			let output = output.clone();
			std::thread::spawn(move || {
				for line in BufReader::new(stream).lines().map_while(Result::ok) {
					// Progress: what zombienet does, as it does it.
					eprintln!("[zombienet] {line}");
					output.lock().unwrap_or_else(|p| p.into_inner()).push(line);
				}
			});
		}
		let mut network = Network { zombienet, dir, _tmp: Some(tmp), rpc: BTreeMap::new(), output };
		let started = Instant::now();
		let described = network.dir.join("zombie.json");
		while !described.exists() {
			if let Ok(Some(status)) = network.zombienet.try_wait() {
				panic!(
					"zombienet exited ({status}) before the network was up:\n{}",
					network.output_tail()
				);
			}
			assert!(
				started.elapsed() < Duration::from_secs(900),
				"the network was not up within 900 s:\n{}",
				network.output_tail()
			);
			std::thread::sleep(Duration::from_secs(1));
		}
		let json: serde_json::Value =
			serde_json::from_str(&std::fs::read_to_string(&described).expect("zombie.json"))
				.expect("zombie.json is JSON");
		let nodes = json["nodesByName"].as_object().expect("zombie.json: nodesByName");
		for (name, n) in nodes {
			let uri = n["wsUri"].as_str().expect("a node's wsUri");
			network.rpc.insert(name.clone(), uri.to_string());
		}
		eprintln!(
			"the network is up after {:.0} s: {:?}",
			started.elapsed().as_secs_f64(),
			network.rpc
		);
		network
	}

	fn output_tail(&self) -> String {
		let out = self.output.lock().unwrap_or_else(|p| p.into_inner());
		out[out.len().saturating_sub(40)..].join("\n")
	}

	fn log(&self, name: &str) -> PathBuf {
		self.dir.join(format!("{name}.log"))
	}

	/// The last lines of every node's log.
	fn logs(&self) -> String {
		self.rpc
			.keys()
			.map(|name| format!("--- {name} ---\n{}", tail(&self.log(name), 25)))
			.collect::<Vec<_>>()
			.join("\n")
	}

	fn rpc(&self, name: &str) -> &str {
		self.rpc.get(name).unwrap_or_else(|| panic!("no node {name} in {:?}", self.rpc))
	}

	/// A client of collator `name`, once it answers.
	fn client(&self, name: &str) -> Client {
		let started = Instant::now();
		loop {
			match block_on(Client::connect(self.rpc(name))) {
				Ok(client) => return client,
				Err(e) => assert!(
					started.elapsed() < Duration::from_secs(300),
					"{name} did not answer at {} within 300 s ({e}):\n{}",
					self.rpc(name),
					self.logs()
				),
			}
			std::thread::sleep(Duration::from_secs(1));
		}
	}

	fn wait_until<T>(
		&self,
		what: &str,
		timeout: Duration,
		mut done: impl FnMut() -> Option<T>,
	) -> T {
		let started = Instant::now();
		let mut last_note = Instant::now();
		loop {
			if let Some(value) = done() {
				return value;
			}
			assert!(started.elapsed() < timeout, "{what}: not within {timeout:?}\n{}", self.logs());
			if last_note.elapsed() > Duration::from_secs(30) {
				eprintln!("  … waiting for {what} ({:.0} s)", started.elapsed().as_secs_f64());
				last_note = Instant::now();
			}
			std::thread::sleep(Duration::from_secs(1));
		}
	}
}

/// A node process zombienet started: its pid, command line and environment (from `/proc`), so
/// that it can be killed and started again exactly as zombienet started it.
struct NodeProcess {
	pid: u32,
	args: Vec<String>,
	env: Vec<(String, String)>,
}

impl Network {
	/// The process of node `name` (its command line names it with `--name <name>`).
	fn process(&self, name: &str) -> NodeProcess {
		let split = |bytes: Vec<u8>| -> Vec<String> {
			bytes
				.split(|b| *b == 0)
				.filter(|a| !a.is_empty())
				.map(|a| String::from_utf8_lossy(a).into_owned())
				.collect()
		};
		for entry in std::fs::read_dir("/proc").expect("/proc") {
			let Ok(entry) = entry else { continue };
			let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else {
				continue;
			};
			let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
			let args = split(cmdline);
			let named = args.windows(2).any(|w| w[0] == "--name" && w[1] == name);
			let ours = args.iter().any(|a| a.contains(&*self.dir.to_string_lossy()));
			if named && ours && args.first().is_some_and(|a| !a.ends_with("bash")) {
				let env = split(std::fs::read(entry.path().join("environ")).unwrap_or_default())
					.into_iter()
					.filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.into(), v.into())))
					.collect();
				return NodeProcess { pid, args, env };
			}
		}
		panic!("no process of node {name} under {}", self.dir.display());
	}

	/// Kills node `name` (SIGKILL: no clean shutdown) and returns how to start it again.
	fn kill(&self, name: &str) -> NodeProcess {
		let p = self.process(name);
		let status = Command::new("kill").args(["-KILL", &p.pid.to_string()]).status();
		assert!(status.is_ok_and(|s| s.success()), "kill {name} ({})", p.pid);
		// Its RPC port is free again once the process is gone.
		while Path::new(&format!("/proc/{}", p.pid)).exists() {
			std::thread::sleep(Duration::from_millis(100));
		}
		p
	}

	/// Starts a killed node again with its command line and environment, its output appended
	/// to its log, in zombienet's process group (so that dropping the network stops it too).
	fn restart(&self, name: &str, p: &NodeProcess) {
		use std::os::unix::process::CommandExt;
		let log = std::fs::OpenOptions::new().append(true).open(self.log(name)).expect("log");
		Command::new(&p.args[0])
			.args(&p.args[1..])
			.env_clear()
			.envs(p.env.iter().map(|(k, v)| (k, v)))
			.stdin(Stdio::null())
			.stdout(log.try_clone().expect("log"))
			.stderr(log)
			.process_group(self.zombienet.id() as i32)
			.spawn()
			.unwrap_or_else(|e| panic!("restart {name}: {e}"));
	}
}

/// `system_health` of the node at `rpc`: (syncing, peers).
fn node_health(rpc: &str) -> Result<(bool, u64), String> {
	use subxt::rpcs::{rpc_params, RpcClient};
	block_on(async {
		let client = RpcClient::from_url(rpc).await.map_err(|e| e.to_string())?;
		let health: serde_json::Value =
			client.request("system_health", rpc_params![]).await.map_err(|e| e.to_string())?;
		Ok((
			health["isSyncing"].as_bool().unwrap_or(true),
			health["peers"].as_u64().unwrap_or_default(),
		))
	})
}

/// The para ids the relay chain at `rpc` has registered (`Paras::Parachains`).
fn relay_parachains(rpc: &str) -> Result<Vec<u32>, String> {
	use subxt::rpcs::{rpc_params, RpcClient};
	let key = [sp_crypto_hashing::twox_128(b"Paras"), sp_crypto_hashing::twox_128(b"Parachains")]
		.concat();
	block_on(async {
		let client = RpcClient::from_url(rpc).await.map_err(|e| e.to_string())?;
		let value: Option<String> = client
			.request("state_getStorage", rpc_params![format!("0x{}", hex::encode(key))])
			.await
			.map_err(|e| e.to_string())?;
		let Some(value) = value else { return Ok(Vec::new()) };
		let bytes = hex::decode(value.trim_start_matches("0x")).map_err(|e| e.to_string())?;
		<Vec<u32> as codec::Decode>::decode(&mut &bytes[..]).map_err(|e| e.to_string())
	})
}

const MEMBERS: [&str; 3] = ["//Alice", "//Bob", "//Charlie"];

/// An identity upload through the CLI, as a user runs it: a synthetic card with `portrait`'s
/// face, a selfie, signed by `suri`, submitted to node `to`, waiting for the decision. Returns the
/// parachain's best block before the upload (where the votes' search starts).
fn upload(net: &Network, dir: &Path, to: &str, suri: &str, photos: (&str, &str)) -> u32 {
	let portrait = fixture(dir, photos.0);
	let selfie = fixture(dir, photos.1);
	let document = dir.join(format!("card-{}.png", photos.0)).to_string_lossy().into_owned();
	cli(&["veid", "synth", "--photo", &portrait, "--out", &document]).expect("synth");
	let from = block_on(net.client(to).best_number()).expect("best");
	let started = Instant::now();
	veid_upload(net.rpc(to), &document, &selfie, suri, CAPTURE_CLIENT)
		.unwrap_or_else(|e| panic!("upload by {suri}: {e}\n{}", net.logs()));
	eprintln!("{suri}'s upload (to {to}) decided in {:.1} s", started.elapsed().as_secs_f64());
	from
}

/// The committee's commits and reveals between blocks `from` and `to`, read from `client`:
/// member → (committed in, (score, revealed in)).
type Votes = BTreeMap<AccountId, (Option<u32>, Option<(u8, u32)>)>;

fn votes(client: &Client, from: u32, to: u32) -> Votes {
	let mut votes = Votes::new();
	for n in from..=to {
		let hash = block_on(client.block_hash(n)).expect("hash");
		for e in block_on(client.events(hash)).expect("events") {
			match e {
				runtime::Event::Veid(runtime::veid::Event::VoteCommitted { member, .. }) => {
					votes.entry(member).or_default().0 = Some(n);
				},
				runtime::Event::Veid(runtime::veid::Event::VoteRevealed {
					member, score, ..
				}) => {
					votes.entry(member).or_default().1 = Some((score, n));
				},
				_ => {},
			}
		}
	}
	votes
}

/// Reads `who`'s decision from `client`, prints every member's vote, and checks that at least two
/// members revealed the decided score. Returns the votes.
fn decision(client: &Client, who: &str, from: u32) -> (Status, Votes) {
	let s = block_on(client.identity(&account(who))).expect("identity");
	let status = s.status.clone().expect("decided");
	let result = s.result.clone().expect("a result");
	let votes = votes(client, from, s.at);
	eprintln!(
		"{who}: {status:?}, score {}, tier {:?} (read at block #{}); the committee's votes:",
		result.score, result.tier, s.at
	);
	for name in MEMBERS {
		let (committed, revealed) = votes.get(&account(name)).cloned().unwrap_or_default();
		eprintln!(
			"  {name:<9} {}, {}",
			committed.map_or("no commit".into(), |n| format!("committed in #{n}")),
			revealed.map_or("no reveal before the decision".into(), |(score, n)| format!(
				"revealed score {score} in #{n}"
			)),
		);
	}
	let agreeing =
		votes.values().filter(|(_, r)| r.is_some_and(|(score, _)| score == result.score)).count();
	assert!(agreeing >= 2, "two members revealed the decided score {}: {votes:?}", result.score);
	(status, votes)
}

#[test]
#[ignore = "needs the relay chain's programs and zombienet: `make network-test`"]
fn three_collators_agree_on_identities_and_survive_a_crash() {
	let net = Network::start();
	let collators = ["alice", "bob", "charlie"];

	// The relay chain registered the parachain, and every collator sees it finalized.
	let paras = net.wait_until("parachain 2000 registered", Duration::from_secs(300), || {
		relay_parachains(net.rpc("validator-1")).ok().filter(|p| p.contains(&PARA_ID))
	});
	eprintln!("the relay chain's parachains: {paras:?}");
	let clients: BTreeMap<&str, Client> = collators.iter().map(|c| (*c, net.client(c))).collect();
	for (name, client) in &clients {
		let finalized = net.wait_until(
			&format!("{name} sees parachain block #3 finalized"),
			Duration::from_secs(600),
			|| block_on(client.finalized_number()).ok().filter(|n| *n >= 3),
		);
		eprintln!("{name}: parachain finalized #{finalized}");
	}

	// The committee: the three collators, each with its own key for this session.
	let (alice, bob) = (&clients["alice"], &clients["bob"]);
	let committee = net.wait_until("a committee of three", Duration::from_secs(300), || {
		block_on(alice.committee()).ok().filter(|c| c.len() == 3)
	});
	let members: Vec<_> = committee.iter().map(|m| m.account.clone()).collect();
	for c in MEMBERS {
		assert!(members.contains(&account(c)), "{c} in the committee: {members:?}");
	}
	let keys: std::collections::BTreeSet<_> = committee.iter().map(|m| m.key).collect();
	assert_eq!(keys.len(), 3, "three distinct committee keys");

	// An upload sealed to the three, submitted to Bob's collator, read back from Charlie's: every
	// member scored it on its own node.
	let dir = tempfile::tempdir().expect("temp dir");
	approve_capture_client(net.rpc("alice")).expect("approve the capture client");
	let from = upload(&net, dir.path(), "bob", "//Dave", ("person_b_1", "person_b_2"));
	let (status, votes) = decision(&clients["charlie"], "//Dave", from);
	assert_eq!(status, Status::Verified);
	assert_eq!(
		votes.values().filter(|(c, _)| c.is_some()).count(),
		3,
		"all three members committed a vote: {votes:?}"
	);

	// Charlie's collator dies (SIGKILL). Blocks go on, and an upload is decided by the other two.
	let charlie = net.kill("charlie");
	let before = block_on(alice.best_number()).expect("best");
	let after = net.wait_until("blocks after charlie died", Duration::from_secs(120), || {
		block_on(alice.best_number()).ok().filter(|n| *n >= before + 3)
	});
	eprintln!("charlie killed at #{before}; alice at #{after}");
	let from = upload(&net, dir.path(), "alice", "//Eve", ("person_a_1", "person_a_2"));
	let (_, votes) = decision(bob, "//Eve", from);
	assert!(votes.get(&account("//Charlie")).is_none_or(|(c, _)| c.is_none()), "{votes:?}");

	// Charlie starts again from its database, catches up and votes again.
	net.restart("charlie", &charlie);
	let revived = net.client("charlie");
	let target = block_on(alice.best_number()).expect("best");
	let target_finalized = block_on(alice.finalized_number()).expect("finalized");
	// Caught up: past alice's best and finalized blocks of the restart, and no longer syncing
	// (a syncing node's transaction pool does not follow new blocks yet).
	let caught = net.wait_until("charlie catches up", Duration::from_secs(300), || {
		let best = block_on(revived.best_number()).ok()?;
		let finalized = block_on(revived.finalized_number()).ok()?;
		let syncing = node_health(net.rpc("charlie")).ok()?.0;
		(best >= target && finalized >= target_finalized && !syncing).then_some(best)
	});
	eprintln!("charlie restarted and caught up: #{caught} (alice was at #{target})");
	// Blocks imported by the sync do not reach the transaction pool: it follows the chain again
	// from the next block imported normally. Until then it validates against the block it
	// started with, and refuses a transaction born later ("ancient birth block").
	net.wait_until("charlie imports new blocks", Duration::from_secs(120), || {
		block_on(revived.best_number()).ok().filter(|n| *n >= caught + 2)
	});
	let from = upload(&net, dir.path(), "charlie", "//Ferdie", ("person_b_2", "person_b_1"));
	let (_, votes) = decision(alice, "//Ferdie", from);
	assert!(
		votes.get(&account("//Charlie")).is_some_and(|(c, _)| c.is_some()),
		"charlie committed a vote again: {votes:?}"
	);

	// The next session: governance (sudo) shortens sessions so that one ends a few blocks from
	// now. Charlie published its key for it after its restart, and votes in it.
	let session = |client: &Client| {
		block_on(client.fetch(runtime::storage().veid().session(), (), "the session"))
			.expect("session")
			.unwrap_or_default()
	};
	let (now, first) = (block_on(alice.best_number()).expect("best"), session(alice));
	let length = (now + 8).max(101);
	let items = vec![(
		sp_crypto_hashing::twox_128(b":SessionLength:").to_vec(),
		codec::Encode::encode(&length),
	)];
	let call = virtengine_client::sudo(virtengine_client::RuntimeCall::System(
		runtime::runtime_types::frame_system::pallet::Call::set_storage { items },
	));
	block_on(alice.submit(&common::keypair("//Alice"), &call, &Default::default(), |_| {}))
		.expect("sudo: system.set_storage(SessionLength)");
	eprintln!("session {first} at #{now}; sessions now last {length} blocks");
	let next = net.wait_until("the next session", Duration::from_secs(600), || {
		Some(session(alice)).filter(|s| *s > first)
	});
	let committee = block_on(alice.committee()).expect("committee");
	assert!(
		committee.iter().any(|m| m.account == account("//Charlie")),
		"charlie is in session {next}'s committee: {committee:?}"
	);
	// Its key for this session came before the crash (members publish for the current and the
	// next session); the restarted node keeps it on disk. In the new session its offchain worker
	// publishes its key for the session after.
	let mut scanned = now;
	let published = net.wait_until(
		&format!("charlie's committee key for session {}", next + 1),
		Duration::from_secs(180),
		|| {
			let best = block_on(alice.best_number()).ok()?;
			for n in scanned..=best {
				let hash = block_on(alice.block_hash(n)).ok()?;
				for e in block_on(alice.events(hash)).ok()? {
					if let runtime::Event::Veid(runtime::veid::Event::CommitteeKeyPublished {
						session,
						member,
						..
					}) = e
					{
						if session == next + 1 && member == account("//Charlie") {
							return Some(n);
						}
					}
				}
				scanned = n + 1;
			}
			None
		},
	);
	eprintln!(
		"session {next} began; charlie (restarted at #{caught}) published its key for session {} \
		 in #{published}",
		next + 1
	);
	let from = upload(&net, dir.path(), "bob", "//Alice//stash", ("person_a_2", "person_a_1"));
	let (_, votes) = decision(&revived, "//Alice//stash", from);
	assert!(
		votes.get(&account("//Charlie")).is_some_and(|(c, _)| c.is_some()),
		"charlie voted in session {next}: {votes:?}"
	);
}
