//! Pricing strategies: what the daemon asks for an order. `pricing.toml` names one:
//!
//! - `table`: a fixed rate, VE per hour and per unit of usage;
//! - `script`: an external program (as Akash's provider has) that reads the order as JSON on
//!   standard input and answers a rate, or declines, within a timeout.
//!
//! The file is read again when it changes and on SIGHUP; a file that does not parse keeps the
//! last good pricing and says why.

use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
	process::Stdio,
	time::{Duration, SystemTime},
};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use virtengine_client::{format_ve, market::Unit, parse_ve, Balance};

/// A rate, in the chain's smallest unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Price {
	/// Per hour while the lease runs.
	pub per_hour: Balance,
	/// Per unit of usage.
	pub per_unit: Vec<(Unit, Balance)>,
}

/// Every unit's name in files, scripts and metrics.
pub const UNITS: [(&str, Unit); 6] = [
	("cpu_core_second", Unit::CpuCoreSecond),
	("gpu_second", Unit::GpuSecond),
	("memory_gb_hour", Unit::MemoryGbHour),
	("storage_gb_hour", Unit::StorageGbHour),
	("egress_gb", Unit::EgressGb),
	("job", Unit::Job),
];

/// A unit's name.
pub fn unit_name(unit: &Unit) -> &'static str {
	UNITS.iter().find(|(_, u)| u == unit).map_or("?", |(n, _)| *n)
}

/// The unit of `name`.
pub fn unit_of(name: &str) -> Option<Unit> {
	UNITS.iter().find(|(n, _)| *n == name).map(|(_, u)| u.clone())
}

/// The file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
	strategy: String,
	#[serde(default)]
	table: Option<Table>,
	#[serde(default)]
	script: Option<Script>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
	per_hour: String,
	#[serde(default)]
	units: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
	command: PathBuf,
	#[serde(default)]
	args: Vec<String>,
	#[serde(default = "default_timeout")]
	timeout_ms: u64,
}

fn default_timeout() -> u64 {
	1000
}

/// A loaded strategy.
#[derive(Clone, Debug)]
pub enum Strategy {
	/// A fixed rate.
	Table(Price),
	/// A program that prices each order.
	Script {
		/// The program.
		command: PathBuf,
		/// Its arguments.
		args: Vec<String>,
		/// How long it may take.
		timeout: Duration,
	},
}

/// What a strategy is told about an order (the script's standard input).
#[derive(Clone, Debug, Serialize)]
pub struct Request {
	/// The order's number.
	pub order: u64,
	/// The customer (SS58).
	pub customer: String,
	/// `offering` or `requirements`.
	pub target: String,
	/// The plan's name, for a plan order.
	pub plan: Option<String>,
	/// What the job asks for, when the configuration is known.
	pub resources: Option<crate::job::Resources>,
	/// The most the customer pays: VE per hour and per unit.
	pub max_per_hour: String,
	/// The most per unit.
	pub max_per_unit: BTreeMap<String, String>,
}

/// A strategy's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Quote {
	/// Bid this.
	Bid(Price),
	/// Do not bid, for this reason.
	Decline(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptAnswer {
	#[serde(default)]
	per_hour: Option<String>,
	#[serde(default)]
	units: BTreeMap<String, String>,
	#[serde(default)]
	decline: Option<String>,
}

fn parse_price(per_hour: &str, units: &BTreeMap<String, String>) -> Result<Price, String> {
	let per_hour = parse_ve(per_hour).map_err(|e| format!("per_hour: {e}"))?;
	let mut per_unit = Vec::new();
	for (name, amount) in units {
		let unit = unit_of(name).ok_or_else(|| {
			let known: Vec<_> = UNITS.iter().map(|(n, _)| *n).collect();
			format!("unknown unit `{name}` (known: {})", known.join(", "))
		})?;
		per_unit.push((unit, parse_ve(amount).map_err(|e| format!("{name}: {e}"))?));
	}
	Ok(Price { per_hour, per_unit })
}

impl Strategy {
	/// Reads `path`.
	pub fn load(path: &Path) -> Result<Strategy, String> {
		let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
		Strategy::parse(&text, path)
	}

	/// Parses the text of `path`.
	pub fn parse(text: &str, path: &Path) -> Result<Strategy, String> {
		let at = |why: String| format!("{}: {why}", path.display());
		let file: File = toml::from_str(text).map_err(|e| at(e.to_string()))?;
		match file.strategy.as_str() {
			"table" => {
				let table =
					file.table.ok_or_else(|| at("strategy `table` needs [table]".into()))?;
				Ok(Strategy::Table(parse_price(&table.per_hour, &table.units).map_err(at)?))
			},
			"script" => {
				let script =
					file.script.ok_or_else(|| at("strategy `script` needs [script]".into()))?;
				let base = path.parent().unwrap_or(Path::new("."));
				let command = if script.command.is_relative() {
					base.join(&script.command)
				} else {
					script.command
				};
				if script.timeout_ms == 0 || script.timeout_ms > 10_000 {
					return Err(at("script.timeout_ms: between 1 and 10000".into()));
				}
				Ok(Strategy::Script {
					command,
					args: script.args,
					timeout: Duration::from_millis(script.timeout_ms),
				})
			},
			other => Err(at(format!("strategy `{other}`: `table` or `script`"))),
		}
	}

	/// Prices `request`.
	pub async fn quote(&self, request: &Request) -> Quote {
		match self {
			Strategy::Table(price) => Quote::Bid(price.clone()),
			Strategy::Script { command, args, timeout } => {
				match run_script(command, args, *timeout, request).await {
					Ok(quote) => quote,
					Err(why) => Quote::Decline(format!("pricing script: {why}")),
				}
			},
		}
	}
}

async fn run_script(
	command: &Path,
	args: &[String],
	timeout: Duration,
	request: &Request,
) -> Result<Quote, String> {
	let input = serde_json::to_vec(request).map_err(|e| e.to_string())?;
	let mut child = tokio::process::Command::new(command)
		.args(args)
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.kill_on_drop(true)
		.spawn()
		.map_err(|e| format!("cannot run {}: {e}", command.display()))?;
	let mut stdin = child.stdin.take().ok_or("no stdin")?;
	let mut stdout = child.stdout.take().ok_or("no stdout")?;
	let mut stderr = child.stderr.take().ok_or("no stderr")?;
	let work = async {
		// A script that does not read its input must not block us: write, then close.
		let _ = stdin.write_all(&input).await;
		drop(stdin);
		let (mut out, mut err) = (Vec::new(), Vec::new());
		let (a, b) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
		a.and(b).map_err(|e| e.to_string())?;
		let status = child.wait().await.map_err(|e| e.to_string())?;
		Ok::<_, String>((status, out, err))
	};
	let (status, out, err) = tokio::time::timeout(timeout, work)
		.await
		.map_err(|_| format!("no answer within {} ms", timeout.as_millis()))??;
	if !status.success() {
		let err = String::from_utf8_lossy(&err);
		return Err(format!("exited with {status}: {}", err.trim()));
	}
	let answer: ScriptAnswer =
		serde_json::from_slice(&out).map_err(|e| {
			format!("answer is not {{\"per_hour\": ..., \"units\": {{...}}}} or {{\"decline\": ...}}: {e}")
		})?;
	if let Some(reason) = answer.decline {
		return Ok(Quote::Decline(format!("pricing script declined: {reason}")));
	}
	let per_hour = answer.per_hour.ok_or("answer has neither per_hour nor decline")?;
	Ok(Quote::Bid(parse_price(&per_hour, &answer.units)?))
}

/// The strategy in force, reloaded when its file changes.
pub struct Pricing {
	path: PathBuf,
	modified: Option<SystemTime>,
	strategy: Strategy,
}

impl Pricing {
	/// Loads `path`.
	pub fn load(path: &Path) -> Result<Pricing, String> {
		let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
		Ok(Pricing { path: path.to_path_buf(), modified, strategy: Strategy::load(path)? })
	}

	/// The strategy in force.
	pub fn strategy(&self) -> &Strategy {
		&self.strategy
	}

	/// Reads the file again if it changed (or if `force`); an error keeps the last strategy.
	/// `Ok(true)` when a new strategy took effect.
	pub fn reload(&mut self, force: bool) -> Result<bool, String> {
		let modified = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
		if !force && modified == self.modified {
			return Ok(false);
		}
		self.modified = modified;
		self.strategy = Strategy::load(&self.path)?;
		Ok(true)
	}
}

/// Whether `price` is within `max` in every component: the chain's own rule, checked before
/// bidding so that a bid is never above the order's maximum. The reason when it is not.
pub fn within(price: &Price, max: &virtengine_client::market::Rate<Balance>) -> Result<(), String> {
	if price.per_hour > max.per_hour {
		return Err(format!(
			"our {} an hour is above the order's maximum of {}",
			format_ve(price.per_hour),
			format_ve(max.per_hour)
		));
	}
	for (unit, amount) in &price.per_unit {
		match max.per_unit.iter().find(|(u, _)| u == unit) {
			None => return Err(format!("the order does not pay for {}", unit_name(unit))),
			Some((_, m)) if amount > m => {
				return Err(format!(
					"our {} per {} is above the order's maximum of {}",
					format_ve(*amount),
					unit_name(unit),
					format_ve(*m)
				))
			},
			Some(_) => {},
		}
	}
	Ok(())
}

/// The generated rate of `price`.
pub fn rate(price: &Price) -> virtengine_client::market::Rate<Balance> {
	virtengine_client::market::Rate { per_hour: price.per_hour, per_unit: price.per_unit.clone() }
}

#[cfg(test)]
mod tests {
	use super::*;
	use virtengine_primitives::units::VE;

	fn request() -> Request {
		Request {
			order: 3,
			customer: "5Grw".into(),
			target: "offering".into(),
			plan: Some("small".into()),
			resources: None,
			max_per_hour: "2".into(),
			max_per_unit: BTreeMap::new(),
		}
	}

	#[test]
	fn a_table_prices_and_mistakes_are_named() {
		let path = Path::new("/etc/virtengine/pricing.toml");
		let s = Strategy::parse(
			"strategy = \"table\"\n[table]\nper_hour = \"1.5\"\nunits = { job = \"0.25\" }\n",
			path,
		)
		.expect("table");
		let Strategy::Table(p) = &s else { panic!("a table") };
		assert_eq!(p.per_hour, 3 * VE / 2);
		assert_eq!(p.per_unit, vec![(Unit::Job, VE / 4)]);
		let err = Strategy::parse(
			"strategy = \"table\"\n[table]\nper_hour = \"1\"\nunits = { gpus = \"1\" }\n",
			path,
		)
		.expect_err("unknown unit");
		assert!(err.contains("unknown unit `gpus`"), "{err}");
		let err = Strategy::parse("strategy = \"auction\"\n", path).expect_err("strategy");
		assert!(err.contains("`table` or `script`"), "{err}");
	}

	#[test]
	fn the_maximum_is_never_exceeded() {
		let max =
			virtengine_client::market::Rate { per_hour: 2 * VE, per_unit: vec![(Unit::Job, VE)] };
		let ok = Price { per_hour: 2 * VE, per_unit: vec![(Unit::Job, VE)] };
		assert!(within(&ok, &max).is_ok());
		let dear = Price { per_hour: 2 * VE + 1, per_unit: vec![] };
		assert!(within(&dear, &max).unwrap_err().contains("above the order's maximum"));
		let unpaid = Price { per_hour: VE, per_unit: vec![(Unit::GpuSecond, 1)] };
		assert!(within(&unpaid, &max).unwrap_err().contains("does not pay for gpu_second"));
	}

	#[tokio::test]
	async fn a_script_prices_declines_fails_and_times_out() {
		let dir = tempfile::tempdir().expect("dir");
		let script = |name: &str, body: &str| {
			let path = dir.path().join(name);
			std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
			#[cfg(unix)]
			{
				use std::os::unix::fs::PermissionsExt;
				std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
					.expect("chmod");
			}
			Strategy::Script { command: path, args: vec![], timeout: Duration::from_millis(2000) }
		};
		// Reads the order and prices by its number: proof that it saw its input.
		let reads = script(
			"reads.sh",
			r#"order=$(sed -n 's/.*"order":\([0-9]*\).*/\1/p'); echo "{\"per_hour\": \"0.$order\", \"units\": {\"job\": \"1\"}}""#,
		);
		assert_eq!(
			reads.quote(&request()).await,
			Quote::Bid(Price { per_hour: 3 * VE / 10, per_unit: vec![(Unit::Job, VE)] })
		);
		let declines = script("declines.sh", r#"cat >/dev/null; echo '{"decline": "busy"}'"#);
		assert_eq!(
			declines.quote(&request()).await,
			Quote::Decline("pricing script declined: busy".into())
		);
		let fails = script("fails.sh", "echo broken >&2; exit 3");
		let Quote::Decline(why) = fails.quote(&request()).await else { panic!("declined") };
		assert!(why.contains("exit status: 3") && why.contains("broken"), "{why}");
		let Strategy::Script { command, .. } = script("slow.sh", "sleep 5") else { unreachable!() };
		let slow = Strategy::Script { command, args: vec![], timeout: Duration::from_millis(200) };
		let Quote::Decline(why) = slow.quote(&request()).await else { panic!("declined") };
		assert!(why.contains("no answer within 200 ms"), "{why}");
		let junk = script("junk.sh", "echo not json");
		let Quote::Decline(why) = junk.quote(&request()).await else { panic!("declined") };
		assert!(why.contains("answer is not"), "{why}");
	}

	#[test]
	fn pricing_reloads_when_the_file_changes_and_keeps_the_last_good() {
		let dir = tempfile::tempdir().expect("dir");
		let path = dir.path().join("pricing.toml");
		std::fs::write(&path, "strategy = \"table\"\n[table]\nper_hour = \"1\"\n").expect("write");
		let mut pricing = Pricing::load(&path).expect("load");
		assert_eq!(pricing.reload(false), Ok(false));
		std::thread::sleep(Duration::from_millis(20));
		std::fs::write(&path, "strategy = \"table\"\n[table]\nper_hour = \"2\"\n").expect("write");
		// The modification time may not move on coarse clocks: SIGHUP forces it.
		assert_eq!(pricing.reload(true), Ok(true));
		let Strategy::Table(p) = pricing.strategy() else { panic!("table") };
		assert_eq!(p.per_hour, 2 * VE);
		std::fs::write(&path, "strategy = ").expect("write");
		assert!(pricing.reload(true).is_err());
		let Strategy::Table(p) = pricing.strategy() else { panic!("table") };
		assert_eq!(p.per_hour, 2 * VE, "the last good pricing stays");
	}
}
