//! The configuration a customer seals to a cloud provider: container services, format version 1
//! (`docs/provider-services.md`, JSON Schema `docs/schemas/provider-services-v1.json`). A small,
//! versioned subset of what Akash's SDL expresses: per service an image, its command, arguments
//! and environment, the ports it listens on (some exposed outside the cluster), its resources per
//! replica, and the number of replicas.
//!
//! ```json
//! { "version": 1, "kind": "container-services",
//!   "services": [
//!     { "name": "web", "image": "nginx:1.27", "replicas": 2,
//!       "env": { "MODE": "demo" },
//!       "ports": [ { "port": 80, "expose": true } ],
//!       "resources": { "cpu_millis": 500, "memory_mb": 256, "storage_mb": 512 } } ] }
//! ```
//!
//! Parsing is strict, as for batch jobs: unknown fields, missing fields, zero resources, names
//! Kubernetes would refuse and duplicates are errors that name the service and field, before any
//! bid.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::job::{Resources, SpecError};

/// The only format version this daemon reads.
pub const VERSION: u32 = 1;
/// The configuration's `kind`.
pub const KIND: &str = "container-services";
/// At most this many services.
pub const MAX_SERVICES: usize = 8;
/// At most this many replicas of one service.
pub const MAX_REPLICAS: u32 = 16;
/// At most this many ports per service.
pub const MAX_PORTS: usize = 8;
/// At most this many environment variables per service.
pub const MAX_ENV: usize = 64;
/// At most this many command and argument words per service.
pub const MAX_WORDS: usize = 32;
/// The longest image reference.
pub const MAX_IMAGE: usize = 255;
/// The longest service name: the Deployment's pods are named `<name>-<10>-<5>` within 63.
pub const MAX_NAME: usize = 40;

/// Container services.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesSpec {
	/// The format version: 1.
	pub version: u32,
	/// What the configuration describes: `container-services`.
	pub kind: String,
	/// The services (at least one).
	pub services: Vec<Service>,
}

/// One service: a Deployment of `replicas` identical containers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
	/// Its name: lower-case letters, digits and `-`, starting with a letter (a DNS label).
	pub name: String,
	/// The container image (`registry/name:tag` or `name@sha256:...`).
	pub image: String,
	/// The entrypoint, replacing the image's (absent: the image's).
	#[serde(default)]
	pub command: Vec<String>,
	/// The arguments (absent: the image's).
	#[serde(default)]
	pub args: Vec<String>,
	/// Environment variables (names: letters, digits, `_`, not starting with a digit).
	#[serde(default)]
	pub env: BTreeMap<String, String>,
	/// The ports it listens on.
	#[serde(default)]
	pub ports: Vec<Port>,
	/// What each replica holds.
	pub resources: ServiceResources,
	/// How many replicas (1 to 16; default 1).
	#[serde(default = "one")]
	pub replicas: u32,
}

fn one() -> u32 {
	1
}

/// A port a service listens on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
	/// The container's port (1 to 65535).
	pub port: u16,
	/// `TCP` (default) or `UDP`.
	#[serde(default = "tcp")]
	pub protocol: String,
	/// Reachable from outside the cluster (otherwise only from the lease's other services).
	#[serde(default)]
	pub expose: bool,
}

fn tcp() -> String {
	"TCP".into()
}

/// What one replica holds: requested and limited alike (Kubernetes' Guaranteed class), so what
/// the customer pays for is what the cluster reserves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceResources {
	/// CPU in thousandths of a core (at least 10).
	pub cpu_millis: u32,
	/// Memory, MiB (at least 4).
	pub memory_mb: u64,
	/// Ephemeral storage, MiB (default 0: the node's default, unreserved).
	#[serde(default)]
	pub storage_mb: u64,
	/// GPUs.
	#[serde(default)]
	pub gpus: u32,
}

fn field(service: Option<&str>, field: &'static str, why: impl Into<String>) -> SpecError {
	let why = why.into();
	SpecError::Field {
		field,
		why: match service {
			Some(s) => format!("service `{s}`: {why}"),
			None => why,
		},
	}
}

/// Whether `name` is a DNS-1123 label of at most `max` characters that starts with a letter.
pub fn is_label(name: &str, max: usize) -> bool {
	!name.is_empty()
		&& name.len() <= max
		&& name.starts_with(|c: char| c.is_ascii_lowercase())
		&& !name.ends_with('-')
		&& name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl ServicesSpec {
	/// Parses and checks a configuration.
	pub fn parse(bytes: &[u8]) -> Result<ServicesSpec, SpecError> {
		let spec: ServicesSpec = crate::job::read(bytes)?;
		spec.check()?;
		Ok(spec)
	}

	/// Checks what parsing cannot.
	pub fn check(&self) -> Result<(), SpecError> {
		if self.version != VERSION {
			return Err(field(
				None,
				"version",
				format!("{} is not supported (only {VERSION})", self.version),
			));
		}
		if self.kind != KIND {
			return Err(field(None, "kind", format!("`{}` is not `{KIND}`", self.kind)));
		}
		if self.services.is_empty() || self.services.len() > MAX_SERVICES {
			return Err(field(None, "services", format!("1 to {MAX_SERVICES} services")));
		}
		let mut names = BTreeSet::new();
		for s in &self.services {
			s.check()?;
			if !names.insert(s.name.as_str()) {
				return Err(field(Some(&s.name), "name", "two services have this name"));
			}
		}
		Ok(())
	}

	/// What the services hold in all (every replica). CPUs are whole cores, rounded up: the
	/// daemon's capacity count never sells a fraction of a core twice.
	pub fn resources(&self) -> Resources {
		let mut millis = 0u64;
		let mut r = Resources::default();
		for s in &self.services {
			let n = u64::from(s.replicas);
			millis = millis.saturating_add(u64::from(s.resources.cpu_millis).saturating_mul(n));
			r.memory_mb = r.memory_mb.saturating_add(s.resources.memory_mb.saturating_mul(n));
			r.storage_mb = r.storage_mb.saturating_add(s.resources.storage_mb.saturating_mul(n));
			r.gpus = r.gpus.saturating_add(u64::from(s.resources.gpus).saturating_mul(n));
		}
		r.cpus = millis.div_ceil(1000);
		r
	}

	/// The replicas in all.
	pub fn replicas(&self) -> u32 {
		self.services.iter().map(|s| s.replicas).sum()
	}
}

impl Service {
	fn check(&self) -> Result<(), SpecError> {
		let me = Some(self.name.as_str());
		if !is_label(&self.name, MAX_NAME) {
			return Err(field(
				None,
				"name",
				format!(
					"`{}`: lower-case letters, digits and `-`, starting with a letter, at most {MAX_NAME}",
					self.name
				),
			));
		}
		let image_ok = !self.image.is_empty()
			&& self.image.len() <= MAX_IMAGE
			&& self.image.chars().all(|c| c.is_ascii_graphic())
			&& !self.image.starts_with(['-', '/', ':', '@']);
		if !image_ok {
			return Err(field(me, "image", format!("`{}` is not an image reference", self.image)));
		}
		if self.command.len() + self.args.len() > MAX_WORDS {
			return Err(field(me, "command", format!("at most {MAX_WORDS} words with `args`")));
		}
		if self.command.iter().chain(&self.args).map(String::len).sum::<usize>() > 4096 {
			return Err(field(me, "command", "at most 4096 bytes with `args`"));
		}
		if self.env.len() > MAX_ENV {
			return Err(field(me, "env", format!("at most {MAX_ENV} variables")));
		}
		if let Some(name) = self.env.keys().find(|n| !crate::job::is_env_name(n)) {
			return Err(field(me, "env", format!("`{name}` is not an allowed variable name")));
		}
		if self.ports.len() > MAX_PORTS {
			return Err(field(me, "ports", format!("at most {MAX_PORTS}")));
		}
		let mut seen = BTreeSet::new();
		for p in &self.ports {
			if p.port == 0 {
				return Err(field(me, "ports", "port 0"));
			}
			if p.protocol != "TCP" && p.protocol != "UDP" {
				return Err(field(
					me,
					"ports",
					format!("protocol `{}`: `TCP` or `UDP`", p.protocol),
				));
			}
			if !seen.insert((p.port, p.protocol.as_str())) {
				return Err(field(me, "ports", format!("{}/{} twice", p.port, p.protocol)));
			}
		}
		if self.replicas == 0 || self.replicas > MAX_REPLICAS {
			return Err(field(me, "replicas", format!("1 to {MAX_REPLICAS}")));
		}
		if self.resources.cpu_millis < 10 {
			return Err(field(me, "resources", "cpu_millis: at least 10"));
		}
		if self.resources.memory_mb < 4 {
			return Err(field(me, "resources", "memory_mb: at least 4"));
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	pub(crate) fn good() -> serde_json::Value {
		serde_json::json!({
			"version": 1, "kind": "container-services",
			"services": [
				{ "name": "web", "image": "nginx:1.27", "replicas": 2,
				  "env": { "MODE": "demo" },
				  "ports": [ { "port": 80, "expose": true }, { "port": 9000 } ],
				  "resources": { "cpu_millis": 500, "memory_mb": 256, "storage_mb": 512 } },
				{ "name": "cache", "image": "redis@sha256:0123abcd", "command": ["redis-server"],
				  "args": ["--save", ""],
				  "ports": [ { "port": 6379 } ],
				  "resources": { "cpu_millis": 250, "memory_mb": 128 } }
			]
		})
	}

	fn parse(v: &serde_json::Value) -> Result<ServicesSpec, SpecError> {
		ServicesSpec::parse(&serde_json::to_vec(v).expect("json"))
	}

	#[test]
	fn a_good_configuration_parses_and_sums_every_replica() {
		let spec = parse(&good()).expect("good");
		assert_eq!(spec.replicas(), 3);
		let r = spec.resources();
		// 2 × 500 + 250 millicores = 1.25 cores: 2 whole cores held.
		assert_eq!((r.cpus, r.memory_mb, r.storage_mb, r.gpus), (2, 640, 1024, 0));
		assert_eq!(spec.services[0].ports[1].protocol, "TCP");
		assert!(!spec.services[0].ports[1].expose);
	}

	#[test]
	fn every_mistake_names_its_service_and_field() {
		let cases: [(&str, serde_json::Value, &str); 9] = [
			("/version", serde_json::json!(2), "version"),
			("/kind", serde_json::json!("slurm-batch"), "kind"),
			("/services", serde_json::json!([]), "services"),
			("/services/0/name", serde_json::json!("Web"), "name"),
			("/services/1/name", serde_json::json!("web"), "name: service `web`"),
			("/services/0/image", serde_json::json!("nginx latest"), "image: service `web`"),
			("/services/0/replicas", serde_json::json!(0), "replicas: service `web`"),
			("/services/0/resources/cpu_millis", serde_json::json!(0), "resources"),
			(
				"/services/1/ports",
				serde_json::json!([{"port": 1, "protocol": "SCTP"}]),
				"ports: service `cache`",
			),
		];
		for (pointer, value, named) in cases {
			let mut v = good();
			*v.pointer_mut(pointer).expect(pointer) = value;
			let err = parse(&v).expect_err(pointer);
			assert!(err.to_string().starts_with(named), "{pointer}: {err}");
		}
		let mut v = good();
		v["services"][0]["privileged"] = serde_json::json!(true);
		assert!(matches!(parse(&v), Err(SpecError::Malformed(m)) if m.contains("privileged")));
		let mut v = good();
		v["services"][0]["env"] = serde_json::json!({"1X": "y"});
		assert!(parse(&v).expect_err("env").to_string().starts_with("env"));
		let mut v = good();
		v["services"][0]["ports"] = serde_json::json!([{"port": 80}, {"port": 80}]);
		assert!(parse(&v).expect_err("dup").to_string().contains("80/TCP twice"));
	}
}
