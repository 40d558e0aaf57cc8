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

/// The envelope content type of a lease's access details.
pub const ACCESS_CONTENT_TYPE: &[u8] = b"application/vnd.virtengine.lease-access+json;v=1";

/// A lease's access details, version 1: what a provider's daemon seals to the lease's customer
/// (`Market::set_access_details`), signed by its daemon key. JSON:
/// `{"version": 1, "lease": 5, "gateway": "https://host:8443", "job": "virtengine-lease-5-…"}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessDetails {
	/// The lease.
	pub lease: u64,
	/// The provider's gateway, where the lease's status and files are.
	pub gateway: String,
	/// The job's name in the provider's cluster.
	pub job: String,
	/// Where the lease's exposed services are reached (`<service> <port>/<protocol>:
	/// <host>:<port>`); none for batch jobs.
	pub endpoints: Vec<String>,
}

impl AccessDetails {
	/// The JSON sealed.
	pub fn to_json(&self) -> Vec<u8> {
		let mut v = serde_json::json!({
			"version": 1,
			"lease": self.lease,
			"gateway": self.gateway,
			"job": self.job,
		});
		if !self.endpoints.is_empty() {
			v["endpoints"] = serde_json::json!(self.endpoints);
		}
		v.to_string().into_bytes()
	}

	/// Reads version 1's JSON; the gateway must be an address [`GatewayUrl`] takes.
	pub fn parse(json: &[u8]) -> Result<AccessDetails, String> {
		let v: serde_json::Value =
			serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
		match v.get("version").and_then(|v| v.as_u64()) {
			Some(1) => {},
			Some(n) => return Err(format!("version {n}; this client reads version 1")),
			None => return Err("no version".into()),
		}
		let text = |field: &str| {
			v.get(field)
				.and_then(|f| f.as_str())
				.map(str::to_string)
				.ok_or_else(|| format!("no `{field}`"))
		};
		let details = AccessDetails {
			lease: v.get("lease").and_then(|l| l.as_u64()).ok_or("no `lease`")?,
			gateway: text("gateway")?,
			job: text("job")?,
			endpoints: match v.get("endpoints") {
				None => Vec::new(),
				Some(e) => e
					.as_array()
					.and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect())
					.ok_or("`endpoints` is not a list of texts")?,
			},
		};
		GatewayUrl::parse(&details.gateway).map_err(|e| e.to_string())?;
		Ok(details)
	}

	/// Seals the details to the customer's key `to`, signed by the provider's daemon key.
	pub fn seal(
		&self,
		to: [u8; 32],
		daemon: &sp_core::ed25519::Pair,
		now_ms: u64,
	) -> Result<Vec<u8>, String> {
		use codec::Encode;
		virtengine_envelope::seal(
			&self.to_json(),
			&[to],
			&virtengine_envelope::SenderKey::Ed25519(daemon.clone()),
			ACCESS_CONTENT_TYPE,
			now_ms,
			&virtengine_envelope::Limits::DEFAULT,
		)
		.map(|e| e.encode())
		.map_err(|e| format!("cannot seal the access details: {e}"))
	}

	/// Opens sealed access details of lease `lease` with the customer's `secret`, checking
	/// that the provider's daemon key `daemon` signed them and that they are this lease's.
	pub fn open(
		sealed: &[u8],
		lease: u64,
		secret: &virtengine_envelope::RecipientSecret,
		daemon: &[u8; 32],
	) -> Result<AccessDetails, String> {
		use codec::Decode;
		let envelope = virtengine_envelope::Envelope::decode(&mut &sealed[..])
			.map_err(|e| format!("not an envelope: {e}"))?;
		virtengine_envelope::verify_sender(&envelope)
			.map_err(|e| format!("the envelope's signature: {e}"))?;
		if envelope.sender.scheme != virtengine_envelope::SCHEME_ED25519
			|| envelope.sender.public != *daemon
		{
			return Err("not signed by the provider's registered daemon key".into());
		}
		if envelope.content_type[..] != *ACCESS_CONTENT_TYPE {
			return Err(format!(
				"content type `{}` is not lease access details",
				String::from_utf8_lossy(&envelope.content_type)
			));
		}
		let plain = virtengine_envelope::open(&envelope, secret.as_bytes())
			.map_err(|e| format!("cannot open it with this key (sealed to another?): {e}"))?;
		let details = AccessDetails::parse(&plain)?;
		if details.lease != lease {
			return Err(format!("they are lease {}'s, not lease {lease}'s", details.lease));
		}
		Ok(details)
	}
}

#[cfg(test)]
mod tests {
	use sp_core::Pair;
	use virtengine_envelope::RecipientSecret;

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

	#[test]
	fn access_details_open_only_for_their_customer_lease_and_daemon() {
		let customer = RecipientSecret::from_bytes([4; 32]);
		let daemon = sp_core::ed25519::Pair::from_seed(&[5; 32]);
		let details = AccessDetails {
			lease: 9,
			gateway: "https://provider.example.com:8443".into(),
			job: "virtengine-lease-9-0badcafe".into(),
			endpoints: vec!["web 80/TCP: provider.example.com:30080".into()],
		};
		let sealed = details.seal(customer.public(), &daemon, 1).expect("seal");
		let daemon_key = daemon.public().0;
		assert_eq!(AccessDetails::open(&sealed, 9, &customer, &daemon_key), Ok(details.clone()));

		let err = |r: Result<AccessDetails, String>| r.expect_err("refused");
		assert!(err(AccessDetails::open(&sealed, 8, &customer, &daemon_key)).contains("lease 9's"));
		let other = RecipientSecret::from_bytes([6; 32]);
		assert!(err(AccessDetails::open(&sealed, 9, &other, &daemon_key)).contains("another"));
		assert!(err(AccessDetails::open(&sealed, 9, &customer, &[1; 32])).contains("daemon key"));
		assert!(err(AccessDetails::open(b"junk", 9, &customer, &daemon_key)).contains("envelope"));
		assert!(AccessDetails::parse(br#"{"version":2}"#).expect_err("v2").contains("version 2"));
		let bad_gateway = br#"{"version":1,"lease":9,"gateway":"ftp://x","job":"j"}"#;
		assert!(AccessDetails::parse(bad_gateway).is_err());
		// A batch job's details carry no endpoints, as before they existed.
		let batch = br#"{"version":1,"lease":9,"gateway":"https://p:1","job":"j"}"#;
		assert_eq!(AccessDetails::parse(batch).map(|d| d.endpoints.len()), Ok(0));
		let bad = br#"{"version":1,"lease":9,"gateway":"https://p:1","job":"j","endpoints":[1]}"#;
		assert!(AccessDetails::parse(bad).expect_err("endpoints").contains("endpoints"));
	}
}
