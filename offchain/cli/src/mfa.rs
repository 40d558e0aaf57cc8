//! `virtengine mfa ...`: enroll a FIDO2 credential (a software authenticator in a key file, for
//! development), authorize a sensitive call with it, and show an account's MFA state.

use std::path::PathBuf;

use clap::Subcommand;
use codec::Decode;
use sp_core::{crypto::Ss58Codec, Pair};
use virtengine_client::{mfa::SoftKey, parse_account, Client};
use virtengine_runtime::RuntimeCall;

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
		/// The software authenticator's key file.
		#[arg(long)]
		key_file: PathBuf,
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

fn signer(uri: &str) -> Result<sp_core::sr25519::Pair, Error> {
	sp_core::sr25519::Pair::from_string(uri, None)
		.map_err(|_| Error::BadArgument("--from: not an sr25519 secret URI or seed".into()))
}

fn random<const N: usize>() -> [u8; N] {
	use rand_core::RngCore;
	let mut s = [0u8; N];
	rand_core::OsRng.fill_bytes(&mut s);
	s
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

fn load_or_create(client: &Client, path: &PathBuf) -> Result<SoftKey, Error> {
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
		Command::Authorize { rpc, from, key_file, call, transfer_to, amount, submit } => {
			let client = Client::new(&rpc)?;
			let pair = signer(&from)?;
			let call = match (call, transfer_to, amount) {
				(Some(hex_call), None, None) => {
					let raw = hex::decode(hex_call.trim_start_matches("0x"))
						.map_err(|_| Error::BadArgument("--call: not hex".into()))?;
					RuntimeCall::decode(&mut &raw[..]).map_err(|e| {
						Error::BadArgument(format!("--call: not a call of this runtime: {e}"))
					})?
				},
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
			let mut key = SoftKey::load(&key_file)?;
			let included = client.mfa_authorize(
				&pair,
				&mut key,
				call.clone(),
				|k| k.save(&key_file),
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
					return Err(Error::BadArgument(
						"the chain authorized nothing (see the events of the transaction)".into(),
					))
				},
			}
			if submit {
				let done = client.submit(&pair, call, |step| eprintln!("{step}"))?;
				println!("call included in block #{}", done.block_number);
			}
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
		assert_eq!(parse_ve("10").unwrap(), 10 * ve);
		assert_eq!(parse_ve("2.5").unwrap(), 2 * ve + ve / 2);
		assert_eq!(parse_ve("0.000000000001").unwrap(), 1);
		for bad in ["", ".", "0", "1.0000000000001", "-1", "1e3", "1,5", "x"] {
			assert!(parse_ve(bad).is_err(), "{bad}");
		}
	}
}
