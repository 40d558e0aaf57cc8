//! `virtengine veid ...`: the identity scoring pipeline on local files, and identity
//! verification on chain (approve a capture client, upload, status).

use std::{
	path::{Path, PathBuf},
	time::{Instant, SystemTime, UNIX_EPOCH},
};

use clap::{Subcommand, ValueEnum};
use virtengine_scoring::{
	image::Rgb,
	models::{default_dir, kernel_tier},
	mrz::Date,
	pipeline::{birth_date_commitment, name_commitment, Bundle, Pipeline, FEATURE_NAMES},
	synth::{render, Holder, Layout},
	Tier,
};
use virtengine_veid_primitives::ScopeKind;

use crate::{now_ms, random};

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
	/// A date argument is malformed.
	#[error("{0}: expected a date as YYYY-MM-DD")]
	BadDate(String),
	/// The salt is malformed.
	#[error("--salt: expected 64 hex characters (32 bytes)")]
	BadSalt,
	/// A name argument is unusable.
	#[error("{0}")]
	BadName(String),
	/// The models could not be loaded.
	#[error("{0}")]
	Models(String),
	/// The pipeline refused the input.
	#[error("{0}")]
	Pipeline(String),
	/// A key or secret URI is unusable.
	#[error("{0}")]
	BadKey(String),
	/// An argument is unusable.
	#[error("{0}")]
	BadArgument(String),
	/// The upload is larger than the chain accepts.
	#[error("the upload is {size} bytes sealed, the chain accepts at most {max}: use smaller photos (e.g. 1024 px JPEGs)")]
	TooLarge {
		/// Its size.
		size: usize,
		/// The limit.
		max: u32,
	},
	/// Talking to the node failed.
	#[error(transparent)]
	Chain(#[from] virtengine_client::Error),
	/// Sealing failed.
	#[error("sealing the upload: {0}")]
	Seal(String),
	/// `--wait` ran out of time.
	#[error("still pending after {0} blocks; check later with `virtengine veid status`")]
	StillPending(u32),
}

/// A capture client's key scheme.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ClientScheme {
	/// ed25519.
	Ed25519,
	/// sr25519.
	Sr25519,
}

/// A capture client's key pair from a secret URI.
enum ClientPair {
	Ed25519(sp_core::ed25519::Pair),
	Sr25519(sp_core::sr25519::Pair),
}

impl ClientPair {
	fn from_uri(uri: &str, scheme: ClientScheme) -> Result<ClientPair, Error> {
		use sp_core::Pair;
		let bad = |_| Error::BadKey(format!("--client-key: not a {scheme:?} secret URI or seed"));
		Ok(match scheme {
			ClientScheme::Ed25519 => {
				ClientPair::Ed25519(sp_core::ed25519::Pair::from_string(uri, None).map_err(bad)?)
			},
			ClientScheme::Sr25519 => {
				ClientPair::Sr25519(sp_core::sr25519::Pair::from_string(uri, None).map_err(bad)?)
			},
		})
	}

	fn key(&self) -> pallet_veid::ClientKey {
		use sp_core::Pair;
		match self {
			ClientPair::Ed25519(p) => pallet_veid::ClientKey::Ed25519(p.public().0),
			ClientPair::Sr25519(p) => pallet_veid::ClientKey::Sr25519(p.public().0),
		}
	}

	fn sign(&self, message: &[u8]) -> [u8; 64] {
		use sp_core::Pair;
		match self {
			ClientPair::Ed25519(p) => p.sign(message).0,
			ClientPair::Sr25519(p) => p.sign(message).0,
		}
	}
}

fn account_pair(uri: &str, flag: &str) -> Result<sp_core::sr25519::Pair, Error> {
	use sp_core::Pair;
	sp_core::sr25519::Pair::from_string(uri, None)
		.map_err(|_| Error::BadKey(format!("{flag}: not an sr25519 secret URI or seed")))
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
	/// an approved capture client and as your account, submit it, and (with --wait) follow it
	/// until the committee decides.
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
		/// Your account's secret URI or seed (sr25519, e.g. `//Bob` on a dev chain).
		#[arg(long)]
		from: String,
		/// The capture client's id (up to 16 characters, or 0x and 32 hex characters).
		#[arg(long)]
		client_id: String,
		/// The capture client's signing key: a secret URI or seed.
		#[arg(long)]
		client_key: String,
		/// Its scheme.
		#[arg(long, value_enum, default_value = "ed25519")]
		client_scheme: ClientScheme,
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// Wait for the committee's decision and print it.
		#[arg(long)]
		wait: bool,
	},
	/// Show an account's identity: status, score, tier, reasons, and an open request's votes.
	Status {
		/// The account (SS58 address or 0x-prefixed hex id).
		account: String,
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
	},
	/// Approve a capture client (dev and test chains, where the admin origin is sudo).
	AddClient {
		/// The client's id (up to 16 characters, or 0x and 32 hex characters).
		#[arg(long)]
		id: String,
		/// The client's signing key: a secret URI or seed (only its public key is sent).
		#[arg(long)]
		client_key: String,
		/// Its scheme.
		#[arg(long, value_enum, default_value = "ed25519")]
		client_scheme: ClientScheme,
		/// The sudo account's secret URI (e.g. `//Alice` on a dev chain).
		#[arg(long)]
		sudo: String,
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
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
	std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })
}

fn parse_date(text: &str) -> Result<Date, Error> {
	let bad = || Error::BadDate(text.to_string());
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

fn mrz_name(text: &str, what: &str) -> Result<String, Error> {
	let upper = text.trim().to_ascii_uppercase();
	if upper.is_empty() || !upper.chars().all(|c| c.is_ascii_uppercase() || c == ' ') {
		return Err(Error::BadName(format!("{what}: use the letters A-Z and spaces, as the document's machine-readable zone prints them")));
	}
	Ok(upper)
}

fn print_status(
	client: &virtengine_client::Client,
	who: &virtengine_client::veid::AccountId,
) -> Result<Option<pallet_veid::Status>, Error> {
	let s = client.identity(who)?;
	println!("account    {}", virtengine_client::veid::account_text(who));
	let Some(status) = s.status else {
		println!("status     unknown (never uploaded)");
		return Ok(None);
	};
	match (status, s.identity.as_ref().and_then(|i| i.expires_at)) {
		(pallet_veid::Status::Verified, Some(end)) => {
			println!("status     Verified (until block #{end}; now #{})", s.at)
		},
		(pallet_veid::Status::Rejected, _)
			if s.identity.as_ref().and_then(|i| i.reject_reason).is_some() =>
		{
			println!("status     Rejected: TIMEOUT (the committee reached no quorum in time)")
		},
		(status, _) => println!("status     {status:?}"),
	}
	if let Some((id, request)) = &s.request {
		let (committed, revealed, n) = s.votes;
		println!(
			"request    #{id}: {committed}/{n} committed, {revealed}/{n} revealed, quorum {}, times out at block #{}",
			virtengine_veid_primitives::quorum(n),
			request.deadline
		);
	}
	if let Some(r) = &s.result {
		println!("score      {}", r.score);
		println!("tier       {:?}", r.tier);
		let reasons: Vec<&str> = virtengine_veid_primitives::reason_codes(r.reasons).collect();
		println!(
			"reasons    {}",
			if reasons.is_empty() { "none".to_string() } else { reasons.join(", ") }
		);
		println!("model set  {}", hex::encode(r.model_set));
		println!("digest     {}", hex::encode(r.digest));
		println!("request    #{}", r.request);
	}
	Ok(Some(status))
}

use virtengine_client::veid::pallet_veid;

/// Runs a `veid` sub-command.
pub fn run(command: Command) -> Result<(), Error> {
	match command {
		Command::Upload {
			document,
			selfie,
			surname,
			given_names,
			birth_date,
			from,
			client_id,
			client_key,
			client_scheme,
			rpc,
			wait,
		} => {
			use sp_core::Pair;
			let (document, selfie) = (read(&document)?, read(&selfie)?);
			let (surname, given_names) =
				(mrz_name(&surname, "--surname")?, mrz_name(&given_names, "--given-names")?);
			let birth = parse_date(&birth_date)?;
			let user = account_pair(&from, "--from")?;
			let capture = ClientPair::from_uri(&client_key, client_scheme)?;
			let client_id =
				virtengine_client::veid::parse_client_id(&client_id).map_err(Error::BadArgument)?;
			// Refuse unusable photos before anything is sealed or sent.
			Rgb::decode(&document).map_err(|e| Error::Pipeline(format!("document photo: {e}")))?;
			Rgb::decode(&selfie).map_err(|e| Error::Pipeline(format!("selfie: {e}")))?;

			let client = virtengine_client::Client::new(&rpc)?;
			match client.capture_client(&client_id)? {
				None => eprintln!(
					"warning: capture client {} is not approved on this chain; the upload will be refused",
					virtengine_client::veid::client_id_text(&client_id)
				),
				Some(key) if key != capture.key() => eprintln!(
					"warning: --client-key is not the approved key of client {}; the upload will be refused",
					virtengine_client::veid::client_id_text(&client_id)
				),
				Some(_) => {},
			}
			let committee = client.committee()?;
			eprintln!("sealing to the identity committee ({} members)", committee.len());
			let salt = random::<32>();
			let name = name_commitment(&salt, &surname, &given_names);
			let birth = birth_date_commitment(&salt, &birth);
			let who = virtengine_client::veid::AccountId::from(user.public());
			// Bound to this account and salt: a replay under another account is refused.
			let bundle = virtengine_veid_primitives::ScopeBundle {
				version: virtengine_veid_primitives::ScopeBundle::VERSION,
				account: codec::Encode::encode(&who),
				salt,
				document,
				selfie,
			};
			let keys: Vec<[u8; 32]> = committee.iter().map(|m| m.key).collect();
			let max = virtengine_client::veid::max_envelope_bytes();
			let limits = virtengine_envelope::Limits {
				max_ciphertext: max,
				..virtengine_envelope::Limits::DEFAULT
			};
			let plaintext = zeroize::Zeroizing::new(codec::Encode::encode(&bundle));
			let envelope = virtengine_envelope::seal(
				&plaintext,
				&keys,
				&virtengine_envelope::SenderKey::Sr25519(user.clone()),
				virtengine_veid_primitives::ScopeBundle::CONTEXT,
				now_ms(),
				&limits,
			)
			.map_err(|e| Error::Seal(e.to_string()))?;
			let envelope = codec::Encode::encode(&envelope);
			if envelope.len() > max as usize {
				return Err(Error::TooLarge { size: envelope.len(), max });
			}
			let scopes = vec![ScopeKind::Document, ScopeKind::Selfie];
			let genesis = client.chain_info()?.genesis.0;
			let digest = virtengine_client::veid::upload_digest(
				&genesis, &who, &scopes, &salt, &name, &birth, &envelope,
			);
			let call = virtengine_client::veid::upload_scopes(virtengine_client::veid::Upload {
				client: client_id,
				scopes,
				salt,
				name_commitment: name,
				birth_date_commitment: birth,
				client_signature: capture.sign(&digest),
				user_signature: sp_runtime::MultiSignature::Sr25519(
					user.sign(&virtengine_client::veid::user_message(&digest)),
				),
				envelope,
			})?;
			let included = client.submit(&user, call, |step| eprintln!("{step}"))?;
			let request = included.events.iter().find_map(|e| match e {
				virtengine_client::veid::RuntimeEvent::Veid(
					pallet_veid::Event::ScopesUploaded { request, deposit, .. },
				) => Some((*request, *deposit)),
				_ => None,
			});
			match request {
				Some((id, deposit)) => println!(
					"uploaded: request #{id} in block #{}, deposit {} (returned when decided)",
					included.block_number,
					virtengine_client::veid::format_ve(deposit)
				),
				None => println!("uploaded in block #{}", included.block_number),
			}
			if !wait {
				return Ok(());
			}
			let limit = virtengine_client::veid::request_timeout() + 5;
			let start = client.best_number()?;
			let mut last = (u32::MAX, u32::MAX, u32::MAX);
			loop {
				let s = client.identity(&who)?;
				if s.status != Some(pallet_veid::Status::Pending) {
					break;
				}
				let now = (s.at, s.votes.0, s.votes.1);
				if now != last {
					eprintln!(
						"block #{}: {}/{} committed, {}/{} revealed",
						s.at, s.votes.0, s.votes.2, s.votes.1, s.votes.2
					);
					last = now;
				}
				if s.at > start + limit {
					return Err(Error::StillPending(limit));
				}
				std::thread::sleep(std::time::Duration::from_millis(500));
			}
			print_status(&client, &who)?;
			Ok(())
		},
		Command::Status { account, rpc } => {
			let who = virtengine_client::parse_account(&account).map_err(Error::BadArgument)?;
			let client = virtengine_client::Client::new(&rpc)?;
			print_status(&client, &who)?;
			Ok(())
		},
		Command::AddClient { id, client_key, client_scheme, sudo, rpc } => {
			let id = virtengine_client::veid::parse_client_id(&id).map_err(Error::BadArgument)?;
			let key = ClientPair::from_uri(&client_key, client_scheme)?.key();
			let sudo = account_pair(&sudo, "--sudo")?;
			let client = virtengine_client::Client::new(&rpc)?;
			let call = virtengine_client::veid::sudo_register_client(id, key);
			let included = client.submit(&sudo, call, |step| eprintln!("{step}"))?;
			// Sudo reports the inner call's failure as an event, not as a failed extrinsic.
			for e in &included.events {
				if let virtengine_client::veid::RuntimeEvent::Sudo(
					virtengine_client::veid::pallet_sudo::Event::Sudid { sudo_result: Err(error) },
				) = e
				{
					return Err(Error::BadArgument(format!(
						"the chain refused: {}",
						virtengine_client::describe_dispatch_error(*error)
					)));
				}
			}
			println!(
				"approved capture client {} in block #{}",
				virtengine_client::veid::client_id_text(&id),
				included.block_number
			);
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
			let birth = parse_date(&birth_date)?;
			let salt: [u8; 32] = match salt {
				Some(h) => hex::decode(h.trim_start_matches("0x"))
					.ok()
					.and_then(|b| b.try_into().ok())
					.ok_or(Error::BadSalt)?,
				None => random::<32>(),
			};
			let today = match day {
				Some(d) => parse_date(&d)?,
				None => today(),
			};
			// Refuse unusable photos before the (slow) model loading.
			Rgb::decode(&document).map_err(|e| Error::Pipeline(format!("document photo: {e}")))?;
			Rgb::decode(&selfie).map_err(|e| Error::Pipeline(format!("selfie: {e}")))?;
			let dir = models.unwrap_or_else(default_dir);
			eprintln!("loading models from {}", dir.display());
			let started = Instant::now();
			let pipeline = Pipeline::load(&dir).map_err(|e| Error::Models(e.to_string()))?;
			let load_ms = started.elapsed().as_secs_f64() * 1000.0;
			eprintln!("scoring (single-threaded; kernel tier {})", kernel_tier());
			let bundle = Bundle {
				document: &document,
				selfie: &selfie,
				salt,
				name_commitment: name_commitment(&salt, &surname, &given_names),
				birth_date_commitment: birth_date_commitment(&salt, &birth),
				today,
			};
			let o = pipeline.score(&bundle).map_err(|e| Error::Pipeline(e.to_string()))?;
			println!("score      {} ({:?})", o.score, Tier::of(o.score).unwrap_or(Tier::Rejected));
			let reasons: Vec<&str> = o.reasons.iter().map(|r| r.code()).collect();
			println!(
				"reasons    {}",
				if reasons.is_empty() { "none".to_string() } else { reasons.join(", ") }
			);
			println!("digest     {}", hex::encode(o.digest));
			println!("model set  {}", hex::encode(pipeline.model_set));
			if let Some(m) = &o.mrz {
				println!(
					"document   {} {} {}, born {:?}, expires {:?}",
					m.document_code,
					m.issuing_state,
					m.document_number,
					m.birth_date,
					m.expiry_date
				);
			}
			println!("features");
			for (name, value) in FEATURE_NAMES.iter().zip(o.features.0) {
				println!("  {name:<32} {value}");
			}
			println!("time (ms)");
			println!("  {:<32} {load_ms:.0}", "load models");
			let mut total = 0.0;
			for (stage, ms) in &o.timings.stages {
				println!("  {stage:<32} {ms:.0}");
				total += ms;
			}
			println!("  {:<32} {total:.0}", "total (scoring)");
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
				.map_err(|e| Error::Pipeline(format!("{}: {e}", photo.display())))?;
			let holder = Holder {
				surname: mrz_name(&surname, "--surname")?,
				given_names: mrz_name(&given_names, "--given-names")?,
				document_number: number.to_ascii_uppercase(),
				state: "UTO".into(),
				birth_date: parse_date(&birth_date)?,
				sex: 'X',
				expiry_date: parse_date(&expiry_date)?,
			};
			let layout = match layout {
				LayoutArg::Card => Layout::Card,
				LayoutArg::Passport => Layout::Passport,
			};
			let doc = render(&holder, &portrait, layout, None)
				.map_err(|e| Error::Pipeline(e.to_string()))?;
			let img = image::RgbImage::from_raw(doc.width, doc.height, doc.data)
				.ok_or_else(|| Error::Pipeline("rendering produced a wrong-sized image".into()))?;
			img.save_with_format(&out, image::ImageFormat::Png).map_err(|e| Error::Io {
				path: out.clone(),
				source: std::io::Error::other(e.to_string()),
			})?;
			println!("wrote {} ({}x{})", out.display(), img.width(), img.height());
			Ok(())
		},
	}
}
