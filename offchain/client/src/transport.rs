//! Where a node is and how to reach it: `ws://`, `wss://` (rustls), `http://` and `https://`.
//!
//! WebSocket is the transport of choice: one connection for every request, subscriptions (new and
//! finalized blocks, a transaction's status). HTTP answers requests only; over it the client
//! follows a transaction by polling (see [`crate::tx`]).
//!
//! TLS is rustls with the platform's verifier (the system's trust store), plus, if given, the
//! certificate authorities of a PEM file: a node behind a TLS terminator with a private CA.

use std::{path::PathBuf, sync::Arc, time::Duration};

use jsonrpsee::{
	core::{
		client::{ClientT, Error as JsonrpseeError},
		traits::ToRpcParams,
	},
	http_client::{HttpClient, HttpClientBuilder},
	ws_client::{CustomCertStore, WsClientBuilder},
};
use serde_json::value::RawValue;
use subxt::rpcs::{
	client::{RawRpcFuture, RawRpcSubscription, RpcClientT},
	RpcClient,
};

use crate::Error;

/// The largest reply accepted from a node: a block with full extrinsics, metadata, a runtime's
/// code. Anything bigger is refused rather than buffered.
pub const MAX_RESPONSE_BYTES: u32 = 32 * 1024 * 1024;

/// The scheme of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
	/// `ws://`: WebSocket, plain.
	Ws,
	/// `wss://`: WebSocket over TLS.
	Wss,
	/// `http://`: requests only, plain.
	Http,
	/// `https://`: requests only, over TLS.
	Https,
}

impl Scheme {
	/// Whether the transport carries subscriptions.
	pub fn subscribes(self) -> bool {
		matches!(self, Scheme::Ws | Scheme::Wss)
	}

	/// Whether the transport is TLS.
	pub fn secure(self) -> bool {
		matches!(self, Scheme::Wss | Scheme::Https)
	}
}

/// A node's RPC address, parsed and normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
	/// The scheme.
	pub scheme: Scheme,
	/// The host: a name, an IPv4 address or an IPv6 address (without brackets).
	pub host: String,
	/// The port.
	pub port: u16,
	/// The path, `/` when absent (a reverse proxy may route by it).
	pub path: String,
}

impl Endpoint {
	/// Parses `ws://`, `wss://`, `http://` or `https://` addresses; `host:port` alone means
	/// `ws://host:port`. The port defaults to 443 under TLS and 9944 otherwise. IPv6 hosts are
	/// written in brackets: `ws://[::1]:9944`.
	pub fn parse(url: &str) -> Result<Endpoint, Error> {
		let bad = |why: &str| Error::BadUrl { url: url.to_string(), why: why.to_string() };
		let (scheme, rest) = match url.split_once("://") {
			Some((scheme, rest)) => (
				match scheme.to_ascii_lowercase().as_str() {
					"ws" => Scheme::Ws,
					"wss" => Scheme::Wss,
					"http" => Scheme::Http,
					"https" => Scheme::Https,
					other => {
						return Err(bad(&format!(
							"unknown scheme `{other}`: use ws://, wss://, http:// or https://"
						)))
					},
				},
				rest,
			),
			None => (Scheme::Ws, url),
		};
		let (authority, path) = match rest.find('/') {
			Some(at) => (&rest[..at], &rest[at..]),
			None => (rest, "/"),
		};
		if authority.is_empty() {
			return Err(bad("no host"));
		}
		if authority.contains('@') {
			return Err(bad("credentials in the address are not supported"));
		}
		let default_port = if scheme.secure() { 443 } else { 9944 };
		let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
			let (host, after) =
				v6.split_once(']').ok_or_else(|| bad("unclosed `[` in the host"))?;
			let port = match after {
				"" => default_port,
				p => p
					.strip_prefix(':')
					.and_then(|p| p.parse::<u16>().ok())
					.ok_or_else(|| bad("the port is not a number"))?,
			};
			host.parse::<std::net::Ipv6Addr>()
				.map_err(|_| bad("the bracketed host is not an IPv6 address"))?;
			(host.to_string(), port)
		} else {
			match authority.rsplit_once(':') {
				Some((host, _)) if host.contains(':') => {
					return Err(bad("write an IPv6 host in brackets: ws://[::1]:9944"))
				},
				Some((host, port)) => {
					(host.to_string(), port.parse().map_err(|_| bad("the port is not a number"))?)
				},
				None => (authority.to_string(), default_port),
			}
		};
		if host.is_empty() {
			return Err(bad("no host"));
		}
		if port == 0 {
			return Err(bad("port 0"));
		}
		Ok(Endpoint { scheme, host, port, path: path.to_string() })
	}

	/// The address as a URL, IPv6 hosts bracketed.
	pub fn url(&self) -> String {
		let scheme = match self.scheme {
			Scheme::Ws => "ws",
			Scheme::Wss => "wss",
			Scheme::Http => "http",
			Scheme::Https => "https",
		};
		let host =
			if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
		format!("{scheme}://{host}:{}{}", self.port, self.path)
	}
}

impl std::fmt::Display for Endpoint {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(&self.url())
	}
}

/// How to connect.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
	/// Certificate authorities (PEM) trusted besides the system's, for `wss://` and `https://`.
	pub ca_file: Option<PathBuf>,
	/// How long one request may take.
	pub request_timeout: Duration,
	/// How long the connection may take to establish.
	pub connect_timeout: Duration,
}

impl Default for ConnectOptions {
	fn default() -> Self {
		ConnectOptions {
			ca_file: std::env::var_os("VIRTENGINE_CA_FILE").map(PathBuf::from),
			request_timeout: Duration::from_secs(60),
			connect_timeout: Duration::from_secs(15),
		}
	}
}

/// The TLS configuration: the platform's verifier with `ca_file`'s authorities added.
pub(crate) fn tls_config(ca_file: Option<&PathBuf>) -> Result<CustomCertStore, Error> {
	use rustls_pki_types::{pem::PemObject, CertificateDer};
	let provider = Arc::new(rustls::crypto::ring::default_provider());
	let extra: Vec<CertificateDer<'static>> = match ca_file {
		None => Vec::new(),
		Some(path) => {
			let bad = |why: String| Error::Tls(format!("CA file {}: {why}", path.display()));
			let certs = CertificateDer::pem_file_iter(path)
				.map_err(|e| bad(e.to_string()))?
				.collect::<Result<Vec<_>, _>>()
				.map_err(|e| bad(e.to_string()))?;
			if certs.is_empty() {
				return Err(bad("no PEM certificate in the file".into()));
			}
			certs
		},
	};
	let verifier = if extra.is_empty() {
		rustls_platform_verifier::Verifier::new().with_provider(provider.clone())
	} else {
		rustls_platform_verifier::Verifier::new_with_extra_roots(extra)
			.map_err(|e| Error::Tls(format!("cannot load the system's trust store: {e}")))?
			.with_provider(provider.clone())
	};
	let config = rustls::ClientConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.map_err(|e| Error::Tls(e.to_string()))?
		.dangerous()
		.with_custom_certificate_verifier(Arc::new(verifier))
		.with_no_client_auth();
	Ok(config)
}

/// Connects to `endpoint`: the RPC client subxt drives.
pub async fn connect(endpoint: &Endpoint, options: &ConnectOptions) -> Result<RpcClient, Error> {
	let unreachable = |why: String| Error::Unreachable { endpoint: endpoint.to_string(), why };
	let url = endpoint.url();
	match endpoint.scheme {
		Scheme::Ws | Scheme::Wss => {
			let mut builder = WsClientBuilder::default()
				.max_response_size(MAX_RESPONSE_BYTES)
				.max_request_size(MAX_RESPONSE_BYTES)
				.request_timeout(options.request_timeout)
				.connection_timeout(options.connect_timeout)
				.max_buffer_capacity_per_subscription(4096)
				.enable_ws_ping(Default::default());
			if endpoint.scheme == Scheme::Wss {
				builder = builder.with_custom_cert_store(tls_config(options.ca_file.as_ref())?);
			}
			let client = builder.build(&url).await.map_err(|e| unreachable(describe(e)))?;
			Ok(RpcClient::new(client))
		},
		Scheme::Http | Scheme::Https => {
			let mut builder = HttpClientBuilder::default()
				.max_response_size(MAX_RESPONSE_BYTES)
				.max_request_size(MAX_RESPONSE_BYTES)
				.request_timeout(options.request_timeout);
			if endpoint.scheme == Scheme::Https {
				builder = builder.with_custom_cert_store(tls_config(options.ca_file.as_ref())?);
			}
			let client = builder.build(&url).map_err(|e| unreachable(describe(e)))?;
			// An HTTP client connects lazily: ask something now, so a wrong address fails here.
			let http = Http(client);
			http.0
				.request::<String, _>("system_chain", jsonrpsee::rpc_params![])
				.await
				.map_err(|e| unreachable(describe(e)))?;
			Ok(RpcClient::new(http))
		},
	}
}

/// A transport error in words: the cause chain, not the `Debug` of the outermost error.
fn describe(error: JsonrpseeError) -> String {
	let mut text = error.to_string();
	let mut source = std::error::Error::source(&error);
	while let Some(cause) = source {
		let cause_text = cause.to_string();
		if !text.contains(&cause_text) {
			text.push_str(": ");
			text.push_str(&cause_text);
		}
		source = cause.source();
	}
	text
}

/// JSON-RPC over HTTP for subxt: requests only.
struct Http(HttpClient);

struct Params(Option<Box<RawValue>>);

impl ToRpcParams for Params {
	fn to_rpc_params(self) -> Result<Option<Box<RawValue>>, serde_json::Error> {
		Ok(self.0)
	}
}

impl RpcClientT for Http {
	fn request_raw<'a>(
		&'a self,
		method: &'a str,
		params: Option<Box<RawValue>>,
	) -> RawRpcFuture<'a, Box<RawValue>> {
		Box::pin(async move {
			let reply: Box<RawValue> = self.0.request(method, Params(params)).await?;
			Ok(reply)
		})
	}

	fn subscribe_raw<'a>(
		&'a self,
		sub: &'a str,
		_params: Option<Box<RawValue>>,
		_unsub: &'a str,
	) -> RawRpcFuture<'a, RawRpcSubscription> {
		Box::pin(async move {
			Err(subxt::rpcs::Error::Client(Box::new(NoSubscriptions(sub.to_string()))))
		})
	}
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` needs a subscription, which HTTP cannot carry: use a ws:// or wss:// address")]
struct NoSubscriptions(String);

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn addresses_parse_and_normalise() {
		let e = Endpoint::parse("ws://127.0.0.1:9944").expect("ws");
		assert_eq!((e.scheme, e.host.as_str(), e.port), (Scheme::Ws, "127.0.0.1", 9944));
		assert_eq!(Endpoint::parse("localhost:9000").expect("bare").url(), "ws://localhost:9000/");
		assert_eq!(Endpoint::parse("wss://rpc.example").expect("wss").port, 443);
		assert_eq!(Endpoint::parse("http://node.example/").expect("http").port, 9944);
		assert_eq!(
			Endpoint::parse("https://node.example:8443/rpc").expect("https").url(),
			"https://node.example:8443/rpc"
		);
		let v6 = Endpoint::parse("ws://[::1]:9944").expect("v6");
		assert_eq!((v6.host.as_str(), v6.port), ("::1", 9944));
		assert_eq!(v6.url(), "ws://[::1]:9944/", "IPv6 hosts stay bracketed");
		assert_eq!(Endpoint::parse("[::1]").expect("bare v6").port, 9944);
	}

	#[test]
	fn bad_addresses_say_what_is_wrong() {
		for (bad, why) in [
			("ftp://x", "unknown scheme"),
			("http://x:port", "not a number"),
			("http://", "no host"),
			("ws://::1:9944", "brackets"),
			("ws://[::1:9944", "unclosed"),
			("ws://[nothost]:1", "IPv6"),
			("ws://user:pw@host:1", "credentials"),
			("ws://host:0", "port 0"),
			("ws://host:70000", "not a number"),
		] {
			let error = Endpoint::parse(bad).expect_err(bad).to_string();
			assert!(error.contains(why), "{bad}: {error}");
			assert!(error.contains(bad), "the error names the address: {error}");
		}
	}

	#[test]
	fn a_ca_file_without_certificates_is_refused() {
		let dir = std::env::temp_dir().join(format!("ve-ca-{}", std::process::id()));
		std::fs::create_dir_all(&dir).expect("dir");
		let path = dir.join("empty.pem");
		std::fs::write(&path, "not a certificate\n").expect("write");
		let error = tls_config(Some(&path)).err().expect("refused").to_string();
		assert!(error.contains("no PEM certificate"), "{error}");
		let missing = dir.join("missing.pem");
		let error = tls_config(Some(&missing)).err().expect("refused").to_string();
		assert!(error.contains("missing.pem"), "{error}");
		let _ = std::fs::remove_dir_all(dir);
	}
}
