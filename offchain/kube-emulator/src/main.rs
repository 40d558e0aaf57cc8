//! `virtengine-kube-emulator`: the API server stand-in on loopback, for trying the provider
//! daemon's Kubernetes backend where no cluster exists (docs/provider-daemon.md). It writes a
//! kubeconfig (owner-only, with a new random token) for the daemon and serves until Ctrl-C.
//!
//! `virtengine-kube-emulator [--listen 127.0.0.1:6443] --kubeconfig <file>`

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

fn usage() -> ExitCode {
	eprintln!("usage: virtengine-kube-emulator [--listen 127.0.0.1:6443] --kubeconfig <file>");
	ExitCode::from(2)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
	tracing_subscriber::fmt().with_writer(std::io::stderr).init();
	let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 6443));
	let mut kubeconfig: Option<PathBuf> = None;
	let mut args = std::env::args().skip(1);
	while let Some(arg) = args.next() {
		match (arg.as_str(), args.next()) {
			("--listen", Some(v)) => match v.parse() {
				Ok(a) => listen = a,
				Err(e) => {
					eprintln!("--listen {v}: {e}");
					return usage();
				},
			},
			("--kubeconfig", Some(v)) => kubeconfig = Some(v.into()),
			_ => return usage(),
		}
	}
	let Some(kubeconfig) = kubeconfig else { return usage() };
	let mut token = [0u8; 16];
	if let Err(e) = std::fs::File::open("/dev/urandom")
		.and_then(|mut f| std::io::Read::read_exact(&mut f, &mut token))
	{
		eprintln!("cannot read random bytes: {e}");
		return ExitCode::FAILURE;
	}
	let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
	let options = virtengine_kube_emulator::Options { token, ..Default::default() };
	let emulator = match virtengine_kube_emulator::Emulator::start_on(options, listen).await {
		Ok(e) => e,
		Err(e) => {
			eprintln!("cannot listen on {listen}: {e}");
			return ExitCode::FAILURE;
		},
	};
	let written = {
		use std::{io::Write, os::unix::fs::OpenOptionsExt};
		std::fs::OpenOptions::new()
			.write(true)
			.create(true)
			.truncate(true)
			.mode(0o600)
			.open(&kubeconfig)
			.and_then(|mut f| f.write_all(emulator.kubeconfig().as_bytes()))
	};
	if let Err(e) = written {
		eprintln!("{}: {e}", kubeconfig.display());
		return ExitCode::FAILURE;
	}
	tracing::info!(url = %emulator.url(), kubeconfig = %kubeconfig.display(), "serving (Ctrl-C stops)");
	let _ = tokio::signal::ctrl_c().await;
	emulator.stop();
	ExitCode::SUCCESS
}
