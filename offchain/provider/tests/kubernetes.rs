//! The Kubernetes backend against the API server stand-in (`virtengine-kube-emulator`: no API
//! server can be installed here; its crate docs say what it does not check). The backend's real
//! client (`kube`) speaks HTTP to it on loopback.
//!
//! - the objects a workload becomes (golden file `tests/golden/kubernetes-objects.json`;
//!   `VIRTENGINE_WRITE_GOLDEN=1` writes it again);
//! - submitting, then applying again: nothing changes (no resourceVersion moves);
//! - the controller puts back what was deleted or changed by hand, and backs off from a
//!   namespace it cannot reconcile;
//! - the workload gets ready, its endpoints and pods are read, the usage of the pods that ran
//!   is integrated, and cancelling deletes the namespace and waits until it is gone;
//! - after a crash: a new backend on the same state finds the lease's namespace and its usage
//!   so far, and the cleanup at start deletes the namespaces no lease holds;
//! - a workload larger than the cluster (or than a node) is refused before it is submitted;
//!   one the cluster is too busy to schedule stays queued, saying why;
//! - a malformed workload is refused with the field named.

use std::{
	path::Path,
	sync::Arc,
	time::{Duration, Instant},
};

use k8s_openapi::api::{apps::v1::Deployment, core::v1::ResourceQuota};
use kube::{
	api::{DeleteParams, Patch, PatchParams},
	Api,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use virtengine_kube_emulator::{Emulator, NodeSpec, Options};
use virtengine_provider::{
	backend::{
		kubernetes::{
			objects::{self, Scope},
			Kubernetes,
		},
		Backend, JobId, JobState,
	},
	config,
	services::ServicesSpec,
	workload::Workload,
};

fn scope() -> Scope {
	Scope {
		provider: "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty".into(),
		chain: "0123456789abcdef".into(),
	}
}

fn workload(value: serde_json::Value) -> Workload {
	Workload::parse(&serde_json::to_vec(&value).expect("json")).expect("a good workload")
}

fn web() -> serde_json::Value {
	json!({
		"version": 1, "kind": "container-services",
		"services": [
			{ "name": "web", "image": "nginx:1.27", "replicas": 2,
			  "env": { "MODE": "demo" },
			  "ports": [ { "port": 80, "expose": true }, { "port": 9000 } ],
			  "resources": { "cpu_millis": 500, "memory_mb": 256, "storage_mb": 512 } },
			{ "name": "cache", "image": "redis:7", "command": ["redis-server"], "args": ["--save", ""],
			  "ports": [ { "port": 6379 } ],
			  "resources": { "cpu_millis": 250, "memory_mb": 128 } }
		]
	})
}

struct Cluster {
	emulator: Emulator,
	dir: tempfile::TempDir,
}

impl Cluster {
	async fn start(options: Options) -> Cluster {
		let emulator = Emulator::start(options).await.expect("emulator");
		let dir = tempfile::tempdir().expect("dir");
		virtengine_provider::keys::write_new_secret(
			&dir.path().join("kubeconfig"),
			emulator.kubeconfig().as_bytes(),
		)
		.expect("kubeconfig");
		Cluster { emulator, dir }
	}

	async fn backend(&self) -> Arc<Kubernetes> {
		let config = config::Kubernetes {
			kubeconfig: Some(self.dir.path().join("kubeconfig")),
			context: None,
			public_host: "provider.example.com".into(),
			max_cpus: None,
			max_memory_mb: None,
			max_storage_mb: None,
			max_gpus: None,
			delete_timeout_secs: 30,
		};
		Arc::new(
			Kubernetes::new(&config, scope(), &self.dir.path().join("state"))
				.await
				.expect("backend"),
		)
	}

	fn resource_versions(&self, ns: &str) -> Vec<(String, String)> {
		let mut out = Vec::new();
		for plural in
			["networkpolicies", "resourcequotas", "limitranges", "deployments", "services"]
		{
			for o in self.emulator.objects(plural, Some(ns)) {
				out.push((
					format!("{plural}/{}", o["metadata"]["name"].as_str().unwrap_or("")),
					o["metadata"]["resourceVersion"].as_str().unwrap_or("").to_string(),
				));
			}
		}
		let namespace = self.emulator.object("namespaces", "", ns).expect("namespace");
		out.push((
			"namespace".into(),
			namespace["metadata"]["resourceVersion"].as_str().unwrap_or("").into(),
		));
		out
	}

	fn client(&self) -> kube::Client {
		let kubeconfig =
			kube::config::Kubeconfig::from_yaml(&self.emulator.kubeconfig()).expect("kubeconfig");
		let config = futures::executor::block_on(kube::Config::from_custom_kubeconfig(
			kubeconfig,
			&Default::default(),
		))
		.expect("config");
		kube::Client::try_from(config).expect("client")
	}
}

async fn wait_for(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
	let start = Instant::now();
	while !check().await {
		assert!(start.elapsed() < timeout, "{what}: not within {timeout:?}");
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
}

const NS: &str = "virtengine-lease-7-0badcafe";

#[test]
fn a_workload_becomes_the_objects_of_the_golden_file() {
	let Workload::Services(spec) = workload(web()) else { panic!("services") };
	let objects = objects::objects(&scope(), 7, NS, &spec);
	let text = serde_json::to_string_pretty(&objects).expect("json") + "\n";
	let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/kubernetes-objects.json");
	if std::env::var("VIRTENGINE_WRITE_GOLDEN").is_ok() {
		std::fs::write(&golden, &text).expect("write the golden file");
	}
	let expected = std::fs::read_to_string(&golden).expect("the golden file");
	assert!(
		text == expected,
		"the objects differ from {} (VIRTENGINE_WRITE_GOLDEN=1 writes them again after a deliberate change):\n{text}",
		golden.display()
	);
	// What the golden file must show, whatever else changes.
	assert_eq!(
		objects
			.quota
			.spec
			.as_ref()
			.and_then(|s| s.hard.as_ref())
			.map(|h| h["requests.cpu"].0.clone()),
		Some("1250m".into())
	);
	assert_eq!(objects.deployments.len(), 2);
	assert_eq!(objects.services.len(), 3, "web, web-public, cache");
	assert_eq!(
		objects.network_policies.len(),
		5,
		"deny, same namespace, DNS, internet, expose-web"
	);
	let ns = serde_json::to_value(&objects.namespace).expect("json");
	assert_eq!(ns["metadata"]["labels"]["virtengine.io/lease"], "7");
	assert_eq!(ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "baseline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_runs_from_submission_to_deletion_and_applying_again_changes_nothing() {
	// Pods take 1.5 s to start: long enough to see the lease not ready yet on a loaded machine.
	let options = Options { start_after: Duration::from_millis(1500), ..Default::default() };
	let cluster = Cluster::start(options).await;
	let backend = cluster.backend().await;
	let spec = workload(web());
	assert!(backend.check().await.expect("check").contains("2 ready nodes"));
	let capacity = backend.capacity().await.expect("capacity");
	assert_eq!((capacity.total.cpus, capacity.total.memory_mb), (8, 16384));
	backend.admits(&spec, &capacity).expect("it fits");

	let job = backend.submit(NS, &spec, Path::new("")).await.expect("submit");
	assert_eq!(job, JobId::Kubernetes(NS.into()));
	assert_eq!(backend.find(NS).await.expect("find"), Some(job.clone()));
	assert_eq!(backend.find("virtengine-lease-8-00000000").await.expect("find"), None);
	// Not ready at once: the pods take a moment to start.
	assert_eq!(backend.state(&job).await.expect("state"), JobState::Queued);
	wait_for("ready", Duration::from_secs(10), async || backend.ready(&job).await.expect("ready"))
		.await;
	assert_eq!(backend.state(&job).await.expect("state"), JobState::Running);

	// Applying everything again (a resubmission, a reconcile) moves no resourceVersion.
	tokio::time::sleep(Duration::from_millis(300)).await;
	let before = cluster.resource_versions(NS);
	backend.submit(NS, &spec, Path::new("")).await.expect("submit again");
	let namespace: k8s_openapi::api::core::v1::Namespace =
		serde_json::from_value(cluster.emulator.object("namespaces", "", NS).expect("ns"))
			.expect("ns");
	backend.reconcile(&namespace).await.expect("reconcile");
	assert_eq!(cluster.resource_versions(NS), before, "applying again changed something");

	// What the customer is given and shown.
	let endpoints = backend.endpoints(&job).await.expect("endpoints");
	assert_eq!(endpoints.len(), 1, "{endpoints:?}");
	assert!(endpoints[0].starts_with("web 80/TCP: provider.example.com:3"), "{endpoints:?}");
	let details = backend.details(&job).await.expect("details");
	let pods = details["pods"].as_array().expect("pods");
	assert_eq!(pods.len(), 3, "{details}");
	assert!(pods.iter().all(|p| p["ready"] == true && p["phase"] == "Running"), "{details}");
	let pod = pods[0]["name"].as_str().expect("name").to_string();
	let logs = String::from_utf8(backend.logs(&job, &pod, 2).await.expect("logs")).expect("text");
	assert_eq!(logs.lines().count(), 2, "{logs}");
	let err = backend.logs(&job, "no-such-pod", 10).await.expect_err("no such pod").to_string();
	assert!(err.contains("not found"), "{err}");

	// Usage: what the pods held while they ran (3 pods: 1250 millicores, 640 MiB).
	tokio::time::sleep(Duration::from_millis(2100)).await;
	let acc = backend.accounting(&job).await.expect("accounting").expect("some");
	let held = acc.held.clone().expect("integrated");
	assert!(!acc.ended);
	assert!(acc.elapsed_s >= 2, "{acc:?}");
	// Every pod was seen running for `elapsed_s`, give or take the second one started in.
	let within = |per_second: u64, got: u64| {
		(per_second * (acc.elapsed_s - 1)..=per_second * acc.elapsed_s).contains(&got)
	};
	assert!(within(1250, held.cpu_millis_seconds), "{acc:?}");
	assert!(within(640, held.memory_mb_seconds), "{acc:?}");
	assert!(within(1024, held.storage_mb_seconds), "{acc:?}");

	// The end: the namespace is deleted and awaited; the ledger is final.
	backend.cancel(&job).await.expect("cancel");
	assert!(cluster.emulator.object("namespaces", "", NS).is_none(), "deleted and awaited");
	assert!(cluster.emulator.objects("pods", Some(NS)).is_empty());
	assert_eq!(backend.state(&job).await.expect("state"), JobState::Unknown);
	let last = backend.accounting(&job).await.expect("accounting").expect("some");
	assert!(last.ended);
	assert!(last.held.expect("held").cpu_millis_seconds >= held.cpu_millis_seconds);
	// Cancelling again is nothing.
	backend.cancel(&job).await.expect("cancel again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_puts_back_what_was_deleted_or_changed_by_hand() {
	let cluster = Cluster::start(Options::default()).await;
	let backend = cluster.backend().await;
	let cancel = CancellationToken::new();
	let metrics = Arc::new(virtengine_provider::metrics::Metrics::new().expect("metrics"));
	let controller = tokio::spawn(backend.clone().controller(cancel.clone(), metrics.clone()));
	let job = backend.submit(NS, &workload(web()), Path::new("")).await.expect("submit");
	wait_for("ready", Duration::from_secs(10), async || backend.ready(&job).await.expect("ready"))
		.await;

	let client = cluster.client();
	let deployments: Api<Deployment> = Api::namespaced(client.clone(), NS);
	deployments.delete("cache", &DeleteParams::default()).await.expect("delete by hand");
	let quotas: Api<ResourceQuota> = Api::namespaced(client.clone(), NS);
	let by_hand = PatchParams { field_manager: Some("kubectl-edit".into()), ..Default::default() };
	quotas
		.patch(
			"lease",
			&by_hand,
			&Patch::Merge(json!({ "spec": { "hard": { "requests.cpu": "64" } } })),
		)
		.await
		.expect("edit by hand");
	// A non-forced apply by another manager of a field this one owns: a conflict, as a real
	// server's; the daemon's own applies are forced.
	let grab = PatchParams::apply("someone-else");
	let err = quotas
		.patch(
			"lease",
			&grab,
			&Patch::Apply(json!({
			"apiVersion": "v1", "kind": "ResourceQuota",
			"metadata": { "name": "lease" }, "spec": { "hard": { "requests.cpu": "1" } } })),
		)
		.await;
	assert!(matches!(err, Err(kube::Error::Api(ref s)) if s.code == 409), "{err:?}");

	wait_for("cache recreated and the quota restored", Duration::from_secs(20), async || {
		let quota = cluster.emulator.object("resourcequotas", NS, "lease");
		cluster.emulator.object("deployments", NS, "cache").is_some()
			&& quota.is_some_and(|q| q["spec"]["hard"]["requests.cpu"] == "1250m")
	})
	.await;
	wait_for("ready again", Duration::from_secs(10), async || {
		backend.ready(&job).await.expect("ready")
	})
	.await;

	// A namespace whose workload annotation is broken cannot be reconciled: refused, named.
	let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
	namespaces
		.patch(
			NS,
			&by_hand,
			&Patch::Merge(
				json!({ "metadata": { "annotations": { "virtengine.io/workload": "{\"version\": 1}" } } }),
			),
		)
		.await
		.expect("break the annotation");
	let broken: k8s_openapi::api::core::v1::Namespace =
		serde_json::from_value(cluster.emulator.object("namespaces", "", NS).expect("ns"))
			.expect("ns");
	let err = backend.reconcile(&broken).await.expect_err("broken").to_string();
	assert!(err.contains("workload annotation"), "{err}");

	cancel.cancel();
	tokio::time::timeout(Duration::from_secs(10), controller).await.expect("stops").expect("joins");
	let reconciled = metrics.reconciles.with_label_values(&["ok"]).get();
	assert!(reconciled >= 2, "the initial reconcile and the repairs: {reconciled}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_the_lease_is_found_again_and_what_no_lease_holds_is_deleted() {
	let cluster = Cluster::start(Options::default()).await;
	let small = workload(json!({ "version": 1, "kind": "container-services", "services": [
		{ "name": "app", "image": "busybox:1.36", "command": ["sleep", "infinity"],
		  "resources": { "cpu_millis": 100, "memory_mb": 32 } } ] }));
	let kept = "virtengine-lease-1-00000001";
	let orphan = "virtengine-lease-2-00000002";
	{
		let backend = cluster.backend().await;
		for ns in [kept, orphan] {
			let job = backend.submit(ns, &small, Path::new("")).await.expect("submit");
			wait_for("ready", Duration::from_secs(10), async || {
				backend.ready(&job).await.expect("ready")
			})
			.await;
		}
		tokio::time::sleep(Duration::from_millis(1100)).await;
		backend.state(&JobId::Kubernetes(kept.into())).await.expect("a look");
		// The daemon dies here.
	}
	let backend = cluster.backend().await;
	let job = backend.find(kept).await.expect("find").expect("found again");
	assert_eq!(backend.state(&job).await.expect("state"), JobState::Running);
	let acc = backend.accounting(&job).await.expect("accounting").expect("some");
	assert!(
		acc.held.expect("held").cpu_millis_seconds >= 100,
		"the usage before the crash is kept"
	);

	// Another provider's namespace, and one not ours at all, are never touched.
	let other = cluster.client();
	let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(other);
	namespaces
		.patch("someone-elses", &PatchParams::apply("other"), &Patch::Apply(json!({
			"apiVersion": "v1", "kind": "Namespace",
			"metadata": { "name": "someone-elses", "labels": { "app.kubernetes.io/managed-by": "virtengine-provider", "virtengine.io/provider": "5Other", "virtengine.io/chain": "0123456789abcdef" } } })))
		.await
		.expect("another provider's namespace");
	let removed = backend.cleanup(&[kept.to_string()]).await.expect("cleanup");
	assert_eq!(removed, vec![orphan.to_string()]);
	assert!(cluster.emulator.object("namespaces", "", orphan).is_none(), "deleted and awaited");
	assert!(cluster.emulator.object("namespaces", "", kept).is_some());
	assert!(cluster.emulator.object("namespaces", "", "someone-elses").is_some());
	assert!(cluster.emulator.object("namespaces", "", "default").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_cluster_cannot_hold_is_refused_or_waits_saying_why() {
	let options = Options {
		nodes: vec![NodeSpec {
			name: "only".into(),
			cpu_millis: 2000,
			memory_mb: 4096,
			storage_mb: 10240,
			gpus: 0,
		}],
		..Default::default()
	};
	let cluster = Cluster::start(options).await;
	let backend = cluster.backend().await;
	let capacity = backend.capacity().await.expect("capacity");
	let big = |cpu: u32, replicas: u32| {
		workload(json!({ "version": 1, "kind": "container-services", "services": [
			{ "name": "big", "image": "busybox", "replicas": replicas,
			  "resources": { "cpu_millis": cpu, "memory_mb": 64 } } ] }))
	};
	let err = backend.admits(&big(3000, 1), &capacity).expect_err("a replica larger than a node");
	assert!(err.contains("3000 millicores per replica; a node has at most 2 cores"), "{err}");
	let err = backend.admits(&big(1000, 3), &capacity).expect_err("more than the cluster");
	assert!(err.contains("larger than the cluster: 3 CPUs of 2 free"), "{err}");
	let gpu = workload(json!({ "version": 1, "kind": "container-services", "services": [
		{ "name": "train", "image": "busybox", "resources": { "cpu_millis": 100, "memory_mb": 64, "gpus": 1 } } ] }));
	assert!(backend.admits(&gpu, &capacity).expect_err("no GPUs").contains("GPUs"));
	let batch = Workload::parse(br##"{"version":1,"kind":"slurm-batch","script":"#!/bin/sh\n","nodes":1,"tasks":1,"cpus_per_task":1,"memory_mb":1,"time_limit_minutes":1}"##).expect("batch");
	let err = backend.admits(&batch, &capacity).expect_err("a batch job");
	assert!(err.contains("runs `container-services` configurations"), "{err}");

	// It fits the cluster, but something else already holds the node: it waits, and says why.
	let hog = "virtengine-lease-3-00000003";
	let job = backend.submit(hog, &big(1500, 1), Path::new("")).await.expect("submit");
	wait_for("ready", Duration::from_secs(10), async || backend.ready(&job).await.expect("ready"))
		.await;
	let second = "virtengine-lease-4-00000004";
	let job = backend.submit(second, &big(1000, 1), Path::new("")).await.expect("submit");
	tokio::time::sleep(Duration::from_millis(800)).await;
	assert_eq!(backend.state(&job).await.expect("state"), JobState::Queued);
	let details = backend.details(&job).await.expect("details");
	assert!(
		details["pods"][0]["waiting"].as_str().is_some_and(|w| w.contains("Insufficient cpu")),
		"{details}"
	);
	assert_eq!(
		backend.accounting(&job).await.expect("accounting"),
		None,
		"nothing ran: nothing to bill"
	);
}

#[test]
fn a_malformed_workload_is_refused_with_its_field_named() {
	let cases = [
		(
			json!({ "version": 1, "kind": "container-services", "services": [] }),
			"services: 1 to 8 services",
		),
		(
			json!({ "version": 1, "kind": "container-services", "services": [{ "name": "a", "image": "x", "resources": { "cpu_millis": 5, "memory_mb": 64 } }] }),
			"resources: service `a`: cpu_millis: at least 10",
		),
		(
			json!({ "version": 1, "kind": "container-services", "services": [{ "name": "a", "image": "x", "resources": { "cpu_millis": 50, "memory_mb": 64 }, "hostNetwork": true }] }),
			"unknown field `hostNetwork`",
		),
		(
			json!({ "version": 1, "kind": "kubernetes-pod" }),
			"kind: `kubernetes-pod` is not supported",
		),
	];
	for (value, expected) in cases {
		let err =
			Workload::parse(&serde_json::to_vec(&value).expect("json")).expect_err("malformed");
		assert!(err.to_string().contains(expected), "{err} (expected `{expected}`)");
	}
	assert!(ServicesSpec::parse(b"{").is_err());
}
