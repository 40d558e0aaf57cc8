//! A stateful stand-in for a Kubernetes API server, on loopback, for the provider daemon's tests.
//! No Kubernetes API server can be installed on the machines this project is built on (none is
//! packaged by Debian, PyPI, npm or crates.io), so the daemon's real client (`kube`) talks HTTP
//! to this instead: the same requests, the same answers' shapes, a state that changes as a
//! cluster's does.
//!
//! What it does, as the API server and its controllers would:
//! - **Objects**: namespaces, nodes, pods, services, resource quotas, limit ranges
//!   (`/api/v1`), deployments (`/apis/apps/v1`), network policies
//!   (`/apis/networking.k8s.io/v1`): get, list (label selectors `k=v`, `k!=v`, `k`), watch
//!   (`?watch=1` from a `resourceVersion`, newline-delimited events, `410 Gone` for a version
//!   older than it keeps), delete.
//! - **Server-side apply** (`PATCH`, `application/apply-patch+yaml`): creates or updates, needs a
//!   `fieldManager`; an apply that changes nothing changes no `resourceVersion` and sends no
//!   event; a field owned by another manager (applied by it, or set by its JSON merge patch)
//!   and set to something else is a `409 Conflict` unless `force=true`, which takes it over. The
//!   server's own fields survive an apply: `uid`, `creationTimestamp`, `generation` (bumped when
//!   `spec` changes), `status`, a Service's `clusterIP` and `nodePort`s.
//! - **Admission**: a namespaced object in a namespace that does not exist is refused (404), in
//!   one being deleted too (403); a pod that would exceed its namespace's `ResourceQuota`
//!   (`pods`, `requests.cpu`, `requests.memory`) is not created (the Deployment says why).
//! - **Controllers**: a Deployment gets its pods (rolled out by recreating them when its template
//!   changes), each scheduled on a node with room for its requests or left `Pending` with
//!   `Unschedulable`; a scheduled pod is `Running` and ready after [`Options::start_after`]
//!   unless its image's name contains `does-not-exist` (then `ErrImagePull`); a Deployment's
//!   status counts its ready replicas. A deleted namespace is `Terminating`, and after
//!   [`Options::finalize_after`] everything in it is deleted, then the namespace.
//! - **Auth**: every request needs `Authorization: Bearer <token>`.
//!
//! What it does **not** check (a real cluster would): other admission (Pod Security, validating
//! webhooks, most of the schema), that NetworkPolicies are enforced (no packets flow here), the
//! real scheduler's rules (affinity, taints, spreading), containers running at all (their logs
//! are the emulator's own lines), a field left out of a later apply being removed from other
//! managers' fields.

use std::{
	collections::{BTreeMap, VecDeque},
	convert::Infallible,
	net::SocketAddr,
	sync::{Arc, Mutex},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::{body::Frame, Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// The events kept for watches; a watch from an older version gets `410 Gone`.
const KEEP_EVENTS: usize = 10_000;

/// A node of the emulated cluster.
#[derive(Clone, Debug)]
pub struct NodeSpec {
	/// Its name.
	pub name: String,
	/// Allocatable CPU, millicores.
	pub cpu_millis: u64,
	/// Allocatable memory, MiB.
	pub memory_mb: u64,
	/// Allocatable ephemeral storage, MiB.
	pub storage_mb: u64,
	/// GPUs (`nvidia.com/gpu`).
	pub gpus: u64,
}

/// How the emulator behaves.
#[derive(Clone, Debug)]
pub struct Options {
	/// The nodes.
	pub nodes: Vec<NodeSpec>,
	/// The bearer token every request must carry.
	pub token: String,
	/// How long a scheduled pod takes to be running and ready.
	pub start_after: Duration,
	/// How long a namespace stays `Terminating` before its contents and it are gone.
	pub finalize_after: Duration,
}

impl Default for Options {
	fn default() -> Self {
		Options {
			nodes: vec![
				NodeSpec {
					name: "node-a".into(),
					cpu_millis: 4000,
					memory_mb: 8192,
					storage_mb: 51200,
					gpus: 0,
				},
				NodeSpec {
					name: "node-b".into(),
					cpu_millis: 4000,
					memory_mb: 8192,
					storage_mb: 51200,
					gpus: 0,
				},
			],
			token: "emulator-token".into(),
			start_after: Duration::from_millis(300),
			finalize_after: Duration::from_millis(500),
		}
	}
}

/// A resource type: its path, whether it lives in namespaces, its kind and apiVersion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Type {
	plural: &'static str,
	api_version: &'static str,
	kind: &'static str,
	namespaced: bool,
}

const TYPES: [Type; 8] = [
	Type { plural: "namespaces", api_version: "v1", kind: "Namespace", namespaced: false },
	Type { plural: "nodes", api_version: "v1", kind: "Node", namespaced: false },
	Type { plural: "pods", api_version: "v1", kind: "Pod", namespaced: true },
	Type { plural: "services", api_version: "v1", kind: "Service", namespaced: true },
	Type { plural: "resourcequotas", api_version: "v1", kind: "ResourceQuota", namespaced: true },
	Type { plural: "limitranges", api_version: "v1", kind: "LimitRange", namespaced: true },
	Type { plural: "deployments", api_version: "apps/v1", kind: "Deployment", namespaced: true },
	Type {
		plural: "networkpolicies",
		api_version: "networking.k8s.io/v1",
		kind: "NetworkPolicy",
		namespaced: true,
	},
];

fn type_of(api_version: &str, plural: &str) -> Option<Type> {
	TYPES.iter().copied().find(|t| t.api_version == api_version && t.plural == plural)
}

/// An object's key: type, namespace ("" for cluster objects), name.
type Key = (&'static str, String, String);

/// One stored object and who wrote which of its fields.
#[derive(Clone, Debug)]
struct Stored {
	object: Value,
	/// Leaf paths (`spec.replicas`) and the manager that owns them: the last to apply them, or
	/// to set them by a merge patch.
	owners: BTreeMap<String, String>,
	/// When it was created (the emulator's clock).
	born: Instant,
}

/// A change, for watches.
#[derive(Clone, Debug)]
struct Event {
	rv: u64,
	plural: &'static str,
	namespace: String,
	kind: &'static str,
	object: Value,
}

struct State {
	objects: BTreeMap<Key, Stored>,
	rv: u64,
	events: VecDeque<Event>,
	next_ip: u32,
	next_node_port: u16,
	next_uid: u64,
	/// When each terminating namespace began terminating.
	terminating: BTreeMap<String, Instant>,
}

/// A running emulator; stops when dropped.
pub struct Emulator {
	addr: SocketAddr,
	options: Options,
	state: Arc<Mutex<State>>,
	cancel: CancellationToken,
}

type Body = BoxBody<Bytes, Infallible>;

fn full(bytes: impl Into<Bytes>) -> Body {
	Full::new(bytes.into()).boxed()
}

fn now_text() -> String {
	// RFC 3339, seconds, UTC: what the API writes.
	let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
	let days = secs / 86_400;
	let rem = secs % 86_400;
	let (y, m, d) = civil(days as i64);
	format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to a (year, month, day) (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z.rem_euclid(146_097);
	let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
	let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
	let y = yoe + era * 400 + i64::from(m <= 2);
	(y, m, d)
}

/// A `Status` answer, as the API server writes its errors.
fn status(code: StatusCode, reason: &str, message: impl Into<String>) -> Response<Body> {
	let body = json!({
		"kind": "Status", "apiVersion": "v1", "metadata": {},
		"status": if code.is_success() { "Success" } else { "Failure" },
		"message": message.into(), "reason": reason, "code": code.as_u16(),
	});
	let mut r = Response::new(full(body.to_string()));
	*r.status_mut() = code;
	r.headers_mut().insert(
		hyper::header::CONTENT_TYPE,
		hyper::header::HeaderValue::from_static("application/json"),
	);
	r
}

fn json_response(value: &Value) -> Response<Body> {
	let mut r = Response::new(full(value.to_string()));
	r.headers_mut().insert(
		hyper::header::CONTENT_TYPE,
		hyper::header::HeaderValue::from_static("application/json"),
	);
	r
}

/// Reads a CPU quantity in millicores, or memory/storage in MiB (`m`, binary and decimal
/// suffixes); `None` for what this emulator cannot read.
pub fn quantity(text: &str, cpu: bool) -> Option<u64> {
	let t = text.trim();
	if cpu {
		if let Some(m) = t.strip_suffix('m') {
			return m.parse().ok();
		}
		let f: f64 = t.parse().ok()?;
		return Some((f * 1000.0).round() as u64);
	}
	let (num, mult): (&str, f64) = [
		("Ki", 1024.0),
		("Mi", 1024.0 * 1024.0),
		("Gi", 1024.0 * 1024.0 * 1024.0),
		("Ti", 1024.0f64.powi(4)),
		("k", 1e3),
		("M", 1e6),
		("G", 1e9),
		("T", 1e12),
	]
	.iter()
	.find_map(|(s, m)| t.strip_suffix(s).map(|n| (n, *m)))
	.unwrap_or((t, 1.0));
	let f: f64 = num.parse().ok()?;
	Some((f * mult / (1024.0 * 1024.0)).floor() as u64)
}

fn labels_of(object: &Value) -> Map<String, Value> {
	object["metadata"]["labels"].as_object().cloned().unwrap_or_default()
}

/// Whether `object`'s labels match the selector `k=v,k!=v,k,!k`.
fn selects(selector: &str, object: &Value) -> bool {
	let labels = labels_of(object);
	selector.split(',').filter(|s| !s.is_empty()).all(|term| {
		if let Some((k, v)) = term.split_once("!=") {
			labels.get(k).and_then(Value::as_str) != Some(v)
		} else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
			labels.get(k).and_then(Value::as_str) == Some(v)
		} else if let Some(k) = term.strip_prefix('!') {
			!labels.contains_key(k)
		} else {
			labels.contains_key(term)
		}
	})
}

/// Joins the keys of a field's path (keys hold dots: `requests.cpu`).
const SEP: char = '\u{1f}';

/// The leaf paths of `v` (keys joined by [`SEP`]), with their values.
fn leaves(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
	match v {
		Value::Object(m) if !m.is_empty() => {
			for (k, x) in m {
				let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}{SEP}{k}") };
				leaves(&p, x, out);
			}
		},
		_ => {
			out.insert(prefix.to_string(), v.clone());
		},
	}
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
	match patch {
		Value::Object(p) => {
			if !target.is_object() {
				*target = Value::Object(Map::new());
			}
			if let Value::Object(t) = target {
				for (k, v) in p {
					if v.is_null() {
						t.remove(k);
					} else {
						merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
					}
				}
			}
		},
		other => *target = other.clone(),
	}
}

/// Sets the leaf at `path` (keys joined by [`SEP`]) of the object `target`, making the objects on the way.
fn set_path(target: &mut Value, path: &str, v: Value) {
	let mut cur = target;
	let parts: Vec<&str> = path.split(SEP).collect();
	let Some((last, on_the_way)) = parts.split_last() else { return };
	for p in on_the_way {
		let Some(map) = cur.as_object_mut() else { return };
		let next = map.entry(p.to_string()).or_insert_with(|| json!({}));
		if !next.is_object() {
			*next = json!({});
		}
		cur = next;
	}
	if let Some(map) = cur.as_object_mut() {
		map.insert(last.to_string(), v);
	}
}

fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
	path.split(SEP).try_fold(v, |v, k| v.get(k))
}

/// A hash of a pod template, as the Deployment controller names pods by.
fn template_hash(template: &Value) -> String {
	let mut h: u64 = 0xcbf2_9ce4_8422_2325;
	for b in template.to_string().bytes() {
		h ^= u64::from(b);
		h = h.wrapping_mul(0x0100_0000_01b3);
	}
	let alphabet = b"bcdfghjklmnpqrstvwxz2456789";
	(0..10).map(|i| alphabet[((h >> (i * 6)) % alphabet.len() as u64) as usize] as char).collect()
}

/// What a pod requests: (millicores, MiB, GPUs).
fn pod_requests(pod: &Value) -> (u64, u64, u64) {
	let mut r = (0, 0, 0);
	for c in pod["spec"]["containers"].as_array().into_iter().flatten() {
		let req = &c["resources"]["requests"];
		r.0 += req["cpu"].as_str().and_then(|q| quantity(q, true)).unwrap_or(0);
		r.1 += req["memory"].as_str().and_then(|q| quantity(q, false)).unwrap_or(0);
		r.2 += req["nvidia.com/gpu"].as_str().and_then(|q| q.parse().ok()).unwrap_or(0);
	}
	r
}

impl State {
	fn bump(&mut self) -> u64 {
		self.rv += 1;
		self.rv
	}

	fn record(&mut self, t: Type, namespace: &str, kind: &'static str, object: &Value) {
		let rv = self.rv;
		self.events.push_back(Event {
			rv,
			plural: t.plural,
			namespace: namespace.to_string(),
			kind,
			object: object.clone(),
		});
		while self.events.len() > KEEP_EVENTS {
			self.events.pop_front();
		}
	}

	/// Stores `object` (new or changed) with a new resourceVersion; records the event.
	fn put(
		&mut self,
		t: Type,
		ns: &str,
		name: &str,
		mut object: Value,
		owners: BTreeMap<String, String>,
	) -> Value {
		let rv = self.bump();
		let existed = self.objects.contains_key(&(t.plural, ns.to_string(), name.to_string()));
		object["metadata"]["resourceVersion"] = json!(rv.to_string());
		let born = self
			.objects
			.get(&(t.plural, ns.to_string(), name.to_string()))
			.map_or_else(Instant::now, |s| s.born);
		self.objects.insert(
			(t.plural, ns.to_string(), name.to_string()),
			Stored { object: object.clone(), owners, born },
		);
		self.record(t, ns, if existed { "MODIFIED" } else { "ADDED" }, &object);
		object
	}

	fn remove(&mut self, t: Type, ns: &str, name: &str) -> Option<Value> {
		let stored = self.objects.remove(&(t.plural, ns.to_string(), name.to_string()))?;
		let mut object = stored.object;
		let rv = self.bump();
		object["metadata"]["resourceVersion"] = json!(rv.to_string());
		self.record(t, ns, "DELETED", &object);
		Some(object)
	}

	fn get(&self, t: Type, ns: &str, name: &str) -> Option<&Stored> {
		self.objects.get(&(t.plural, ns.to_string(), name.to_string()))
	}

	fn list(&self, t: Type, ns: Option<&str>) -> Vec<Value> {
		self.objects
			.iter()
			.filter(|((p, n, _), _)| *p == t.plural && ns.is_none_or(|ns| ns == n))
			.map(|(_, s)| s.object.clone())
			.collect()
	}

	fn uid(&mut self) -> String {
		self.next_uid += 1;
		format!("00000000-0000-4000-8000-{:012x}", self.next_uid)
	}

	/// Server-side apply of `applied` by `manager`.
	fn apply(
		&mut self,
		t: Type,
		ns: &str,
		name: &str,
		applied: Value,
		manager: &str,
		force: bool,
	) -> Result<Value, Response<Body>> {
		let old = self.get(t, ns, name).cloned();
		let mut owners = old.as_ref().map(|s| s.owners.clone()).unwrap_or_default();
		let mut applied_leaves = BTreeMap::new();
		leaves("", &applied, &mut applied_leaves);
		let mut conflicts = Vec::new();
		for (path, value) in &applied_leaves {
			if let Some(owner) = owners.get(path) {
				let current = old.as_ref().and_then(|s| get_path(&s.object, path));
				if owner != manager && current != Some(value) {
					conflicts
						.push(format!("conflict with \"{owner}\": .{}", path.replace(SEP, ".")));
				}
			}
		}
		if !conflicts.is_empty() && !force {
			return Err(status(
				StatusCode::CONFLICT,
				"Conflict",
				format!(
					"Apply failed with {} conflicts: {}",
					conflicts.len(),
					conflicts.join(", ")
				),
			));
		}
		// What this manager applies is its own (a forced apply takes fields over); what it applied
		// before and leaves out now is no longer anyone's. Others keep the rest.
		owners.retain(|path, owner| !applied_leaves.contains_key(path) && owner != manager);

		let mut object = applied;
		object["metadata"]["name"] = json!(name);
		if t.namespaced {
			object["metadata"]["namespace"] = json!(ns);
		}
		// Server-set fields first: the spec compared below is the spec as stored.
		if t.plural == "services" {
			self.allocate_service(&mut object, old.as_ref().map(|s| &s.object));
		}
		let mut generation = 1;
		match &old {
			Some(old) => {
				let o = &old.object;
				for k in ["uid", "creationTimestamp", "deletionTimestamp"] {
					if let Some(v) = o["metadata"].get(k) {
						object["metadata"][k] = v.clone();
					}
				}
				generation = o["metadata"]["generation"].as_u64().unwrap_or(1);
				if o.get("spec") != object.get("spec") {
					generation += 1;
				}
				if let Some(s) = o.get("status") {
					object["status"] = s.clone();
				}
				// Fields others wrote (merge patches) stay.
				for path in owners.keys() {
					if let Some(v) = get_path(o, path) {
						set_path(&mut object, path, v.clone());
					}
				}
			},
			None => {
				object["metadata"]["uid"] = json!(self.uid());
				object["metadata"]["creationTimestamp"] = json!(now_text());
			},
		}
		if t.plural != "namespaces" && t.plural != "nodes" {
			object["metadata"]["generation"] = json!(generation);
		}
		for path in applied_leaves.keys() {
			owners.insert(path.clone(), manager.to_string());
		}
		object["metadata"]["managedFields"] = json!([{
			"manager": manager, "operation": "Apply", "apiVersion": t.api_version,
			"fieldsType": "FieldsV1",
		}]);
		if t.plural == "namespaces" && object.get("status").is_none() {
			object["status"] = json!({ "phase": "Active" });
		}
		if t.plural == "namespaces" {
			object["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
		}
		if let Some(old) = &old {
			let mut a = old.object.clone();
			let mut b = object.clone();
			a["metadata"].as_object_mut().map(|m| m.remove("resourceVersion"));
			b["metadata"].as_object_mut().map(|m| m.remove("resourceVersion"));
			if a == b {
				return Ok(old.object.clone());
			}
		}
		Ok(self.put(t, ns, name, object, owners))
	}

	/// A Service's cluster IP and node ports: kept from `old`, else allocated.
	fn allocate_service(&mut self, object: &mut Value, old: Option<&Value>) {
		let ip = old
			.and_then(|o| o["spec"]["clusterIP"].as_str().map(str::to_string))
			.unwrap_or_else(|| {
				self.next_ip += 1;
				format!("10.96.{}.{}", self.next_ip / 250, self.next_ip % 250 + 1)
			});
		object["spec"]["clusterIP"] = json!(ip);
		object["spec"]["clusterIPs"] = json!([ip]);
		let node_port = object["spec"]["type"].as_str() == Some("NodePort");
		let old_ports: Vec<Value> =
			old.and_then(|o| o["spec"]["ports"].as_array().cloned()).unwrap_or_default();
		if let Some(ports) = object["spec"]["ports"].as_array_mut() {
			for p in ports {
				if !node_port {
					continue;
				}
				if p.get("nodePort").is_none() {
					let kept = old_ports
						.iter()
						.find(|o| o["port"] == p["port"] && o["protocol"] == p["protocol"])
						.and_then(|o| o["nodePort"].as_u64());
					let port = kept.unwrap_or_else(|| {
						self.next_node_port += 1;
						u64::from(self.next_node_port)
					});
					p["nodePort"] = json!(port);
				}
			}
		}
	}

	/// One pass of the controllers.
	fn control(&mut self, options: &Options) {
		// Namespaces being deleted.
		let now = Instant::now();
		let due: Vec<String> = self
			.terminating
			.iter()
			.filter(|(_, since)| now.duration_since(**since) >= options.finalize_after)
			.map(|(n, _)| n.clone())
			.collect();
		for ns in due {
			let keys: Vec<Key> =
				self.objects.keys().filter(|(_, n, _)| *n == ns).cloned().collect();
			for (plural, n, name) in keys {
				if let Some(t) = TYPES.iter().find(|t| t.plural == plural) {
					self.remove(*t, &n, &name);
				}
			}
			self.remove(TYPES[0], "", &ns);
			self.terminating.remove(&ns);
		}

		// Deployments → pods.
		let pods_t = TYPES[2];
		let deployments: Vec<(String, String, Value)> = self
			.objects
			.iter()
			.filter(|((p, _, _), _)| *p == "deployments")
			.map(|((_, ns, name), s)| (ns.clone(), name.clone(), s.object.clone()))
			.collect();
		for (ns, name, d) in deployments {
			if self.terminating.contains_key(&ns) {
				continue;
			}
			let template = d["spec"]["template"].clone();
			let hash = template_hash(&template);
			let want = d["spec"]["replicas"].as_u64().unwrap_or(1);
			let owned: Vec<Value> = self
				.list(pods_t, Some(&ns))
				.into_iter()
				.filter(|p| p["metadata"]["ownerReferences"][0]["name"].as_str() == Some(&name))
				.collect();
			// Recreate: pods of an old template go first.
			for p in &owned {
				let stale = p["metadata"]["labels"]["pod-template-hash"].as_str() != Some(&hash);
				let index = p["metadata"]["annotations"]["emulator/index"]
					.as_str()
					.and_then(|i| i.parse::<u64>().ok())
					.unwrap_or(0);
				if stale || index >= want {
					let pname = p["metadata"]["name"].as_str().unwrap_or("").to_string();
					self.remove(pods_t, &ns, &pname);
				}
			}
			let mut failure = None;
			for i in 0..want {
				let pname = format!("{name}-{hash}-{i:05}");
				if self.get(pods_t, &ns, &pname).is_some() {
					continue;
				}
				let mut pod = json!({
					"apiVersion": "v1", "kind": "Pod",
					"metadata": {
						"name": pname, "namespace": ns,
						"labels": template["metadata"]["labels"].clone(),
						"annotations": { "emulator/index": i.to_string() },
						"ownerReferences": [{ "apiVersion": "apps/v1", "kind": "Deployment", "name": name, "controller": true }],
						"uid": self.uid(), "creationTimestamp": now_text(),
					},
					"spec": template["spec"].clone(),
					"status": { "phase": "Pending" },
				});
				pod["metadata"]["labels"]["pod-template-hash"] = json!(hash);
				if let Some(why) = self.exceeds_quota(&ns, &pod) {
					failure = Some(format!(
						"pods \"{pname}\" is forbidden: exceeded quota: lease, {why}"
					));
					break;
				}
				self.put(pods_t, &ns, &pname, pod, BTreeMap::new());
			}
			self.schedule(&ns, options);
			// The Deployment's status.
			let owned: Vec<Value> = self
				.list(pods_t, Some(&ns))
				.into_iter()
				.filter(|p| p["metadata"]["ownerReferences"][0]["name"].as_str() == Some(&name))
				.collect();
			let ready = owned
				.iter()
				.filter(|p| {
					p["status"]["conditions"].as_array().is_some_and(|c| {
						c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True")
					})
				})
				.count();
			let mut conditions = vec![json!({
				"type": "Available",
				"status": if ready as u64 >= want { "True" } else { "False" },
				"reason": if ready as u64 >= want { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
			})];
			if let Some(why) = failure {
				conditions.push(json!({ "type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": why }));
			}
			let status = json!({
				"observedGeneration": d["metadata"]["generation"].clone(),
				"replicas": owned.len(), "updatedReplicas": owned.len(),
				"readyReplicas": ready, "availableReplicas": ready,
				"conditions": conditions,
			});
			if d.get("status") != Some(&status) {
				let mut d = d.clone();
				d["status"] = status;
				let owners =
					self.get(TYPES[6], &ns, &name).map(|s| s.owners.clone()).unwrap_or_default();
				self.put(TYPES[6], &ns, &name, d, owners);
			}
		}
	}

	/// Why `pod` would exceed its namespace's quota, if it would.
	fn exceeds_quota(&self, ns: &str, pod: &Value) -> Option<String> {
		let quotas = self.list(TYPES[4], Some(ns));
		let pods = self.list(TYPES[2], Some(ns));
		let (cpu, mem, _) = pod_requests(pod);
		let used =
			pods.iter().map(pod_requests).fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
		for q in quotas {
			let hard = &q["spec"]["hard"];
			if let Some(max) = hard["pods"].as_str().and_then(|p| p.parse::<usize>().ok()) {
				if pods.len() + 1 > max {
					return Some(format!(
						"requested: pods=1, used: pods={}, limited: pods={max}",
						pods.len()
					));
				}
			}
			if let Some(max) = hard["requests.cpu"].as_str().and_then(|c| quantity(c, true)) {
				if used.0 + cpu > max {
					return Some(format!("requested: requests.cpu={cpu}m, used: requests.cpu={}m, limited: requests.cpu={max}m", used.0));
				}
			}
			if let Some(max) = hard["requests.memory"].as_str().and_then(|c| quantity(c, false)) {
				if used.1 + mem > max {
					return Some(format!("requested: requests.memory={mem}Mi, used: requests.memory={}Mi, limited: requests.memory={max}Mi", used.1));
				}
			}
		}
		None
	}

	/// Binds pending pods to nodes with room; starts bound pods once due.
	fn schedule(&mut self, ns: &str, options: &Options) {
		let all_pods = self.list(TYPES[2], None);
		let mut free: BTreeMap<String, (u64, u64, u64)> = options
			.nodes
			.iter()
			.map(|n| (n.name.clone(), (n.cpu_millis, n.memory_mb, n.gpus)))
			.collect();
		for p in &all_pods {
			if let Some(node) = p["spec"]["nodeName"].as_str() {
				let (c, m, g) = pod_requests(p);
				if let Some(f) = free.get_mut(node) {
					*f = (f.0.saturating_sub(c), f.1.saturating_sub(m), f.2.saturating_sub(g));
				}
			}
		}
		let now = Instant::now();
		for mut p in self.list(TYPES[2], Some(ns)) {
			let name = p["metadata"]["name"].as_str().unwrap_or("").to_string();
			let born = self.get(TYPES[2], ns, &name).map_or(now, |s| s.born);
			let before = p.clone();
			if p["spec"]["nodeName"].is_null() {
				let (c, m, g) = pod_requests(&p);
				let node = free
					.iter()
					.find(|(_, f)| f.0 >= c && f.1 >= m && f.2 >= g)
					.map(|(n, _)| n.clone());
				match node {
					Some(node) => {
						if let Some(f) = free.get_mut(&node) {
							*f = (f.0 - c, f.1 - m, f.2 - g);
						}
						p["spec"]["nodeName"] = json!(node);
						p["status"] = json!({
							"phase": "Pending",
							"conditions": [{ "type": "PodScheduled", "status": "True" }],
							"containerStatuses": [{ "name": p["spec"]["containers"][0]["name"].clone(), "ready": false, "restartCount": 0,
								"image": p["spec"]["containers"][0]["image"].clone(), "imageID": "",
								"state": { "waiting": { "reason": "ContainerCreating" } } }],
						});
					},
					None => {
						let mut short = Vec::new();
						if free.values().all(|f| f.0 < c) {
							short.push("Insufficient cpu");
						}
						if free.values().all(|f| f.1 < m) {
							short.push("Insufficient memory");
						}
						if free.values().all(|f| f.2 < g) {
							short.push("Insufficient nvidia.com/gpu");
						}
						p["status"] = json!({
							"phase": "Pending",
							"conditions": [{ "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
								"message": format!("0/{} nodes are available: {}.", options.nodes.len(), short.join(", ")) }],
						});
					},
				}
			} else if p["status"]["phase"] == "Pending"
				&& now.duration_since(born) >= options.start_after
			{
				let image = p["spec"]["containers"][0]["image"].as_str().unwrap_or("").to_string();
				let container = p["spec"]["containers"][0]["name"].clone();
				if image.contains("does-not-exist") {
					p["status"]["containerStatuses"][0]["state"] = json!({ "waiting": {
						"reason": "ErrImagePull",
						"message": format!("failed to pull image \"{image}\": not found") } });
				} else {
					p["status"] = json!({
						"phase": "Running", "startTime": now_text(), "hostIP": "192.0.2.10", "podIP": "10.244.0.10",
						"conditions": [
							{ "type": "PodScheduled", "status": "True" },
							{ "type": "Ready", "status": "True" },
						],
						"containerStatuses": [{ "name": container, "ready": true, "restartCount": 0, "started": true,
							"image": image, "imageID": "",
							"state": { "running": { "startedAt": now_text() } } }],
					});
				}
			}
			if p != before {
				self.put(TYPES[2], ns, &name, p, BTreeMap::new());
			}
		}
	}
}

impl Emulator {
	/// Starts an emulator on a free loopback port.
	pub async fn start(options: Options) -> std::io::Result<Emulator> {
		Self::start_on(options, SocketAddr::from(([127, 0, 0, 1], 0))).await
	}

	/// Starts an emulator on `addr`.
	pub async fn start_on(options: Options, addr: SocketAddr) -> std::io::Result<Emulator> {
		let listener = tokio::net::TcpListener::bind(addr).await?;
		let addr = listener.local_addr()?;
		let mut state = State {
			objects: BTreeMap::new(),
			rv: 0,
			events: VecDeque::new(),
			next_ip: 0,
			next_node_port: 30_000,
			next_uid: 0,
			terminating: BTreeMap::new(),
		};
		for n in &options.nodes {
			let mut allocatable = json!({
				"cpu": format!("{}m", n.cpu_millis), "memory": format!("{}Mi", n.memory_mb),
				"ephemeral-storage": format!("{}Mi", n.storage_mb), "pods": "110",
			});
			if n.gpus > 0 {
				allocatable["nvidia.com/gpu"] = json!(n.gpus.to_string());
			}
			let node = json!({
				"apiVersion": "v1", "kind": "Node",
				"metadata": { "name": n.name, "labels": { "kubernetes.io/hostname": n.name } },
				"spec": {},
				"status": { "allocatable": allocatable, "capacity": allocatable,
					"conditions": [{ "type": "Ready", "status": "True" }] },
			});
			let uid = state.uid();
			let mut node = node;
			node["metadata"]["uid"] = json!(uid);
			state.put(TYPES[1], "", &n.name, node, BTreeMap::new());
		}
		for ns in ["default", "kube-system"] {
			let object = json!({ "apiVersion": "v1", "kind": "Namespace",
				"metadata": { "name": ns, "labels": { "kubernetes.io/metadata.name": ns } },
				"status": { "phase": "Active" } });
			state.put(TYPES[0], "", ns, object, BTreeMap::new());
		}
		let (events, _) = broadcast::channel::<()>(1024);
		let emulator = Emulator {
			addr,
			options: options.clone(),
			state: Arc::new(Mutex::new(state)),
			cancel: CancellationToken::new(),
		};
		let shared = Shared {
			options,
			state: emulator.state.clone(),
			wake: events,
			cancel: emulator.cancel.clone(),
		};
		// The controllers.
		{
			let shared = shared.clone();
			tokio::spawn(async move {
				loop {
					tokio::select! {
						() = shared.cancel.cancelled() => return,
						() = tokio::time::sleep(Duration::from_millis(50)) => {},
					}
					shared.with(|s| s.control(&shared.options));
				}
			});
		}
		tokio::spawn(async move {
			loop {
				let (stream, _) = tokio::select! {
					() = shared.cancel.cancelled() => return,
					accepted = listener.accept() => match accepted {
						Ok(a) => a,
						Err(_) => continue,
					},
				};
				let shared = shared.clone();
				tokio::spawn(async move {
					let service = hyper::service::service_fn(move |req| {
						let shared = shared.clone();
						async move { Ok::<_, Infallible>(shared.handle(req).await) }
					});
					let _ = hyper::server::conn::http1::Builder::new()
						.serve_connection(hyper_util::rt::TokioIo::new(stream), service)
						.await;
				});
			}
		});
		Ok(emulator)
	}

	/// `http://127.0.0.1:<port>`.
	pub fn url(&self) -> String {
		format!("http://{}", self.addr)
	}

	/// A kubeconfig for this emulator (server, token), as a file's text.
	pub fn kubeconfig(&self) -> String {
		format!(
			"apiVersion: v1\nkind: Config\nclusters:\n- name: emulator\n  cluster:\n    server: {}\n\
			 contexts:\n- name: emulator\n  context:\n    cluster: emulator\n    user: daemon\n\
			 current-context: emulator\nusers:\n- name: daemon\n  user:\n    token: {}\n",
			self.url(),
			self.options.token
		)
	}

	/// An object as stored (`plural` as in the API's paths), for tests to look at.
	pub fn object(&self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
		let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
		state
			.objects
			.iter()
			.find(|((p, n, m), _)| *p == plural && n == namespace && m == name)
			.map(|(_, s)| s.object.clone())
	}

	/// Every object of a type in a namespace (`""`: cluster objects, or all namespaces).
	pub fn objects(&self, plural: &str, namespace: Option<&str>) -> Vec<Value> {
		let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
		state
			.objects
			.iter()
			.filter(|((p, n, _), _)| *p == plural && namespace.is_none_or(|ns| ns == n))
			.map(|(_, s)| s.object.clone())
			.collect()
	}

	/// Applies `object` (server-side apply, forced) as `manager`, as a client would: for tests
	/// that play someone else writing to the cluster.
	pub fn apply_as(
		&self,
		manager: &str,
		plural: &str,
		namespace: &str,
		object: Value,
	) -> Result<Value, String> {
		let t = TYPES
			.iter()
			.copied()
			.find(|t| t.plural == plural)
			.ok_or(format!("no type {plural}"))?;
		let name = object["metadata"]["name"].as_str().ok_or("no metadata.name")?.to_string();
		let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
		state
			.apply(t, namespace, &name, object, manager, true)
			.map_err(|r| format!("refused: {}", r.status()))
	}

	/// Stops serving.
	pub fn stop(&self) {
		self.cancel.cancel();
	}
}

impl Drop for Emulator {
	fn drop(&mut self) {
		self.cancel.cancel();
	}
}

#[derive(Clone)]
struct Shared {
	options: Options,
	state: Arc<Mutex<State>>,
	wake: broadcast::Sender<()>,
	cancel: CancellationToken,
}

/// What a request's path names.
struct Target {
	t: Type,
	namespace: Option<String>,
	name: Option<String>,
	log: bool,
}

fn parse_path(path: &str) -> Option<Target> {
	let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
	let (api_version, rest): (String, &[&str]) = match parts.as_slice() {
		["api", "v1", rest @ ..] => ("v1".into(), rest),
		["apis", group, version, rest @ ..] => (format!("{group}/{version}"), rest),
		_ => return None,
	};
	let target = |plural: &str, ns: Option<&str>, name: Option<&str>, log: bool| {
		let t = type_of(&api_version, plural)?;
		if t.namespaced != ns.is_some() && name.is_some() {
			return None;
		}
		Some(Target { t, namespace: ns.map(str::to_string), name: name.map(str::to_string), log })
	};
	match rest {
		[plural] => target(plural, None, None, false),
		["namespaces", ns, plural] => target(plural, Some(ns), None, false),
		["namespaces", ns, plural, name] => target(plural, Some(ns), Some(name), false),
		["namespaces", ns, "pods", name, "log"] => target("pods", Some(ns), Some(name), true),
		[plural, name] => target(plural, None, Some(name), false),
		_ => None,
	}
}

fn query(req: &Request<hyper::body::Incoming>) -> BTreeMap<String, String> {
	req.uri()
		.query()
		.unwrap_or("")
		.split('&')
		.filter_map(|kv| kv.split_once('='))
		.map(|(k, v)| (k.to_string(), percent_decode(v)))
		.collect()
}

fn percent_decode(s: &str) -> String {
	let bytes = s.as_bytes();
	let mut out = Vec::with_capacity(bytes.len());
	let mut i = 0;
	while i < bytes.len() {
		match bytes[i] {
			b'%' if i + 2 < bytes.len() => {
				let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
				match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
					Some(b) => {
						out.push(b);
						i += 3;
						continue;
					},
					None => out.push(b'%'),
				}
			},
			b'+' => out.push(b' '),
			b => out.push(b),
		}
		i += 1;
	}
	String::from_utf8_lossy(&out).into_owned()
}

impl Shared {
	fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
		let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
		let r = f(&mut state);
		let _ = self.wake.send(());
		r
	}

	async fn handle(&self, req: Request<hyper::body::Incoming>) -> Response<Body> {
		let auth = req.headers().get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
		if auth != Some(&format!("Bearer {}", self.options.token)) {
			return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
		}
		let path = req.uri().path().to_string();
		if path == "/version" {
			return json_response(
				&json!({ "major": "1", "minor": "33", "gitVersion": "v1.33.0-virtengine-emulator", "platform": "linux/amd64" }),
			);
		}
		let Some(target) = parse_path(&path) else {
			return status(
				StatusCode::NOT_FOUND,
				"NotFound",
				format!("the server could not find the requested resource ({path})"),
			);
		};
		let q = query(&req);
		let method = req.method().clone();
		let content_type = req
			.headers()
			.get(hyper::header::CONTENT_TYPE)
			.and_then(|v| v.to_str().ok())
			.unwrap_or("")
			.to_string();
		let body = match req.into_body().collect().await {
			Ok(b) => b.to_bytes(),
			Err(_) => return status(StatusCode::BAD_REQUEST, "BadRequest", "unreadable body"),
		};
		let ns = target.namespace.clone().unwrap_or_default();
		match (method, &target.name) {
			(Method::GET, None) if q.get("watch").is_some_and(|w| w == "1" || w == "true") => {
				self.watch(&target, &q)
			},
			(Method::GET, None) => {
				let selector = q.get("labelSelector").cloned().unwrap_or_default();
				let (items, rv) =
					self.with(|s| (s.list(target.t, target.namespace.as_deref()), s.rv));
				let items: Vec<Value> =
					items.into_iter().filter(|o| selects(&selector, o)).collect();
				json_response(&json!({
					"apiVersion": target.t.api_version, "kind": format!("{}List", target.t.kind),
					"metadata": { "resourceVersion": rv.to_string() }, "items": items,
				}))
			},
			(Method::GET, Some(name)) if target.log => {
				let pod = self.with(|s| s.get(target.t, &ns, name).map(|p| p.object.clone()));
				let Some(pod) = pod else {
					return status(
						StatusCode::NOT_FOUND,
						"NotFound",
						format!("pods \"{name}\" not found"),
					);
				};
				if pod["status"]["phase"] != "Running" {
					return status(
						StatusCode::BAD_REQUEST,
						"BadRequest",
						format!(
							"container \"{}\" in pod \"{name}\" is waiting to start",
							pod["spec"]["containers"][0]["name"].as_str().unwrap_or("")
						),
					);
				}
				let lines = [
					format!(
						"emulator: pod {name} on node {}",
						pod["spec"]["nodeName"].as_str().unwrap_or("?")
					),
					format!(
						"emulator: container {} image {} started at {}",
						pod["spec"]["containers"][0]["name"].as_str().unwrap_or(""),
						pod["spec"]["containers"][0]["image"].as_str().unwrap_or(""),
						pod["status"]["startTime"].as_str().unwrap_or("")
					),
					"emulator: the stand-in runs no containers; these lines are its own"
						.to_string(),
				];
				let tail =
					q.get("tailLines").and_then(|t| t.parse::<usize>().ok()).unwrap_or(lines.len());
				let text: String = lines[lines.len().saturating_sub(tail)..]
					.iter()
					.map(|l| format!("{l}\n"))
					.collect();
				let mut r = Response::new(full(text));
				r.headers_mut().insert(
					hyper::header::CONTENT_TYPE,
					hyper::header::HeaderValue::from_static("text/plain"),
				);
				r
			},
			(Method::GET, Some(name)) => {
				match self.with(|s| s.get(target.t, &ns, name).map(|o| o.object.clone())) {
					Some(o) => json_response(&o),
					None => status(
						StatusCode::NOT_FOUND,
						"NotFound",
						format!("{} \"{name}\" not found", target.t.plural),
					),
				}
			},
			(Method::PATCH, Some(name)) => self.patch(&target, name, &content_type, &body, &q),
			(Method::DELETE, Some(name)) => self.delete(&target, name),
			(m, _) => status(
				StatusCode::METHOD_NOT_ALLOWED,
				"MethodNotAllowed",
				format!("{m} is not supported by this emulator"),
			),
		}
	}

	fn patch(
		&self,
		target: &Target,
		name: &str,
		content_type: &str,
		body: &[u8],
		q: &BTreeMap<String, String>,
	) -> Response<Body> {
		let t = target.t;
		let ns = target.namespace.clone().unwrap_or_default();
		let Some(manager) = q.get("fieldManager").cloned() else {
			return status(
				StatusCode::BAD_REQUEST,
				"BadRequest",
				"fieldManager is required for apply requests",
			);
		};
		let patch: Value = match serde_json::from_slice(body) {
			Ok(v) => v,
			Err(e) => {
				return status(
					StatusCode::BAD_REQUEST,
					"BadRequest",
					format!("error decoding YAML: {e}"),
				)
			},
		};
		self.with(|s| {
			if t.namespaced {
				match s.get(TYPES[0], "", &ns) {
					None => return status(StatusCode::NOT_FOUND, "NotFound", format!("namespaces \"{ns}\" not found")),
					Some(n) if n.object["metadata"]["deletionTimestamp"].is_string() => {
						return status(StatusCode::FORBIDDEN, "Forbidden", format!("{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", t.plural));
					},
					_ => {},
				}
			}
			let shaped = patch.is_object() && patch.get("metadata").is_none_or(Value::is_object)
				&& patch.get("spec").is_none_or(Value::is_object);
			if !shaped {
				return status(StatusCode::BAD_REQUEST, "BadRequest", "the body is not an object with object metadata and spec");
			}
			if content_type.starts_with("application/apply-patch") {
				if patch["apiVersion"] != t.api_version || patch["kind"] != t.kind {
					return status(StatusCode::BAD_REQUEST, "BadRequest", format!("apiVersion/kind {}/{} do not match the path's {}/{}", patch["apiVersion"], patch["kind"], t.api_version, t.kind));
				}
				if patch["metadata"]["name"].as_str().is_some_and(|n| n != name) {
					return status(StatusCode::BAD_REQUEST, "BadRequest", "the name in the body does not match the path");
				}
				let force = q.get("force").is_some_and(|f| f == "true");
				match s.apply(t, &ns, name, patch, &manager, force) {
					Ok(o) => json_response(&o),
					Err(r) => r,
				}
			} else if content_type.starts_with("application/merge-patch+json") {
				let Some(stored) = s.get(t, &ns, name).cloned() else {
					return status(StatusCode::NOT_FOUND, "NotFound", format!("{} \"{name}\" not found", t.plural));
				};
				let mut object = stored.object.clone();
				merge_patch(&mut object, &patch);
				let mut owners = stored.owners.clone();
				let mut changed = BTreeMap::new();
				leaves("", &patch, &mut changed);
				for path in changed.keys() {
					owners.insert(path.clone(), manager.clone());
				}
				if t.plural == "deployments" && object.get("spec") != stored.object.get("spec") {
					let g = object["metadata"]["generation"].as_u64().unwrap_or(1);
					object["metadata"]["generation"] = json!(g + 1);
				}
				json_response(&s.put(t, &ns, name, object, owners))
			} else {
				status(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType", format!("the body of the request was in an unknown format ({content_type}): this emulator reads apply and merge patches"))
			}
		})
	}

	fn delete(&self, target: &Target, name: &str) -> Response<Body> {
		let t = target.t;
		let ns = target.namespace.clone().unwrap_or_default();
		self.with(|s| {
			let Some(stored) = s.get(t, &ns, name).cloned() else {
				return status(
					StatusCode::NOT_FOUND,
					"NotFound",
					format!("{} \"{name}\" not found", t.plural),
				);
			};
			if t.plural == "namespaces" {
				if !s.terminating.contains_key(name) {
					let mut object = stored.object;
					object["metadata"]["deletionTimestamp"] = json!(now_text());
					object["status"]["phase"] = json!("Terminating");
					s.terminating.insert(name.to_string(), Instant::now());
					let o = s.put(t, "", name, object, stored.owners);
					return json_response(&o);
				}
				return json_response(&stored.object);
			}
			match s.remove(t, &ns, name) {
				Some(o) => json_response(&o),
				None => status(StatusCode::NOT_FOUND, "NotFound", "gone"),
			}
		})
	}

	fn watch(&self, target: &Target, q: &BTreeMap<String, String>) -> Response<Body> {
		let from: u64 = q.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
		let selector = q.get("labelSelector").cloned().unwrap_or_default();
		let timeout =
			q.get("timeoutSeconds").and_then(|t| t.parse().ok()).unwrap_or(290u64).min(600);
		let t = target.t;
		let ns = target.namespace.clone();
		let (backlog, oldest, mut wake) = {
			let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
			let oldest = state.events.front().map(|e| e.rv).unwrap_or(0);
			let backlog: Vec<Event> =
				state.events.iter().filter(|e| e.rv > from).cloned().collect();
			(backlog, oldest, self.wake.subscribe())
		};
		if from > 0 && from + 1 < oldest {
			return status(
				StatusCode::GONE,
				"Expired",
				format!("too old resource version: {from} ({oldest})"),
			);
		}
		let (tx, rx) = futures::channel::mpsc::unbounded::<Result<Frame<Bytes>, Infallible>>();
		let state = self.state.clone();
		let cancel = self.cancel.clone();
		let matches = move |e: &Event| {
			e.plural == t.plural
				&& ns.as_ref().is_none_or(|n| *n == e.namespace)
				&& selects(&selector, &e.object)
		};
		tokio::spawn(async move {
			let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
			let mut last = from;
			let send = |e: &Event| {
				let line = json!({ "type": e.kind, "object": e.object }).to_string() + "\n";
				tx.unbounded_send(Ok(Frame::data(Bytes::from(line)))).is_ok()
			};
			for e in backlog.iter().filter(|e| matches(e)) {
				if !send(e) {
					return;
				}
			}
			if let Some(e) = backlog.last() {
				last = e.rv;
			}
			loop {
				tokio::select! {
					() = cancel.cancelled() => return,
					() = tokio::time::sleep_until(deadline) => return,
					r = wake.recv() => if matches!(r, Err(broadcast::error::RecvError::Closed)) { return },
				}
				let new: Vec<Event> = {
					let s = state.lock().unwrap_or_else(|p| p.into_inner());
					s.events.iter().filter(|e| e.rv > last).cloned().collect()
				};
				for e in &new {
					last = e.rv;
					if matches(e) && !send(e) {
						return;
					}
				}
			}
		});
		let mut r = Response::new(StreamBody::new(rx).boxed());
		r.headers_mut().insert(
			hyper::header::CONTENT_TYPE,
			hyper::header::HeaderValue::from_static("application/json"),
		);
		r
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn quantities_and_selectors() {
		assert_eq!(quantity("500m", true), Some(500));
		assert_eq!(quantity("2", true), Some(2000));
		assert_eq!(quantity("1Gi", false), Some(1024));
		assert_eq!(quantity("256Mi", false), Some(256));
		let o = json!({ "metadata": { "labels": { "a": "1", "b": "2" } } });
		assert!(selects("a=1,b", &o));
		assert!(selects("a!=2,!c", &o));
		assert!(!selects("a=2", &o));
		assert_eq!(now_text().len(), 20);
		assert_eq!(civil(0), (1970, 1, 1));
		assert_eq!(civil(20_000), (2024, 10, 4));
	}

	#[test]
	fn merge_patches_merge() {
		let mut v = json!({ "a": { "b": 1, "c": 2 } });
		merge_patch(&mut v, &json!({ "a": { "b": null, "d": 3 } }));
		assert_eq!(v, json!({ "a": { "c": 2, "d": 3 } }));
	}
}
