//! `virtengine mfa ...`: enroll a FIDO2 credential (a software authenticator in a key file, for
//! development), authorize a sensitive call with it, recover accounts, bind TOTP, and show an
//! account's MFA state.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use codec::Decode;
use serde_json::{json, Value};
use virtengine_client::{
	mfa::{ChannelKind, Proof, SoftKey},
	runtime::{self, runtime_types},
	subxt::utils::MultiAddress,
	AccountId, Balance, Client, RuntimeCall,
};

use crate::{account_arg, files, hex32, in_block, now_ms, random, tx_json, with, Ctx, Error};

type MfaCall = runtime_types::pallet_mfa::pallet::Call;

/// The environment variable that may hold a TOTP seed (base32) for `totp-code`.
pub const TOTP_SEED_ENV: &str = "VIRTENGINE_TOTP_SEED";

/// `virtengine mfa` sub-commands. The signing account is the global key (--suri-file, ...).
#[derive(Subcommand)]
pub enum Command {
	/// Register a FIDO2 credential for the signing account. Creates the software
	/// authenticator's key file if it does not exist (development use: the key lives in that
	/// file, readable by you only).
	Enroll {
		/// The software authenticator's key file.
		#[arg(long, value_name = "PATH")]
		fido2_key: PathBuf,
	},
	/// Authorize a sensitive call with your factors, then (with --submit) submit it. Give the
	/// call as SCALE hex (polkadot.js apps shows it as "encoded call data") or as a transfer.
	Authorize {
		/// The software authenticator's key file (omit when the call needs no FIDO2 proof).
		#[arg(long, value_name = "PATH")]
		fido2_key: Option<PathBuf>,
		/// The call, SCALE-encoded, as hex.
		#[arg(long, conflicts_with_all = ["transfer_to", "amount"])]
		call: Option<String>,
		/// A transfer (keep-alive) to this account.
		#[arg(long, requires = "amount")]
		transfer_to: Option<String>,
		/// The transfer's amount in VE (decimals allowed, e.g. 12.5).
		#[arg(long, requires = "transfer_to", value_name = "VE", value_parser = positive_ve)]
		amount: Option<Balance>,
		/// Submit the call once authorized.
		#[arg(long)]
		submit: bool,
		/// A one-time code sent to your channel (where the policy asks for one).
		#[arg(long, requires = "salt")]
		code: Option<u32>,
		/// The salt that came with the code (64 hex characters).
		#[arg(long, requires = "code")]
		salt: Option<String>,
		/// Include the TOTP attestation your verifier posted for this call's challenge.
		#[arg(long)]
		totp: bool,
	},
	/// Set your SMS or email channel for one-time codes. Only a salted hash of the address goes
	/// on chain; give the issuer the address and the printed salt.
	SetChannel {
		/// The channel's kind.
		#[arg(long, value_enum)]
		kind: ChannelArg,
		/// The phone number or email address.
		#[arg(long)]
		address: String,
		/// Once the account has factors, a channel is a factor change: authorize it with this
		/// software authenticator key file (and `--code`/`--salt` if a channel exists).
		#[arg(long, value_name = "PATH")]
		fido2_key: Option<PathBuf>,
		/// A one-time code sent to your current channel (where the account has one).
		#[arg(long, requires = "salt")]
		code: Option<u32>,
		/// The salt that came with the code (64 hex characters).
		#[arg(long, requires = "code")]
		salt: Option<String>,
	},
	/// As an approved code issuer (Alice on development chains), draw a one-time code for an
	/// account and record its commitment. Prints the code and the salt: a real issuer sends the
	/// code by SMS or email and the salt to the user's client.
	IssueCode {
		/// The account the code is for.
		#[arg(long)]
		to: String,
		/// Validity in blocks (at most the chain's limit, 10 minutes).
		#[arg(long, default_value_t = 50)]
		ttl_blocks: u32,
	},
	/// Start recovering an account whose key is lost, to the signing account, with the lost
	/// account's FIDO2 key file and a code sent to its channel. Claimable after the chain's
	/// delay.
	Recover {
		/// The lost account.
		#[arg(long)]
		lost: String,
		/// The lost account's software authenticator key file.
		#[arg(long, value_name = "PATH")]
		fido2_key: PathBuf,
		/// The one-time code sent to the lost account's channel.
		#[arg(long, requires = "salt")]
		code: Option<u32>,
		/// The salt that came with the code.
		#[arg(long, requires = "code")]
		salt: Option<String>,
	},
	/// Claim an account whose recovery delay has passed: its funds move to you.
	ClaimRecovery {
		/// The lost account.
		#[arg(long)]
		lost: String,
	},
	/// Bind TOTP to an approved verifier: draws a seed, seals it to the verifier's registered
	/// envelope key (the file goes to the verifier, never to the ledger), records the binding,
	/// and prints the otpauth URI for your authenticator app.
	TotpEnroll {
		/// The verifier's account (an approved attester with a registered envelope key).
		#[arg(long)]
		verifier: String,
		/// Where to write the sealed seed for the verifier.
		#[arg(long)]
		out: PathBuf,
	},
	/// The current TOTP code of a base32 seed (what an authenticator app shows; development).
	TotpCode {
		/// A file holding the seed, base32 (the otpauth URI's `secret`), readable by you only.
		/// Or set VIRTENGINE_TOTP_SEED.
		#[arg(long, value_name = "PATH")]
		seed_file: Option<PathBuf>,
	},
	/// Print the challenge an authorization of a call needs now (to show a TOTP verifier).
	Challenge {
		/// The account that will authorize (SS58).
		#[arg(long)]
		account: String,
		/// The call, SCALE-encoded, as hex.
		#[arg(long)]
		call: String,
	},
	/// As a TOTP verifier: check an account's code against the seed sealed to you and attest it
	/// on chain for a challenge.
	TotpAttest {
		/// The verifier's envelope key file (`virtengine envelope keygen`).
		#[arg(long)]
		key: PathBuf,
		/// The sealed seed the account gave you.
		#[arg(long)]
		envelope: PathBuf,
		/// The account (SS58).
		#[arg(long)]
		account: String,
		/// The challenge the account's client showed (64 hex characters).
		#[arg(long)]
		challenge: String,
		/// The code the account's authenticator app shows.
		#[arg(long)]
		code: u32,
		/// Validity of the attestation in blocks.
		#[arg(long, default_value_t = 50)]
		ttl_blocks: u32,
	},
	/// Cancel a recovery of the signing account.
	CancelRecovery,
	/// Show an account's factors, pending authorization and open sessions.
	Status {
		/// The account (SS58, or a 0x-prefixed 32-byte account id).
		account: String,
	},
}

/// A code channel's kind.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ChannelArg {
	/// Text message.
	Sms,
	/// Email.
	Email,
}

impl From<ChannelArg> for ChannelKind {
	fn from(c: ChannelArg) -> Self {
		match c {
			ChannelArg::Sms => ChannelKind::Sms,
			ChannelArg::Email => ChannelKind::Email,
		}
	}
}

fn channel_name(kind: &ChannelKind) -> &'static str {
	match kind {
		ChannelKind::Sms => "sms",
		ChannelKind::Email => "email",
	}
}

/// A sensitive action's name (`pallet_mfa::Action`), snake_case.
pub fn action_name(action: &runtime_types::pallet_mfa::policy::Action) -> &'static str {
	use runtime_types::pallet_mfa::policy::Action as A;
	match action {
		A::AccountRecovery => "account_recovery",
		A::KeyRotation => "key_rotation",
		A::ProviderRegistration => "provider_registration",
		A::ValidatorRegistration => "validator_registration",
		A::Withdrawal => "withdrawal",
		A::GovernanceProposal => "governance_proposal",
		A::OrderCreate => "order_create",
		A::OfferingCreate => "offering_create",
		A::TransferTokens => "transfer_tokens",
		A::UpdateAccountSettings => "update_account_settings",
		A::SupportRequest => "support_request",
		A::OfferingUpdate => "offering_update",
		A::LeaseClose => "lease_close",
		A::MfaSettings => "mfa_settings",
		A::FundsCommit => "funds_commit",
		A::StaffAction => "staff_action",
	}
}

fn factor_names(set: &runtime_types::virtengine_mfa_primitives::FactorSet) -> Vec<&'static str> {
	virtengine_mfa_primitives::FactorSet(set.0).iter().map(|f| f.name()).collect()
}

/// A positive amount of VE (a transfer of nothing is a mistake).
fn positive_ve(text: &str) -> Result<Balance, String> {
	match virtengine_client::parse_ve(text)? {
		0 => Err("the amount must be above 0".into()),
		amount => Ok(amount),
	}
}

fn code_arg(code: Option<u32>, salt: Option<String>) -> Result<Option<(u32, [u8; 32])>, Error> {
	match (code, salt) {
		(Some(code), Some(salt)) => {
			if code > 999_999 {
				return Err(Error::Arg(format!("--code: `{code}` is not a six-digit code")));
			}
			Ok(Some((code, hex32("--salt", &salt)?)))
		},
		_ => Ok(None),
	}
}

/// A call from SCALE hex; the error names `flag`.
pub fn decode_call(flag: &str, hex_call: &str) -> Result<RuntimeCall, Error> {
	let raw = hex::decode(hex_call.trim().trim_start_matches("0x"))
		.map_err(|_| Error::Arg(format!("{flag}: not hex")))?;
	let mut input = &raw[..];
	let call = RuntimeCall::decode(&mut input)
		.map_err(|e| Error::Arg(format!("{flag}: not a call of this runtime: {e}")))?;
	if !input.is_empty() {
		return Err(Error::Arg(format!("{flag}: trailing bytes after the call")));
	}
	Ok(call)
}

/// Loads a software authenticator key file, which must be private.
pub fn load_soft_key(path: &Path) -> Result<SoftKey, Error> {
	files::check_private(path)?;
	Ok(SoftKey::load(path)?)
}

fn save_to(path: Option<PathBuf>) -> impl FnMut(&SoftKey) -> Result<(), virtengine_client::Error> {
	move |k: &SoftKey| match &path {
		Some(path) => k.save(path),
		None => Ok(()),
	}
}

async fn load_or_create(ctx: &Ctx, client: &Client, path: &Path) -> Result<SoftKey, Error> {
	if path.exists() {
		return load_soft_key(path);
	}
	let rp = client.relying_party().await?.ok_or_else(|| {
		Error::Outcome("the chain has no WebAuthn relying party configured".into())
	})?;
	let rp_id = String::from_utf8_lossy(&rp.id).into_owned();
	let key = loop {
		if let Some(key) = SoftKey::new(random(), random(), &rp_id) {
			break key;
		}
	};
	key.save(path)?;
	ctx.wait_note(&format!(
		"created software authenticator {} for relying party `{rp_id}`",
		path.display()
	));
	Ok(key)
}

/// Authorizes `call` for the signing account with the factors given.
async fn authorize(
	ctx: &Ctx,
	client: &Client,
	signer: &virtengine_client::Keypair,
	fido2_key: Option<PathBuf>,
	call: RuntimeCall,
	extra: Vec<Proof>,
) -> Result<virtengine_client::Included, Error> {
	let mut key = fido2_key.as_deref().map(load_soft_key).transpose()?;
	Ok(client
		.mfa_authorize(
			signer,
			key.as_mut(),
			call,
			extra,
			save_to(fido2_key),
			ctx.tx_options(),
			ctx.progress(),
		)
		.await?)
}

/// Runs a `virtengine mfa` command.
pub async fn run(ctx: &Ctx, command: Command) -> Result<(), Error> {
	match command {
		Command::Enroll { fido2_key } => {
			let signer = ctx.signer()?;
			let client = ctx.connect().await?;
			let mut key = load_or_create(ctx, &client, &fido2_key).await?;
			let included = client
				.mfa_enroll(
					&signer.keypair,
					&mut key,
					save_to(Some(fido2_key.clone())),
					ctx.tx_options(),
					ctx.progress(),
				)
				.await?;
			let id = hex::encode(&key.authenticator.credential_id);
			let who = signer.account();
			ctx.print(
				with(
					tx_json(&included),
					json!({ "account": who.to_string(), "credential_id": id }),
				),
				|| format!("credential {id} registered for {who} {}", in_block(&included)),
			);
		},
		Command::Authorize { fido2_key, call, transfer_to, amount, submit, code, salt, totp } => {
			let mut extra: Vec<Proof> = code_arg(code, salt)?
				.map(|(code, salt)| Proof::Code { code, salt })
				.into_iter()
				.collect();
			if totp {
				extra.push(Proof::Totp);
			}
			let call = match (call, transfer_to, amount) {
				(Some(hex_call), None, None) => decode_call("--call", &hex_call)?,
				(None, Some(to), Some(value)) => RuntimeCall::Balances(
					runtime_types::pallet_balances::pallet::Call::transfer_keep_alive {
						dest: MultiAddress::Id(account_arg("--transfer-to", &to)?),
						value,
					},
				),
				_ => {
					return Err(Error::Arg(
						"give the call: --call <hex>, or --transfer-to <account> --amount <VE>"
							.into(),
					))
				},
			};
			let signer = ctx.signer()?;
			let client = ctx.connect().await?;
			let included =
				authorize(ctx, &client, &signer.keypair, fido2_key, call.clone(), extra).await?;
			let authorized = included.find(|e| match e {
				runtime::Event::Mfa(runtime::mfa::Event::Authorized {
					critical, expires, ..
				}) => Some((*critical, *expires)),
				_ => None,
			});
			let (critical, expires) = match authorized {
				Some(a) => a,
				None => {
					let left = included.find(|e| match e {
						runtime::Event::Mfa(runtime::mfa::Event::CodeRejected {
							attempts_left,
							..
						}) => Some(*attempts_left),
						_ => None,
					});
					return Err(Error::Outcome(match left {
						Some(0) => "wrong code; it is now void: ask for a new one".into(),
						Some(n) => format!("wrong code; {n} attempts left"),
						None => "the chain authorized nothing".into(),
					}));
				},
			};
			let submitted = if submit {
				ctx.wait_note("authorized; submitting the call");
				Some(ctx.submit(&client, &signer.keypair, &call).await?)
			} else {
				None
			};
			ctx.print(
				with(
					tx_json(&included),
					json!({
						"account": signer.account().to_string(),
						"scope": if critical { "once" } else { "session" },
						"expires": expires,
						"submitted": submitted.as_ref().map(tx_json),
					}),
				),
				|| {
					let mut text = if critical {
						format!(
							"authorized this exact call once, until block #{expires} ({})",
							in_block(&included)
						)
					} else {
						format!(
							"authorized: a session for this action until block #{expires} ({})",
							in_block(&included)
						)
					};
					if let Some(done) = &submitted {
						text.push_str(&format!("\ncall included {}", in_block(done)));
					}
					text
				},
			);
		},
		Command::SetChannel { kind, address, fido2_key, code, salt: code_salt } => {
			let signer = ctx.signer()?;
			let client = ctx.connect().await?;
			let salt: [u8; 32] = random();
			let kind = ChannelKind::from(kind);
			let hash = virtengine_client::mfa::contact_hash(kind.clone(), &address, &salt);
			let extra: Vec<Proof> = code_arg(code, code_salt)?
				.map(|(code, salt)| Proof::Code { code, salt })
				.into_iter()
				.collect();
			if fido2_key.is_some() || !extra.is_empty() {
				let call = RuntimeCall::Mfa(MfaCall::set_channel {
					kind: kind.clone(),
					destination: hash,
				});
				authorize(ctx, &client, &signer.keypair, fido2_key, call, extra).await?;
				ctx.wait_note("authorized; setting the channel");
			}
			let included = client
				.mfa_set_channel(
					&signer.keypair,
					kind.clone(),
					hash,
					ctx.tx_options(),
					ctx.progress(),
				)
				.await?;
			let name = channel_name(&kind);
			ctx.print(
				with(tx_json(&included), json!({ "kind": name, "salt": hex::encode(salt) })),
				|| {
					format!(
						"{name} channel set {}\nsalt {}  (give the code issuer your address and this salt)",
						in_block(&included),
						hex::encode(salt)
					)
				},
			);
		},
		Command::IssueCode { to, ttl_blocks } => {
			let who = account_arg("--to", &to)?;
			let signer = ctx.signer()?;
			let client = ctx.connect().await?;
			let code = u32::from_le_bytes(random()) % 1_000_000;
			let salt: [u8; 32] = random();
			let included = client
				.mfa_issue_code(
					&signer.keypair,
					&who,
					code,
					salt,
					ttl_blocks,
					ctx.tx_options(),
					ctx.progress(),
				)
				.await?;
			ctx.print(
				with(
					tx_json(&included),
					json!({
						"account": who.to_string(),
						"code": format!("{code:06}"),
						"salt": hex::encode(salt),
					}),
				),
				|| format!("code {code:06} salt {} ({})", hex::encode(salt), in_block(&included)),
			);
		},
		Command::Recover { lost, fido2_key, code, salt } => {
			let lost = account_arg("--lost", &lost)?;
			let code = code_arg(code, salt)?;
			let mut key = load_soft_key(&fido2_key)?;
			let signer = ctx.signer()?;
			let client = ctx.connect().await?;
			let included = client
				.mfa_initiate_recovery(
					&signer.keypair,
					&lost,
					&mut key,
					code,
					save_to(Some(fido2_key)),
					ctx.tx_options(),
					ctx.progress(),
				)
				.await?;
			let Some(r) = client.mfa_recovery(&lost).await? else {
				return Err(Error::Outcome(
					"no recovery started: the code was wrong (one attempt used up)".into(),
				));
			};
			ctx.print(
				with(
					tx_json(&included),
					json!({
						"lost": lost.to_string(),
						"rescuer": r.rescuer.to_string(),
						"claimable_at": r.executable_at,
					}),
				),
				|| {
					format!(
						"recovery of {lost} to {} started {}; claimable from block #{}",
						r.rescuer,
						in_block(&included),
						r.executable_at
					)
				},
			);
		},
		Command::ClaimRecovery { lost } => {
			let lost = account_arg("--lost", &lost)?;
			let signer = ctx.signer()?;
			let client = ctx.connect().await?;
			let call = RuntimeCall::Mfa(MfaCall::claim_recovery { lost });
			let included = ctx.submit(&client, &signer.keypair, &call).await?;
			ctx.print(with(tx_json(&included), json!({ "lost": lost.to_string() })), || {
				format!("account {lost} recovered {}", in_block(&included))
			});
		},
		Command::TotpEnroll { verifier, out } => {
			let verifier = account_arg("--verifier", &verifier)?;
			let signer = ctx.signer()?;
			let who = signer.account();
			let client = ctx.connect().await?;
			let key = client.active_encryption_key(&verifier).await?;
			let seed = zeroize::Zeroizing::new(random::<20>());
			let envelope = virtengine_envelope::seal(
				&seed[..],
				&[key.public],
				&virtengine_envelope::SenderKey::Sr25519(signer.pair()?),
				b"application/x-virtengine-totp-seed",
				now_ms(),
				&virtengine_envelope::Limits::DEFAULT,
			)
			.map_err(|e| Error::Outcome(format!("sealing the seed: {e}")))?;
			let json = envelope
				.to_json()
				.map_err(|e| Error::Outcome(format!("encoding the envelope: {e}")))?;
			let hash = virtengine_client::mfa::sealed_seed_hash(json.as_bytes());
			files::write(Some(&out), format!("{json}\n").as_bytes(), false)?;
			let call = RuntimeCall::Mfa(MfaCall::bind_totp { verifier, sealed_seed: hash });
			let included = ctx.submit(&client, &signer.keypair, &call).await?;
			let uri = virtengine_client::mfa::otpauth_uri(&who, &seed[..]);
			ctx.print(
				with(
					tx_json(&included),
					json!({
						"verifier": verifier.to_string(),
						"sealed_seed_file": out.display().to_string(),
						"otpauth_uri": uri,
					}),
				),
				|| {
					format!(
						"TOTP bound to {verifier} {}\nsealed seed for the verifier: {}\n{uri}",
						in_block(&included),
						out.display()
					)
				},
			);
		},
		Command::TotpCode { seed_file } => {
			let text = match &seed_file {
				Some(path) => {
					let bytes = files::read_secret(path)?;
					String::from_utf8_lossy(&bytes).into_owned()
				},
				None => std::env::var(TOTP_SEED_ENV).map_err(|_| {
					Error::Arg(format!("give the seed: --seed-file <PATH> or {TOTP_SEED_ENV}"))
				})?,
			};
			let seed = virtengine_client::mfa::base32_decode(&text)
				.filter(|s| !s.is_empty())
				.ok_or_else(|| Error::Arg("--seed-file: the seed is not base32".into()))?;
			let code = virtengine_mfa_primitives::otp::totp(
				virtengine_mfa_primitives::otp::Algorithm::Sha1,
				&seed,
				now_ms() / 1000,
				0,
				30,
				6,
			);
			ctx.print(json!({ "code": format!("{code:06}") }), || format!("{code:06}"));
		},
		Command::Challenge { account, call } => {
			let who = account_arg("--account", &account)?;
			let call = decode_call("--call", &call)?;
			let client = ctx.connect().await?;
			let challenge = hex::encode(client.mfa_challenge(&who, &call).await?);
			ctx.print(json!({ "account": who.to_string(), "challenge": challenge }), || {
				challenge.clone()
			});
		},
		Command::TotpAttest { key, envelope, account, challenge, code, ttl_blocks } => {
			let who = account_arg("--account", &account)?;
			let challenge = hex32("--challenge", &challenge)?;
			let secret = crate::envelope::load_secret(&key)?;
			let signer = ctx.signer()?;
			let me = signer.account();
			let client = ctx.connect().await?;
			let binding = client
				.mfa_totp_binding(&who)
				.await?
				.ok_or_else(|| Error::Outcome(format!("{who} has no TOTP binding")))?;
			if binding.verifier != me {
				return Err(Error::Outcome(format!(
					"{who} is bound to verifier {}, not to you ({me})",
					binding.verifier
				)));
			}
			let text = String::from_utf8(files::read(&envelope)?).map_err(|_| {
				Error::Arg(format!("--envelope {}: not an envelope", envelope.display()))
			})?;
			if virtengine_client::mfa::sealed_seed_hash(text.trim_end().as_bytes())
				!= binding.sealed_seed
			{
				return Err(Error::Arg(format!(
					"--envelope {}: not the sealed seed bound on chain for {who}",
					envelope.display()
				)));
			}
			let sealed = virtengine_envelope::Envelope::from_json(text.trim_end())
				.map_err(|e| Error::Arg(format!("--envelope {}: {e}", envelope.display())))?;
			let seed = zeroize::Zeroizing::new(
				virtengine_envelope::open(&sealed, secret.as_bytes())
					.map_err(|e| Error::Arg(format!("--key: opening the sealed seed: {e}")))?,
			);
			if !virtengine_client::mfa::totp_matches(&seed, now_ms() / 1000, code) {
				return Err(Error::Arg("--code: the code does not match: nothing attested".into()));
			}
			let call = RuntimeCall::Mfa(MfaCall::attest_totp { who, challenge, ttl: ttl_blocks });
			let included = ctx.submit(&client, &signer.keypair, &call).await?;
			ctx.print(with(tx_json(&included), json!({ "account": who.to_string() })), || {
				format!("attested {who}'s code {}", in_block(&included))
			});
		},
		Command::CancelRecovery => {
			let signer = ctx.signer()?;
			let client = ctx.connect().await?;
			let call = RuntimeCall::Mfa(MfaCall::cancel_recovery {});
			let included = ctx.submit(&client, &signer.keypair, &call).await?;
			ctx.print(tx_json(&included), || format!("recovery cancelled {}", in_block(&included)));
		},
		Command::Status { account } => {
			let who = account_arg("account", &account)?;
			let client = ctx.connect().await?;
			let s = client.mfa_status(&who).await?;
			status(ctx, &who, &s);
		},
	}
	Ok(())
}

fn status(ctx: &Ctx, who: &AccountId, s: &virtengine_client::mfa::MfaStatus) {
	let credentials: Vec<Value> = s
		.credentials
		.iter()
		.map(|c| {
			json!({
				"id": hex::encode(&c.id),
				"counter": c.counter,
				"user_verification_required": c.require_uv,
			})
		})
		.collect();
	let sessions: Vec<Value> = s
		.sessions
		.iter()
		.map(|g| {
			json!({
				"action": action_name(&g.action),
				"factors": factor_names(&g.factors),
				"expires": g.expires,
			})
		})
		.collect();
	ctx.print(
		json!({
			"account": who.to_string(),
			"authorizations": s.nonce,
			"credentials": credentials,
			"channels": s.channels.iter().map(|c| channel_name(&c.kind)).collect::<Vec<_>>(),
			"devices": s.devices.iter().map(hex::encode).collect::<Vec<_>>(),
			"pending": s.pending.as_ref().map(|p| json!({
				"call_hash": hex::encode(p.call_hash),
				"expires": p.expires,
			})),
			"sessions": sessions,
		}),
		|| {
			let mut lines =
				vec![format!("account        {who}"), format!("authorizations {}", s.nonce)];
			for c in &s.credentials {
				lines.push(format!(
					"fido2          {} (counter {}, user verification {})",
					hex::encode(&c.id),
					c.counter,
					if c.require_uv { "required" } else { "not required" }
				));
			}
			for c in &s.channels {
				lines.push(format!("code channel   {}", channel_name(&c.kind)));
			}
			for d in &s.devices {
				lines.push(format!("device         {}", hex::encode(d)));
			}
			if let Some(p) = &s.pending {
				lines.push(format!(
					"pending        call {} until block #{}",
					hex::encode(p.call_hash),
					p.expires
				));
			}
			for g in &s.sessions {
				lines.push(format!(
					"session        {} ({}) until block #{}",
					action_name(&g.action).replace('_', " "),
					factor_names(&g.factors).join("+"),
					g.expires
				));
			}
			lines.join("\n")
		},
	);
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn transfer_amounts_are_positive_ve() {
		let ve = virtengine_primitives::units::VE;
		assert_eq!(positive_ve("10"), Ok(10 * ve));
		assert_eq!(positive_ve("2.5"), Ok(2 * ve + ve / 2));
		assert_eq!(positive_ve("0.000000000001"), Ok(1));
		for bad in ["", ".", "0", "1.0000000000001", "-1", "1e3", "1,5", "x"] {
			assert!(positive_ve(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn calls_decode_from_hex_and_errors_name_the_flag() {
		let call = RuntimeCall::Mfa(MfaCall::cancel_recovery {});
		let hex_call = format!("0x{}", hex::encode(codec::Encode::encode(&call)));
		assert!(decode_call("--call", &hex_call).expect("decodes") == call);
		let err = decode_call("--call", "zz").expect_err("not hex").to_string();
		assert!(err.starts_with("--call:"), "{err}");
		let err =
			decode_call("--call", &format!("{hex_call}00")).expect_err("trailing").to_string();
		assert!(err.contains("trailing"), "{err}");
	}
}
