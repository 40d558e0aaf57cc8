//! `virtengine envelope ...`

use std::{
	fs,
	io::{Read, Write},
	path::{Path, PathBuf},
	time::{SystemTime, UNIX_EPOCH},
};

use clap::{Subcommand, ValueEnum};
use sp_core::{crypto::Ss58Codec, Pair};
use virtengine_client::encryption::EnvelopeKey;
use virtengine_envelope::{open, seal, Envelope, Limits, RecipientSecret, SenderKey};

/// What can go wrong, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// A file could not be read or written.
	#[error("{path}: {source}")]
	Io {
		/// The file.
		path: PathBuf,
		/// Why.
		source: std::io::Error,
	},
	/// A key file made before proofs of possession: it has no seed to prove it with.
	#[error(
		"{0}: this key file has no \"seed\" (it predates proofs of possession), so the chain \
		 cannot be shown that you hold it; make a new key with `virtengine envelope keygen` and \
		 register it (or `--rotate` to it); the old file still opens old envelopes"
	)]
	NoSeed(PathBuf),
	/// A key file is not one `virtengine envelope keygen` wrote.
	#[error(
		"{0}: not a VirtEngine envelope key file (expected JSON with a 32-byte hex \"secret\")"
	)]
	BadKeyFile(PathBuf),
	/// A recipient public key is malformed.
	#[error("recipient `{0}`: expected a 64-character hex X25519 public key or a key file")]
	BadRecipient(String),
	/// The sender's secret URI is not valid.
	#[error("--from: not a valid secret URI or seed for {0:?}")]
	BadSender(Scheme),
	/// The file is not an envelope.
	#[error("{path} is not an envelope: {source}")]
	NotAnEnvelope {
		/// The file.
		path: PathBuf,
		/// What is wrong with it.
		source: virtengine_envelope::Error,
	},
	/// The key is not among the envelope's recipients.
	#[error(
		"this key ({key_id}) is not a recipient of the envelope; its recipients are {recipients}"
	)]
	WrongKey {
		/// The key id of the key tried.
		key_id: String,
		/// The envelope's recipient key ids.
		recipients: String,
	},
	/// The envelope is damaged or was altered.
	#[error("the envelope is damaged or was altered: {0}")]
	Damaged(virtengine_envelope::Error),
	/// Sealing failed.
	#[error("cannot seal: {0}")]
	Seal(virtengine_envelope::Error),
	/// Talking to the node failed.
	#[error(transparent)]
	Chain(#[from] virtengine_client::Error),
	/// An account argument is malformed.
	#[error("{0}")]
	BadAccount(String),
	/// `--to-account` without `--rpc`.
	#[error("--to-account needs --rpc <url> (the node to read registered keys from)")]
	NeedsRpc,
	/// Neither `--to` nor `--to-account`.
	#[error("no recipient: give --to <key> or --to-account <address>")]
	NoRecipient,
}

/// Signature schemes of the sender's account key.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Scheme {
	/// sr25519 (the usual Substrate account key).
	Sr25519,
	/// ed25519.
	Ed25519,
}

/// `virtengine envelope` sub-commands.
#[derive(Subcommand)]
pub enum Command {
	/// Make a new X25519 recipient key and write it to a file (readable by you only).
	Keygen {
		/// Where to write the key.
		#[arg(long, short)]
		out: PathBuf,
	},
	/// Register a recipient key on chain for your account (or, with --rotate, replace your
	/// active key), holding the key deposit. Waits until a block includes it.
	Register {
		/// The key file (from `keygen`) whose public key to register.
		#[arg(long)]
		key: PathBuf,
		/// Your account's secret URI or seed (sr25519, e.g. `//Alice` on a dev chain).
		#[arg(long)]
		from: String,
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// Replace the account's active key (the old one is retired).
		#[arg(long)]
		rotate: bool,
	},
	/// Show an account's active registered key.
	Lookup {
		/// The account (SS58 address or 0x-prefixed hex id).
		account: String,
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
	},
	/// Seal a file for one or more recipients, signed by your account key.
	Seal {
		/// A recipient: a hex X25519 public key, or a key file. Repeat for more recipients.
		#[arg(long = "to")]
		to: Vec<String>,
		/// A recipient account: its active key registered on chain (read through --rpc) is
		/// used. Repeat for more.
		#[arg(long = "to-account")]
		to_account: Vec<String>,
		/// The node to read registered keys from (needed with --to-account).
		#[arg(long)]
		rpc: Option<String>,
		/// Your account's secret URI or seed (e.g. `//Alice` on a dev chain).
		#[arg(long)]
		from: String,
		/// The signature scheme of that account key.
		#[arg(long, value_enum, default_value = "sr25519")]
		scheme: Scheme,
		/// What the payload is, in the clear.
		#[arg(long, default_value = "application/octet-stream")]
		content_type: String,
		/// The file to seal (`-` for standard input).
		#[arg(long = "in", short)]
		input: PathBuf,
		/// Where to write the envelope (JSON); standard output if absent.
		#[arg(long, short)]
		out: Option<PathBuf>,
	},
	/// Open an envelope with your recipient key.
	Open {
		/// Your key file (from `keygen`).
		#[arg(long)]
		key: PathBuf,
		/// The envelope (JSON).
		#[arg(long = "in", short)]
		input: PathBuf,
		/// Where to write the plaintext; standard output if absent.
		#[arg(long, short)]
		out: Option<PathBuf>,
	},
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
	let io = |source| Error::Io { path: path.to_path_buf(), source };
	if path == Path::new("-") {
		let mut buf = Vec::new();
		std::io::stdin().read_to_end(&mut buf).map_err(io)?;
		return Ok(buf);
	}
	fs::read(path).map_err(io)
}

pub(crate) fn write(path: Option<&Path>, bytes: &[u8], private: bool) -> Result<(), Error> {
	let Some(path) = path else {
		return std::io::stdout()
			.write_all(bytes)
			.map_err(|source| Error::Io { path: "<stdout>".into(), source });
	};
	let io = |source| Error::Io { path: path.to_path_buf(), source };
	// Write next to the target and rename, so a failure never leaves half a file.
	let tmp = path.with_extension("partial");
	let mut options = fs::OpenOptions::new();
	options.write(true).create(true).truncate(true);
	#[cfg(unix)]
	if private {
		use std::os::unix::fs::OpenOptionsExt;
		options.mode(0o600);
	}
	let mut file = options.open(&tmp).map_err(io)?;
	file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io)?;
	fs::rename(&tmp, path).map_err(io)
}

/// Reads an envelope key file (`virtengine envelope keygen`).
pub fn load_secret(path: &Path) -> Result<RecipientSecret, Error> {
	load_key(path)
}

fn load_key(path: &Path) -> Result<RecipientSecret, Error> {
	Ok(load_key_file(path)?.0)
}

/// A key file's X25519 secret, and its key with the seed if the file has one (files made before
/// proofs of possession hold only the secret). A seed that does not expand to the file's secret
/// is a damaged file.
fn load_key_file(path: &Path) -> Result<(RecipientSecret, Option<EnvelopeKey>), Error> {
	let bad = || Error::BadKeyFile(path.to_path_buf());
	let text = read(path)?;
	let json: serde_json::Value = serde_json::from_slice(&text).map_err(|_| bad())?;
	let bytes = |field: &str| -> Result<Option<[u8; 32]>, Error> {
		let Some(value) = json.get(field) else { return Ok(None) };
		let hex_text = value.as_str().ok_or_else(bad)?;
		hex::decode(hex_text).ok().and_then(|b| b.try_into().ok()).map(Some).ok_or_else(bad)
	};
	let secret = bytes("secret")?.ok_or_else(bad)?;
	let secret = RecipientSecret::from_bytes(secret);
	let key = match bytes("seed")? {
		Some(seed) => {
			let key = EnvelopeKey::from_seed(&seed);
			if key.public() != secret.public() {
				return Err(bad());
			}
			Some(key)
		},
		None => None,
	};
	Ok((secret, key))
}

fn recipient_public(spec: &str) -> Result<[u8; 32], Error> {
	if let Some(bytes) =
		hex::decode(spec.trim_start_matches("0x")).ok().and_then(|b| b.try_into().ok())
	{
		return Ok(bytes);
	}
	if Path::new(spec).is_file() {
		return Ok(load_key(Path::new(spec))?.public());
	}
	Err(Error::BadRecipient(spec.to_string()))
}

/// Runs an envelope sub-command.
pub fn run(command: Command) -> Result<(), Error> {
	match command {
		Command::Keygen { out } => {
			// An ed25519 seed, so that the key can prove its possession when registered.
			let mut seed = zeroize::Zeroizing::new([0u8; 32]);
			rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed[..]);
			let envelope_key = EnvelopeKey::from_seed(&seed);
			let key = envelope_key.secret();
			let json = serde_json::json!({
				"seed": hex::encode(&seed[..]),
				"secret": hex::encode(key.as_bytes()),
				"public": hex::encode(key.public()),
				"key_id": hex::encode(key.key_id()),
			});
			write(Some(&out), format!("{json:#}\n").as_bytes(), true)?;
			println!(
				"public key {}\nkey id     {}",
				hex::encode(key.public()),
				hex::encode(key.key_id())
			);
			Ok(())
		},
		Command::Register { key: path, from, rpc, rotate } => {
			let (key, proving) = load_key_file(&path)?;
			let proving = proving.ok_or_else(|| Error::NoSeed(path.clone()))?;
			let signer = sp_core::sr25519::Pair::from_string(&from, None)
				.map_err(|_| Error::BadSender(Scheme::Sr25519))?;
			let proof = proving.proof(&signer.public().into());
			let client = virtengine_client::Client::new(&rpc)?;
			let call = if rotate {
				virtengine_client::encryption::rotate_key(key.public(), proof)
			} else {
				virtengine_client::encryption::register_key(key.public(), proof)
			};
			let included = client.submit(&signer, call, |step| eprintln!("{step}"))?;
			println!(
				"registered key {} for {} in block #{}",
				hex::encode(key.key_id()),
				signer.public().to_ss58check(),
				included.block_number
			);
			Ok(())
		},
		Command::Lookup { account, rpc } => {
			let who = virtengine_client::parse_account(&account).map_err(Error::BadAccount)?;
			let client = virtengine_client::Client::new(&rpc)?;
			let key = client.active_encryption_key(&who)?;
			println!(
				"public key {}\nkey id     {}\nversion    {}",
				hex::encode(key.public),
				hex::encode(virtengine_envelope::key_id(&key.public)),
				key.version
			);
			Ok(())
		},
		Command::Seal { to, to_account, rpc, from, scheme, content_type, input, out } => {
			let mut recipients =
				to.iter().map(|r| recipient_public(r)).collect::<Result<Vec<_>, _>>()?;
			if !to_account.is_empty() {
				let client =
					virtengine_client::Client::new(rpc.as_deref().ok_or(Error::NeedsRpc)?)?;
				for account in &to_account {
					let who =
						virtengine_client::parse_account(account).map_err(Error::BadAccount)?;
					recipients.push(client.active_encryption_key(&who)?.public);
				}
			}
			if recipients.is_empty() {
				return Err(Error::NoRecipient);
			}
			let sender = match scheme {
				Scheme::Sr25519 => {
					sp_core::sr25519::Pair::from_string(&from, None).map(SenderKey::Sr25519)
				},
				Scheme::Ed25519 => {
					sp_core::ed25519::Pair::from_string(&from, None).map(SenderKey::Ed25519)
				},
			}
			.map_err(|_| Error::BadSender(scheme))?;
			let plaintext = read(&input)?;
			let now = SystemTime::now()
				.duration_since(UNIX_EPOCH)
				.map(|d| d.as_millis() as u64)
				.unwrap_or(0);
			let envelope = seal(
				&plaintext,
				&recipients,
				&sender,
				content_type.as_bytes(),
				now,
				&Limits::DEFAULT,
			)
			.map_err(Error::Seal)?;
			let json = envelope.to_json().map_err(Error::Seal)?;
			write(out.as_deref(), format!("{json}\n").as_bytes(), false)
		},
		Command::Open { key, input, out } => {
			let key = load_key(&key)?;
			let text = read(&input)?;
			let envelope = std::str::from_utf8(&text)
				.map_err(|_| virtengine_envelope::Error::Malformed("not UTF-8 text"))
				.and_then(Envelope::from_json)
				.map_err(|source| Error::NotAnEnvelope { path: input.clone(), source })?;
			let plaintext = open(&envelope, key.as_bytes()).map_err(|e| match e {
				virtengine_envelope::Error::NotARecipient => Error::WrongKey {
					key_id: hex::encode(key.key_id()),
					recipients: envelope
						.recipient_ids()
						.map(hex::encode)
						.collect::<Vec<_>>()
						.join(", "),
				},
				other => Error::Damaged(other),
			})?;
			write(out.as_deref(), &plaintext, true)
		},
	}
}
