//! A provider's gateway, from the customer's side: signed GET requests for a lease's status and
//! its job's files (the daemon's side is `virtengine-provider`'s `gateway` module). Each
//! request is signed with the customer's account key over
//! `virtengine_primitives::signing::gateway_message` (method, path, time, a random nonce), so
//! the gateway knows it comes from the lease's customer and cannot be replayed.

use std::{path::PathBuf, sync::Arc, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;

use crate::{Error, Keypair};

/// The largest answer read (the gateway serves files up to 64 MiB).
pub const MAX_ANSWER: usize = 64 << 20;
/// How long a request may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A gateway's address: `http(s)://host[:port][/prefix]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayUrl {
	/// TLS.
	pub secure: bool,
	/// Host (IPv6 without brackets).
	pub host: String,
	/// Port.
	pub port: u16,
	/// Path prefix, without a trailing `/`.
	pub prefix: String,
}

impl GatewayUrl {
	/// Parses `url`.
	pub fn parse(url: &str) -> Result<GatewayUrl, Error> {
		let bad = |why: &str| Error::BadUrl { url: url.to_string(), why: why.to_string() };
		let (secure, rest) = if let Some(r) = url.strip_prefix("https://") {
			(true, r)
		} else if let Some(r) = url.strip_prefix("http://") {
			(false, r)
		} else {
			return Err(bad("a gateway address starts with https:// or http://"));
		};
		let (authority, prefix) = match rest.find('/') {
			Some(at) => (&rest[..at], rest[at..].trim_end_matches('/')),
			None => (rest, ""),
		};
		let default_port = if secure { 443 } else { 80 };
		let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
			let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed `[`"))?;
			let port = match after.strip_prefix(':') {
				Some(p) => p.parse().map_err(|_| bad("the port is not a number"))?,
				None if after.is_empty() => default_port,
				None => return Err(bad("junk after the IPv6 host")),
			};
			(host.to_string(), port)
		} else {
			match authority.rsplit_once(':') {
				Some((h, p)) => {
					(h.to_string(), p.parse().map_err(|_| bad("the port is not a number"))?)
				},
				None => (authority.to_string(), default_port),
			}
		};
		if host.is_empty() {
			return Err(bad("no host"));
		}
		Ok(GatewayUrl { secure, host, port, prefix: prefix.to_string() })
	}
}

/// What the gateway answered.
#[derive(Debug)]
pub struct Answer {
	/// The HTTP status.
	pub status: u16,
	/// The body.
	pub body: Vec<u8>,
}

impl Answer {
	/// The body if the status is 200; the gateway's error otherwise.
	pub fn ok(self) -> Result<Vec<u8>, Error> {
		if self.status == 200 {
			return Ok(self.body);
		}
		let why = serde_json::from_slice::<serde_json::Value>(&self.body)
			.ok()
			.and_then(|v| v.get("error")?.as_str().map(str::to_string))
			.unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned());
		Err(Error::Invalid(format!("the gateway answered {}: {why}", self.status)))
	}
}

fn random_nonce() -> [u8; 16] {
	use rand_core::RngCore;
	let mut nonce = [0u8; 16];
	rand_core::OsRng.fill_bytes(&mut nonce);
	nonce
}

/// The headers that sign `GET path` as `signer` for the chain whose genesis hash is `genesis`,
/// at `timestamp_ms` with `nonce` (the gateway refuses a nonce it has seen and a time more than
/// a minute from its own).
pub fn signed_headers(
	path: &str,
	signer: &Keypair,
	genesis: &[u8; 32],
	timestamp_ms: u64,
	nonce: &[u8; 16],
) -> Vec<(&'static str, String)> {
	let message =
		virtengine_primitives::signing::gateway_message(genesis, "GET", path, timestamp_ms, nonce);
	let signature = signer.sign(&message);
	vec![
		("x-virtengine-account", signer.public_key().to_account_id().to_string()),
		("x-virtengine-timestamp", timestamp_ms.to_string()),
		("x-virtengine-nonce", hex::encode(nonce)),
		("x-virtengine-signature", hex::encode(signature.0)),
	]
}

/// A signed `GET path` (`/v1/leases/<id>` or `/v1/leases/<id>/files/<name>`) to the gateway at
/// `url`, as `signer`, for the chain whose genesis hash is `genesis`: now, with a fresh nonce.
pub async fn get(
	url: &GatewayUrl,
	path: &str,
	signer: &Keypair,
	genesis: &[u8; 32],
	ca_file: Option<&PathBuf>,
) -> Result<Answer, Error> {
	let timestamp = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map_or(0, |d| d.as_millis() as u64);
	let headers = signed_headers(
		&format!("{}{path}", url.prefix),
		signer,
		genesis,
		timestamp,
		&random_nonce(),
	);
	get_with(url, path, &headers, ca_file).await
}

/// `GET path` with these headers (a request signed earlier: how the tests replay one).
pub async fn get_with(
	url: &GatewayUrl,
	path: &str,
	headers: &[(&'static str, String)],
	ca_file: Option<&PathBuf>,
) -> Result<Answer, Error> {
	tokio::time::timeout(TIMEOUT, get_inner(url, path, headers, ca_file))
		.await
		.map_err(|_| Error::Timeout { waited: TIMEOUT, last: format!("GET {path}") })?
}

async fn get_inner(
	url: &GatewayUrl,
	path: &str,
	headers: &[(&'static str, String)],
	ca_file: Option<&PathBuf>,
) -> Result<Answer, Error> {
	let full_path = format!("{}{path}", url.prefix);
	let endpoint = format!("{}:{}", url.host, url.port);
	let unreachable = |why: String| Error::Unreachable { endpoint: endpoint.clone(), why };
	let host_header = if url.host.contains(':') {
		format!("[{}]:{}", url.host, url.port)
	} else {
		format!("{}:{}", url.host, url.port)
	};
	let mut request =
		Request::builder().method("GET").uri(&full_path).header(hyper::header::HOST, host_header);
	for (name, value) in headers {
		request = request.header(*name, value);
	}
	let request = request.body(Empty::<Bytes>::new()).map_err(|e| Error::Invalid(e.to_string()))?;
	let tcp = tokio::net::TcpStream::connect((url.host.as_str(), url.port))
		.await
		.map_err(|e| unreachable(e.to_string()))?;
	let response = if url.secure {
		let config = crate::transport::tls_config(ca_file)?;
		let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
		let name = rustls_pki_types::ServerName::try_from(url.host.clone())
			.map_err(|e| Error::Tls(format!("{}: {e}", url.host)))?;
		let tls = connector.connect(name, tcp).await.map_err(|e| Error::Tls(e.to_string()))?;
		send(TokioIo::new(tls), request).await?
	} else {
		send(TokioIo::new(tcp), request).await?
	};
	let status = response.status();
	let mut body = response.into_body();
	let mut bytes = Vec::new();
	while let Some(frame) = body.frame().await {
		let frame = frame.map_err(|e| unreachable(e.to_string()))?;
		if let Some(data) = frame.data_ref() {
			if bytes.len() + data.len() > MAX_ANSWER {
				return Err(Error::Invalid(format!(
					"the gateway's answer exceeds {MAX_ANSWER} bytes"
				)));
			}
			bytes.extend_from_slice(data);
		}
	}
	Ok(Answer { status: status.as_u16(), body: bytes })
}

async fn send<T>(
	io: TokioIo<T>,
	request: Request<Empty<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, Error>
where
	T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
	let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
		.await
		.map_err(|e| Error::Unreachable { endpoint: "gateway".into(), why: e.to_string() })?;
	tokio::spawn(async move {
		let _ = connection.await;
	});
	sender
		.send_request(request)
		.await
		.map_err(|e| Error::Unreachable { endpoint: "gateway".into(), why: e.to_string() })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn gateway_addresses_parse() {
		let u = GatewayUrl::parse("https://p.example.com:8443/ve/").expect("url");
		assert_eq!(
			u,
			GatewayUrl {
				secure: true,
				host: "p.example.com".into(),
				port: 8443,
				prefix: "/ve".into()
			}
		);
		let u = GatewayUrl::parse("http://[::1]").expect("url");
		assert_eq!((u.host.as_str(), u.port, u.secure), ("::1", 80, false));
		assert!(GatewayUrl::parse("ftp://x").is_err());
		assert!(GatewayUrl::parse("https://:1").is_err());
	}
}
