//! JSON-RPC 2.0 over HTTP/1.1, the transport every VirtEngine node serves on its RPC port (the
//! same port answers WebSocket; a `ws://` address is accepted and spoken to over HTTP).

use std::{
	io::{Read, Write},
	net::{TcpStream, ToSocketAddrs},
	time::Duration,
};

use serde_json::{json, Value};

use crate::Error;

/// A node's RPC endpoint.
#[derive(Clone, Debug)]
pub struct Endpoint {
	host: String,
	port: u16,
	timeout: Duration,
}

impl Endpoint {
	/// Parses `http://host:port`, `ws://host:port` or `host:port` (port 9944 when absent).
	/// TLS (`https`, `wss`) is not spoken: put the node behind a local tunnel instead.
	pub fn parse(url: &str) -> Result<Self, Error> {
		let bad = |why: &str| Error::BadUrl { url: url.to_string(), why: why.to_string() };
		let rest = match url.split_once("://") {
			Some(("http" | "ws", rest)) => rest,
			Some(("https" | "wss", _)) => return Err(bad("TLS is not supported")),
			Some(_) => return Err(bad("expected http:// or ws://")),
			None => url,
		};
		let authority = rest.split('/').next().unwrap_or_default();
		if authority.is_empty() {
			return Err(bad("no host"));
		}
		let (host, port) = match authority.rsplit_once(':') {
			Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
				(host, port.parse::<u16>().map_err(|_| bad("the port is not a number"))?)
			},
			_ => (authority, 9944),
		};
		let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
		Ok(Endpoint { host, port, timeout: Duration::from_secs(30) })
	}

	/// `host:port`, for messages.
	pub fn address(&self) -> String {
		format!("{}:{}", self.host, self.port)
	}

	/// One JSON-RPC call. Transport failures, HTTP errors and RPC errors are distinct errors.
	pub fn call(&self, method: &str, params: Value) -> Result<Value, Error> {
		let unreachable =
			|source: std::io::Error| Error::Unreachable { address: self.address(), source };
		let body =
			json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
		let address = (self.host.as_str(), self.port)
			.to_socket_addrs()
			.map_err(unreachable)?
			.next()
			.ok_or_else(|| unreachable(std::io::ErrorKind::NotFound.into()))?;
		let mut stream = TcpStream::connect_timeout(&address, self.timeout).map_err(unreachable)?;
		stream.set_read_timeout(Some(self.timeout)).map_err(unreachable)?;
		let request = format!(
			"POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
			 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
			self.host,
			body.len()
		);
		stream.write_all(request.as_bytes()).map_err(unreachable)?;
		let mut response = Vec::new();
		stream.read_to_end(&mut response).map_err(unreachable)?;
		let reply = parse_http(&response)
			.map_err(|why| Error::BadReply { method: method.to_string(), why })?;
		let reply: Value = serde_json::from_slice(&reply).map_err(|e| Error::BadReply {
			method: method.to_string(),
			why: format!("not JSON: {e}"),
		})?;
		match reply.get("error") {
			Some(error) => Err(Error::Rpc {
				method: method.to_string(),
				message: error
					.get("message")
					.and_then(Value::as_str)
					.map(|m| match error.get("data") {
						Some(Value::String(data)) => format!("{m}: {data}"),
						_ => m.to_string(),
					})
					.unwrap_or_else(|| error.to_string()),
			}),
			None => Ok(reply.get("result").cloned().unwrap_or(Value::Null)),
		}
	}
}

/// The body of an HTTP/1.1 response, de-chunked; an error for a non-2xx status.
fn parse_http(response: &[u8]) -> Result<Vec<u8>, String> {
	let split = response
		.windows(4)
		.position(|w| w == b"\r\n\r\n")
		.ok_or_else(|| "no HTTP response (is this a VirtEngine node's RPC port?)".to_string())?;
	let head = String::from_utf8_lossy(&response[..split]);
	let body = &response[split + 4..];
	let mut lines = head.lines();
	let status = lines.next().unwrap_or_default();
	let code: u16 = status.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
	if !(200..300).contains(&code) {
		return Err(format!(
			"HTTP status `{status}`: {}",
			String::from_utf8_lossy(&body[..body.len().min(200)])
		));
	}
	let chunked = lines.any(|l| {
		let l = l.to_ascii_lowercase();
		l.starts_with("transfer-encoding:") && l.contains("chunked")
	});
	if !chunked {
		return Ok(body.to_vec());
	}
	let mut out = Vec::new();
	let mut rest = body;
	loop {
		let line_end =
			rest.windows(2).position(|w| w == b"\r\n").ok_or("truncated chunked body")?;
		let size_text = String::from_utf8_lossy(&rest[..line_end]);
		let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
			.map_err(|_| "bad chunk size")?;
		rest = &rest[line_end + 2..];
		if size == 0 {
			return Ok(out);
		}
		if rest.len() < size {
			return Err("truncated chunk".into());
		}
		out.extend_from_slice(&rest[..size]);
		rest = rest.get(size + 2..).unwrap_or_default();
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn endpoints() {
		let e = Endpoint::parse("ws://127.0.0.1:9944").expect("ws");
		assert_eq!(e.address(), "127.0.0.1:9944");
		assert_eq!(
			Endpoint::parse("http://node.example/").expect("http").address(),
			"node.example:9944"
		);
		assert_eq!(Endpoint::parse("localhost:9000").expect("bare").address(), "localhost:9000");
		assert_eq!(Endpoint::parse("[::1]:9944").expect("v6").address(), "::1:9944");
		for bad in ["wss://x:1", "ftp://x", "http://x:port", "http://"] {
			assert!(Endpoint::parse(bad).is_err(), "{bad} accepted");
		}
	}

	#[test]
	fn http_bodies() {
		let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
		assert_eq!(parse_http(plain).expect("plain"), b"{}");
		let chunked =
			b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
		assert_eq!(parse_http(chunked).expect("chunked"), b"{\"a\":1}");
		assert!(parse_http(b"HTTP/1.1 403 Forbidden\r\n\r\nno").unwrap_err().contains("403"));
		assert!(parse_http(b"garbage").is_err());
		assert!(
			parse_http(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nab").is_err()
		);
	}
}
