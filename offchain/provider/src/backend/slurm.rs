//! SLURM through slurmrestd (OpenAPI `v0.0.38` and `dbv0.0.38` on SLURM 22.05; the versions are
//! configuration values). Authentication is JWT (`AuthAltTypes=auth/jwt`): the daemon sends the
//! job user's name and a token from `token_file` with every request. JWT rather than
//! `rest_auth/local` because the daemon need not run on the host slurmrestd runs on, a token is
//! scoped to one user and expires, and renewing it is a file write (docs/provider-daemon.md).
//!
//! Jobs are named `virtengine-lease-<id>-<random>` (written to the journal first), so a job submitted just before a crash is found by name
//! (in slurmctld's queue, or in accounting once slurmctld forgot it). Usage comes from
//! slurmdbd's accounting only (`/slurmdb/<v>/job/<id>`).

use std::{
	path::{Path, PathBuf},
	sync::Mutex,
	time::{Duration, SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::{
	client::legacy::{connect::HttpConnector, Client},
	rt::TokioExecutor,
};
use serde_json::{json, Value};

use super::{
	same_kind, Accounting, Backend, BackendError, BackendFuture, Capacity, JobId, JobState,
	Partition,
};
use crate::{
	config,
	job::JobSpec,
	workload::{Kind, Workload},
};

/// How long one request to slurmrestd may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// The largest answer read (a long job list).
const MAX_ANSWER: usize = 16 << 20;

/// The SLURM backend.
pub struct Slurm {
	config: config::Slurm,
	base: String,
	client: Client<HttpConnector, Full<Bytes>>,
	token: Mutex<Option<(SystemTime, String)>>,
}

fn unreachable(why: impl ToString) -> BackendError {
	BackendError::Unreachable { backend: "slurm".into(), why: why.to_string() }
}

fn protocol(what: &str, why: impl ToString) -> BackendError {
	BackendError::Protocol { backend: "slurm".into(), what: what.into(), why: why.to_string() }
}

fn refused(what: &str, why: impl ToString) -> BackendError {
	BackendError::Refused { backend: "slurm".into(), what: what.into(), why: why.to_string() }
}

/// The text of slurmrestd's `errors` array, if it holds any.
fn errors_of(answer: &Value) -> Option<String> {
	let errors = answer.get("errors")?.as_array()?;
	let texts: Vec<String> = errors
		.iter()
		.map(|e| {
			let text = e
				.get("description")
				.or_else(|| e.get("error"))
				.and_then(Value::as_str)
				.unwrap_or("error");
			// GET answers name it `error_number`, job submission `error_code`.
			match e.get("error_number").or_else(|| e.get("error_code")).and_then(Value::as_i64) {
				Some(n) if n != 0 => format!("{text} (error {n})"),
				_ => text.to_string(),
			}
		})
		.collect();
	(!texts.is_empty()).then(|| texts.join("; "))
}

fn u64_of(v: Option<&Value>) -> Option<u64> {
	let v = v?;
	v.as_u64()
		.or_else(|| v.as_i64().map(|n| n.max(0) as u64))
		.or_else(|| v.get("number").and_then(Value::as_u64))
}

/// A job state word as this daemon acts on it.
fn job_state(word: &str, exit_code: Option<i64>) -> JobState {
	let word = word.to_ascii_uppercase();
	match word.as_str() {
		"PENDING" | "CONFIGURING" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED"
		| "RESV_DEL_HOLD" => JobState::Queued,
		"RUNNING" | "COMPLETING" | "SUSPENDED" | "STAGE_OUT" | "SIGNALING" | "RESIZING" => {
			JobState::Running
		},
		_ => JobState::Ended {
			success: word == "COMPLETED" && exit_code.unwrap_or(0) == 0,
			state: word,
		},
	}
}

impl Slurm {
	/// A backend for `config` (nothing is contacted yet).
	pub fn new(config: &config::Slurm) -> Result<Slurm, BackendError> {
		let base = config.url.trim_end_matches('/').to_string();
		let mut connector = HttpConnector::new();
		connector.set_connect_timeout(Some(Duration::from_secs(5)));
		connector.set_nodelay(true);
		let client = Client::builder(TokioExecutor::new()).build(connector);
		Ok(Slurm { config: config.clone(), base, client, token: Mutex::new(None) })
	}

	/// The token, read again when its file changed (a cron job renews it).
	fn token(&self) -> Result<String, BackendError> {
		let path = &self.config.token_file;
		let modified = std::fs::metadata(path)
			.and_then(|m| m.modified())
			.map_err(|e| BackendError::Io(format!("slurm token {}: {e}", path.display())))?;
		let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
		if let Some((at, token)) = cached.as_ref() {
			if *at == modified {
				return Ok(token.clone());
			}
		}
		let bytes = crate::keys::read_secret(path)
			.map_err(|e| BackendError::Io(format!("slurm token: {e}")))?;
		let text = String::from_utf8_lossy(&bytes);
		// `scontrol token` prints `SLURM_JWT=<token>`; a bare token is fine too.
		let token = text.trim().trim_start_matches("SLURM_JWT=").trim().to_string();
		if token.is_empty() {
			return Err(BackendError::Io(format!("slurm token {}: empty", path.display())));
		}
		*cached = Some((modified, token.clone()));
		Ok(token)
	}

	/// One request; the JSON answer, or slurmrestd's own error text.
	async fn request(
		&self,
		method: Method,
		path: &str,
		body: Option<Value>,
	) -> Result<Value, BackendError> {
		let what = format!("{method} {path}");
		let token = self.token()?;
		let body = match &body {
			Some(v) => Bytes::from(serde_json::to_vec(v).map_err(|e| protocol(&what, e))?),
			None => Bytes::new(),
		};
		let request = Request::builder()
			.method(method)
			.uri(format!("{}{path}", self.base))
			.header("X-SLURM-USER-NAME", &self.config.user)
			.header("X-SLURM-USER-TOKEN", token)
			.header("Content-Type", "application/json")
			.header("Accept", "application/json")
			.body(Full::new(body))
			.map_err(|e| protocol(&what, e))?;
		let response = tokio::time::timeout(TIMEOUT, self.client.request(request))
			.await
			.map_err(|_| unreachable(format!("{what}: no answer within {TIMEOUT:?}")))?
			.map_err(|e| unreachable(format!("{what}: {e} ({})", self.base)))?;
		let status = response.status();
		let bytes = tokio::time::timeout(TIMEOUT, response.into_body().collect())
			.await
			.map_err(|_| unreachable(format!("{what}: answer not complete within {TIMEOUT:?}")))?
			.map_err(|e| unreachable(format!("{what}: {e}")))?
			.to_bytes();
		if bytes.len() > MAX_ANSWER {
			return Err(protocol(&what, format!("answer of {} bytes", bytes.len())));
		}
		let answer: Value = match serde_json::from_slice(&bytes) {
			Ok(v) => v,
			Err(_) if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN => {
				return Err(refused(
					&what,
					format!(
						"{status}: the JWT for `{}` is not accepted (expired? renew token_file)",
						self.config.user
					),
				));
			},
			Err(e) => {
				return Err(protocol(
					&what,
					format!(
						"{status}: not JSON ({e}): {}",
						String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
					),
				))
			},
		};
		if let Some(errors) = errors_of(&answer) {
			// slurmrestd 22.05 answers a bad or expired JWT with these, never with 401.
			let auth =
				["Protocol authentication error", "unable to load", "Zero Bytes were transmitted"];
			if auth.iter().any(|a| errors.contains(a)) {
				return Err(refused(
					&what,
					format!("{errors} (an expired or wrong JWT for `{}` looks like this: renew token_file)", self.config.user),
				));
			}
			return Err(refused(&what, errors));
		}
		if !status.is_success() {
			return Err(refused(&what, status));
		}
		Ok(answer)
	}

	fn api(&self, rest: &str) -> String {
		format!("/slurm/{}/{rest}", self.config.api_version)
	}

	/// An accounting path: the plugin is `openapi/dbv0.0.38`, its paths `/slurmdb/v0.0.38/...`.
	fn db(&self, rest: &str) -> String {
		let version = self.config.db_api_version.trim_start_matches("db");
		format!("/slurmdb/{version}/{rest}")
	}

	/// The job submission body (the v0.0.38 shape: `environment` an object).
	fn submit_body(&self, name: &str, spec: &JobSpec, dir: &Path) -> Value {
		let mut environment = serde_json::Map::new();
		environment.insert("PATH".into(), json!("/usr/local/bin:/usr/bin:/bin"));
		for (k, v) in &spec.environment {
			environment.insert(k.clone(), json!(v));
		}
		let dir_text = dir.to_string_lossy();
		let mut job = json!({
			"name": name,
			"nodes": spec.nodes,
			"tasks": spec.tasks,
			"cpus_per_task": spec.cpus_per_task,
			"memory_per_node": spec.memory_mb,
			"time_limit": spec.time_limit_minutes,
			"current_working_directory": dir_text,
			"standard_output": format!("{dir_text}/output.txt"),
			"standard_error": format!("{dir_text}/error.txt"),
			"environment": environment,
			"requeue": false,
		});
		if let Some(p) = spec.partition.as_ref().or(self.config.partition.as_ref()) {
			job["partition"] = json!(p);
		}
		if spec.gpus > 0 {
			job["tres_per_node"] = json!(format!("gres/gpu:{}", spec.gpus));
		}
		json!({ "job": job, "script": spec.script })
	}

	/// The lease's directory, made for the job user.
	fn prepare_dir(&self, dir: &Path) -> Result<(), BackendError> {
		let io = |e: std::io::Error| BackendError::Io(format!("{}: {e}", dir.display()));
		std::fs::create_dir_all(dir).map_err(io)?;
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			// The job user writes here; the daemon reads. Owned by the job user when the
			// daemon may give it away (root); otherwise writable by the job user's group.
			if let Some((uid, gid)) = user_ids(&self.config.user) {
				if std::os::unix::fs::chown(dir, Some(uid), Some(gid)).is_ok() {
					std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750))
						.map_err(io)?;
					return Ok(());
				}
			}
			std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o770)).map_err(io)?;
		}
		Ok(())
	}
}

/// The uid and gid of `user` from /etc/passwd.
fn user_ids(user: &str) -> Option<(u32, u32)> {
	let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
	passwd.lines().find_map(|line| {
		let mut fields = line.split(':');
		if fields.next()? != user {
			return None;
		}
		let _password = fields.next()?;
		Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
	})
}

fn now_s() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Slurm {
	async fn do_check(&self) -> Result<String, BackendError> {
		let ping = self.request(Method::GET, &self.api("ping"), None).await?;
		let pings = ping.get("pings").and_then(Value::as_array).cloned().unwrap_or_default();
		let up: Vec<String> = pings
			.iter()
			.map(|p| {
				format!(
					"{} {}",
					p.get("hostname").and_then(Value::as_str).unwrap_or("?"),
					p.get("ping").and_then(Value::as_str).unwrap_or("?")
				)
			})
			.collect();
		self.request(Method::GET, &self.db("tres"), None).await?;
		Ok(format!(
			"{} (API {}, {}): slurmctld {}; accounting answers",
			self.base,
			self.config.api_version,
			self.config.db_api_version,
			up.join(", ")
		))
	}

	async fn do_capacity(&self) -> Result<Capacity, BackendError> {
		let nodes = self.request(Method::GET, &self.api("nodes"), None).await?;
		let nodes = nodes.get("nodes").and_then(Value::as_array).cloned().unwrap_or_default();
		let mut cap = Capacity::default();
		for node in &nodes {
			let state =
				node.get("state").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase();
			if state.contains("down") || state.contains("drain") {
				continue;
			}
			let cpus = u64_of(node.get("cpus")).unwrap_or(0);
			let memory = u64_of(node.get("real_memory")).unwrap_or(0);
			let gpus = node
				.get("gres")
				.and_then(Value::as_str)
				.and_then(|g| g.split(',').find_map(|r| r.strip_prefix("gpu:")))
				.and_then(|n| n.rsplit(':').next()?.split('(').next()?.parse::<u64>().ok())
				.unwrap_or(0);
			cap.total.nodes += 1;
			cap.total.cpus += cpus;
			cap.total.memory_mb += memory;
			cap.total.gpus += gpus;
			cap.max_cpus_per_node = cap.max_cpus_per_node.max(cpus as u32);
			cap.max_memory_mb_per_node = cap.max_memory_mb_per_node.max(memory);
		}
		if let Some(max) = self.config.max_cpus {
			cap.total.cpus = cap.total.cpus.min(max);
		}
		if let Some(max) = self.config.max_memory_mb {
			cap.total.memory_mb = cap.total.memory_mb.min(max);
		}
		cap.total.gpus = cap.total.gpus.min(self.config.max_gpus.unwrap_or(u64::MAX));
		let partitions = self.request(Method::GET, &self.api("partitions"), None).await?;
		for p in partitions.get("partitions").and_then(Value::as_array).cloned().unwrap_or_default()
		{
			let Some(name) = p.get("name").and_then(Value::as_str) else { continue };
			let flags: Vec<String> = p
				.get("flags")
				.and_then(Value::as_array)
				.map(|f| f.iter().filter_map(Value::as_str).map(str::to_ascii_lowercase).collect())
				.unwrap_or_default();
			let max_time = ["maximum_time", "max_time_limit", "max_time"]
				.iter()
				.find_map(|k| u64_of(p.get(*k)))
				.filter(|m| *m > 0 && *m < u64::from(u32::MAX))
				.map(|m| m as u32);
			cap.partitions.push(Partition {
				name: name.to_string(),
				default: flags.iter().any(|f| f == "default"),
				max_time_minutes: max_time,
			});
		}
		if let Some(p) = &self.config.partition {
			for q in &mut cap.partitions {
				q.default = q.name == *p;
			}
		}
		Ok(cap)
	}

	async fn do_submit(&self, name: &str, spec: &JobSpec, dir: &Path) -> Result<u64, BackendError> {
		self.prepare_dir(dir)?;
		let body = self.submit_body(name, spec, dir);
		let answer = self.request(Method::POST, &self.api("job/submit"), Some(body)).await?;
		u64_of(answer.get("job_id"))
			.ok_or_else(|| protocol("job/submit", format!("no job_id in {answer}")))
	}

	async fn do_find(&self, name: &str) -> Result<Option<u64>, BackendError> {
		let queue = self.request(Method::GET, &self.api("jobs"), None).await?;
		let by_name = |jobs: &Value| -> Option<u64> {
			jobs.get("jobs")?
				.as_array()?
				.iter()
				.filter(|j| j.get("name").and_then(Value::as_str) == Some(name))
				.filter_map(|j| u64_of(j.get("job_id")))
				.max()
		};
		if let Some(id) = by_name(&queue) {
			return Ok(Some(id));
		}
		// slurmctld forgets ended jobs after MinJobAge; accounting does not.
		let path = format!("{}?job_name={name}", self.db("jobs"));
		match self.request(Method::GET, &path, None).await {
			Ok(history) => Ok(by_name(&history)),
			Err(BackendError::Refused { .. }) => Ok(None),
			Err(e) => Err(e),
		}
	}

	async fn do_state(&self, id: u64) -> Result<JobState, BackendError> {
		match self.request(Method::GET, &self.api(&format!("job/{id}")), None).await {
			Ok(answer) => {
				let job = answer
					.get("jobs")
					.and_then(Value::as_array)
					.and_then(|j| j.first())
					.ok_or_else(|| protocol("job", "no job in the answer"))?;
				let word = job.get("job_state").and_then(Value::as_str).unwrap_or("UNKNOWN");
				let exit = job
					.get("exit_code")
					.and_then(|e| e.as_i64().or_else(|| e.get("return_code")?.as_i64()));
				Ok(job_state(word, exit))
			},
			// Forgotten by slurmctld: accounting knows how it ended.
			Err(BackendError::Refused { .. }) => match self.accounting_record(id).await? {
				Some(job) => {
					let word = job
						.get("state")
						.and_then(|s| s.get("current"))
						.and_then(Value::as_str)
						.unwrap_or("UNKNOWN");
					let exit = job
						.get("exit_code")
						.and_then(|e| e.get("return_code"))
						.and_then(Value::as_i64);
					Ok(job_state(word, exit))
				},
				None => Ok(JobState::Unknown),
			},
			Err(e) => Err(e),
		}
	}

	async fn do_cancel(&self, id: u64) -> Result<(), BackendError> {
		match self.request(Method::DELETE, &self.api(&format!("job/{id}")), None).await {
			Ok(_) => Ok(()),
			// Already over.
			Err(BackendError::Refused { why, .. })
				if why.contains("already completed")
					|| why.contains("Invalid job id")
					|| why.contains("completed") =>
			{
				Ok(())
			},
			Err(e) => Err(e),
		}
	}

	async fn do_accounting(&self, id: u64) -> Result<Option<Accounting>, BackendError> {
		let Some(job) = self.accounting_record(id).await? else { return Ok(None) };
		let state = job
			.get("state")
			.and_then(|s| s.get("current"))
			.and_then(Value::as_str)
			.unwrap_or("PENDING")
			.to_ascii_uppercase();
		let time = job.get("time").cloned().unwrap_or(Value::Null);
		let start = u64_of(time.get("start")).unwrap_or(0);
		let end = u64_of(time.get("end")).unwrap_or(0);
		let ended = matches!(job_state(&state, None), JobState::Ended { .. }) && end > 0;
		let elapsed = match (start, end) {
			(0, _) => 0,
			(s, 0) => now_s().saturating_sub(s),
			(s, e) => u64_of(time.get("elapsed")).filter(|n| *n > 0).unwrap_or(e.saturating_sub(s)),
		};
		let mut acc = Accounting { elapsed_s: elapsed, ended, ..Default::default() };
		let allocated = job
			.get("tres")
			.and_then(|t| t.get("allocated"))
			.and_then(Value::as_array)
			.cloned()
			.unwrap_or_default();
		for tres in &allocated {
			let kind = tres.get("type").and_then(Value::as_str).unwrap_or("");
			let name = tres.get("name").and_then(Value::as_str).unwrap_or("");
			let count = u64_of(tres.get("count")).unwrap_or(0);
			match (kind, name) {
				("cpu", _) => acc.cpus = count,
				("mem", _) => acc.memory_mb = count,
				("gres", "gpu") => acc.gpus = count,
				_ => {},
			}
		}
		// CPU time is per step in 22.05 (the job's own total is 0).
		let steps = job.get("steps").and_then(Value::as_array).cloned().unwrap_or_default();
		acc.cpu_time_s = steps
			.iter()
			.filter_map(|s| s.get("time")?.get("total"))
			.map(|t| u64_of(t.get("seconds")).unwrap_or(0))
			.sum();
		Ok(Some(acc))
	}
}

/// The SLURM job number of `id`, or why it is not one.
fn number(id: &JobId) -> Result<u64, BackendError> {
	match id {
		JobId::Slurm(n) => Ok(*n),
		other => Err(refused("job", format!("`{other}` is not a SLURM job"))),
	}
}

impl Backend for Slurm {
	fn kind(&self) -> Kind {
		Kind::Slurm
	}

	fn check(&self) -> BackendFuture<'_, String> {
		Box::pin(self.do_check())
	}

	fn capacity(&self) -> BackendFuture<'_, Capacity> {
		Box::pin(self.do_capacity())
	}

	fn admits(&self, spec: &Workload, capacity: &Capacity) -> Result<(), String> {
		same_kind(Kind::Slurm, spec)?;
		let Workload::Batch(spec) = spec else { return Err("not a batch job".into()) };
		admits(spec, capacity)
	}

	fn submit<'a>(
		&'a self,
		name: &'a str,
		spec: &'a Workload,
		dir: &'a Path,
	) -> BackendFuture<'a, JobId> {
		Box::pin(async move {
			let Workload::Batch(spec) = spec else {
				return Err(refused("job/submit", "SLURM runs slurm-batch jobs"));
			};
			self.do_submit(name, spec, dir).await.map(JobId::Slurm)
		})
	}

	fn find<'a>(&'a self, name: &'a str) -> BackendFuture<'a, Option<JobId>> {
		Box::pin(async move { Ok(self.do_find(name).await?.map(JobId::Slurm)) })
	}

	fn state<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, JobState> {
		Box::pin(async move { self.do_state(number(id)?).await })
	}

	fn cancel<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, ()> {
		Box::pin(async move { self.do_cancel(number(id)?).await })
	}

	fn accounting<'a>(&'a self, id: &'a JobId) -> BackendFuture<'a, Option<Accounting>> {
		Box::pin(async move { self.do_accounting(number(id)?).await })
	}

	fn lease_dir(&self, lease: u64) -> Option<PathBuf> {
		Some(self.config.jobs_dir.join(format!("lease-{lease}")))
	}
}

/// Whether the cluster could ever run `spec` (partition, time and node limits, size).
fn admits(spec: &JobSpec, capacity: &Capacity) -> Result<(), String> {
	let want = spec.resources();
	if let Some(p) = &want.partition {
		if !capacity.partitions.iter().any(|q| q.name == *p) {
			return Err(format!("no partition `{p}`"));
		}
	}
	let partition = match &want.partition {
		Some(p) => capacity.partitions.iter().find(|q| q.name == *p),
		None => capacity.partitions.iter().find(|q| q.default).or(capacity.partitions.first()),
	};
	if let Some(p) = partition {
		if let Some(max) = p.max_time_minutes {
			if want.time_limit_minutes > max {
				return Err(format!(
					"time limit {} min exceeds partition `{}`'s {max} min",
					want.time_limit_minutes, p.name
				));
			}
		}
	}
	if spec.cpus_per_task > capacity.max_cpus_per_node {
		return Err(format!(
			"{} CPUs per task; a node has at most {}",
			spec.cpus_per_task, capacity.max_cpus_per_node
		));
	}
	if spec.memory_mb > capacity.max_memory_mb_per_node {
		return Err(format!(
			"{} MiB per node; a node has at most {}",
			spec.memory_mb, capacity.max_memory_mb_per_node
		));
	}
	want.fits(&capacity.total).map_err(|short| format!("larger than the cluster: {short}"))
}

impl Slurm {
	/// The job's record in accounting, if slurmdbd has it.
	async fn accounting_record(&self, id: u64) -> Result<Option<Value>, BackendError> {
		match self.request(Method::GET, &self.db(&format!("job/{id}")), None).await {
			Ok(answer) => {
				Ok(answer.get("jobs").and_then(Value::as_array).and_then(|j| j.first()).cloned())
			},
			Err(BackendError::Refused { .. }) => Ok(None),
			Err(e) => Err(e),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn job_states_map_to_what_the_daemon_does() {
		assert_eq!(job_state("PENDING", None), JobState::Queued);
		assert_eq!(job_state("running", None), JobState::Running);
		assert_eq!(
			job_state("COMPLETED", Some(0)),
			JobState::Ended { success: true, state: "COMPLETED".into() }
		);
		assert_eq!(
			job_state("COMPLETED", Some(1)),
			JobState::Ended { success: false, state: "COMPLETED".into() }
		);
		assert!(matches!(job_state("TIMEOUT", None), JobState::Ended { success: false, .. }));
	}

	#[test]
	fn slurm_errors_are_read() {
		let answer =
			json!({"errors": [{"error_number": 2017, "description": "Invalid job id specified"}]});
		assert_eq!(errors_of(&answer).as_deref(), Some("Invalid job id specified (error 2017)"));
		assert_eq!(errors_of(&json!({"errors": []})), None);
	}
}
