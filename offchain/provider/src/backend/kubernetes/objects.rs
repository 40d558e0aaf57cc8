//! The Kubernetes objects a lease's container services become, as pure functions of the lease,
//! its namespace's name and the workload (golden files in `tests/golden/` hold their JSON):
//!
//! - the **namespace**, labelled with the lease, the provider and the chain, holding the
//!   workload in an annotation (the controller rebuilds everything else from it), with the Pod
//!   Security Admission level `baseline` enforced (no privileged pods, no host namespaces or
//!   paths);
//! - **NetworkPolicies**: deny everything, then allow traffic within the namespace, DNS, egress
//!   to the internet (never to private ranges: other tenants, the node, the cloud's metadata
//!   service), and ingress from anywhere to the exposed ports only;
//! - a **ResourceQuota** and a **LimitRange** from the lease's resources: the namespace can
//!   never hold more than was bought, whatever is done inside it;
//! - per service a **Deployment** (requests equal to limits, the Guaranteed class; rolled out by
//!   `Recreate`, so a change never needs more than the quota) and **Services**: one `ClusterIP`
//!   for the lease's own traffic and one `NodePort` for the exposed ports.

use std::collections::BTreeMap;

use k8s_openapi::{
	api::{
		apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy},
		core::v1::{
			Container, ContainerPort, EnvVar, LimitRange, LimitRangeItem, LimitRangeSpec,
			Namespace, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceQuota,
			ResourceQuotaSpec, ResourceRequirements, SeccompProfile, SecurityContext,
			Service as KubeService, ServicePort, ServiceSpec, TCPSocketAction,
		},
		networking::v1::{
			IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule,
			NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
		},
	},
	apimachinery::pkg::{
		api::resource::Quantity,
		apis::meta::v1::{LabelSelector, ObjectMeta},
		util::intstr::IntOrString,
	},
};

use crate::services::{Service, ServicesSpec};

/// The field manager every object is applied with.
pub const MANAGER: &str = "virtengine-provider";
/// `app.kubernetes.io/managed-by`: what the daemon lists and watches.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The lease's number.
pub const LABEL_LEASE: &str = "virtengine.io/lease";
/// The provider's account (SS58).
pub const LABEL_PROVIDER: &str = "virtengine.io/provider";
/// The chain: the first 16 hex digits of its genesis hash (lease numbers restart on every chain,
/// and a cluster outlives chains).
pub const LABEL_CHAIN: &str = "virtengine.io/chain";
/// The service a Deployment, its pods and its Services belong to.
pub const LABEL_SERVICE: &str = "virtengine.io/service";
/// The namespace's workload (the configuration's JSON).
pub const ANNOTATION_WORKLOAD: &str = "virtengine.io/workload";
/// The GPU resource name (NVIDIA's device plugin).
pub const GPU: &str = "nvidia.com/gpu";
/// Ranges a tenant's pods never reach: private networks (other tenants, the nodes), carrier-grade
/// NAT and link-local (the cloud's metadata service).
pub const PRIVATE_RANGES: [&str; 5] =
	["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"];

/// Whose objects these are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
	/// The provider's account (SS58).
	pub provider: String,
	/// [`LABEL_CHAIN`]'s value.
	pub chain: String,
}

impl Scope {
	/// The label selector of every namespace of this provider on this chain.
	pub fn selector(&self) -> String {
		format!(
			"{LABEL_MANAGED_BY}={MANAGER},{LABEL_PROVIDER}={},{LABEL_CHAIN}={}",
			self.provider, self.chain
		)
	}
}

/// Everything one lease's workload is made of, in the order it is applied.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Objects {
	/// The namespace.
	pub namespace: Namespace,
	/// Its network policies.
	pub network_policies: Vec<NetworkPolicy>,
	/// Its quota.
	pub quota: ResourceQuota,
	/// Its limits per container.
	pub limit_range: LimitRange,
	/// One per service.
	pub deployments: Vec<Deployment>,
	/// Up to two per service.
	pub services: Vec<KubeService>,
}

fn q(text: String) -> Quantity {
	Quantity(text)
}

fn cpu(millis: u64) -> Quantity {
	q(format!("{millis}m"))
}

fn mib(mb: u64) -> Quantity {
	q(format!("{mb}Mi"))
}

/// The labels every object of the lease carries.
fn lease_labels(scope: &Scope, lease: u64) -> BTreeMap<String, String> {
	BTreeMap::from([
		(LABEL_MANAGED_BY.to_string(), MANAGER.to_string()),
		(LABEL_LEASE.to_string(), lease.to_string()),
		(LABEL_PROVIDER.to_string(), scope.provider.clone()),
		(LABEL_CHAIN.to_string(), scope.chain.clone()),
	])
}

fn meta(name: &str, ns: &str, labels: &BTreeMap<String, String>) -> ObjectMeta {
	ObjectMeta {
		name: Some(name.to_string()),
		namespace: Some(ns.to_string()),
		labels: Some(labels.clone()),
		..Default::default()
	}
}

fn service_labels(base: &BTreeMap<String, String>, service: &Service) -> BTreeMap<String, String> {
	let mut labels = base.clone();
	labels.insert(LABEL_SERVICE.to_string(), service.name.clone());
	labels
}

fn select_service(service: &Service) -> LabelSelector {
	LabelSelector {
		match_labels: Some(BTreeMap::from([(LABEL_SERVICE.to_string(), service.name.clone())])),
		..Default::default()
	}
}

/// What one replica of `service` requests (and is limited to).
fn requests(service: &Service) -> BTreeMap<String, Quantity> {
	let r = &service.resources;
	let mut m = BTreeMap::from([
		("cpu".to_string(), cpu(u64::from(r.cpu_millis))),
		("memory".to_string(), mib(r.memory_mb)),
	]);
	if r.storage_mb > 0 {
		m.insert("ephemeral-storage".to_string(), mib(r.storage_mb));
	}
	if r.gpus > 0 {
		m.insert(GPU.to_string(), q(r.gpus.to_string()));
	}
	m
}

fn port_name(port: u16, protocol: &str) -> String {
	format!("p{port}-{}", protocol.to_ascii_lowercase())
}

/// The objects of lease `lease`'s workload `spec` in namespace `ns`.
pub fn objects(scope: &Scope, lease: u64, ns: &str, spec: &ServicesSpec) -> Objects {
	let labels = lease_labels(scope, lease);
	let mut ns_labels = labels.clone();
	ns_labels.insert("pod-security.kubernetes.io/enforce".into(), "baseline".into());
	let workload = serde_json::to_string(spec).unwrap_or_default();
	let namespace = Namespace {
		metadata: ObjectMeta {
			name: Some(ns.to_string()),
			labels: Some(ns_labels),
			annotations: Some(BTreeMap::from([(ANNOTATION_WORKLOAD.to_string(), workload)])),
			..Default::default()
		},
		..Default::default()
	};

	let all_pods = LabelSelector::default();
	let policy = |name: &str, spec: NetworkPolicySpec| NetworkPolicy {
		metadata: meta(name, ns, &labels),
		spec: Some(spec),
	};
	let mut network_policies = vec![
		policy(
			"default-deny",
			NetworkPolicySpec {
				pod_selector: Some(all_pods.clone()),
				policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
				..Default::default()
			},
		),
		policy(
			"allow-same-namespace",
			NetworkPolicySpec {
				pod_selector: Some(all_pods.clone()),
				policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
				ingress: Some(vec![NetworkPolicyIngressRule {
					from: Some(vec![NetworkPolicyPeer {
						pod_selector: Some(all_pods.clone()),
						..Default::default()
					}]),
					..Default::default()
				}]),
				egress: Some(vec![NetworkPolicyEgressRule {
					to: Some(vec![NetworkPolicyPeer {
						pod_selector: Some(all_pods.clone()),
						..Default::default()
					}]),
					..Default::default()
				}]),
			},
		),
		policy(
			"allow-dns",
			NetworkPolicySpec {
				pod_selector: Some(all_pods.clone()),
				policy_types: Some(vec!["Egress".into()]),
				egress: Some(vec![NetworkPolicyEgressRule {
					to: Some(vec![NetworkPolicyPeer {
						namespace_selector: Some(LabelSelector {
							match_labels: Some(BTreeMap::from([(
								"kubernetes.io/metadata.name".to_string(),
								"kube-system".to_string(),
							)])),
							..Default::default()
						}),
						..Default::default()
					}]),
					ports: Some(
						["UDP", "TCP"]
							.iter()
							.map(|p| NetworkPolicyPort {
								port: Some(IntOrString::Int(53)),
								protocol: Some(p.to_string()),
								..Default::default()
							})
							.collect(),
					),
				}]),
				..Default::default()
			},
		),
		policy(
			"allow-internet-egress",
			NetworkPolicySpec {
				pod_selector: Some(all_pods.clone()),
				policy_types: Some(vec!["Egress".into()]),
				egress: Some(vec![NetworkPolicyEgressRule {
					to: Some(vec![NetworkPolicyPeer {
						ip_block: Some(IPBlock {
							cidr: "0.0.0.0/0".into(),
							except: Some(PRIVATE_RANGES.iter().map(|r| r.to_string()).collect()),
						}),
						..Default::default()
					}]),
					..Default::default()
				}]),
				..Default::default()
			},
		),
	];

	let mut deployments = Vec::new();
	let mut services = Vec::new();
	let (mut millis, mut memory, mut storage, mut gpus, mut pods) = (0u64, 0u64, 0u64, 0u64, 0u64);
	let mut node_ports = 0u64;
	for s in &spec.services {
		let n = u64::from(s.replicas);
		millis += u64::from(s.resources.cpu_millis) * n;
		memory += s.resources.memory_mb * n;
		storage += s.resources.storage_mb * n;
		gpus += u64::from(s.resources.gpus) * n;
		pods += n;
		let labels = service_labels(&labels, s);
		let exposed: Vec<_> = s.ports.iter().filter(|p| p.expose).collect();
		if !exposed.is_empty() {
			network_policies.push(policy(
				&format!("expose-{}", s.name),
				NetworkPolicySpec {
					pod_selector: Some(select_service(s)),
					policy_types: Some(vec!["Ingress".into()]),
					ingress: Some(vec![NetworkPolicyIngressRule {
						from: Some(vec![NetworkPolicyPeer {
							ip_block: Some(IPBlock { cidr: "0.0.0.0/0".into(), except: None }),
							..Default::default()
						}]),
						ports: Some(
							exposed
								.iter()
								.map(|p| NetworkPolicyPort {
									port: Some(IntOrString::Int(i32::from(p.port))),
									protocol: Some(p.protocol.clone()),
									..Default::default()
								})
								.collect(),
						),
					}]),
					..Default::default()
				},
			));
		}
		let readiness = s.ports.iter().find(|p| p.protocol == "TCP").map(|p| Probe {
			tcp_socket: Some(TCPSocketAction {
				port: IntOrString::Int(i32::from(p.port)),
				..Default::default()
			}),
			period_seconds: Some(5),
			..Default::default()
		});
		let container = Container {
			name: s.name.clone(),
			image: Some(s.image.clone()),
			command: (!s.command.is_empty()).then(|| s.command.clone()),
			args: (!s.args.is_empty()).then(|| s.args.clone()),
			env: (!s.env.is_empty()).then(|| {
				s.env
					.iter()
					.map(|(k, v)| EnvVar {
						name: k.clone(),
						value: Some(v.clone()),
						..Default::default()
					})
					.collect()
			}),
			ports: (!s.ports.is_empty()).then(|| {
				s.ports
					.iter()
					.map(|p| ContainerPort {
						name: Some(port_name(p.port, &p.protocol)),
						container_port: i32::from(p.port),
						protocol: Some(p.protocol.clone()),
						..Default::default()
					})
					.collect()
			}),
			resources: Some(ResourceRequirements {
				requests: Some(requests(s)),
				limits: Some(requests(s)),
				..Default::default()
			}),
			readiness_probe: readiness,
			security_context: Some(SecurityContext {
				allow_privilege_escalation: Some(false),
				privileged: Some(false),
				..Default::default()
			}),
			..Default::default()
		};
		deployments.push(Deployment {
			metadata: meta(&s.name, ns, &labels),
			spec: Some(DeploymentSpec {
				replicas: Some(s.replicas as i32),
				selector: select_service(s),
				strategy: Some(DeploymentStrategy {
					type_: Some("Recreate".into()),
					..Default::default()
				}),
				template: PodTemplateSpec {
					metadata: Some(ObjectMeta {
						labels: Some(labels.clone()),
						..Default::default()
					}),
					spec: Some(PodSpec {
						containers: vec![container],
						automount_service_account_token: Some(false),
						enable_service_links: Some(false),
						termination_grace_period_seconds: Some(10),
						security_context: Some(PodSecurityContext {
							seccomp_profile: Some(SeccompProfile {
								type_: "RuntimeDefault".into(),
								..Default::default()
							}),
							..Default::default()
						}),
						..Default::default()
					}),
				},
				..Default::default()
			}),
			..Default::default()
		});
		let service_port = |p: &crate::services::Port| ServicePort {
			name: Some(port_name(p.port, &p.protocol)),
			port: i32::from(p.port),
			target_port: Some(IntOrString::Int(i32::from(p.port))),
			protocol: Some(p.protocol.clone()),
			..Default::default()
		};
		if !s.ports.is_empty() {
			services.push(KubeService {
				metadata: meta(&s.name, ns, &labels),
				spec: Some(ServiceSpec {
					type_: Some("ClusterIP".into()),
					selector: Some(BTreeMap::from([(LABEL_SERVICE.into(), s.name.clone())])),
					ports: Some(s.ports.iter().map(service_port).collect()),
					..Default::default()
				}),
				..Default::default()
			});
		}
		if !exposed.is_empty() {
			node_ports += exposed.len() as u64;
			services.push(KubeService {
				metadata: meta(&format!("{}-public", s.name), ns, &labels),
				spec: Some(ServiceSpec {
					type_: Some("NodePort".into()),
					selector: Some(BTreeMap::from([(LABEL_SERVICE.into(), s.name.clone())])),
					ports: Some(exposed.iter().map(|p| service_port(p)).collect()),
					external_traffic_policy: Some("Local".into()),
					..Default::default()
				}),
				..Default::default()
			});
		}
	}

	let mut hard = BTreeMap::from([
		("pods".to_string(), q(pods.to_string())),
		("requests.cpu".to_string(), cpu(millis)),
		("limits.cpu".to_string(), cpu(millis)),
		("requests.memory".to_string(), mib(memory)),
		("limits.memory".to_string(), mib(memory)),
		("requests.ephemeral-storage".to_string(), mib(storage)),
		("limits.ephemeral-storage".to_string(), mib(storage)),
		(format!("requests.{GPU}"), q(gpus.to_string())),
		("services".to_string(), q(services.len().to_string())),
		("services.nodeports".to_string(), q(node_ports.to_string())),
		("services.loadbalancers".to_string(), q("0".into())),
		("persistentvolumeclaims".to_string(), q("0".into())),
	]);
	if storage == 0 {
		hard.remove("requests.ephemeral-storage");
		hard.remove("limits.ephemeral-storage");
	}
	let quota = ResourceQuota {
		metadata: meta("lease", ns, &labels),
		spec: Some(ResourceQuotaSpec { hard: Some(hard), ..Default::default() }),
		..Default::default()
	};

	// Per container: at most the largest service's replica; anything without its own requests
	// (nothing the daemon makes) gets the smallest's.
	let largest = spec.services.iter().map(requests).reduce(|a, b| {
		let mut m = a;
		for (k, v) in b {
			let bigger = m.get(&k).is_none_or(|old| quantity_milli(old) < quantity_milli(&v));
			if bigger {
				m.insert(k, v);
			}
		}
		m
	});
	let smallest =
		spec.services.iter().min_by_key(|s| (s.resources.cpu_millis, s.resources.memory_mb)).map(
			|s| {
				BTreeMap::from([
					("cpu".to_string(), cpu(u64::from(s.resources.cpu_millis))),
					("memory".to_string(), mib(s.resources.memory_mb)),
				])
			},
		);
	let limit_range = LimitRange {
		metadata: meta("lease", ns, &labels),
		spec: Some(LimitRangeSpec {
			limits: vec![LimitRangeItem {
				type_: "Container".into(),
				max: largest,
				default: smallest.clone(),
				default_request: smallest,
				..Default::default()
			}],
		}),
	};

	Objects { namespace, network_policies, quota, limit_range, deployments, services }
}

/// A quantity in thousandths of its base unit (millicores for CPUs, thousandths of a byte for
/// memory), from the forms the API writes (`2`, `0.5`, `500m`, `256Mi`, `8G`); `None` for what
/// it cannot read.
pub fn quantity_milli(q: &Quantity) -> Option<u128> {
	let s = q.0.trim();
	let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
	let (number, suffix) = s.split_at(split);
	let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
	// Thousandths of the number: enough precision for `0.5` CPUs and `1.5Gi`.
	let frac3: u128 = format!("{frac:0<3}").get(..3)?.parse().ok()?;
	let thousandths = whole.checked_mul(1000)?.checked_add(frac3)?;
	let unit: u128 = match suffix {
		"m" => return Some(thousandths / 1000),
		"" => 1,
		"k" => 1_000,
		"M" => 1_000_000,
		"G" => 1_000_000_000,
		"T" => 1_000_000_000_000,
		"Ki" => 1 << 10,
		"Mi" => 1 << 20,
		"Gi" => 1 << 30,
		"Ti" => 1 << 40,
		_ => return None,
	};
	thousandths.checked_mul(unit)
}

/// A quantity in its base unit, rounded down (a count of GPUs).
pub fn count(q: &Quantity) -> Option<u64> {
	u64::try_from(quantity_milli(q)? / 1000).ok()
}

/// CPU in millicores.
pub fn cpu_millis(q: &Quantity) -> Option<u64> {
	u64::try_from(quantity_milli(q)?).ok()
}

/// Bytes in MiB, rounded down.
pub fn mebibytes(q: &Quantity) -> Option<u64> {
	u64::try_from(quantity_milli(q)? / 1000 >> 20).ok()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn quantities_read_as_the_api_writes_them() {
		let cases = [("2", 2000), ("500m", 500), ("0.5", 500), ("1.25", 1250)];
		for (text, millis) in cases {
			assert_eq!(cpu_millis(&Quantity(text.into())), Some(millis), "{text}");
		}
		let cases = [("256Mi", 256), ("1Gi", 1024), ("1.5Gi", 1536), ("8G", 7629), ("1048576", 1)];
		for (text, mb) in cases {
			assert_eq!(mebibytes(&Quantity(text.into())), Some(mb), "{text}");
		}
		assert_eq!(mebibytes(&Quantity("12Zi".into())), None);
	}
}
