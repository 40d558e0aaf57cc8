//! `virtengine envelope ...`

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use sp_core::Pair;
use virtengine_client::encryption::EnvelopeKey;
use virtengine_envelope::{open, seal, Envelope, Limits, RecipientSecret, SenderKey};

use crate::{account_arg, files, in_block, now_ms, tx_json, with, Ctx, Error};

/// What can go wrong with envelopes and their keys, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
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
	#[error("--to `{0}`: expected a 64-character hex X25519 public key or a key file")]
	BadRecipient(String),
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
	/// Neither `--to` nor `--to-account`.
	#[error("no recipient: give --to <key> or --to-account <address>")]
	NoRecipient,
}

/// Signature schemes of the sender's account key.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Scheme {
	/// sr25519 (the usual Substrate account key).
	Sr25519,
	/// ed25519 (the key must come from a secret URI: --suri-file, VIRTENGINE_SURI or --suri).
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
		/// Replace an existing key file. Envelopes sealed to the old key (and, once it is
		/// registered, to your account) can then no longer be opened.
		#[arg(long)]
		force: bool,
	},
	/// Register a recipient key on chain for the signing account (or, with --rotate, replace
	/// its active key), holding the key deposit.
	Register {
		/// The key file (from `keygen`) whose public key to register.
		#[arg(long)]
		key: PathBuf,
		/// Replace the account's active key (the old one is retired).
		#[arg(long)]
		rotate: bool,
	},
	/// Show an account's active registered key.
	Lookup {
		/// The account (SS58 address or 0x-prefixed hex id).
		account: String,
	},
	/// Seal a file for one or more recipients, signed by the signing account's key.
	Seal {
		/// A recipient: a hex X25519 public key, or a key file. Repeat for more recipients.
		#[arg(long = "to")]
		to: Vec<String>,
		/// A recipient account: its active key registered on chain (read through --rpc) is
		/// used. Repeat for more.
		#[arg(long = "to-account")]
		to_account: Vec<String>,
		/// The signature scheme of the signing key.
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

/// Reads an envelope key file (`virtengine envelope keygen`), which must be private.
pub fn load_secret(path: &Path) -> Result<RecipientSecret, Error> {
	Ok(load_key_file(path)?.0)
}

/// A key file's X25519 secret, and its key with the seed if the file has one (files made before
/// proofs of possession hold only the secret). A seed that does not expand to the file's secret
/// is a damaged file.
fn load_key_file(path: &Path) -> Result<(RecipientSecret, Option<EnvelopeKey>), Error> {
	let bad = || EnvelopeError::BadKeyFile(path.to_path_buf());
	let text = zeroize::Zeroizing::new(files::read(path)?);
	let json: serde_json::Value = serde_json::from_slice(&text).map_err(|_| bad())?;
	let bytes = |field: &str| -> Result<Option<[u8; 32]>, EnvelopeError> {
		let Some(value) = json.get(field) else { return Ok(None) };
		let hex_text = value.as_str().ok_or_else(bad)?;
		hex::decode(hex_text).ok().and_then(|b| b.try_into().ok()).map(Some).ok_or_else(bad)
	};
	let secret = bytes("secret")?.ok_or_else(bad)?;
	// A key file, then: it must be private (checked after parsing, so that a file that is no
	// key at all is called that).
	files::check_private(path)?;
	let secret = RecipientSecret::from_bytes(secret);
	let key = match bytes("seed")? {
		Some(seed) => {
			let key = EnvelopeKey::from_seed(&seed);
			if key.public() != secret.public() {
				return Err(bad().into());
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
		return Ok(load_secret(Path::new(spec))?.public());
	}
	Err(EnvelopeError::BadRecipient(spec.to_string()).into())
}

fn sender(ctx: &Ctx, scheme: Scheme) -> Result<SenderKey, Error> {
	Ok(match scheme {
		Scheme::Sr25519 => SenderKey::Sr25519(ctx.signer()?.pair()?),
		Scheme::Ed25519 => {
			let (uri, from) = ctx.keys().secret_uri()?;
			SenderKey::Ed25519(
				sp_core::ed25519::Pair::from_string(&uri, None).map_err(|_| {
					Error::Key(format!("{from}: not an ed25519 secret URI or seed"))
				})?,
			)
		},
	})
}

/// Runs an envelope sub-command.
pub async fn run(ctx: &Ctx, command: Command) -> Result<(), Error> {
	match command {
		Command::Keygen { out, force } => {
			// An ed25519 seed, so that the key can prove its possession when registered.
			let seed = zeroize::Zeroizing::new(crate::random::<32>());
			let envelope_key = EnvelopeKey::from_seed(&seed);
			let key = envelope_key.secret();
			let json = serde_json::json!({
				"seed": hex::encode(&seed[..]),
				"secret": hex::encode(key.as_bytes()),
				"public": hex::encode(key.public()),
				"key_id": hex::encode(key.key_id()),
			});
			files::write_key(
				&out,
				format!("{json:#}\n").as_bytes(),
				force,
				"an envelope key (every envelope sealed to it, and to your account if it is \
				 registered, would become unreadable)",
			)?;
			ctx.print(
				json!({
					"public": hex::encode(key.public()),
					"key_id": hex::encode(key.key_id()),
					"file": out.display().to_string(),
				}),
				|| {
					format!(
						"public key {}\nkey id     {}",
						hex::encode(key.public()),
						hex::encode(key.key_id())
					)
				},
			);
			Ok(())
		},
		Command::Register { key: path, rotate } => {
			let (key, proving) = load_key_file(&path)?;
			let proving = proving.ok_or_else(|| EnvelopeError::NoSeed(path.clone()))?;
			let signer = ctx.signer()?;
			let who = signer.account();
			let proof = proving.proof(&who);
			let client = ctx.connect().await?;
			let call = if rotate {
				virtengine_client::encryption::rotate_key(key.public(), proof)
			} else {
				virtengine_client::encryption::register_key(key.public(), proof)
			};
			let included = ctx.submit(&client, &signer.keypair, &call).await?;
			ctx.print(
				with(
					tx_json(&included),
					json!({
						"account": who.to_string(),
						"key_id": hex::encode(key.key_id()),
						"public": hex::encode(key.public()),
						"rotated": rotate,
					}),
				),
				|| {
					format!(
						"registered key {} for {who} {}",
						hex::encode(key.key_id()),
						in_block(&included)
					)
				},
			);
			Ok(())
		},
		Command::Lookup { account } => {
			let who = account_arg("account", &account)?;
			let client = ctx.connect().await?;
			let key = client.active_encryption_key(&who).await?;
			let key_id = hex::encode(virtengine_envelope::key_id(&key.public));
			ctx.print(
				json!({
					"account": who.to_string(),
					"public": hex::encode(key.public),
					"key_id": key_id,
					"version": key.version,
				}),
				|| {
					format!(
						"public key {}\nkey id     {key_id}\nversion    {}",
						hex::encode(key.public),
						key.version
					)
				},
			);
			Ok(())
		},
		Command::Seal { to, to_account, scheme, content_type, input, out } => {
			let mut recipients =
				to.iter().map(|r| recipient_public(r)).collect::<Result<Vec<_>, _>>()?;
			if !to_account.is_empty() {
				let who = to_account
					.iter()
					.map(|a| account_arg("--to-account", a))
					.collect::<Result<Vec<_>, _>>()?;
				let client = ctx.connect().await?;
				for who in &who {
					recipients.push(client.active_encryption_key(who).await?.public);
				}
			}
			if recipients.is_empty() {
				return Err(EnvelopeError::NoRecipient.into());
			}
			let sender = sender(ctx, scheme)?;
			let plaintext = files::read(&input)?;
			let envelope = seal(
				&plaintext,
				&recipients,
				&sender,
				content_type.as_bytes(),
				now_ms(),
				&Limits::DEFAULT,
			)
			.map_err(EnvelopeError::Seal)?;
			let json = envelope.to_json().map_err(EnvelopeError::Seal)?;
			files::write(out.as_deref(), format!("{json}\n").as_bytes(), false)?;
			if let Some(out) = out {
				let ids: Vec<String> = envelope.recipient_ids().map(hex::encode).collect();
				ctx.print(
					json!({
						"file": out.display().to_string(),
						"recipients": ids,
						"content_type": content_type,
						"bytes": plaintext.len(),
					}),
					|| {
						format!(
							"sealed {} bytes to {} recipient(s) in {}",
							plaintext.len(),
							ids.len(),
							out.display()
						)
					},
				);
			}
			Ok(())
		},
		Command::Open { key, input, out } => {
			let key = load_secret(&key)?;
			let text = files::read(&input)?;
			let envelope = std::str::from_utf8(&text)
				.map_err(|_| virtengine_envelope::Error::Malformed("not UTF-8 text"))
				.and_then(Envelope::from_json)
				.map_err(|source| EnvelopeError::NotAnEnvelope { path: input.clone(), source })?;
			let plaintext = open(&envelope, key.as_bytes()).map_err(|e| match e {
				virtengine_envelope::Error::NotARecipient => EnvelopeError::WrongKey {
					key_id: hex::encode(key.key_id()),
					recipients: envelope
						.recipient_ids()
						.map(hex::encode)
						.collect::<Vec<_>>()
						.join(", "),
				},
				other => EnvelopeError::Damaged(other),
			})?;
			files::write(out.as_deref(), &plaintext, true)?;
			if let Some(out) = out {
				let content_type = String::from_utf8_lossy(&envelope.content_type).into_owned();
				let sender = match envelope.sender.scheme {
					virtengine_envelope::SCHEME_ED25519 => "ed25519",
					_ => "sr25519",
				};
				let from = virtengine_client::AccountId::from(envelope.sender.public).to_string();
				ctx.print(
					json!({
						"file": out.display().to_string(),
						"bytes": plaintext.len(),
						"content_type": content_type,
						"sender": from,
						"sender_scheme": sender,
						"created_at_ms": envelope.created_at,
					}),
					|| {
						format!(
							"opened {} bytes ({content_type}) from {from} ({sender}) into {}",
							plaintext.len(),
							out.display()
						)
					},
				);
			}
			Ok(())
		},
	}
}
