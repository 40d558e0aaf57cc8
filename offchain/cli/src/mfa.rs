//! `virtengine mfa ...`: enroll a FIDO2 credential (a software authenticator in a key file, for
//! development), authorize a sensitive call with it, and show an account's MFA state.

use std::path::PathBuf;

use clap::Subcommand;
use codec::Decode;
use sp_core::{crypto::Ss58Codec, Pair};
use virtengine_client::{mfa::SoftKey, parse_account, Client};
use virtengine_runtime::RuntimeCall;

use crate::{now_ms, random};

/// What can go wrong, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// An argument is unusable.
	#[error("{0}")]
	BadArgument(String),
	/// Talking to the node failed.
	#[error(transparent)]
	Chain(#[from] virtengine_client::Error),
}

/// `virtengine mfa` sub-commands.
#[derive(Subcommand)]
pub enum Command {
	/// Register a FIDO2 credential for your account. Creates the software authenticator's key
	/// file if it does not exist (development use: the key lives in that file).
	Enroll {
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// Your account's secret URI (e.g. //Bob on a development chain).
		#[arg(long)]
		from: String,
		/// The software authenticator's key file.
		#[arg(long)]
		key_file: PathBuf,
	},
	/// Authorize a sensitive call with your FIDO2 credential, then (with --submit) submit it.
	/// Give the call as SCALE hex (polkadot.js apps shows it as "encoded call data") or as a
	/// transfer.
	Authorize {
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// Your account's secret URI.
		#[arg(long)]
		from: String,
		/// The software authenticator's key file (omit when the call needs no FIDO2 proof).
		#[arg(long)]
		key_file: Option<PathBuf>,
		/// The call, SCALE-encoded, as hex.
		#[arg(long, conflicts_with_all = ["transfer_to", "amount"])]
		call: Option<String>,
		/// A transfer (keep-alive) to this account.
		#[arg(long, requires = "amount")]
		transfer_to: Option<String>,
		/// The transfer's amount in VE (decimals allowed, e.g. 12.5).
		#[arg(long, requires = "transfer_to")]
		amount: Option<String>,
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
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// Your account's secret URI.
		#[arg(long)]
		from: String,
		/// `sms` or `email`.
		#[arg(long)]
		kind: ChannelArg,
		/// The phone number or email address.
		#[arg(long)]
		address: String,
		/// Once the account has factors, a channel is a factor change: authorize it with this
		/// software authenticator key file (and `--code`/`--salt` if a channel exists).
		#[arg(long)]
		key_file: Option<PathBuf>,
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
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// The issuer's secret URI.
		#[arg(long)]
		from: String,
		/// The account the code is for.
		#[arg(long)]
		to: String,
		/// Validity in blocks (at most the chain's limit, 10 minutes).
		#[arg(long, default_value_t = 50)]
		ttl_blocks: u32,
	},
	/// Start recovering an account whose key is lost, to your account, with the lost account's
	/// FIDO2 key file and a code sent to its channel. Claimable after the chain's delay.
	Recover {
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// Your (the rescuer's) secret URI.
		#[arg(long)]
		from: String,
		/// The lost account.
		#[arg(long)]
		lost: String,
		/// The lost account's software authenticator key file.
		#[arg(long)]
		key_file: PathBuf,
		/// The one-time code sent to the lost account's channel.
		#[arg(long, requires = "salt")]
		code: Option<u32>,
		/// The salt that came with the code.
		#[arg(long, requires = "code")]
		salt: Option<String>,
	},
	/// Claim an account whose recovery delay has passed: its funds move to you.
	ClaimRecovery {
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// Your (the rescuer's) secret URI.
		#[arg(long)]
		from: String,
		/// The lost account.
		#[arg(long)]
		lost: String,
	},
	/// Bind TOTP to an approved verifier: draws a seed, seals it to the verifier's registered
	/// envelope key (the file goes to the verifier, never to the ledger), records the binding,
	/// and prints the otpauth URI for your authenticator app.
	TotpEnroll {
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// Your account's secret URI.
		#[arg(long)]
		from: String,
		/// The verifier's account (an approved attester with a registered envelope key).
		#[arg(long)]
		verifier: String,
		/// Where to write the sealed seed for the verifier.
		#[arg(long)]
		out: PathBuf,
	},
	/// The current TOTP code of a base32 seed (what an authenticator app shows; development).
	TotpCode {
		/// The seed, base32 (the otpauth URI's `secret`).
		#[arg(long)]
		seed: String,
	},
	/// Print the challenge an authorization of a call needs now (to show a TOTP verifier).
	Challenge {
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
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
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// The verifier's secret URI.
		#[arg(long)]
		from: String,
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
	/// Cancel a recovery of your own account.
	CancelRecovery {
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// Your account's secret URI.
		#[arg(long)]
		from: String,
	},
	/// Show an account's factors, pending authorization and open sessions.
	Status {
		/// The node's RPC address.
		#[arg(long, default_value = "http://127.0.0.1:9944")]
		rpc: String,
		/// The account (SS58, or a 0x-prefixed 32-byte account id).
		account: String,
	},
}

/// A code channel's kind.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ChannelArg {
	/// Text message.
	Sms,
	/// Email.
	Email,
}

impl From<ChannelArg> for pallet_mfa::ChannelKind {
	fn from(c: ChannelArg) -> Self {
		match c {
			ChannelArg::Sms => pallet_mfa::ChannelKind::Sms,
			ChannelArg::Email => pallet_mfa::ChannelKind::Email,
		}
	}
}

fn code_arg(code: Option<u32>, salt: Option<String>) -> Result<Option<(u32, [u8; 32])>, Error> {
	match (code, salt) {
		(Some(code), Some(salt)) => {
			if code > 999_999 {
				return Err(Error::BadArgument("--code: six digits".into()));
			}
			let salt: [u8; 32] = hex::decode(salt.trim_start_matches("0x"))
				.ok()
				.and_then(|b| b.try_into().ok())
				.ok_or_else(|| Error::BadArgument("--salt: expected 64 hex characters".into()))?;
			Ok(Some((code, salt)))
		},
		_ => Ok(None),
	}
}

fn decode_call(hex_call: &str) -> Result<RuntimeCall, Error> {
	let raw = hex::decode(hex_call.trim_start_matches("0x"))
		.map_err(|_| Error::BadArgument("--call: not hex".into()))?;
	let mut input = &raw[..];
	let call = RuntimeCall::decode(&mut input)
		.map_err(|e| Error::BadArgument(format!("--call: not a call of this runtime: {e}")))?;
	if !input.is_empty() {
		return Err(Error::BadArgument("--call: trailing bytes after the call".into()));
	}
	Ok(call)
}

pub(crate) fn signer(uri: &str) -> Result<sp_core::sr25519::Pair, Error> {
	sp_core::sr25519::Pair::from_string(uri, None)
		.map_err(|_| Error::BadArgument("--from: not an sr25519 secret URI or seed".into()))
}

/// Parses a VE amount ("12", "0.5") into the smallest unit (12 decimals).
pub fn parse_ve(text: &str) -> Result<u128, Error> {
	let bad = || Error::BadArgument(format!("--amount `{text}`: expected VE, e.g. 10 or 2.5"));
	let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
	if whole.is_empty() && frac.is_empty() || frac.len() > 12 {
		return Err(bad());
	}
	let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
	if !digits(whole) || !digits(frac) {
		return Err(bad());
	}
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
	let frac_padded = format!("{frac:0<12}");
	let frac: u128 = frac_padded.parse().map_err(|_| bad())?;
	whole
		.checked_mul(virtengine_runtime::VE)
		.and_then(|w| w.checked_add(frac))
		.filter(|v| *v > 0)
		.ok_or_else(bad)
}

fn load_or_create(client: &Client, path: &std::path::Path) -> Result<SoftKey, Error> {
	if path.exists() {
		return Ok(SoftKey::load(path)?);
	}
	let rp = client.relying_party()?.ok_or_else(|| {
		Error::BadArgument("the chain has no WebAuthn relying party configured".into())
	})?;
	let rp_id = String::from_utf8_lossy(&rp.id).into_owned();
	let key = loop {
		if let Some(key) = SoftKey::new(random(), random(), &rp_id) {
			break key;
		}
	};
	key.save(path)?;
	eprintln!("created software authenticator {} for relying party `{rp_id}`", path.display());
	Ok(key)
}

/// Runs a `virtengine mfa` command.
pub fn run(command: Command) -> Result<(), Error> {
	match command {
		Command::Enroll { rpc, from, key_file } => {
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let mut key = load_or_create(&client, &key_file)?;
			let included = client.mfa_enroll(
				&pair,
				&mut key,
				|k| k.save(&key_file),
				|step| eprintln!("{step}"),
			)?;
			println!(
				"credential {} registered for {} in block #{}",
				hex::encode(&key.authenticator.credential_id),
				pair.public().to_ss58check(),
				included.block_number
			);
		},
		Command::Authorize {
			rpc,
			from,
			key_file,
			call,
			transfer_to,
			amount,
			submit,
			code,
			salt,
			totp,
		} => {
			let mut extra: Vec<pallet_mfa::Proof> = code_arg(code, salt)?
				.map(|(code, salt)| pallet_mfa::Proof::Code { code, salt })
				.into_iter()
				.collect();
			if totp {
				extra.push(pallet_mfa::Proof::Totp);
			}
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let call = match (call, transfer_to, amount) {
				(Some(hex_call), None, None) => decode_call(&hex_call)?,
				(None, Some(to), Some(amount)) => {
					let dest = parse_account(&to).map_err(Error::BadArgument)?;
					RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
						dest: dest.into(),
						value: parse_ve(&amount)?,
					})
				},
				_ => {
					return Err(Error::BadArgument(
						"give the call: --call <hex>, or --transfer-to <account> --amount <VE>"
							.into(),
					))
				},
			};
			let mut key = key_file.as_ref().map(|k| SoftKey::load(k)).transpose()?;
			let save_to = key_file.clone();
			let included = client.mfa_authorize(
				&pair,
				key.as_mut(),
				call.clone(),
				extra,
				|k| match &save_to {
					Some(path) => k.save(path),
					None => Ok(()),
				},
				|step| eprintln!("{step}"),
			)?;
			let authorized = included.events.iter().find_map(|e| match e {
				virtengine_runtime::RuntimeEvent::Mfa(pallet_mfa::Event::Authorized {
					critical,
					expires,
					..
				}) => Some((*critical, *expires)),
				_ => None,
			});
			match authorized {
				Some((true, expires)) => println!(
					"authorized this exact call once, until block #{expires} (block #{})",
					included.block_number
				),
				Some((false, expires)) => println!(
					"authorized: a session for this action until block #{expires} (block #{})",
					included.block_number
				),
				None => {
					let left = included.events.iter().find_map(|e| match e {
						virtengine_runtime::RuntimeEvent::Mfa(
							pallet_mfa::Event::CodeRejected { attempts_left, .. },
						) => Some(*attempts_left),
						_ => None,
					});
					return Err(Error::BadArgument(match left {
						Some(0) => "wrong code; it is now void: ask for a new one".into(),
						Some(n) => format!("wrong code; {n} attempts left"),
						None => "the chain authorized nothing".into(),
					}));
				},
			}
			if submit {
				let done = client.submit(&pair, call, |step| eprintln!("{step}"))?;
				println!("call included in block #{}", done.block_number);
			}
		},
		Command::SetChannel { rpc, from, kind, address, key_file, code, salt: code_salt } => {
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let salt: [u8; 32] = random();
			let kind = pallet_mfa::ChannelKind::from(kind);
			let hash = virtengine_client::mfa::contact_hash(kind, &address, &salt);
			let extra: Vec<pallet_mfa::Proof> = code_arg(code, code_salt)?
				.map(|(code, salt)| pallet_mfa::Proof::Code { code, salt })
				.into_iter()
				.collect();
			if key_file.is_some() || !extra.is_empty() {
				let call =
					RuntimeCall::Mfa(pallet_mfa::Call::set_channel { kind, destination: hash });
				let mut key = key_file.as_ref().map(|k| SoftKey::load(k)).transpose()?;
				client.mfa_authorize(
					&pair,
					key.as_mut(),
					call,
					extra,
					|k| match &key_file {
						Some(path) => k.save(path),
						None => Ok(()),
					},
					|step| eprintln!("{step}"),
				)?;
				eprintln!("authorized; setting the channel");
			}
			let included = client.mfa_set_channel(&pair, kind, hash, |s| eprintln!("{s}"))?;
			println!("{kind:?} channel set in block #{}", included.block_number);
			println!(
				"salt {}  (give the code issuer your address and this salt)",
				hex::encode(salt)
			);
		},
		Command::IssueCode { rpc, from, to, ttl_blocks } => {
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let who = parse_account(&to).map_err(Error::BadArgument)?;
			let code = u32::from_le_bytes(random()) % 1_000_000;
			let salt: [u8; 32] = random();
			let included =
				client.mfa_issue_code(&pair, &who, code, salt, ttl_blocks, |s| eprintln!("{s}"))?;
			println!(
				"code {code:06} salt {} (block #{})",
				hex::encode(salt),
				included.block_number
			);
		},
		Command::Recover { rpc, from, lost, key_file, code, salt } => {
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let lost = parse_account(&lost).map_err(Error::BadArgument)?;
			let code = code_arg(code, salt)?;
			let mut key = SoftKey::load(&key_file)?;
			client.mfa_initiate_recovery(
				&pair,
				&lost,
				&mut key,
				code,
				|k| k.save(&key_file),
				|s| eprintln!("{s}"),
			)?;
			match client.mfa_recovery(&lost)? {
				Some(r) => println!(
					"recovery of {} to {} started; claimable from block #{}",
					lost.to_ss58check(),
					r.rescuer.to_ss58check(),
					r.executable_at
				),
				None => {
					return Err(Error::BadArgument(
						"no recovery started: the code was wrong (one attempt used up)".into(),
					))
				},
			}
		},
		Command::ClaimRecovery { rpc, from, lost } => {
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let lost = parse_account(&lost).map_err(Error::BadArgument)?;
			let call = RuntimeCall::Mfa(pallet_mfa::Call::claim_recovery { lost });
			let included = client.submit(&pair, call, |s| eprintln!("{s}"))?;
			println!("account recovered in block #{}", included.block_number);
		},
		Command::TotpEnroll { rpc, from, verifier, out } => {
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let who = virtengine_runtime::AccountId::from(pair.public());
			let verifier = parse_account(&verifier).map_err(Error::BadArgument)?;
			let key = client.active_encryption_key(&verifier)?;
			let seed: [u8; 20] = random();
			let now = now_ms();
			let envelope = virtengine_envelope::seal(
				&seed,
				&[key.public],
				&virtengine_envelope::SenderKey::Sr25519(pair.clone()),
				b"application/x-virtengine-totp-seed",
				now,
				&virtengine_envelope::Limits::DEFAULT,
			)
			.map_err(|e| Error::BadArgument(format!("sealing the seed: {e}")))?;
			let json = envelope
				.to_json()
				.map_err(|e| Error::BadArgument(format!("encoding the envelope: {e}")))?;
			let hash = virtengine_client::mfa::sealed_seed_hash(json.as_bytes());
			std::fs::write(&out, format!("{json}\n"))
				.map_err(|e| Error::BadArgument(format!("{}: {e}", out.display())))?;
			let call = RuntimeCall::Mfa(pallet_mfa::Call::bind_totp {
				verifier: verifier.clone(),
				sealed_seed: hash,
			});
			let included = client.submit(&pair, call, |s| eprintln!("{s}"))?;
			println!(
				"TOTP bound to {} in block #{}",
				verifier.to_ss58check(),
				included.block_number
			);
			println!("sealed seed for the verifier: {}", out.display());
			println!("{}", virtengine_client::mfa::otpauth_uri(&who, &seed));
		},
		Command::TotpCode { seed } => {
			let seed = virtengine_client::mfa::base32_decode(&seed)
				.filter(|s| !s.is_empty())
				.ok_or_else(|| Error::BadArgument("--seed: not base32".into()))?;
			let now = now_ms() / 1000;
			let code = virtengine_mfa_primitives::otp::totp(
				virtengine_mfa_primitives::otp::Algorithm::Sha1,
				&seed,
				now,
				0,
				30,
				6,
			);
			println!("{code:06}");
		},
		Command::Challenge { rpc, account, call } => {
			let client = Client::new(&rpc)?;
			let who = parse_account(&account).map_err(Error::BadArgument)?;
			let call = decode_call(&call)?;
			println!("{}", hex::encode(client.mfa_challenge(&who, &call)?));
		},
		Command::TotpAttest { rpc, from, key, envelope, account, challenge, code, ttl_blocks } => {
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let me = virtengine_runtime::AccountId::from(pair.public());
			let who = parse_account(&account).map_err(Error::BadArgument)?;
			let challenge: [u8; 32] = hex::decode(challenge.trim_start_matches("0x"))
				.ok()
				.and_then(|b| b.try_into().ok())
				.ok_or_else(|| Error::BadArgument("--challenge: 64 hex characters".into()))?;
			let binding = client.mfa_totp_binding(&who)?.ok_or_else(|| {
				Error::BadArgument(format!("{} has no TOTP binding", who.to_ss58check()))
			})?;
			if binding.verifier != me {
				return Err(Error::BadArgument(format!(
					"{} is bound to verifier {}, not to you",
					who.to_ss58check(),
					binding.verifier.to_ss58check()
				)));
			}
			let text = std::fs::read_to_string(&envelope)
				.map_err(|e| Error::BadArgument(format!("{}: {e}", envelope.display())))?;
			if virtengine_client::mfa::sealed_seed_hash(text.trim_end().as_bytes())
				!= binding.sealed_seed
			{
				return Err(Error::BadArgument(
					"this sealed seed is not the one bound on chain for the account".into(),
				));
			}
			let secret = crate::envelope::load_secret(&key)
				.map_err(|e| Error::BadArgument(e.to_string()))?;
			let sealed = virtengine_envelope::Envelope::from_json(text.trim_end())
				.map_err(|e| Error::BadArgument(format!("{}: {e}", envelope.display())))?;
			let seed = virtengine_envelope::open(&sealed, secret.as_bytes())
				.map_err(|e| Error::BadArgument(format!("opening the sealed seed: {e}")))?;
			let now = now_ms() / 1000;
			if !virtengine_client::mfa::totp_matches(&seed, now, code) {
				return Err(Error::BadArgument("the code does not match: nothing attested".into()));
			}
			let call = RuntimeCall::Mfa(pallet_mfa::Call::attest_totp {
				who: who.clone(),
				challenge,
				ttl: ttl_blocks,
			});
			let included = client.submit(&pair, call, |s| eprintln!("{s}"))?;
			println!("attested {}'s code in block #{}", who.to_ss58check(), included.block_number);
		},
		Command::CancelRecovery { rpc, from } => {
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let call = RuntimeCall::Mfa(pallet_mfa::Call::cancel_recovery {});
			let included = client.submit(&pair, call, |s| eprintln!("{s}"))?;
			println!("recovery cancelled in block #{}", included.block_number);
		},
		Command::Status { rpc, account } => {
			let client = Client::new(&rpc)?;
			let who = parse_account(&account).map_err(Error::BadArgument)?;
			let s = client.mfa_status(&who)?;
			println!("account        {}", who.to_ss58check());
			println!("authorizations {}", s.nonce);
			for c in &s.credentials {
				println!(
					"fido2          {} (counter {}, user verification {})",
					hex::encode(&c.id),
					c.counter,
					if c.require_uv { "required" } else { "not required" }
				);
			}
			for c in &s.channels {
				println!("code channel   {:?}", c.kind);
			}
			for d in &s.devices {
				println!("device         {}", hex::encode(d));
			}
			if let Some(p) = &s.pending {
				println!(
					"pending        call {} until block #{}",
					hex::encode(p.call_hash),
					p.expires
				);
			}
			for g in &s.sessions {
				let factors: Vec<_> = g.factors.iter().map(|f| f.name()).collect();
				println!(
					"session        {:?} ({}) until block #{}",
					g.action,
					factors.join("+"),
					g.expires
				);
			}
		},
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_in_ve() {
		let ve = virtengine_runtime::VE;
		assert_eq!(parse_ve("10").ok(), Some(10 * ve));
		assert_eq!(parse_ve("2.5").ok(), Some(2 * ve + ve / 2));
		assert_eq!(parse_ve("0.000000000001").ok(), Some(1));
		for bad in ["", ".", "0", "1.0000000000001", "-1", "1e3", "1,5", "x"] {
			assert!(parse_ve(bad).is_err(), "{bad}");
		}
	}
}
