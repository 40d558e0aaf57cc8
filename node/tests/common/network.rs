//! A network zombienet starts from `zombienet/local.toml` (a rococo-local relay chain with two
//! validators, VirtEngine with three collators), for the tests and benchmarks that need one: its
//! nodes' RPC addresses, their logs, and killing and restarting a node as zombienet started it.
//! Everything it started is stopped when the [`Network`] is dropped.

use std::{
	collections::BTreeMap,
	io::{BufRead, BufReader},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use virtengine_client::Client;

use super::block_on;

/// A network zombienet runs; everything it started is stopped when this is dropped.
pub struct Network {
	pub zombienet: Child,
	/// zombienet's directory: the specs, every node's data and `<name>.log`.
	pub dir: PathBuf,
	_tmp: Option<tempfile::TempDir>,
	/// Node name → its RPC address.
	pub rpc: BTreeMap<String, String>,
	/// What zombienet printed (its last lines go into failure messages).
	output: Arc<Mutex<Vec<String>>>,
	/// The nodes this test restarted: its own children, which it must reap once they end.
	restarted: Mutex<Vec<Child>>,
}

impl Drop for Network {
	fn drop(&mut self) {
		// zombienet and every node it started share its process group.
		let group = format!("-{}", self.zombienet.id());
		let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
		let _ = self.zombienet.wait();
		for mut child in self.restarted.get_mut().map(std::mem::take).unwrap_or_default() {
			let _ = child.wait();
		}
		if std::thread::panicking() {
			if let Some(tmp) = self._tmp.take() {
				let kept = tmp.keep();
				eprintln!("the network's files and logs are kept in {}", kept.display());
			}
		}
	}
}

/// Where the relay chain's programs are (scripts/relay.sh installs them; scripts/env.sh names it).
pub fn relay_bin() -> PathBuf {
	std::env::var_os("VIRTENGINE_BIN").map(PathBuf::from).unwrap_or_else(|| {
		PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/virtengine/bin")
	})
}

pub fn tail(path: &Path, lines: usize) -> String {
	let text = std::fs::read_to_string(path).unwrap_or_default();
	let all: Vec<_> = text.lines().collect();
	all[all.len().saturating_sub(lines)..].join("\n")
}

impl Network {
	pub fn start() -> Network {
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
		let mut network = Network {
			zombienet,
			dir,
			_tmp: Some(tmp),
			rpc: BTreeMap::new(),
			output,
			restarted: Mutex::new(Vec::new()),
		};
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

	pub fn output_tail(&self) -> String {
		let out = self.output.lock().unwrap_or_else(|p| p.into_inner());
		out[out.len().saturating_sub(40)..].join("\n")
	}

	pub fn log(&self, name: &str) -> PathBuf {
		self.dir.join(format!("{name}.log"))
	}

	/// The last lines of every node's log.
	pub fn logs(&self) -> String {
		self.rpc
			.keys()
			.map(|name| format!("--- {name} ---\n{}", tail(&self.log(name), 25)))
			.collect::<Vec<_>>()
			.join("\n")
	}

	pub fn rpc(&self, name: &str) -> &str {
		self.rpc.get(name).unwrap_or_else(|| panic!("no node {name} in {:?}", self.rpc))
	}

	/// A client of collator `name`, once it answers.
	pub fn client(&self, name: &str) -> Client {
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

	pub fn wait_until<T>(
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
pub struct NodeProcess {
	pub pid: u32,
	pub args: Vec<String>,
	pub env: Vec<(String, String)>,
}

impl Network {
	/// The process of node `name` (its command line names it with `--name <name>`).
	pub fn process(&self, name: &str) -> NodeProcess {
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
	pub fn kill(&self, name: &str) -> NodeProcess {
		let p = self.process(name);
		let status = Command::new("kill").args(["-KILL", &p.pid.to_string()]).status();
		assert!(status.is_ok_and(|s| s.success()), "kill {name} ({})", p.pid);
		// A node this test restarted is its child: reaping it is what ends it (until then it
		// is a zombie, whose /proc entry stays).
		let mut restarted = self.restarted.lock().expect("restarted nodes");
		if let Some(i) = restarted.iter().position(|c| c.id() == p.pid) {
			let mut child = restarted.swap_remove(i);
			let _ = child.wait();
		}
		drop(restarted);
		// Its RPC port is free again once the process is gone.
		while Path::new(&format!("/proc/{}", p.pid)).exists() {
			std::thread::sleep(Duration::from_millis(100));
		}
		p
	}

	/// Starts a killed node again with its command line and environment, its output appended
	/// to its log, in zombienet's process group (so that dropping the network stops it too).
	pub fn restart(&self, name: &str, p: &NodeProcess) {
		use std::os::unix::process::CommandExt;
		let log = std::fs::OpenOptions::new().append(true).open(self.log(name)).expect("log");
		let child = Command::new(&p.args[0])
			.args(&p.args[1..])
			.env_clear()
			.envs(p.env.iter().map(|(k, v)| (k, v)))
			.stdin(Stdio::null())
			.stdout(log.try_clone().expect("log"))
			.stderr(log)
			.process_group(self.zombienet.id() as i32)
			.spawn()
			.unwrap_or_else(|e| panic!("restart {name}: {e}"));
		self.restarted.lock().expect("restarted nodes").push(child);
	}
}

/// `system_health` of the node at `rpc`: (syncing, peers).
pub fn node_health(rpc: &str) -> Result<(bool, u64), String> {
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
pub fn relay_parachains(rpc: &str) -> Result<Vec<u32>, String> {
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
