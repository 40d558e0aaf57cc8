//! `virtengine veid ...`: the identity scoring pipeline on local files, and identity
//! verification on chain (approve a capture client, upload, status).

use std::{
	path::{Path, PathBuf},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use clap::{Subcommand, ValueEnum};
use serde_json::{json, Value};
use sp_core::Pair as _;
use virtengine_client::{
	runtime,
	veid::{self as chain, ClientKey, IdentityStatus, RejectReason, Status, Tier as ChainTier},
	AccountId, Client,
};
use virtengine_scoring::{
	image::Rgb,
	models::{default_dir, kernel_tier},
	mrz::Date,
	pipeline::{birth_date_commitment, name_commitment, Bundle, Pipeline, FEATURE_NAMES},
	synth::{render, Holder, Layout},
	Tier,
};
use virtengine_veid_primitives::ScopeKind;

use crate::{files, in_block, keys, now_ms, random, tx_json, with, Ctx, Error};

/// A capture client's key scheme.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ClientScheme {
	/// ed25519.
	Ed25519,
	/// sr25519.
	Sr25519,
}

/// The capture client's signing key (a secret of the capture app, not of the user).
#[derive(clap::Args, Clone, Debug)]
pub struct ClientKeyArgs {
	/// A file holding the capture client's secret URI or seed, readable by you only.
	#[arg(long, value_name = "PATH", required_unless_present = "client_key")]
	client_key_file: Option<PathBuf>,
	/// A development capture client key: a URI derived from the public development phrase
	/// (e.g. //CaptureApp); real keys go in --client-key-file.
	#[arg(long, value_name = "DEV_URI", conflicts_with = "client_key_file")]
	client_key: Option<String>,
	/// Its scheme.
	#[arg(long, value_enum, default_value = "ed25519")]
	client_scheme: ClientScheme,
}

/// A capture client's key pair (one, short-lived: the size of the sr25519 variant is no cost).
#[allow(clippy::large_enum_variant)]
enum ClientPair {
	Ed25519(sp_core::ed25519::Pair),
	Sr25519(sp_core::sr25519::Pair),
}

impl ClientPair {
	fn load(args: &ClientKeyArgs) -> Result<ClientPair, Error> {
		let (uri, from) = match (&args.client_key_file, &args.client_key) {
			(Some(path), _) => {
				let bytes = files::read_secret(path)?;
				let text = String::from_utf8_lossy(&bytes).trim().to_string();
				(zeroize::Zeroizing::new(text), format!("--client-key-file {}", path.display()))
			},
			(None, Some(uri)) => (
				zeroize::Zeroizing::new(keys::dev_uri("--client-key", uri)?.to_string()),
				"--client-key".to_string(),
			),
			(None, None) => {
				return Err(Error::Arg(
					"give --client-key-file <PATH> (or --client-key //Dev)".into(),
				))
			},
		};
		let bad = |scheme: &str| Error::Key(format!("{from}: not an {scheme} secret URI or seed"));
		Ok(match args.client_scheme {
			ClientScheme::Ed25519 => ClientPair::Ed25519(
				sp_core::ed25519::Pair::from_string(&uri, None).map_err(|_| bad("ed25519"))?,
			),
			ClientScheme::Sr25519 => ClientPair::Sr25519(
				sp_core::sr25519::Pair::from_string(&uri, None).map_err(|_| bad("sr25519"))?,
			),
		})
	}

	fn key(&self) -> ClientKey {
		match self {
			ClientPair::Ed25519(p) => ClientKey::Ed25519(p.public().0),
			ClientPair::Sr25519(p) => ClientKey::Sr25519(p.public().0),
		}
	}

	fn sign(&self, message: &[u8]) -> [u8; 64] {
		match self {
			ClientPair::Ed25519(p) => p.sign(message).0,
			ClientPair::Sr25519(p) => p.sign(message).0,
		}
	}
}

/// Document layouts for `synth`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LayoutArg {
	/// ID-1 card with a TD1 MRZ.
	Card,
	/// Passport data page with a TD3 MRZ.
	Passport,
}

/// `virtengine veid` sub-commands.
#[derive(Subcommand)]
pub enum Command {
	/// Seal a document photo and a selfie to the chain's identity committee, sign the upload as
	/// an approved capture client and as the signing account, submit it, and (with --wait)
	/// follow it until the committee decides.
	Upload {
		/// Photo of the identity document (JPEG or PNG).
		#[arg(long)]
		document: PathBuf,
		/// The selfie (JPEG or PNG).
		#[arg(long)]
		selfie: PathBuf,
		/// The surname you claim, as on the document.
		#[arg(long)]
		surname: String,
		/// The given names you claim, as on the document.
		#[arg(long)]
		given_names: String,
		/// The birth date you claim, YYYY-MM-DD.
		#[arg(long)]
		birth_date: String,
		/// The capture client's id (up to 16 characters, or 0x and 32 hex characters).
		#[arg(long)]
		client_id: String,
		#[command(flatten)]
		client_key: ClientKeyArgs,
		/// Wait for the committee's decision and print it.
		#[arg(long)]
		wait: bool,
	},
	/// Show an account's identity: status, score, tier, reasons, and an open request's votes.
	Status {
		/// The account (SS58 address or 0x-prefixed hex id).
		account: String,
	},
	/// Approve a capture client, signed by the sudo account (dev and test chains, where the
	/// admin origin is sudo).
	AddClient {
		/// The client's id (up to 16 characters, or 0x and 32 hex characters).
		#[arg(long)]
		id: String,
		#[command(flatten)]
		client_key: ClientKeyArgs,
	},
	/// Score a document photo and a selfie with the identity pipeline, locally, and print the
	/// score, tier, reasons, each stage's time and the feature digest validators agree on.
	Score {
		/// Photo of the identity document (JPEG or PNG).
		#[arg(long)]
		document: PathBuf,
		/// The selfie (JPEG or PNG).
		#[arg(long)]
		selfie: PathBuf,
		/// The surname you claim, as on the document.
		#[arg(long)]
		surname: String,
		/// The given names you claim, as on the document.
		#[arg(long)]
		given_names: String,
		/// The birth date you claim, YYYY-MM-DD.
		#[arg(long)]
		birth_date: String,
		/// The commitments' salt (64 hex characters); random if absent.
		#[arg(long)]
		salt: Option<String>,
		/// The reference day, YYYY-MM-DD (validators use the block's timestamp); today if
		/// absent.
		#[arg(long)]
		today: Option<String>,
		/// The model directory (default: $VIRTENGINE_MODEL_DIR or ~/.cache/virtengine/models).
		#[arg(long)]
		models: Option<PathBuf>,
	},
	/// Draw a synthetic identity document (for trying `score`; never for real use).
	Synth {
		/// The portrait photo (JPEG or PNG).
		#[arg(long)]
		photo: PathBuf,
		/// Where to write the document (PNG).
		#[arg(long, short)]
		out: PathBuf,
		/// Card (TD1) or passport (TD3).
		#[arg(long, value_enum, default_value = "card")]
		layout: LayoutArg,
		/// Surname (A-Z and spaces).
		#[arg(long, default_value = "MARTIN")]
		surname: String,
		/// Given names (A-Z and spaces).
		#[arg(long, default_value = "ANNA MARIA")]
		given_names: String,
		/// Birth date, YYYY-MM-DD.
		#[arg(long, default_value = "1990-03-14")]
		birth_date: String,
		/// Expiry date, YYYY-MM-DD.
		#[arg(long, default_value = "2031-06-30")]
		expiry_date: String,
		/// Document number (up to 9 of A-Z 0-9).
		#[arg(long, default_value = "X4RTBPFW4")]
		number: String,
	},
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
	files::read(path)
}

fn parse_date(flag: &str, text: &str) -> Result<Date, Error> {
	let bad = || Error::Arg(format!("{flag}: `{text}` is not a date as YYYY-MM-DD"));
	let mut parts = text.split('-');
	let mut next = || parts.next().and_then(|p| p.parse::<u16>().ok()).ok_or_else(bad);
	let (y, m, d) = (next()?, next()?, next()?);
	Date::new(y, u8::try_from(m).map_err(|_| bad())?, u8::try_from(d).map_err(|_| bad())?)
		.ok_or_else(bad)
}

fn today() -> Date {
	let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
	Date::from_unix_days(secs / 86_400)
}

fn mrz_name(text: &str, flag: &str) -> Result<String, Error> {
	let upper = text.trim().to_ascii_uppercase();
	if upper.is_empty() || !upper.chars().all(|c| c.is_ascii_uppercase() || c == ' ') {
		return Err(Error::Arg(format!(
			"{flag}: use the letters A-Z and spaces, as the document's machine-readable zone \
			 prints them"
		)));
	}
	Ok(upper)
}

fn status_name(status: &Status) -> &'static str {
	match status {
		Status::Pending => "pending",
		Status::Verified => "verified",
		Status::Rejected => "rejected",
		Status::Expired => "expired",
	}
}

fn tier_name(tier: &ChainTier) -> &'static str {
	match tier {
		ChainTier::Rejected => "rejected",
		ChainTier::Basic => "basic",
		ChainTier::Standard => "standard",
		ChainTier::Premium => "premium",
	}
}

fn local_tier_name(tier: Tier) -> &'static str {
	match tier {
		Tier::Rejected => "rejected",
		Tier::Basic => "basic",
		Tier::Standard => "standard",
		Tier::Premium => "premium",
	}
}

fn reject_reason(reason: &RejectReason) -> (&'static str, &'static str) {
	match reason {
		RejectReason::Timeout => ("timeout", "the committee reached no quorum in time"),
		RejectReason::DuplicateIdentity => {
			("duplicate_identity", "this identity already verifies another account")
		},
	}
}

fn status_json(who: &AccountId, s: &IdentityStatus) -> Value {
	let identity = s.identity.as_ref();
	json!({
		"account": who.to_string(),
		"status": s.status.as_ref().map(status_name),
		"expires_at": identity.and_then(|i| i.expires_at),
		"reject_reason": identity.and_then(|i| i.reject_reason.as_ref()).map(|r| reject_reason(r).0),
		"at": s.at,
		"request": s.request.as_ref().map(|(id, r)| json!({
			"id": id,
			"committed": s.votes.0,
			"revealed": s.votes.1,
			"committee": s.votes.2,
			"quorum": virtengine_veid_primitives::quorum(s.votes.2),
			"deadline": r.deadline,
		})),
		"result": s.result.as_ref().map(|r| json!({
			"score": r.score,
			"tier": tier_name(&r.tier),
			"reasons": virtengine_veid_primitives::reason_codes(r.reasons).collect::<Vec<_>>(),
			"model_set": hex::encode(r.model_set),
			"digest": hex::encode(r.digest),
			"request": r.request,
		})),
	})
}

fn status_text(who: &AccountId, s: &IdentityStatus) -> String {
	let mut lines = vec![format!("account    {who}")];
	let Some(status) = &s.status else {
		lines.push("status     unknown (never uploaded)".into());
		return lines.join("\n");
	};
	let identity = s.identity.as_ref();
	match (status, identity.and_then(|i| i.expires_at)) {
		(Status::Verified, Some(end)) => {
			lines.push(format!("status     verified (until block #{end}; now #{})", s.at))
		},
		(Status::Rejected, _) => match identity.and_then(|i| i.reject_reason.as_ref()) {
			Some(reason) => {
				let (code, meaning) = reject_reason(reason);
				lines.push(format!("status     rejected: {} ({meaning})", code.to_uppercase()))
			},
			None => lines.push("status     rejected".into()),
		},
		(status, _) => lines.push(format!("status     {}", status_name(status))),
	}
	if let Some((id, request)) = &s.request {
		let (committed, revealed, n) = s.votes;
		lines.push(format!(
			"request    #{id}: {committed}/{n} committed, {revealed}/{n} revealed, quorum {}, times out at block #{}",
			virtengine_veid_primitives::quorum(n),
			request.deadline
		));
	}
	if let Some(r) = &s.result {
		let reasons: Vec<&str> = virtengine_veid_primitives::reason_codes(r.reasons).collect();
		lines.push(format!("score      {}", r.score));
		lines.push(format!("tier       {}", tier_name(&r.tier)));
		lines.push(format!(
			"reasons    {}",
			if reasons.is_empty() { "none".to_string() } else { reasons.join(", ") }
		));
		lines.push(format!("model set  {}", hex::encode(r.model_set)));
		lines.push(format!("digest     {}", hex::encode(r.digest)));
		lines.push(format!("request    #{}", r.request));
	}
	lines.join("\n")
}

/// Follows `who`'s open request until the committee decides (or `limit` blocks pass).
async fn wait_for_decision(
	ctx: &Ctx,
	client: &Client,
	who: &AccountId,
) -> Result<IdentityStatus, Error> {
	let limit = client.request_timeout().await? + 5;
	let start = client.best_number().await?;
	let mut last = (u32::MAX, u32::MAX, u32::MAX);
	let started = Instant::now();
	loop {
		let s = client.identity(who).await?;
		let now = (s.at, s.votes.0, s.votes.1);
		match s.status {
			Some(Status::Pending) if now != last => ctx.wait_note(&format!(
				"block #{}: {}/{} committed, {}/{} revealed ({}s)",
				s.at,
				s.votes.0,
				s.votes.2,
				s.votes.1,
				s.votes.2,
				started.elapsed().as_secs()
			)),
			Some(Status::Pending) => {},
			// The upload was included, but the best block read here is one without it: a sibling
			// of its block (collators build competing blocks for a moment), or a node that has
			// not imported it yet. The pool keeps it until a block of the best chain has it.
			None if now != last => ctx.wait_note(&format!(
				"block #{}: the upload is not on this node's best chain yet ({}s)",
				s.at,
				started.elapsed().as_secs()
			)),
			None => {},
			Some(_) => return Ok(s),
		}
		last = now;
		if s.at > start + limit {
			return Err(Error::Outcome(match s.status {
				None => format!(
					"the upload is not on this node's best chain {limit} blocks after its \
					 inclusion (a fork that was abandoned?); check with `virtengine veid status`, \
					 and upload again if it says never uploaded"
				),
				_ => format!(
					"still pending after {limit} blocks; check later with `virtengine veid status`"
				),
			}));
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

/// Runs a `veid` sub-command.
pub async fn run(ctx: &Ctx, command: Command) -> Result<(), Error> {
	match command {
		Command::Upload {
			document,
			selfie,
			surname,
			given_names,
			birth_date,
			client_id,
			client_key,
			wait,
		} => {
			let (document, selfie) = (read(&document)?, read(&selfie)?);
			let (surname, given_names) =
				(mrz_name(&surname, "--surname")?, mrz_name(&given_names, "--given-names")?);
			let birth = parse_date("--birth-date", &birth_date)?;
			let capture = ClientPair::load(&client_key)?;
			let client_id = chain::parse_client_id(&client_id)
				.map_err(|e| Error::Arg(format!("--client-id: {e}")))?;
			// Refuse unusable photos before anything is sealed or sent.
			Rgb::decode(&document)
				.map_err(|e| Error::Arg(format!("--document: not a usable photo: {e}")))?;
			Rgb::decode(&selfie)
				.map_err(|e| Error::Arg(format!("--selfie: not a usable photo: {e}")))?;
			let user = ctx.signer()?;
			let user_pair = user.pair()?;
			let who = user.account();

			let client = ctx.connect().await?;
			match client.capture_client(&client_id).await? {
				None => eprintln!(
					"warning: capture client {} is not approved on this chain; the upload will be refused",
					chain::client_id_text(&client_id)
				),
				Some(key) if key != capture.key() => eprintln!(
					"warning: the capture client key is not the approved key of client {}; the upload will be refused",
					chain::client_id_text(&client_id)
				),
				Some(_) => {},
			}
			let committee = client.committee().await?;
			ctx.wait_note(&format!(
				"sealing to the identity committee ({} members)",
				committee.len()
			));
			let salt = random::<32>();
			let name = name_commitment(&salt, &surname, &given_names);
			let birth = birth_date_commitment(&salt, &birth);
			// Bound to this account and salt: a replay under another account is refused.
			let bundle = virtengine_veid_primitives::ScopeBundle {
				version: virtengine_veid_primitives::ScopeBundle::VERSION,
				account: codec::Encode::encode(&who),
				salt,
				document,
				selfie,
			};
			let keys: Vec<[u8; 32]> = committee.iter().map(|m| m.key).collect();
			let max = client.max_envelope_bytes().await?;
			let limits = virtengine_envelope::Limits {
				max_ciphertext: max,
				..virtengine_envelope::Limits::DEFAULT
			};
			let plaintext = zeroize::Zeroizing::new(codec::Encode::encode(&bundle));
			let envelope = virtengine_envelope::seal(
				&plaintext,
				&keys,
				&virtengine_envelope::SenderKey::Sr25519(user_pair.clone()),
				virtengine_veid_primitives::ScopeBundle::CONTEXT,
				now_ms(),
				&limits,
			)
			.map_err(|e| Error::Outcome(format!("sealing the upload: {e}")))?;
			let envelope = codec::Encode::encode(&envelope);
			if envelope.len() > max as usize {
				return Err(Error::Arg(format!(
					"--document/--selfie: the upload is {} bytes sealed, the chain accepts at most \
					 {max}: use smaller photos (e.g. 1024 px JPEGs)",
					envelope.len()
				)));
			}
			let scopes = vec![ScopeKind::Document, ScopeKind::Selfie];
			let digest = chain::upload_digest(
				&client.genesis().0,
				&who,
				&scopes,
				&salt,
				&name,
				&birth,
				&envelope,
			);
			let call = chain::upload_scopes(chain::Upload {
				client: client_id,
				scopes,
				salt,
				name_commitment: name,
				birth_date_commitment: birth,
				client_signature: capture.sign(&digest),
				user_signature: user_pair.sign(&chain::user_message(&digest)).0,
				envelope,
			})?;
			let included = ctx.submit(&client, &user.keypair, &call).await?;
			let request = included.find(|e| match e {
				runtime::Event::Veid(runtime::veid::Event::ScopesUploaded {
					request,
					deposit,
					..
				}) => Some((*request, *deposit)),
				_ => None,
			});
			let uploaded = with(
				tx_json(&included),
				json!({
					"account": who.to_string(),
					"request": request.map(|r| r.0),
					"deposit": request.map(|r| r.1.to_string()),
				}),
			);
			let uploaded_text = match request {
				Some((id, deposit)) => format!(
					"uploaded: request #{id} {}, deposit {} (returned when decided)",
					in_block(&included),
					virtengine_client::format_ve(deposit)
				),
				None => format!("uploaded {}", in_block(&included)),
			};
			if !wait {
				ctx.print(uploaded, || uploaded_text);
				return Ok(());
			}
			ctx.human(uploaded_text);
			let s = wait_for_decision(ctx, &client, &who).await?;
			ctx.print(with(uploaded, json!({ "decision": status_json(&who, &s) })), || {
				status_text(&who, &s)
			});
			Ok(())
		},
		Command::Status { account } => {
			let who = crate::account_arg("account", &account)?;
			let client = ctx.connect().await?;
			let s = client.identity(&who).await?;
			ctx.print(status_json(&who, &s), || status_text(&who, &s));
			Ok(())
		},
		Command::AddClient { id, client_key } => {
			let id = chain::parse_client_id(&id).map_err(|e| Error::Arg(format!("--id: {e}")))?;
			let key = ClientPair::load(&client_key)?.key();
			let sudo = ctx.signer()?;
			let client = ctx.connect().await?;
			let call = chain::sudo_register_client(id, key);
			let included = ctx.submit(&client, &sudo.keypair, &call).await?;
			crate::sudo_result(&client, &included).await?;
			let name = chain::client_id_text(&id);
			ctx.print(with(tx_json(&included), json!({ "client_id": name })), || {
				format!("approved capture client {name} {}", in_block(&included))
			});
			Ok(())
		},
		Command::Score {
			document,
			selfie,
			surname,
			given_names,
			birth_date,
			salt,
			today: day,
			models,
		} => {
			let (document, selfie) = (read(&document)?, read(&selfie)?);
			let (surname, given_names) =
				(mrz_name(&surname, "--surname")?, mrz_name(&given_names, "--given-names")?);
			let birth = parse_date("--birth-date", &birth_date)?;
			let salt: [u8; 32] = match salt {
				Some(h) => crate::hex32("--salt", &h)?,
				None => random::<32>(),
			};
			let today = match day {
				Some(d) => parse_date("--today", &d)?,
				None => today(),
			};
			// Refuse unusable photos before the (slow) model loading.
			Rgb::decode(&document)
				.map_err(|e| Error::Arg(format!("--document: not a usable photo: {e}")))?;
			Rgb::decode(&selfie)
				.map_err(|e| Error::Arg(format!("--selfie: not a usable photo: {e}")))?;
			let dir = models.unwrap_or_else(default_dir);
			ctx.wait_note(&format!("loading models from {}", dir.display()));
			let started = Instant::now();
			let pipeline = Pipeline::load(&dir)
				.map_err(|e| Error::Pipeline(format!("--models {}: {e}", dir.display())))?;
			let load_ms = started.elapsed().as_secs_f64() * 1000.0;
			ctx.wait_note(&format!("scoring (single-threaded; kernel tier {})", kernel_tier()));
			let bundle = Bundle {
				document: &document,
				selfie: &selfie,
				salt,
				name_commitment: name_commitment(&salt, &surname, &given_names),
				birth_date_commitment: birth_date_commitment(&salt, &birth),
				today,
			};
			let o = pipeline.score(&bundle).map_err(|e| Error::Pipeline(e.to_string()))?;
			let tier = local_tier_name(Tier::of(o.score).unwrap_or(Tier::Rejected));
			let reasons: Vec<&str> = o.reasons.iter().map(|r| r.code()).collect();
			let total: f64 = o.timings.stages.iter().map(|(_, ms)| ms).sum();
			let date = |d: &Option<Date>| match d {
				Some(d) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
				None => "unreadable".to_string(),
			};
			ctx.print(
				json!({
					"score": o.score,
					"tier": tier,
					"reasons": reasons,
					"digest": hex::encode(o.digest),
					"model_set": hex::encode(pipeline.model_set),
					"document": o.mrz.as_ref().map(|m| json!({
						"code": m.document_code,
						"issuing_state": m.issuing_state,
						"number": m.document_number,
						"birth_date": m.birth_date.is_some().then(|| date(&m.birth_date)),
						"expiry_date": m.expiry_date.is_some().then(|| date(&m.expiry_date)),
					})),
					"features": FEATURE_NAMES
						.iter()
						.zip(o.features.0)
						.map(|(name, value)| (name.to_string(), json!(value)))
						.collect::<serde_json::Map<_, _>>(),
					"time_ms": {
						"load_models": load_ms,
						"stages": o.timings.stages.iter()
							.map(|(stage, ms)| (stage.to_string(), json!(ms)))
							.collect::<serde_json::Map<_, _>>(),
						"scoring": total,
					},
				}),
				|| {
					let mut lines = vec![
						format!("score      {} ({tier})", o.score),
						format!(
							"reasons    {}",
							if reasons.is_empty() {
								"none".to_string()
							} else {
								reasons.join(", ")
							}
						),
						format!("digest     {}", hex::encode(o.digest)),
						format!("model set  {}", hex::encode(pipeline.model_set)),
					];
					if let Some(m) = &o.mrz {
						lines.push(format!(
							"document   {} {} {}, born {}, expires {}",
							m.document_code,
							m.issuing_state,
							m.document_number,
							date(&m.birth_date),
							date(&m.expiry_date)
						));
					}
					lines.push("features".into());
					for (name, value) in FEATURE_NAMES.iter().zip(o.features.0) {
						lines.push(format!("  {name:<32} {value}"));
					}
					lines.push("time (ms)".into());
					lines.push(format!("  {:<32} {load_ms:.0}", "load models"));
					for (stage, ms) in &o.timings.stages {
						lines.push(format!("  {stage:<32} {ms:.0}"));
					}
					lines.push(format!("  {:<32} {total:.0}", "total (scoring)"));
					lines.join("\n")
				},
			);
			Ok(())
		},
		Command::Synth {
			photo,
			out,
			layout,
			surname,
			given_names,
			birth_date,
			expiry_date,
			number,
		} => {
			let portrait = Rgb::decode(&read(&photo)?)
				.map_err(|e| Error::Arg(format!("--photo {}: {e}", photo.display())))?;
			let holder = Holder {
				surname: mrz_name(&surname, "--surname")?,
				given_names: mrz_name(&given_names, "--given-names")?,
				document_number: number.to_ascii_uppercase(),
				state: "UTO".into(),
				birth_date: parse_date("--birth-date", &birth_date)?,
				sex: 'X',
				expiry_date: parse_date("--expiry-date", &expiry_date)?,
			};
			let layout = match layout {
				LayoutArg::Card => Layout::Card,
				LayoutArg::Passport => Layout::Passport,
			};
			let doc = render(&holder, &portrait, layout, None)
				.map_err(|e| Error::Pipeline(e.to_string()))?;
			let img = image::RgbImage::from_raw(doc.width, doc.height, doc.data)
				.ok_or_else(|| Error::Pipeline("rendering produced a wrong-sized image".into()))?;
			img.save_with_format(&out, image::ImageFormat::Png).map_err(|e| Error::File {
				path: out.clone(),
				source: std::io::Error::other(e.to_string()),
			})?;
			ctx.print(
				json!({
					"file": out.display().to_string(),
					"width": img.width(),
					"height": img.height(),
				}),
				|| format!("wrote {} ({}x{})", out.display(), img.width(), img.height()),
			);
			Ok(())
		},
	}
}
