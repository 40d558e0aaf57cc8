//! `virtengine market ...`: providers, offerings, orders, bids, leases, usage and settlement.
//!
//! Prices are in VE (decimals allowed): `--per-hour 2.5` for the fixed part and `--unit job=0.1`
//! (repeatable) per unit of usage; units: cpu-core-second, gpu-second, memory-gb-hour,
//! storage-gb-hour, egress-gb, job. Configurations and offering details are sealed on this
//! machine to the provider's registered key; only the envelope goes on chain. Sensitive calls
//! (a first order, a provider's registration...) need an MFA authorization first: `--print-call`
//! prints the call's SCALE hex for `virtengine mfa authorize --call <hex> --submit`.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use codec::Encode;
use sp_core::{crypto::Ss58Codec, ed25519, Pair};
use virtengine_client::{
	market::{pallet_escrow, pallet_market, pallet_provider, sign_usage, Rate, Unit, UsageRecord},
	mfa::SoftKey,
	parse_account,
	veid::format_ve,
	Client,
};
use virtengine_envelope::{Limits, SenderKey};
use virtengine_runtime::{Balance, RuntimeCall};

use crate::{
	mfa::{parse_ve, signer},
	now_ms,
};

/// What can go wrong, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// An argument is unusable.
	#[error("{0}")]
	BadArgument(String),
	/// Talking to the node failed.
	#[error(transparent)]
	Chain(#[from] virtengine_client::Error),
	/// A file could not be read or written.
	#[error("{path}: {source}")]
	File { path: PathBuf, source: std::io::Error },
}

impl From<crate::mfa::Error> for Error {
	fn from(e: crate::mfa::Error) -> Self {
		match e {
			crate::mfa::Error::BadArgument(s) => Error::BadArgument(s),
			crate::mfa::Error::Chain(c) => Error::Chain(c),
		}
	}
}

/// Where (for reads).
#[derive(clap::Args, Clone)]
pub struct Rpc {
	/// The node's RPC address.
	#[arg(long, default_value = "http://127.0.0.1:9944")]
	rpc: String,
}

/// Where and as whom.
#[derive(clap::Args, Clone)]
pub struct Conn {
	/// The node's RPC address.
	#[arg(long, default_value = "http://127.0.0.1:9944")]
	rpc: String,
	/// Your account's secret URI (e.g. //Bob on a development chain).
	#[arg(long)]
	from: String,
	/// Print the call as SCALE hex (for `virtengine mfa authorize --call`) instead of
	/// submitting it.
	#[arg(long)]
	print_call: bool,
	/// Authorize the call with MFA first (VEID, and FIDO2 with --mfa-key-file), then submit it.
	#[arg(long)]
	mfa: bool,
	/// The software authenticator key file for --mfa (`virtengine mfa enroll`).
	#[arg(long, requires = "mfa")]
	mfa_key_file: Option<PathBuf>,
}

/// A price on the command line.
#[derive(clap::Args, Clone)]
pub struct PriceArgs {
	/// VE per hour while the lease runs.
	#[arg(long, default_value = "0")]
	per_hour: String,
	/// VE per unit of usage, `unit=VE` (repeatable).
	#[arg(long = "unit")]
	units: Vec<String>,
}

/// `virtengine market` sub-commands.
#[derive(Subcommand)]
pub enum Command {
	/// Providers: domain, registration, daemon key.
	#[command(subcommand)]
	Provider(ProviderCommand),
	/// Offerings.
	#[command(subcommand)]
	Offering(OfferingCommand),
	/// Orders.
	#[command(subcommand)]
	Order(OrderCommand),
	/// Bid on an open order (as an active provider).
	Bid {
		#[command(flatten)]
		conn: Conn,
		/// The order.
		#[arg(long)]
		order: u64,
		#[command(flatten)]
		price: PriceArgs,
		/// The bid lapses after this many blocks.
		#[arg(long, default_value_t = 100)]
		expires_in: u32,
	},
	/// Leases.
	#[command(subcommand)]
	Lease(LeaseCommand),
	/// Settle a lease's escrow: pays the provider what is due (anyone may).
	Settle {
		#[command(flatten)]
		conn: Conn,
		/// The lease.
		#[arg(long)]
		id: u64,
	},
	/// Move your payouts to your free balance.
	Withdraw {
		#[command(flatten)]
		conn: Conn,
	},
}

/// `virtengine market provider ...`.
#[derive(Subcommand)]
pub enum ProviderCommand {
	/// Write a new provider daemon key (ed25519) to a file (mode 0600).
	DaemonKeygen {
		/// Where to write it.
		#[arg(long, short)]
		out: PathBuf,
	},
	/// Claim a domain; prints the TXT record to publish.
	ClaimDomain {
		#[command(flatten)]
		conn: Conn,
		/// The domain, e.g. provider.example.com.
		#[arg(long)]
		domain: String,
	},
	/// As a domain verifier (sudo on development chains): confirm an account's claim to a domain
	/// after finding its TXT record. Only that claim is confirmed: if the account claimed
	/// another domain meanwhile, the chain refuses.
	ConfirmDomain {
		#[command(flatten)]
		conn: Conn,
		/// The provider's account.
		#[arg(long)]
		who: String,
		/// The domain whose TXT record was checked.
		#[arg(long)]
		domain: String,
		/// The token found in the record (`virtengine-verify=<hex>`).
		#[arg(long)]
		token: String,
	},
	/// Register as a provider (needs a Standard identity, a confirmed domain and an MFA
	/// authorization).
	Register {
		#[command(flatten)]
		conn: Conn,
		/// Region code, e.g. eu-central.
		#[arg(long)]
		region: String,
		/// Capabilities, comma-separated: kubernetes, slurm, gpu, storage.
		#[arg(long, default_value = "kubernetes")]
		capabilities: String,
		/// Your envelope key file (`virtengine envelope keygen`): orders are sealed to it.
		#[arg(long)]
		encryption_key: PathBuf,
		/// Your daemon key file (`daemon-keygen`): usage is signed with it.
		#[arg(long)]
		daemon_key: PathBuf,
	},
	/// Show a provider.
	Show {
		#[command(flatten)]
		rpc: Rpc,
		/// The provider's account.
		#[arg(long)]
		who: String,
	},
}

/// `virtengine market offering ...`.
#[derive(Subcommand)]
pub enum OfferingCommand {
	/// Create an offering with one plan.
	Create {
		#[command(flatten)]
		conn: Conn,
		/// compute, gpu, storage or hpc.
		#[arg(long)]
		category: String,
		/// The plan's name.
		#[arg(long, default_value = "standard")]
		plan: String,
		#[command(flatten)]
		price: PriceArgs,
		/// The identity tier customers need: basic, standard or premium.
		#[arg(long)]
		tier: Option<String>,
		/// A file of details only you (the provider) can read; sealed to your key.
		#[arg(long)]
		details: PathBuf,
	},
	/// List offerings.
	List {
		#[command(flatten)]
		rpc: Rpc,
	},
}

/// `virtengine market order ...`.
#[derive(Subcommand)]
pub enum OrderCommand {
	/// Order a plan of an offering; the configuration file is sealed to its provider.
	Create {
		#[command(flatten)]
		conn: Conn,
		/// The offering.
		#[arg(long)]
		offering: u64,
		/// The plan's index.
		#[arg(long, default_value_t = 0)]
		plan: u8,
		/// The configuration (e.g. a JSON workload description).
		#[arg(long)]
		config: PathBuf,
		/// The most you pay.
		#[command(flatten)]
		max: PriceArgs,
		/// VE put into escrow.
		#[arg(long)]
		funds: String,
	},
	/// Cancel an open order: funds and deposits come back.
	Cancel {
		#[command(flatten)]
		conn: Conn,
		/// The order.
		#[arg(long)]
		id: u64,
	},
	/// Show an order, its bids' providers and its lease and escrow.
	Show {
		#[command(flatten)]
		rpc: Rpc,
		/// The order.
		#[arg(long)]
		id: u64,
	},
}

/// `virtengine market lease ...`.
#[derive(Subcommand)]
pub enum LeaseCommand {
	/// Accept a provider's bid on your order: the lease starts MATCHED. The most you pay is the
	/// price given with --per-hour/--unit (the bid as you reviewed it), or else the bid as
	/// read now (printed); the chain refuses the acceptance if the bid was raised above it.
	Accept {
		#[command(flatten)]
		conn: Conn,
		/// The order.
		#[arg(long)]
		order: u64,
		/// The provider whose bid to accept.
		#[arg(long)]
		provider: String,
		/// The bid's price you accept: VE per hour.
		#[arg(long)]
		per_hour: Option<String>,
		/// The bid's price you accept: VE per unit of usage, `unit=VE` (repeatable).
		#[arg(long = "unit")]
		units: Vec<String>,
		/// For a requirements order: the configuration, sealed now to this provider.
		#[arg(long)]
		config: Option<PathBuf>,
	},
	/// As the provider: the workload is provisioned (LEASE_ACTIVE).
	Start {
		#[command(flatten)]
		conn: Conn,
		/// The lease.
		#[arg(long)]
		id: u64,
	},
	/// As the provider: the workload still runs.
	Heartbeat {
		#[command(flatten)]
		conn: Conn,
		/// The lease.
		#[arg(long)]
		id: u64,
	},
	/// As the provider: report usage signed with the daemon key.
	Usage {
		#[command(flatten)]
		conn: Conn,
		/// The lease.
		#[arg(long)]
		id: u64,
		/// The daemon key file.
		#[arg(long)]
		daemon_key: PathBuf,
		/// The record's number (above the lease's last).
		#[arg(long)]
		seq: u32,
		/// Quantities, `unit=count` (repeatable).
		#[arg(long = "quantity", required = true)]
		quantities: Vec<String>,
	},
	/// Close a lease (either party).
	Close {
		#[command(flatten)]
		conn: Conn,
		/// The lease.
		#[arg(long)]
		id: u64,
	},
	/// Show a lease and its escrow.
	Show {
		#[command(flatten)]
		rpc: Rpc,
		/// The lease.
		#[arg(long)]
		id: u64,
	},
}

fn unit(name: &str) -> Result<Unit, Error> {
	Ok(match name {
		"cpu-core-second" => Unit::CpuCoreSecond,
		"gpu-second" => Unit::GpuSecond,
		"memory-gb-hour" => Unit::MemoryGbHour,
		"storage-gb-hour" => Unit::StorageGbHour,
		"egress-gb" => Unit::EgressGb,
		"job" => Unit::Job,
		other => {
			return Err(Error::BadArgument(format!(
				"unknown unit `{other}`: cpu-core-second, gpu-second, memory-gb-hour, \
				 storage-gb-hour, egress-gb, job"
			)))
		},
	})
}

fn ve_or_zero(text: &str) -> Result<Balance, Error> {
	if text.trim_start_matches('0').trim_start_matches('.').trim_start_matches('0').is_empty() {
		return Ok(0);
	}
	Ok(parse_ve(text)?)
}

/// A rate from the command line.
pub fn rate(p: &PriceArgs) -> Result<Rate<Balance>, Error> {
	let mut per_unit = Vec::new();
	for spec in &p.units {
		let (name, price) = spec
			.split_once('=')
			.ok_or_else(|| Error::BadArgument(format!("--unit `{spec}`: expected unit=VE")))?;
		let u = unit(name)?;
		if per_unit.iter().any(|(x, _)| *x == u) {
			return Err(Error::BadArgument(format!("--unit {name} given twice")));
		}
		per_unit.push((u, ve_or_zero(price)?));
	}
	let per_unit =
		per_unit.try_into().map_err(|_| Error::BadArgument("at most 8 unit prices".into()))?;
	Ok(Rate { per_hour: ve_or_zero(&p.per_hour)?, per_unit })
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
	std::fs::read(path).map_err(|source| Error::File { path: path.into(), source })
}

/// Seals `plaintext` to `provider`'s registered key, signed by the caller.
fn seal_to(
	client: &Client,
	from: &sp_core::sr25519::Pair,
	provider: &virtengine_runtime::AccountId,
	plaintext: &[u8],
	content_type: &[u8],
) -> Result<pallet_market::Sealed, Error> {
	let p = client.provider(provider)?.ok_or_else(|| {
		Error::BadArgument(format!("{} is not a registered provider", provider.to_ss58check()))
	})?;
	let envelope = virtengine_envelope::seal(
		plaintext,
		&[p.encryption_key],
		&SenderKey::Sr25519(from.clone()),
		content_type,
		now_ms(),
		&Limits::DEFAULT,
	)
	.map_err(|e| Error::BadArgument(format!("cannot seal: {e}")))?;
	envelope.encode().try_into().map_err(|_| {
		Error::BadArgument(format!(
			"the sealed file is {} bytes; the chain takes at most 4096 (put large files \
			 elsewhere and seal a reference)",
			envelope.encode().len()
		))
	})
}

/// Submits `call` as `conn.from`, or prints it with `--print-call`.
fn send(conn: &Conn, call: RuntimeCall) -> Result<Option<virtengine_client::Included>, Error> {
	if conn.print_call {
		println!("0x{}", hex::encode(call.encode()));
		return Ok(None);
	}
	let client = Client::new(&conn.rpc)?;
	let pair = signer(&conn.from)?;
	if conn.mfa {
		let mut key = conn.mfa_key_file.as_ref().map(|k| SoftKey::load(k)).transpose()?;
		let save_to = conn.mfa_key_file.clone();
		client.mfa_authorize(
			&pair,
			key.as_mut(),
			call.clone(),
			Vec::new(),
			|k| match &save_to {
				Some(path) => k.save(path),
				None => Ok(()),
			},
			|step| eprintln!("{step}"),
		)?;
		eprintln!("authorized; submitting the call");
	}
	Ok(Some(client.submit(&pair, call, |step| eprintln!("{step}"))?))
}

fn show_rate(r: &Rate<Balance>) -> String {
	let mut parts = vec![format!("{}/hour", format_ve(r.per_hour))];
	parts.extend(r.per_unit.iter().map(|(u, p)| format!("{}/{u:?}", format_ve(*p))));
	parts.join(", ")
}

/// The daemon key file: `{"secret": hex, "public": hex}`.
pub fn load_daemon_key(path: &Path) -> Result<ed25519::Pair, Error> {
	let bad = || Error::BadArgument(format!("{}: not a daemon key file", path.display()));
	let json: serde_json::Value = serde_json::from_slice(&read(path)?).map_err(|_| bad())?;
	let secret: [u8; 32] = json
		.get("secret")
		.and_then(|s| s.as_str())
		.and_then(|s| hex::decode(s).ok())
		.and_then(|b| b.try_into().ok())
		.ok_or_else(bad)?;
	Ok(ed25519::Pair::from_seed(&secret))
}

fn capabilities(text: &str) -> Result<u32, Error> {
	let mut flags = 0;
	for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
		flags |= match name {
			"kubernetes" => pallet_provider::capability::KUBERNETES,
			"slurm" => pallet_provider::capability::SLURM,
			"gpu" => pallet_provider::capability::GPU,
			"storage" => pallet_provider::capability::STORAGE,
			other => {
				return Err(Error::BadArgument(format!(
					"unknown capability `{other}`: kubernetes, slurm, gpu, storage"
				)))
			},
		};
	}
	Ok(flags)
}

fn account(text: &str, what: &str) -> Result<virtengine_runtime::AccountId, Error> {
	parse_account(text).map_err(|e| Error::BadArgument(format!("{what}: {e}")))
}

/// Runs a `virtengine market` command.
pub fn run(command: Command) -> Result<(), Error> {
	use pallet_market::Call as M;
	match command {
		Command::Provider(c) => provider(c)?,
		Command::Offering(OfferingCommand::Create {
			conn,
			category,
			plan,
			price,
			tier,
			details,
		}) => {
			let category = match category.as_str() {
				"compute" => pallet_market::Category::Compute,
				"gpu" => pallet_market::Category::Gpu,
				"storage" => pallet_market::Category::Storage,
				"hpc" => pallet_market::Category::Hpc,
				other => {
					return Err(Error::BadArgument(format!(
						"--category `{other}`: compute, gpu, storage or hpc"
					)))
				},
			};
			let required_tier = match tier.as_deref() {
				None => None,
				Some("basic") => Some(virtengine_veid_primitives::Tier::Basic),
				Some("standard") => Some(virtengine_veid_primitives::Tier::Standard),
				Some("premium") => Some(virtengine_veid_primitives::Tier::Premium),
				Some(other) => {
					return Err(Error::BadArgument(format!(
						"--tier `{other}`: basic, standard or premium"
					)))
				},
			};
			let client = Client::new(&conn.rpc)?;
			let pair = signer(&conn.from)?;
			let me = virtengine_runtime::AccountId::from(pair.public());
			let details = seal_to(&client, &pair, &me, &read(&details)?, b"offering-details")?;
			let name = plan
				.into_bytes()
				.try_into()
				.map_err(|_| Error::BadArgument("--plan: at most 32 bytes".into()))?;
			let plans = vec![pallet_market::Plan { name, rate: rate(&price)? }]
				.try_into()
				.map_err(|_| Error::BadArgument("one plan".into()))?;
			let call =
				RuntimeCall::Market(M::create_offering { category, plans, required_tier, details });
			if let Some(done) = send(&conn, call)? {
				for e in done.events {
					if let virtengine_runtime::RuntimeEvent::Market(
						pallet_market::Event::OfferingCreated { id, .. },
					) = e
					{
						println!("offering {id}");
					}
				}
			}
		},
		Command::Offering(OfferingCommand::List { rpc }) => {
			let client = Client::new(&rpc.rpc)?;
			let n = client.offering_count()?;
			let first = n.saturating_sub(100);
			eprintln!("offerings {first}..{n} (the newest 100)");
			for id in first..n {
				if let Some(o) = client.offering(id)? {
					let plans: Vec<String> = o
						.plans
						.iter()
						.enumerate()
						.map(|(i, p)| {
							format!(
								"[{i}] {}: {}",
								String::from_utf8_lossy(&p.name),
								show_rate(&p.rate)
							)
						})
						.collect();
					println!(
						"{id}\t{:?}\t{}\ttier {:?}\t{}\t{}",
						o.category,
						o.provider.to_ss58check(),
						o.required_tier,
						if o.active { "active" } else { "inactive" },
						plans.join("; ")
					);
				}
			}
		},
		Command::Order(OrderCommand::Create { conn, offering, plan, config, max, funds }) => {
			let client = Client::new(&conn.rpc)?;
			let pair = signer(&conn.from)?;
			let o = client
				.offering(offering)?
				.ok_or_else(|| Error::BadArgument(format!("no offering {offering}")))?;
			let config = seal_to(&client, &pair, &o.provider, &read(&config)?, b"order-config")?;
			let call = RuntimeCall::Market(M::create_order {
				target: pallet_market::Target::Offering { id: offering, plan },
				config: Some(config),
				max_price: rate(&max)?,
				funds: parse_ve(&funds)?,
			});
			if let Some(done) = send(&conn, call)? {
				for e in done.events {
					if let virtengine_runtime::RuntimeEvent::Market(
						pallet_market::Event::OrderCreated { id, .. },
					) = e
					{
						println!("order {id}");
					}
				}
			}
		},
		Command::Order(OrderCommand::Cancel { conn, id }) => {
			send(&conn, RuntimeCall::Market(M::cancel_order { id }))?;
		},
		Command::Order(OrderCommand::Show { rpc, id }) => {
			let client = Client::new(&rpc.rpc)?;
			match client.order(id)? {
				Some(o) => println!(
					"order {id}: {:?}, customer {}, {:?}, max {}, {} bid(s)",
					o.state,
					o.customer.to_ss58check(),
					o.target,
					show_rate(&o.max_price),
					o.bids
				),
				None => println!("order {id}: none (never created, cancelled, or removed)"),
			}
			show_lease(&client, id)?;
		},
		Command::Bid { conn, order, price, expires_in } => {
			let client = Client::new(&conn.rpc)?;
			let expires = client.best_number()?.saturating_add(expires_in);
			send(&conn, RuntimeCall::Market(M::bid { order, price: rate(&price)?, expires }))?;
		},
		Command::Lease(c) => lease(c)?,
		Command::Settle { conn, id } => {
			send(&conn, RuntimeCall::Escrow(pallet_escrow::Call::settle { id }))?;
		},
		Command::Withdraw { conn } => {
			send(&conn, RuntimeCall::Escrow(pallet_escrow::Call::withdraw {}))?;
		},
	}
	Ok(())
}

fn show_lease(client: &Client, id: u64) -> Result<(), Error> {
	match client.lease(id)? {
		Some(l) => println!(
			"lease {id}: {:?} since #{}, provider {}, price {}, last seen #{}",
			l.state,
			l.since,
			l.provider.to_ss58check(),
			show_rate(&l.price),
			l.last_seen
		),
		None => println!("lease {id}: none"),
	}
	if let Some(e) = client.escrow(id)? {
		println!(
			"escrow {id}: {} held, {} paid ({} fee), {} usage record(s) pending",
			format_ve(e.held),
			format_ve(e.paid),
			format_ve(e.fee),
			e.pending.len()
		);
	}
	Ok(())
}

fn provider(c: ProviderCommand) -> Result<(), Error> {
	use pallet_provider::Call as P;
	match c {
		ProviderCommand::DaemonKeygen { out } => {
			if out.exists() {
				return Err(Error::BadArgument(format!(
					"{} exists: not overwriting a key",
					out.display()
				)));
			}
			let seed: [u8; 32] = crate::random();
			let pair = ed25519::Pair::from_seed(&seed);
			let json = serde_json::json!({
				"secret": hex::encode(seed),
				"public": hex::encode(pair.public().0),
			});
			crate::envelope::write(Some(&out), json.to_string().as_bytes(), true)
				.map_err(|e| Error::BadArgument(e.to_string()))?;
			println!("{}", hex::encode(pair.public().0));
		},
		ProviderCommand::ClaimDomain { conn, domain } => {
			let name = domain
				.into_bytes()
				.try_into()
				.map_err(|_| Error::BadArgument("--domain: at most 253 bytes".into()))?;
			if let Some(done) =
				send(&conn, RuntimeCall::Provider(P::claim_domain { domain: name }))?
			{
				for e in done.events {
					if let virtengine_runtime::RuntimeEvent::Provider(
						pallet_provider::Event::DomainClaimed { domain, token, .. },
					) = e
					{
						println!(
							"publish this TXT record on {}:\nvirtengine-verify={}",
							String::from_utf8_lossy(&domain),
							hex::encode(token)
						);
					}
				}
			}
		},
		ProviderCommand::ConfirmDomain { conn, who, domain, token } => {
			let who = account(&who, "--who")?;
			let domain = domain
				.into_bytes()
				.try_into()
				.map_err(|_| Error::BadArgument("--domain: at most 253 bytes".into()))?;
			let token = token.strip_prefix("virtengine-verify=").unwrap_or(&token);
			let token: [u8; 32] = hex::decode(token)
				.ok()
				.and_then(|t| t.try_into().ok())
				.ok_or_else(|| Error::BadArgument("--token: 32 bytes in hex".into()))?;
			let call = RuntimeCall::Provider(P::confirm_domain { who, domain, token });
			send(&conn, virtengine_client::mfa::sudo(call))?;
		},
		ProviderCommand::Register {
			conn,
			region,
			capabilities: caps,
			encryption_key,
			daemon_key,
		} => {
			let enc = crate::envelope::load_secret(&encryption_key)
				.map_err(|e| Error::BadArgument(format!("--encryption-key: {e}")))?;
			let daemon = load_daemon_key(&daemon_key)?;
			let attributes = pallet_provider::Attributes {
				region: region
					.into_bytes()
					.try_into()
					.map_err(|_| Error::BadArgument("--region: at most 32 bytes".into()))?,
				cpu_models: Default::default(),
				gpu_models: Default::default(),
				capabilities: capabilities(&caps)?,
			};
			send(
				&conn,
				RuntimeCall::Provider(P::register {
					attributes,
					encryption_key: enc.public(),
					daemon_key: daemon.public().0,
				}),
			)?;
		},
		ProviderCommand::Show { rpc, who } => {
			let client = Client::new(&rpc.rpc)?;
			let who = account(&who, "--who")?;
			match client.provider(&who)? {
				Some(p) => println!(
					"{}: {:?}, domain {}, region {}, capabilities {:#x}, payouts {}",
					who.to_ss58check(),
					p.status,
					String::from_utf8_lossy(&p.domain),
					String::from_utf8_lossy(&p.attributes.region),
					p.attributes.capabilities,
					format_ve(client.payouts(&who)?)
				),
				None => println!("{}: not a provider", who.to_ss58check()),
			}
		},
	}
	Ok(())
}

fn lease(c: LeaseCommand) -> Result<(), Error> {
	use pallet_market::Call as M;
	match c {
		LeaseCommand::Accept { conn, order, provider, per_hour, units, config } => {
			let provider = account(&provider, "--provider")?;
			let client = Client::new(&conn.rpc)?;
			let price = if per_hour.is_some() || !units.is_empty() {
				rate(&PriceArgs { per_hour: per_hour.unwrap_or_else(|| "0".into()), units })?
			} else {
				let bid = client.bid(order, &provider)?.ok_or_else(|| {
					Error::BadArgument(format!(
						"--provider: no bid from {} on order {order}",
						provider.to_ss58check()
					))
				})?;
				bid.price
			};
			eprintln!("accepting at most {}", show_rate(&price));
			let config = match config {
				Some(path) => {
					let pair = signer(&conn.from)?;
					Some(seal_to(&client, &pair, &provider, &read(&path)?, b"order-config")?)
				},
				None => None,
			};
			send(&conn, RuntimeCall::Market(M::accept_bid { order, provider, price, config }))?;
		},
		LeaseCommand::Start { conn, id } => {
			send(&conn, RuntimeCall::Market(M::start_lease { id }))?;
		},
		LeaseCommand::Heartbeat { conn, id } => {
			send(&conn, RuntimeCall::Market(M::heartbeat { id }))?;
		},
		LeaseCommand::Close { conn, id } => {
			send(&conn, RuntimeCall::Market(M::close_lease { id }))?;
		},
		LeaseCommand::Usage { conn, id, daemon_key, seq, quantities } => {
			let daemon = load_daemon_key(&daemon_key)?;
			let mut q = Vec::new();
			for spec in &quantities {
				let (name, n) = spec.split_once('=').ok_or_else(|| {
					Error::BadArgument(format!("--quantity `{spec}`: expected unit=count"))
				})?;
				let n: u64 = n
					.parse()
					.map_err(|_| Error::BadArgument(format!("--quantity `{spec}`: not a count")))?;
				q.push((unit(name)?, n));
			}
			let record = UsageRecord {
				lease: id,
				seq,
				quantities: q
					.try_into()
					.map_err(|_| Error::BadArgument("at most 8 quantities".into()))?,
			};
			let client = Client::new(&conn.rpc)?;
			let genesis = client.chain_info()?.genesis.0;
			let signature = sign_usage(&daemon, &genesis, &record);
			send(
				&conn,
				RuntimeCall::Escrow(pallet_escrow::Call::submit_usage { record, signature }),
			)?;
		},
		LeaseCommand::Show { rpc, id } => show_lease(&Client::new(&rpc.rpc)?, id)?,
	}
	Ok(())
}
