//! `virtengine market ...`: providers, offerings, orders, bids, leases, usage and settlement.
//!
//! Prices are in VE (decimals allowed): `--per-hour 2.5` for the fixed part and `--unit job=0.1`
//! (repeatable) per unit of usage; units: cpu-core-second, gpu-second, memory-gb-hour,
//! storage-gb-hour, egress-gb, job. Configurations and offering details are sealed on this
//! machine to the provider's registered key; only the envelope goes on chain. Sensitive calls
//! (a first order, a provider's registration...) need an MFA authorization first: `--mfa` does
//! it before submitting, or `--print-call` prints the call's SCALE hex for
//! `virtengine mfa authorize --call <hex> --submit`.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use codec::Encode;
use serde_json::{json, Value};
use sp_core::{ed25519, Pair};
use virtengine_client::{
	format_ve,
	market::{
		sign_usage, Category, Escrow, Lease, LeaseState, Order, OrderState, Plan, Rate, Target,
		Unit, UsageRecord,
	},
	runtime::{self, runtime_types},
	AccountId, Balance, Client, Included, RuntimeCall,
};
use virtengine_envelope::{Limits, SenderKey};

use crate::{account_arg, files, in_block, now_ms, tx_json, ve_arg, with, Ctx, Error, Signer};

type MarketCall = runtime_types::pallet_market::pallet::Call;
type ProviderCall = runtime_types::pallet_provider::pallet::Call;
type EscrowCall = runtime_types::pallet_escrow::pallet::Call;

/// The pallets' bounds on what the CLI sends (their `BoundedVec` limits, which the metadata
/// does not carry as constants): checked here so the error names the flag.
mod limits {
	/// A sealed configuration or offering details (`pallet_market::MaxSealed`).
	pub const SEALED: usize = 4096;
	/// A plan's name (`pallet_market::Name`).
	pub const PLAN_NAME: usize = 32;
	/// A domain (`pallet_provider::MaxDomainLen`).
	pub const DOMAIN: usize = 253;
	/// A region code (`pallet_provider::Attributes::region`).
	pub const REGION: usize = 32;
	/// Unit prices in a rate, quantities in a usage record.
	pub const UNITS: usize = 8;
}

/// How a call is sent (the signing account is the global key).
#[derive(clap::Args, Clone, Debug)]
pub struct Send {
	/// Print the call as SCALE hex (for `virtengine mfa authorize --call`) instead of
	/// submitting it.
	#[arg(long)]
	print_call: bool,
	/// Authorize the call with MFA first (VEID, and FIDO2 with --fido2-key), then submit it.
	#[arg(long)]
	mfa: bool,
	/// The software authenticator key file for --mfa (`virtengine mfa enroll`).
	#[arg(long, requires = "mfa", value_name = "PATH")]
	fido2_key: Option<PathBuf>,
}

/// A unit of usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UnitArg {
	/// One CPU core for one second.
	CpuCoreSecond,
	/// One GPU for one second.
	GpuSecond,
	/// One GB of memory for one hour.
	MemoryGbHour,
	/// One GB of storage for one hour.
	StorageGbHour,
	/// One GB sent out.
	EgressGb,
	/// One batch job.
	Job,
}

impl From<UnitArg> for Unit {
	fn from(u: UnitArg) -> Unit {
		match u {
			UnitArg::CpuCoreSecond => Unit::CpuCoreSecond,
			UnitArg::GpuSecond => Unit::GpuSecond,
			UnitArg::MemoryGbHour => Unit::MemoryGbHour,
			UnitArg::StorageGbHour => Unit::StorageGbHour,
			UnitArg::EgressGb => Unit::EgressGb,
			UnitArg::Job => Unit::Job,
		}
	}
}

fn unit_name(u: &Unit) -> &'static str {
	match u {
		Unit::CpuCoreSecond => "cpu-core-second",
		Unit::GpuSecond => "gpu-second",
		Unit::MemoryGbHour => "memory-gb-hour",
		Unit::StorageGbHour => "storage-gb-hour",
		Unit::EgressGb => "egress-gb",
		Unit::Job => "job",
	}
}

fn unit_of(name: &str) -> Result<UnitArg, String> {
	UnitArg::from_str(name, false).map_err(|_| {
		format!(
			"unknown unit `{name}`: cpu-core-second, gpu-second, memory-gb-hour, \
			 storage-gb-hour, egress-gb or job"
		)
	})
}

/// `unit=VE` for clap.
fn unit_price(text: &str) -> Result<(UnitArg, Balance), String> {
	let (name, price) = text.split_once('=').ok_or("expected unit=VE, e.g. job=0.5".to_string())?;
	Ok((unit_of(name)?, ve_arg(price)?))
}

/// `unit=count` for clap.
fn unit_quantity(text: &str) -> Result<(UnitArg, u64), String> {
	let (name, n) = text.split_once('=').ok_or("expected unit=count, e.g. job=4".to_string())?;
	let n = n.parse().map_err(|_| format!("`{n}` is not a count"))?;
	Ok((unit_of(name)?, n))
}

/// An offering's category.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CategoryArg {
	/// Virtual machines and containers.
	Compute,
	/// GPU machines.
	Gpu,
	/// Storage.
	Storage,
	/// HPC batch clusters.
	Hpc,
}

impl CategoryArg {
	fn into_chain(self) -> Category {
		match self {
			CategoryArg::Compute => Category::Compute,
			CategoryArg::Gpu => Category::Gpu,
			CategoryArg::Storage => Category::Storage,
			CategoryArg::Hpc => Category::Hpc,
		}
	}
}

fn category_name(c: &Category) -> &'static str {
	match c {
		Category::Compute => "compute",
		Category::Gpu => "gpu",
		Category::Storage => "storage",
		Category::Hpc => "hpc",
	}
}

/// An identity tier.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TierArg {
	/// Score 50 and above.
	Basic,
	/// Score 70 and above.
	Standard,
	/// Score 85 and above.
	Premium,
}

type ChainTier = runtime_types::virtengine_veid_primitives::Tier;

fn tier_name(t: &ChainTier) -> &'static str {
	match t {
		ChainTier::Rejected => "rejected",
		ChainTier::Basic => "basic",
		ChainTier::Standard => "standard",
		ChainTier::Premium => "premium",
	}
}

/// What a provider can run (`pallet_provider::capability` flags).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Capability {
	/// Containers on Kubernetes.
	Kubernetes,
	/// Batch jobs on SLURM.
	Slurm,
	/// GPUs.
	Gpu,
	/// Persistent storage.
	Storage,
}

impl Capability {
	const ALL: [Capability; 4] =
		[Capability::Kubernetes, Capability::Slurm, Capability::Gpu, Capability::Storage];

	/// The flag `pallet_provider::capability` gives it.
	fn bit(self) -> u32 {
		match self {
			Capability::Kubernetes => 1 << 0,
			Capability::Slurm => 1 << 1,
			Capability::Gpu => 1 << 2,
			Capability::Storage => 1 << 3,
		}
	}

	fn name(self) -> &'static str {
		match self {
			Capability::Kubernetes => "kubernetes",
			Capability::Slurm => "slurm",
			Capability::Gpu => "gpu",
			Capability::Storage => "storage",
		}
	}

	fn names(flags: u32) -> Vec<&'static str> {
		Capability::ALL.iter().filter(|c| flags & c.bit() != 0).map(|c| c.name()).collect()
	}
}

/// A price on the command line.
#[derive(clap::Args, Clone, Debug)]
pub struct PriceArgs {
	/// VE per hour while the lease runs.
	#[arg(long, value_name = "VE", value_parser = ve_arg, default_value = "0")]
	per_hour: Balance,
	/// VE per unit of usage, `unit=VE` (repeatable).
	#[arg(long = "unit", value_name = "UNIT=VE", value_parser = unit_price)]
	units: Vec<(UnitArg, Balance)>,
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
		send: Send,
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
		send: Send,
		/// The lease.
		#[arg(long)]
		id: u64,
	},
	/// Move your payouts to your free balance.
	Withdraw {
		#[command(flatten)]
		send: Send,
	},
}

/// `virtengine market provider ...`.
#[derive(Subcommand)]
pub enum ProviderCommand {
	/// Write a new provider daemon key (ed25519) to a file (readable by you only).
	DaemonKeygen {
		/// Where to write it.
		#[arg(long, short)]
		out: PathBuf,
		/// Replace an existing key file (a registered daemon key that is lost can no longer
		/// sign usage: register the new one).
		#[arg(long)]
		force: bool,
	},
	/// Claim a domain; prints the TXT record to publish.
	ClaimDomain {
		#[command(flatten)]
		send: Send,
		/// The domain, e.g. provider.example.com.
		#[arg(long)]
		domain: String,
	},
	/// As a domain verifier (sudo on development chains): confirm an account's claim to a domain
	/// after finding its TXT record. Only that claim is confirmed: if the account claimed
	/// another domain meanwhile, the chain refuses.
	ConfirmDomain {
		#[command(flatten)]
		send: Send,
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
		send: Send,
		/// Region code, e.g. eu-central.
		#[arg(long)]
		region: String,
		/// Capabilities, comma-separated.
		#[arg(long, value_enum, value_delimiter = ',', default_value = "kubernetes")]
		capabilities: Vec<Capability>,
		/// Your envelope key file (`virtengine envelope keygen`): orders are sealed to it.
		#[arg(long)]
		encryption_key: PathBuf,
		/// Your daemon key file (`daemon-keygen`): usage is signed with it.
		#[arg(long)]
		daemon_key: PathBuf,
	},
	/// Show a provider.
	Show {
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
		send: Send,
		/// The category.
		#[arg(long, value_enum)]
		category: CategoryArg,
		/// The plan's name.
		#[arg(long, default_value = "standard")]
		plan: String,
		#[command(flatten)]
		price: PriceArgs,
		/// The identity tier customers need.
		#[arg(long, value_enum)]
		tier: Option<TierArg>,
		/// A file of details only you (the provider) can read; sealed to your key.
		#[arg(long)]
		details: PathBuf,
	},
	/// List offerings (the newest 100).
	List,
}

/// `virtengine market order ...`.
#[derive(Subcommand)]
pub enum OrderCommand {
	/// Order a plan of an offering (the configuration file is sealed to its provider), or order
	/// by requirements: any provider of a category (and region, capabilities) may bid, and the
	/// configuration is given when you accept a bid (`lease accept --config`).
	Create {
		#[command(flatten)]
		send: Send,
		/// The offering.
		#[arg(long, required_unless_present = "category", conflicts_with = "category")]
		offering: Option<u64>,
		/// The plan's index.
		#[arg(long, default_value_t = 0)]
		plan: u8,
		/// The configuration (e.g. a JSON workload description); for an offering's plan.
		#[arg(long, conflicts_with = "category")]
		config: Option<PathBuf>,
		/// A requirements order: the category any bidding provider sells.
		#[arg(long, value_enum)]
		category: Option<CategoryArg>,
		/// A requirements order: the providers' region code (any region if absent).
		#[arg(long, requires = "category", default_value = "")]
		region: String,
		/// A requirements order: capabilities the providers must have, comma-separated.
		#[arg(long, value_enum, value_delimiter = ',', requires = "category")]
		capabilities: Vec<Capability>,
		/// The most you pay.
		#[command(flatten)]
		max: PriceArgs,
		/// VE put into escrow.
		#[arg(long, value_name = "VE", value_parser = ve_arg)]
		funds: Balance,
	},
	/// Cancel an open order: funds and deposits come back.
	Cancel {
		#[command(flatten)]
		send: Send,
		/// The order.
		#[arg(long)]
		id: u64,
	},
	/// Show an order, and its lease and escrow.
	Show {
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
		send: Send,
		/// The order.
		#[arg(long)]
		order: u64,
		/// The provider whose bid to accept.
		#[arg(long)]
		provider: String,
		/// The bid's price you accept: VE per hour.
		#[arg(long, value_name = "VE", value_parser = ve_arg)]
		per_hour: Option<Balance>,
		/// The bid's price you accept: VE per unit of usage, `unit=VE` (repeatable).
		#[arg(long = "unit", value_name = "UNIT=VE", value_parser = unit_price)]
		units: Vec<(UnitArg, Balance)>,
		/// For a requirements order: the configuration, sealed now to this provider.
		#[arg(long)]
		config: Option<PathBuf>,
	},
	/// As the provider: the workload is provisioned (the lease becomes active).
	Start {
		#[command(flatten)]
		send: Send,
		/// The lease.
		#[arg(long)]
		id: u64,
	},
	/// As the provider: the workload still runs.
	Heartbeat {
		#[command(flatten)]
		send: Send,
		/// The lease.
		#[arg(long)]
		id: u64,
	},
	/// As the provider: report usage signed with the daemon key.
	Usage {
		#[command(flatten)]
		send: Send,
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
		#[arg(long = "quantity", required = true, value_name = "UNIT=COUNT", value_parser = unit_quantity)]
		quantities: Vec<(UnitArg, u64)>,
	},
	/// Close a lease (either party).
	Close {
		#[command(flatten)]
		send: Send,
		/// The lease.
		#[arg(long)]
		id: u64,
	},
	/// Show a lease and its escrow.
	Show {
		/// The lease.
		#[arg(long)]
		id: u64,
	},
	/// As the customer: the lease's access details (its provider's gateway, the job's name),
	/// read from the chain and opened with your envelope key.
	Access {
		/// The lease.
		#[arg(long)]
		id: u64,
		/// Your envelope key file (`virtengine envelope keygen`; its public key registered).
		#[arg(long)]
		key: PathBuf,
	},
	/// As the customer: the lease's status from its provider's gateway (the job's state, what
	/// was billed, its output files), asked with a request signed by your account key.
	Status {
		/// The lease.
		#[arg(long)]
		id: u64,
		/// The provider's gateway, `https://host:port`; without it, the one in the lease's
		/// access details (opened with `--key`).
		#[arg(long, required_unless_present = "key")]
		gateway: Option<String>,
		/// Your envelope key file, to open the lease's access details.
		#[arg(long)]
		key: Option<PathBuf>,
	},
	/// As the customer: the last lines of one pod's log (container services), from its
	/// provider's gateway; `virtengine market lease status` lists the pods.
	Logs {
		/// The lease.
		#[arg(long)]
		id: u64,
		/// The provider's gateway, `https://host:port`; without it, the one in the lease's
		/// access details (opened with `--key`).
		#[arg(long, required_unless_present = "key")]
		gateway: Option<String>,
		/// Your envelope key file, to open the lease's access details.
		#[arg(long)]
		key: Option<PathBuf>,
		/// The pod.
		#[arg(long)]
		pod: String,
		/// How many of its last lines (at most 10000).
		#[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
		tail: u32,
	},
	/// As the customer: one output file of the lease's job, from its provider's gateway.
	Output {
		/// The lease.
		#[arg(long)]
		id: u64,
		/// The provider's gateway, `https://host:port`; without it, the one in the lease's
		/// access details (opened with `--key`).
		#[arg(long, required_unless_present = "key")]
		gateway: Option<String>,
		/// Your envelope key file, to open the lease's access details.
		#[arg(long)]
		key: Option<PathBuf>,
		/// The file's name (`virtengine market lease status` lists them).
		#[arg(long, default_value = "output.txt")]
		file: String,
		/// Where to write it; standard output if absent.
		#[arg(long)]
		out: Option<PathBuf>,
	},
}

/// Lease `id`'s access details from the chain, opened with the envelope key file `key`.
async fn access_details(
	ctx: &Ctx,
	id: u64,
	key: &Path,
) -> Result<virtengine_client::gateway::AccessDetails, Error> {
	let secret = crate::envelope::load_secret(key)?;
	let client = ctx.connect().await?;
	let lease = client.lease(id).await?.ok_or_else(|| Error::Outcome(format!("no lease {id}")))?;
	let provider = client.provider(&lease.provider).await?.ok_or_else(|| {
		Error::Outcome(format!("lease {id}'s provider {} is not registered", lease.provider))
	})?;
	let sealed = client.lease_access(id).await?.ok_or_else(|| {
		Error::Outcome(format!(
			"lease {id} has no access details yet: its provider gives them once its job is \
			 submitted (or give --gateway)"
		))
	})?;
	virtengine_client::gateway::AccessDetails::open(&sealed, id, &secret, &provider.daemon_key)
		.map_err(|e| Error::Outcome(format!("lease {id}'s access details: {e}")))
}

/// The gateway given, or the one in lease `id`'s access details.
async fn gateway_of(
	ctx: &Ctx,
	id: u64,
	gateway: Option<String>,
	key: Option<&Path>,
) -> Result<String, Error> {
	match (gateway, key) {
		(Some(gateway), _) => Ok(gateway),
		(None, Some(key)) => Ok(access_details(ctx, id, key).await?.gateway),
		(None, None) => Err(Error::Arg(
			"give --gateway, or --key (your envelope key file) to read the lease's access \
			 details"
				.into(),
		)),
	}
}

/// A signed GET to a provider's gateway, as the signing account.
async fn gateway_get(ctx: &Ctx, gateway: &str, path: &str) -> Result<Vec<u8>, Error> {
	let url = virtengine_client::gateway::GatewayUrl::parse(gateway)
		.map_err(|e| Error::Arg(format!("--gateway: {e}")))?;
	let signer = ctx.signer()?;
	let client = ctx.connect().await?;
	let answer = virtengine_client::gateway::get(
		&url,
		path,
		&signer.keypair,
		&client.genesis().0,
		ctx.ca_file(),
	)
	.await?;
	Ok(answer.ok()?)
}

fn status_text(s: &serde_json::Value) -> String {
	let mut text = format!(
		"lease {}: {}; job {} ({})",
		s["lease"],
		s["state"].as_str().unwrap_or("?"),
		s["job"],
		s["job_state"].as_str().unwrap_or("?")
	);
	if let Some(why) = s["refused"].as_str() {
		text.push_str(&format!("\nrefused: {why}"));
	}
	if let Some(billed) = s["billed"].as_object() {
		for (unit, n) in billed {
			text.push_str(&format!("\nbilled {unit}: {n}"));
		}
	}
	if let Some(files) = s["files"].as_array() {
		for f in files {
			text.push_str(&format!(
				"\nfile {} ({} bytes)",
				f["name"].as_str().unwrap_or("?"),
				f["size"]
			));
		}
	}
	if let Some(pods) = s["details"]["pods"].as_array() {
		for p in pods {
			text.push_str(&format!(
				"\npod {} ({}): {}{}, {} restarts",
				p["name"].as_str().unwrap_or("?"),
				p["service"].as_str().unwrap_or("?"),
				p["phase"].as_str().unwrap_or("?"),
				if p["ready"].as_bool() == Some(true) { ", ready" } else { "" },
				p["restarts"]
			));
			if let Some(why) = p["waiting"].as_str() {
				text.push_str(&format!(" (waiting: {why})"));
			}
		}
	}
	text
}

/// A rate from the command line; `flag` names the unit prices' flag.
fn rate(per_hour: Balance, units: &[(UnitArg, Balance)]) -> Result<Rate<Balance>, Error> {
	let mut per_unit: Vec<(Unit, Balance)> = Vec::new();
	for (u, price) in units {
		if units.iter().filter(|(x, _)| x == u).count() > 1 {
			return Err(Error::Arg(format!("--unit: {} given twice", unit_name(&Unit::from(*u)))));
		}
		per_unit.push(((*u).into(), *price));
	}
	if per_unit.len() > limits::UNITS {
		return Err(Error::Arg(format!("--unit: at most {} unit prices", limits::UNITS)));
	}
	Ok(Rate { per_hour, per_unit })
}

fn rate_text(r: &Rate<Balance>) -> String {
	let mut parts = vec![format!("{}/hour", format_ve(r.per_hour))];
	parts.extend(r.per_unit.iter().map(|(u, p)| format!("{}/{}", format_ve(*p), unit_name(u))));
	parts.join(", ")
}

fn rate_json(r: &Rate<Balance>) -> Value {
	json!({
		"per_hour": r.per_hour.to_string(),
		"per_unit": r.per_unit.iter()
			.map(|(u, p)| (unit_name(u).to_string(), json!(p.to_string())))
			.collect::<serde_json::Map<_, _>>(),
	})
}

fn bytes_arg(flag: &str, text: String, max: usize) -> Result<Vec<u8>, Error> {
	if text.len() > max {
		return Err(Error::Arg(format!("{flag}: at most {max} bytes ({} given)", text.len())));
	}
	Ok(text.into_bytes())
}

/// Seals `plaintext` to `provider`'s registered key, signed by the caller; `flag` names the
/// file's flag.
async fn seal_to(
	client: &Client,
	from: &Signer,
	provider: &AccountId,
	plaintext: &[u8],
	content_type: &[u8],
	flag: &str,
) -> Result<Vec<u8>, Error> {
	let p = client
		.provider(provider)
		.await?
		.ok_or_else(|| Error::Outcome(format!("{provider} is not a registered provider")))?;
	let envelope = virtengine_envelope::seal(
		plaintext,
		&[p.encryption_key],
		&SenderKey::Sr25519(from.pair()?),
		content_type,
		now_ms(),
		&Limits::DEFAULT,
	)
	.map_err(|e| Error::Arg(format!("{flag}: cannot seal: {e}")))?;
	let sealed = envelope.encode();
	if sealed.len() > limits::SEALED {
		return Err(Error::Arg(format!(
			"{flag}: the sealed file is {} bytes; the chain takes at most {} (put large files \
			 elsewhere and seal a reference)",
			sealed.len(),
			limits::SEALED
		)));
	}
	Ok(sealed)
}

/// Submits `call` as the signing account (after an MFA authorization with `--mfa`), or prints
/// it with `--print-call`.
async fn send(
	ctx: &Ctx,
	send: &Send,
	call: RuntimeCall,
) -> Result<Option<(Client, Included)>, Error> {
	if send.print_call {
		let hex_call = format!("0x{}", hex::encode(call.encode()));
		ctx.print(json!({ "call": hex_call }), || hex_call.clone());
		return Ok(None);
	}
	let signer = ctx.signer()?;
	let client = ctx.connect().await?;
	submit_as(ctx, send, &client, &signer, call).await.map(|i| Some((client, i)))
}

async fn submit_as(
	ctx: &Ctx,
	send: &Send,
	client: &Client,
	signer: &Signer,
	call: RuntimeCall,
) -> Result<Included, Error> {
	if send.mfa {
		let mut key = send.fido2_key.as_deref().map(crate::mfa::load_soft_key).transpose()?;
		let save_to = send.fido2_key.clone();
		client
			.mfa_authorize(
				&signer.keypair,
				key.as_mut(),
				call.clone(),
				Vec::new(),
				move |k| match &save_to {
					Some(path) => k.save(path),
					None => Ok(()),
				},
				ctx.tx_options(),
				ctx.progress(),
			)
			.await?;
		ctx.wait_note("authorized; submitting the call");
	}
	ctx.submit(client, &signer.keypair, &call).await
}

/// Sends a call and prints the outcome: `what` says what happened, in words.
async fn send_and_print(
	ctx: &Ctx,
	s: &Send,
	call: RuntimeCall,
	what: &str,
	fields: Value,
) -> Result<(), Error> {
	if let Some((_, done)) = send(ctx, s, call).await? {
		ctx.print(with(tx_json(&done), fields), || format!("{what} {}", in_block(&done)));
	}
	Ok(())
}

/// The daemon key file: `{"secret": hex, "public": hex}`, readable by its owner only.
pub fn load_daemon_key(flag: &str, path: &Path) -> Result<ed25519::Pair, Error> {
	let bad = || Error::Arg(format!("{flag} {}: not a daemon key file", path.display()));
	let json: serde_json::Value =
		serde_json::from_slice(&files::read_secret(path)?).map_err(|_| bad())?;
	let secret: [u8; 32] = json
		.get("secret")
		.and_then(|s| s.as_str())
		.and_then(|s| hex::decode(s).ok())
		.and_then(|b| b.try_into().ok())
		.ok_or_else(bad)?;
	Ok(ed25519::Pair::from_seed(&secret))
}

fn order_state_name(s: &OrderState) -> &'static str {
	match s {
		OrderState::Open => "open",
		OrderState::Matched => "matched",
	}
}

fn lease_state(s: &LeaseState) -> (&'static str, Option<String>) {
	match s {
		LeaseState::Matched => ("matched", None),
		LeaseState::Active => ("active", None),
		LeaseState::Closing(reason) => ("closing", Some(close_reason(reason))),
		LeaseState::Closed(reason) => ("closed", Some(close_reason(reason))),
	}
}

fn close_reason(r: &runtime_types::pallet_market::types::CloseReason) -> String {
	use runtime_types::pallet_market::types::CloseReason as R;
	match r {
		R::ByCustomer => "by_customer",
		R::ByProvider => "by_provider",
		R::NotProvisioned => "not_provisioned",
		R::NoHeartbeat => "no_heartbeat",
		R::FundsExhausted => "funds_exhausted",
	}
	.to_string()
}

fn target_json(t: &Target) -> Value {
	match t {
		Target::Offering { id, plan } => json!({ "offering": id, "plan": plan }),
		Target::Requirements { category, .. } => json!({ "category": category_name(category) }),
	}
}

fn target_text(t: &Target) -> String {
	match t {
		Target::Offering { id, plan } => format!("offering {id} plan {plan}"),
		Target::Requirements { category, .. } => {
			format!("any {} provider meeting the requirements", category_name(category))
		},
	}
}

fn order_json(id: u64, o: &Order<AccountId, Balance, u32>) -> Value {
	json!({
		"id": id,
		"state": order_state_name(&o.state),
		"customer": o.customer.to_string(),
		"target": target_json(&o.target),
		"max_price": rate_json(&o.max_price),
		"bids": o.bids,
	})
}

fn lease_json(id: u64, l: &Lease<AccountId, Balance, u32>) -> Value {
	let (state, reason) = lease_state(&l.state);
	json!({
		"id": id,
		"state": state,
		"close_reason": reason,
		"since": l.since,
		"started": l.started,
		"provider": l.provider.to_string(),
		"price": rate_json(&l.price),
		"last_seen": l.last_seen,
	})
}

fn escrow_json(id: u64, e: &Escrow<AccountId, Balance, u32>) -> Value {
	json!({
		"id": id,
		"held": e.held.to_string(),
		"paid": e.paid.to_string(),
		"fee": e.fee.to_string(),
		"pending_usage": e.pending.len(),
	})
}

fn lease_text(
	id: u64,
	lease: Option<&Lease<AccountId, Balance, u32>>,
	escrow: Option<&Escrow<AccountId, Balance, u32>>,
) -> String {
	let mut lines = vec![match lease {
		Some(l) => {
			let (state, reason) = lease_state(&l.state);
			let state = match reason {
				Some(r) => format!("{state} ({})", r.replace('_', " ")),
				None => state.to_string(),
			};
			format!(
				"lease {id}: {state} since #{}, provider {}, price {}, last seen #{}",
				l.since,
				l.provider,
				rate_text(&l.price),
				l.last_seen
			)
		},
		None => format!("lease {id}: none"),
	}];
	if let Some(e) = escrow {
		lines.push(format!(
			"escrow {id}: {} held, {} paid ({} fee), {} usage record(s) pending",
			format_ve(e.held),
			format_ve(e.paid),
			format_ve(e.fee),
			e.pending.len()
		));
	}
	lines.join("\n")
}

/// Runs a `virtengine market` command.
pub async fn run(ctx: &Ctx, command: Command) -> Result<(), Error> {
	match command {
		Command::Provider(c) => provider(ctx, c).await,
		Command::Offering(c) => offering(ctx, c).await,
		Command::Order(c) => order(ctx, c).await,
		Command::Bid { send: s, order, price, expires_in } => {
			let rate = rate(price.per_hour, &price.units)?;
			let client = ctx.connect().await?;
			let expires = client.best_number().await?.saturating_add(expires_in);
			let call = RuntimeCall::Market(MarketCall::bid { order, price: rate, expires });
			send_and_print(
				ctx,
				&s,
				call,
				&format!("bid on order {order}"),
				json!({ "order": order, "expires": expires }),
			)
			.await
		},
		Command::Lease(c) => lease(ctx, c).await,
		Command::Settle { send: s, id } => {
			let call = RuntimeCall::Escrow(EscrowCall::settle { id });
			if let Some((_, done)) = send(ctx, &s, call).await? {
				let paid = done.find(|e| match e {
					runtime::Event::Escrow(runtime::escrow::Event::Settled {
						to_payee,
						fee,
						..
					}) => Some((*to_payee, *fee)),
					_ => None,
				});
				ctx.print(
					with(
						tx_json(&done),
						json!({
							"lease": id,
							"paid": paid.map(|p| p.0.to_string()),
							"fee": paid.map(|p| p.1.to_string()),
						}),
					),
					|| match paid {
						Some((amount, fee)) => format!(
							"settled lease {id}: {} paid ({} fee) {}",
							format_ve(amount),
							format_ve(fee),
							in_block(&done)
						),
						None => format!("settled lease {id} {}", in_block(&done)),
					},
				);
			}
			Ok(())
		},
		Command::Withdraw { send: s } => {
			send_and_print(
				ctx,
				&s,
				RuntimeCall::Escrow(EscrowCall::withdraw {}),
				"payouts withdrawn",
				json!({}),
			)
			.await
		},
	}
}

async fn offering(ctx: &Ctx, c: OfferingCommand) -> Result<(), Error> {
	match c {
		OfferingCommand::Create { send: s, category, plan, price, tier, details } => {
			let category = category.into_chain();
			let required_tier = tier.map(|t| match t {
				TierArg::Basic => ChainTier::Basic,
				TierArg::Standard => ChainTier::Standard,
				TierArg::Premium => ChainTier::Premium,
			});
			let name = bytes_arg("--plan", plan, limits::PLAN_NAME)?;
			let plans = vec![Plan { name, rate: rate(price.per_hour, &price.units)? }];
			let details = files::read(&details)?;
			let signer = ctx.signer()?;
			let client = ctx.connect().await?;
			let me = signer.account();
			let details =
				seal_to(&client, &signer, &me, &details, b"offering-details", "--details").await?;
			let call = RuntimeCall::Market(MarketCall::create_offering {
				category,
				plans,
				required_tier,
				details,
			});
			if s.print_call {
				return send(ctx, &s, call).await.map(|_| ());
			}
			let done = submit_as(ctx, &s, &client, &signer, call).await?;
			let id = done.find(|e| match e {
				runtime::Event::Market(runtime::market::Event::OfferingCreated { id, .. }) => {
					Some(*id)
				},
				_ => None,
			});
			ctx.print(with(tx_json(&done), json!({ "offering": id })), || match id {
				Some(id) => format!("offering {id} created {}", in_block(&done)),
				None => format!("offering created {}", in_block(&done)),
			});
		},
		OfferingCommand::List => {
			let client = ctx.connect().await?;
			let n = client.offering_count().await?;
			let first = n.saturating_sub(100);
			let mut rows = Vec::new();
			for id in first..n {
				if let Some(o) = client.offering(id).await? {
					rows.push((id, o));
				}
			}
			ctx.print(
				json!({
					"offerings": rows.iter().map(|(id, o)| json!({
						"id": id,
						"category": category_name(&o.category),
						"provider": o.provider.to_string(),
						"required_tier": o.required_tier.as_ref().map(tier_name),
						"active": o.active,
						"plans": o.plans.iter().enumerate().map(|(i, p)| json!({
							"index": i,
							"name": String::from_utf8_lossy(&p.name),
							"rate": rate_json(&p.rate),
						})).collect::<Vec<_>>(),
					})).collect::<Vec<_>>(),
				}),
				|| {
					let mut lines = vec![format!("offerings {first}..{n} (the newest 100)")];
					for (id, o) in &rows {
						let plans: Vec<String> = o
							.plans
							.iter()
							.enumerate()
							.map(|(i, p)| {
								format!(
									"[{i}] {}: {}",
									String::from_utf8_lossy(&p.name),
									rate_text(&p.rate)
								)
							})
							.collect();
						lines.push(format!(
							"{id}\t{}\t{}\ttier {}\t{}\t{}",
							category_name(&o.category),
							o.provider,
							o.required_tier.as_ref().map(tier_name).unwrap_or("none"),
							if o.active { "active" } else { "inactive" },
							plans.join("; ")
						));
					}
					lines.join("\n")
				},
			);
		},
	}
	Ok(())
}

async fn order(ctx: &Ctx, c: OrderCommand) -> Result<(), Error> {
	match c {
		OrderCommand::Create {
			send: s,
			offering,
			plan,
			config,
			category,
			region,
			capabilities,
			max,
			funds,
		} => {
			let max_price = rate(max.per_hour, &max.units)?;
			let signer = ctx.signer()?;
			let client = ctx.connect().await?;
			let (target, config) = match (offering, category) {
				(Some(offering), _) => {
					let config = config.ok_or_else(|| {
						Error::Arg("--config: an offering's order needs its configuration".into())
					})?;
					let config = files::read(&config)?;
					let o = client
						.offering(offering)
						.await?
						.ok_or_else(|| Error::Arg(format!("--offering: no offering {offering}")))?;
					let config = seal_to(
						&client,
						&signer,
						&o.provider,
						&config,
						b"order-config",
						"--config",
					)
					.await?;
					(Target::Offering { id: offering, plan }, Some(config))
				},
				(None, Some(category)) => (
					Target::Requirements {
						category: category.into_chain(),
						region: bytes_arg("--region", region, limits::REGION)?,
						capabilities: capabilities.iter().fold(0, |flags, c| flags | c.bit()),
					},
					None,
				),
				(None, None) => return Err(Error::Arg("give --offering or --category".into())),
			};
			let call =
				RuntimeCall::Market(MarketCall::create_order { target, config, max_price, funds });
			if s.print_call {
				return send(ctx, &s, call).await.map(|_| ());
			}
			let done = submit_as(ctx, &s, &client, &signer, call).await?;
			let id = done.find(|e| match e {
				runtime::Event::Market(runtime::market::Event::OrderCreated { id, .. }) => {
					Some(*id)
				},
				_ => None,
			});
			ctx.print(with(tx_json(&done), json!({ "order": id })), || match id {
				Some(id) => format!("order {id} created {}", in_block(&done)),
				None => format!("order created {}", in_block(&done)),
			});
		},
		OrderCommand::Cancel { send: s, id } => {
			send_and_print(
				ctx,
				&s,
				RuntimeCall::Market(MarketCall::cancel_order { id }),
				&format!("order {id} cancelled"),
				json!({ "order": id }),
			)
			.await?;
		},
		OrderCommand::Show { id } => {
			let client = ctx.connect().await?;
			let order = client.order(id).await?;
			let lease = client.lease(id).await?;
			let escrow = client.escrow(id).await?;
			ctx.print(
				json!({
					"order": order.as_ref().map(|o| order_json(id, o)),
					"lease": lease.as_ref().map(|l| lease_json(id, l)),
					"escrow": escrow.as_ref().map(|e| escrow_json(id, e)),
				}),
				|| {
					let head = match &order {
						Some(o) => format!(
							"order {id}: {}, customer {}, {}, max {}, {} bid(s)",
							order_state_name(&o.state),
							o.customer,
							target_text(&o.target),
							rate_text(&o.max_price),
							o.bids
						),
						None => format!("order {id}: none (never created, cancelled, or removed)"),
					};
					format!("{head}\n{}", lease_text(id, lease.as_ref(), escrow.as_ref()))
				},
			);
		},
	}
	Ok(())
}

async fn provider(ctx: &Ctx, c: ProviderCommand) -> Result<(), Error> {
	match c {
		ProviderCommand::DaemonKeygen { out, force } => {
			let seed = zeroize::Zeroizing::new(crate::random::<32>());
			let pair = ed25519::Pair::from_seed(&seed);
			let json = serde_json::json!({
				"secret": hex::encode(&seed[..]),
				"public": hex::encode(pair.public().0),
			});
			files::write_key(
				&out,
				json.to_string().as_bytes(),
				force,
				"a daemon key (a registered daemon key that is lost can no longer sign usage)",
			)?;
			let public = hex::encode(pair.public().0);
			ctx.print(json!({ "public": public, "file": out.display().to_string() }), || {
				public.clone()
			});
		},
		ProviderCommand::ClaimDomain { send: s, domain } => {
			let name = bytes_arg("--domain", domain, limits::DOMAIN)?;
			let call = RuntimeCall::Provider(ProviderCall::claim_domain { domain: name });
			if let Some((_, done)) = send(ctx, &s, call).await? {
				let claimed = done.find(|e| match e {
					runtime::Event::Provider(runtime::provider::Event::DomainClaimed {
						domain,
						token,
						expires,
						..
					}) => Some((String::from_utf8_lossy(domain).into_owned(), *token, *expires)),
					_ => None,
				});
				let Some((domain, token, expires)) = claimed else {
					return Err(Error::Outcome("the chain reported no claim".into()));
				};
				let record = format!("virtengine-verify={}", hex::encode(token));
				ctx.print(
					with(
						tx_json(&done),
						json!({
							"domain": domain,
							"token": hex::encode(token),
							"txt_record": record,
							"expires": expires,
						}),
					),
					|| {
						format!("publish this TXT record on {domain} (before block #{expires}):\n{record}")
					},
				);
			}
		},
		ProviderCommand::ConfirmDomain { send: s, who, domain, token } => {
			let who = account_arg("--who", &who)?;
			let domain = bytes_arg("--domain", domain, limits::DOMAIN)?;
			let token = crate::hex32(
				"--token",
				token.strip_prefix("virtengine-verify=").unwrap_or(&token),
			)?;
			let call =
				virtengine_client::sudo(RuntimeCall::Provider(ProviderCall::confirm_domain {
					who,
					domain,
					token,
				}));
			if let Some((client, done)) = send(ctx, &s, call).await? {
				crate::sudo_result(&client, &done).await?;
				ctx.print(with(tx_json(&done), json!({ "who": who.to_string() })), || {
					format!("domain of {who} confirmed {}", in_block(&done))
				});
			}
		},
		ProviderCommand::Register { send: s, region, capabilities, encryption_key, daemon_key } => {
			let enc = crate::envelope::load_secret(&encryption_key)?;
			let daemon = load_daemon_key("--daemon-key", &daemon_key)?;
			let attributes = runtime_types::pallet_provider::types::Attributes {
				region: bytes_arg("--region", region, limits::REGION)?,
				cpu_models: Vec::new(),
				gpu_models: Vec::new(),
				capabilities: capabilities.iter().fold(0, |flags, c| flags | c.bit()),
			};
			let call = RuntimeCall::Provider(ProviderCall::register {
				attributes,
				encryption_key: enc.public(),
				daemon_key: daemon.public().0,
			});
			send_and_print(ctx, &s, call, "registered as a provider", json!({})).await?;
		},
		ProviderCommand::Show { who } => {
			let who = account_arg("--who", &who)?;
			let client = ctx.connect().await?;
			let provider = client.provider(&who).await?;
			let payouts = client.payouts(&who).await?;
			let status = |s: &virtengine_client::market::ProviderStatus| match s {
				virtengine_client::market::ProviderStatus::Active => "active",
				virtengine_client::market::ProviderStatus::Paused => "paused",
				virtengine_client::market::ProviderStatus::Suspended => "suspended",
			};
			ctx.print(
				json!({
					"account": who.to_string(),
					"provider": provider.as_ref().map(|p| json!({
						"status": status(&p.status),
						"domain": String::from_utf8_lossy(&p.domain),
						"region": String::from_utf8_lossy(&p.attributes.region),
						"capabilities": Capability::names(p.attributes.capabilities),
						"encryption_key": hex::encode(p.encryption_key),
						"daemon_key": hex::encode(p.daemon_key),
					})),
					"payouts": payouts.to_string(),
				}),
				|| match &provider {
					Some(p) => format!(
						"{who}: {}, domain {}, region {}, capabilities {}, payouts {}",
						status(&p.status),
						String::from_utf8_lossy(&p.domain),
						String::from_utf8_lossy(&p.attributes.region),
						Capability::names(p.attributes.capabilities).join(","),
						format_ve(payouts)
					),
					None => format!("{who}: not a provider"),
				},
			);
		},
	}
	Ok(())
}

async fn lease(ctx: &Ctx, c: LeaseCommand) -> Result<(), Error> {
	match c {
		LeaseCommand::Accept { send: s, order, provider, per_hour, units, config } => {
			let provider = account_arg("--provider", &provider)?;
			let config = config.as_deref().map(files::read).transpose()?;
			let client = ctx.connect().await?;
			let price = if per_hour.is_some() || !units.is_empty() {
				rate(per_hour.unwrap_or(0), &units)?
			} else {
				let bid = client.bid(order, &provider).await?.ok_or_else(|| {
					Error::Arg(format!("--provider: no bid from {provider} on order {order}"))
				})?;
				bid.price
			};
			if ctx.output() == crate::Output::Human {
				eprintln!("accepting at most {}", rate_text(&price));
			}
			let config = match config {
				Some(plain) => {
					let signer = ctx.signer()?;
					Some(
						seal_to(&client, &signer, &provider, &plain, b"order-config", "--config")
							.await?,
					)
				},
				None => None,
			};
			let call = RuntimeCall::Market(MarketCall::accept_bid {
				order,
				provider,
				price: price.clone(),
				config,
			});
			send_and_print(
				ctx,
				&s,
				call,
				&format!("accepted {provider}'s bid on order {order}"),
				json!({ "order": order, "provider": provider.to_string(), "price": rate_json(&price) }),
			)
			.await?;
		},
		LeaseCommand::Start { send: s, id } => {
			send_and_print(
				ctx,
				&s,
				RuntimeCall::Market(MarketCall::start_lease { id }),
				&format!("lease {id} started"),
				json!({ "lease": id }),
			)
			.await?;
		},
		LeaseCommand::Heartbeat { send: s, id } => {
			send_and_print(
				ctx,
				&s,
				RuntimeCall::Market(MarketCall::heartbeat { id }),
				&format!("lease {id} heartbeat"),
				json!({ "lease": id }),
			)
			.await?;
		},
		LeaseCommand::Close { send: s, id } => {
			send_and_print(
				ctx,
				&s,
				RuntimeCall::Market(MarketCall::close_lease { id }),
				&format!("lease {id} closing"),
				json!({ "lease": id }),
			)
			.await?;
		},
		LeaseCommand::Usage { send: s, id, daemon_key, seq, quantities } => {
			let daemon = load_daemon_key("--daemon-key", &daemon_key)?;
			if quantities.len() > limits::UNITS {
				return Err(Error::Arg(format!(
					"--quantity: at most {} quantities",
					limits::UNITS
				)));
			}
			let record = UsageRecord {
				lease: id,
				seq,
				quantities: quantities.iter().map(|(u, n)| ((*u).into(), *n)).collect(),
			};
			let client = ctx.connect().await?;
			let signature = sign_usage(&daemon, &client.genesis().0, &record);
			let call = RuntimeCall::Escrow(EscrowCall::submit_usage { record, signature });
			send_and_print(
				ctx,
				&s,
				call,
				&format!("usage record {seq} of lease {id} submitted"),
				json!({ "lease": id, "seq": seq }),
			)
			.await?;
		},
		LeaseCommand::Access { id, key } => {
			let details = access_details(ctx, id, &key).await?;
			let mut text = format!("lease {id}: gateway {}, job {}", details.gateway, details.job);
			for e in &details.endpoints {
				text.push_str(&format!("\n  {e}"));
			}
			ctx.print(
				json!({
					"lease": id,
					"gateway": details.gateway,
					"job": details.job,
					"endpoints": details.endpoints,
				}),
				|| text,
			);
		},
		LeaseCommand::Status { id, gateway, key } => {
			let gateway = gateway_of(ctx, id, gateway, key.as_deref()).await?;
			let body = gateway_get(ctx, &gateway, &format!("/v1/leases/{id}")).await?;
			let status: serde_json::Value = serde_json::from_slice(&body)
				.map_err(|e| Error::Outcome(format!("the gateway's answer is not JSON: {e}")))?;
			let text = status_text(&status);
			ctx.print(status, || text);
		},
		LeaseCommand::Logs { id, gateway, key, pod, tail } => {
			let gateway = gateway_of(ctx, id, gateway, key.as_deref()).await?;
			let path = format!("/v1/leases/{id}/logs/{pod}?tail={tail}");
			let body = gateway_get(ctx, &gateway, &path).await?;
			let log = String::from_utf8_lossy(&body).into_owned();
			let text = log.trim_end().to_string();
			ctx.print(json!({ "lease": id, "pod": pod, "log": log }), || text);
		},
		LeaseCommand::Output { id, gateway, key, file, out } => {
			let gateway = gateway_of(ctx, id, gateway, key.as_deref()).await?;
			let body = gateway_get(ctx, &gateway, &format!("/v1/leases/{id}/files/{file}")).await?;
			crate::files::write(out.as_deref(), &body, false)?;
		},
		LeaseCommand::Show { id } => {
			let client = ctx.connect().await?;
			let lease = client.lease(id).await?;
			let escrow = client.escrow(id).await?;
			ctx.print(
				json!({
					"lease": lease.as_ref().map(|l| lease_json(id, l)),
					"escrow": escrow.as_ref().map(|e| escrow_json(id, e)),
				}),
				|| lease_text(id, lease.as_ref(), escrow.as_ref()),
			);
		},
	}
	Ok(())
}
