//! The gateway: a lease's customer reads the lease's status and its job's output files here,
//! with requests signed by the customer's account key (`virtengine market lease status|output`).
//!
//! - `GET /v1/leases/<id>`: the lease's state on chain, the job's state, what was billed, and the
//!   output files (JSON);
//! - `GET /v1/leases/<id>/files/<name>`: one output file (batch jobs);
//! - `GET /v1/leases/<id>/logs/<pod>?tail=<n>`: the last `n` lines (default 100, at most
//!   10,000) of one pod's log (container services; the status lists the pods).
//!
//! Every request carries `x-virtengine-account` (SS58), `x-virtengine-timestamp` (ms),
//! `x-virtengine-nonce` (16 bytes, hex) and `x-virtengine-signature` (sr25519 over
//! `virtengine_primitives::signing::gateway_message` over the method and the path with its query,
//! hex). The account must be the lease's
//! customer, the time within a minute of the gateway's, and the nonce new: a captured request
//! cannot be replayed. HTTPS with `[gateway] tls_cert`/`tls_key`.

use std::{
	collections::HashMap,
	convert::Infallible,
	net::SocketAddr,
	path::{Path, PathBuf},
	sync::Arc,
	time::{Duration, SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sp_core::{sr25519, Pair};
use tokio::{net::TcpListener, sync::Mutex};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use virtengine_client::{parse_account, AccountId};

use crate::{backend::JobState, chain::Chain, daemon::Backends, journal::Journal};

/// How far a request's time may be from the gateway's.
pub const MAX_SKEW: Duration = Duration::from_secs(60);
/// The largest file served.
pub const MAX_FILE: u64 = 64 << 20;

/// Header names.
pub mod header {
	/// The signer's account (SS58).
	pub const ACCOUNT: &str = "x-virtengine-account";
	/// Milliseconds since the Unix epoch.
	pub const TIMESTAMP: &str = "x-virtengine-timestamp";
	/// 16 random bytes, hex.
	pub const NONCE: &str = "x-virtengine-nonce";
	/// The sr25519 signature, hex.
	pub const SIGNATURE: &str = "x-virtengine-signature";
}

/// The gateway's state.
pub struct Gateway<C: Chain> {
	chain: Arc<C>,
	backends: Backends,
	journal: Arc<Journal>,
	seen: Mutex<HashMap<[u8; 16], u64>>,
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: impl Into<Bytes>, content_type: &str) -> Reply {
	let mut response = Response::new(Full::new(body.into()));
	*response.status_mut() = status;
	if let Ok(v) = content_type.parse() {
		response.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
	}
	response
}

fn error(status: StatusCode, why: &str) -> Reply {
	reply(status, serde_json::json!({ "error": why }).to_string(), "application/json")
}

/// Unix time in milliseconds.
pub(crate) fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A file name the gateway serves: one path component of letters, digits, `.`, `_` and `-`,
/// not starting with a dot.
pub fn servable_name(name: &str) -> bool {
	!name.is_empty()
		&& !name.starts_with('.')
		&& name.len() <= 255
		&& name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl<C: Chain> Gateway<C> {
	/// A gateway.
	pub fn new(chain: Arc<C>, backends: Backends, journal: Arc<Journal>) -> Arc<Self> {
		Arc::new(Gateway { chain, backends, journal, seen: Mutex::new(HashMap::new()) })
	}

	/// Who signed `request`, if the signature, time and nonce are good.
	async fn signer(&self, request: &Request<Incoming>) -> Result<AccountId, Reply> {
		let get = |name: &str| {
			request
				.headers()
				.get(name)
				.and_then(|v| v.to_str().ok())
				.ok_or_else(|| error(StatusCode::UNAUTHORIZED, &format!("missing {name}")))
		};
		let bad = |name: &str| error(StatusCode::UNAUTHORIZED, &format!("malformed {name}"));
		let account = parse_account(get(header::ACCOUNT)?).map_err(|_| bad(header::ACCOUNT))?;
		let timestamp: u64 = get(header::TIMESTAMP)?.parse().map_err(|_| bad(header::TIMESTAMP))?;
		let nonce: [u8; 16] = hex::decode(get(header::NONCE)?)
			.ok()
			.and_then(|b| b.try_into().ok())
			.ok_or_else(|| bad(header::NONCE))?;
		let signature: [u8; 64] = hex::decode(get(header::SIGNATURE)?)
			.ok()
			.and_then(|b| b.try_into().ok())
			.ok_or_else(|| bad(header::SIGNATURE))?;
		let now = now_ms();
		if now.abs_diff(timestamp) > MAX_SKEW.as_millis() as u64 {
			return Err(error(
				StatusCode::UNAUTHORIZED,
				"the request's time is more than a minute from the gateway's (check the clock)",
			));
		}
		let message = virtengine_primitives::signing::gateway_message(
			&self.chain.genesis(),
			request.method().as_str(),
			request.uri().path_and_query().map_or("/", |p| p.as_str()),
			timestamp,
			&nonce,
		);
		let public = sr25519::Public::from_raw(account.0);
		if !sr25519::Pair::verify(&sr25519::Signature::from_raw(signature), &message, &public) {
			return Err(error(StatusCode::UNAUTHORIZED, "bad signature"));
		}
		let mut seen = self.seen.lock().await;
		seen.retain(|_, t| now.abs_diff(*t) <= 2 * MAX_SKEW.as_millis() as u64);
		if seen.insert(nonce, timestamp).is_some() {
			return Err(error(StatusCode::UNAUTHORIZED, "replayed request (nonce seen before)"));
		}
		Ok(account)
	}

	/// Answers one request.
	pub async fn handle(&self, request: Request<Incoming>) -> Reply {
		if request.method() != hyper::Method::GET {
			return error(StatusCode::METHOD_NOT_ALLOWED, "GET only");
		}
		let path = request.uri().path().to_string();
		let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
		enum Ask {
			Status,
			File(String),
			Logs(String),
		}
		let (id, ask) = match parts.as_slice() {
			["v1", "leases", id] => (id.parse::<u64>().ok(), Ask::Status),
			["v1", "leases", id, "files", name] => {
				(id.parse::<u64>().ok(), Ask::File(name.to_string()))
			},
			["v1", "leases", id, "logs", pod] => {
				(id.parse::<u64>().ok(), Ask::Logs(pod.to_string()))
			},
			_ => return error(StatusCode::NOT_FOUND, "no such path"),
		};
		let tail = match request
			.uri()
			.query()
			.unwrap_or("")
			.split('&')
			.find_map(|kv| kv.strip_prefix("tail="))
		{
			None => 100,
			Some(n) => match n.parse::<u32>() {
				Ok(n) if (1..=10_000).contains(&n) => n,
				_ => return error(StatusCode::BAD_REQUEST, "tail: a number of lines, 1 to 10000"),
			},
		};
		let Some(id) = id else { return error(StatusCode::NOT_FOUND, "no such lease") };
		let who = match self.signer(&request).await {
			Ok(who) => who,
			Err(reply) => return reply,
		};
		let lease = match self.chain.lease(id).await {
			Ok(Some(lease)) if &lease.provider == self.chain.account() => lease,
			Ok(_) => return error(StatusCode::NOT_FOUND, "no such lease with this provider"),
			Err(e) => {
				warn!(lease = id, error = %e, "gateway: cannot read the lease");
				return error(StatusCode::SERVICE_UNAVAILABLE, "cannot read the chain");
			},
		};
		if lease.customer != who {
			return error(StatusCode::FORBIDDEN, "only the lease's customer may read it");
		}
		let entry = self.journal.lease(id);
		let backend = entry.as_ref().and_then(|e| self.backends.of_entry(e)).cloned();
		// A lease the journal forgot (over and billed) keeps its files: its backend's directory
		// is the one that exists.
		let dir = match &backend {
			Some(b) => b.lease_dir(id),
			None => self.backends.all().find_map(|b| b.lease_dir(id).filter(|d| d.is_dir())),
		};
		match ask {
			Ask::Status => self.status(id, &lease, dir.as_deref()).await,
			Ask::File(name) => match dir {
				Some(dir) => serve_file(&dir, &name).await,
				None => error(StatusCode::NOT_FOUND, "this lease's workload has no files"),
			},
			Ask::Logs(pod) => {
				let job = entry.as_ref().and_then(|e| e.job_id.clone());
				let (Some(backend), Some(job)) = (backend, job) else {
					return error(StatusCode::NOT_FOUND, "the lease's workload is not running");
				};
				match backend.logs(&job, &pod, tail).await {
					Ok(bytes) => reply(StatusCode::OK, bytes, "text/plain; charset=utf-8"),
					Err(crate::backend::BackendError::Refused { why, .. }) => {
						error(StatusCode::NOT_FOUND, &why)
					},
					Err(e) => {
						warn!(lease = id, error = %e, "gateway: cannot read the logs");
						error(StatusCode::SERVICE_UNAVAILABLE, "cannot read the logs")
					},
				}
			},
		}
	}

	async fn status(&self, id: u64, lease: &crate::chain::LeaseOf, dir: Option<&Path>) -> Reply {
		let entry = self.journal.lease(id);
		let job = entry.as_ref().and_then(|e| e.job_id.clone());
		let backend = entry.as_ref().and_then(|e| self.backends.of_entry(e)).cloned();
		let mut details = serde_json::Value::Null;
		let job_state = match (&job, &backend) {
			(Some(job), Some(backend)) => match backend.state(job).await {
				Ok(JobState::Queued) => "queued".to_string(),
				Ok(JobState::Running) => "running".to_string(),
				Ok(JobState::Ended { state, .. }) => state.to_lowercase(),
				Ok(JobState::Unknown) => "unknown".to_string(),
				Err(e) => format!("unavailable: {e}"),
			},
			(Some(_), None) => "its backend is not configured".to_string(),
			(None, _) => "not submitted".to_string(),
		};
		if let (Some(job), Some(backend)) = (&job, &backend) {
			details = backend
				.details(job)
				.await
				.unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }));
		}
		let files = match dir {
			Some(dir) => list_files(dir).await,
			None => Vec::new(),
		};
		let body = serde_json::json!({
			"lease": id,
			"state": format!("{:?}", lease.state),
			"job": job,
			"job_state": job_state,
			"billed": entry.as_ref().map(|e| e.billed.clone()).unwrap_or_default(),
			"refused": entry.as_ref().and_then(|e| e.refused.clone()),
			"files": files,
			"details": details,
		});
		reply(StatusCode::OK, body.to_string(), "application/json")
	}
}

async fn list_files(dir: &Path) -> Vec<serde_json::Value> {
	let mut files = Vec::new();
	let Ok(mut entries) = tokio::fs::read_dir(dir).await else { return files };
	while let Ok(Some(entry)) = entries.next_entry().await {
		let name = entry.file_name().to_string_lossy().into_owned();
		if !servable_name(&name) {
			continue;
		}
		if let Ok(meta) = entry.metadata().await {
			if meta.is_file() {
				files.push(serde_json::json!({ "name": name, "size": meta.len() }));
			}
		}
	}
	files.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
	files
}

async fn serve_file(dir: &Path, name: &str) -> Reply {
	if !servable_name(name) {
		return error(StatusCode::NOT_FOUND, "no such file");
	}
	let path: PathBuf = dir.join(name);
	// Regular files only, never through a link (a job could link to the daemon's keys).
	let meta = match tokio::fs::symlink_metadata(&path).await {
		Ok(meta) if meta.is_file() => meta,
		_ => return error(StatusCode::NOT_FOUND, "no such file"),
	};
	if meta.len() > MAX_FILE {
		return error(StatusCode::PAYLOAD_TOO_LARGE, "file larger than the gateway serves");
	}
	match tokio::fs::read(&path).await {
		Ok(bytes) => reply(StatusCode::OK, bytes, "application/octet-stream"),
		Err(_) => error(StatusCode::NOT_FOUND, "no such file"),
	}
}

/// TLS for the gateway, from PEM files.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, String> {
	use rustls_pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
	crate::keys::read_secret(key).map_err(|e| e.to_string())?;
	let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
		.map_err(|e| format!("{}: {e}", cert.display()))?
		.collect::<Result<_, _>>()
		.map_err(|e| format!("{}: {e}", cert.display()))?;
	let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
	let config = rustls::ServerConfig::builder_with_provider(Arc::new(
		rustls::crypto::ring::default_provider(),
	))
	.with_safe_default_protocol_versions()
	.map_err(|e| e.to_string())?
	.with_no_client_auth()
	.with_single_cert(certs, key)
	.map_err(|e| format!("TLS certificate and key: {e}"))?;
	Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves `handle` on `listener` until `cancel`, over TLS with `tls`.
pub async fn serve<F, Fut>(
	listener: TcpListener,
	tls: Option<tokio_rustls::TlsAcceptor>,
	cancel: CancellationToken,
	handle: F,
) where
	F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
	Fut: std::future::Future<Output = Reply> + Send + 'static,
{
	let local: Option<SocketAddr> = listener.local_addr().ok();
	info!(address = ?local, tls = tls.is_some(), "serving");
	loop {
		let (stream, peer) = tokio::select! {
			() = cancel.cancelled() => return,
			accepted = listener.accept() => match accepted {
				Ok(a) => a,
				Err(e) => {
					warn!(error = %e, "accept failed");
					tokio::time::sleep(Duration::from_millis(100)).await;
					continue;
				},
			},
		};
		let handle = handle.clone();
		let tls = tls.clone();
		let cancel = cancel.clone();
		tokio::spawn(async move {
			let service = hyper::service::service_fn(move |req| {
				let handle = handle.clone();
				async move { Ok::<_, Infallible>(handle(req).await) }
			});
			let builder = hyper::server::conn::http1::Builder::new();
			let result = match tls {
				Some(tls) => match tls.accept(stream).await {
					Ok(stream) => {
						tokio::select! {
							() = cancel.cancelled() => Ok(()),
							r = builder.serve_connection(TokioIo::new(stream), service) => r,
						}
					},
					Err(e) => {
						debug!(%peer, error = %e, "TLS handshake failed");
						Ok(())
					},
				},
				None => tokio::select! {
					() = cancel.cancelled() => Ok(()),
					r = builder.serve_connection(TokioIo::new(stream), service) => r,
				},
			};
			if let Err(e) = result {
				debug!(%peer, error = %e, "connection ended");
			}
		});
	}
}
