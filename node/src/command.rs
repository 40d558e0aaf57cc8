//! Dispatches the command line to the sub-commands and to the node.

use std::net::TcpListener;

use cumulus_primitives_core::ParaId;
use log::info;
use sc_cli::{Result, SubstrateCli};
use sc_service::{config::DatabaseSource, Configuration, PartialComponents};

use crate::{
	chain_spec,
	cli::{Cli, RelayChainCli, Subcommand},
	service::{self, new_partial},
};

/// Fails with a clear message when an RPC port the node must listen on is taken, instead of the
/// RPC server silently moving to a random port where polkadot.js apps would not find it.
fn check_rpc_ports(config: &Configuration) -> Result<()> {
	for endpoint in config.rpc.addr.iter().flatten().filter(|e| !e.is_optional) {
		let addr = endpoint.listen_addr;
		if let Err(e) = TcpListener::bind(addr) {
			return Err(format!(
				"cannot listen for RPC on {addr}: {e}. Another node may be running; stop it, \
				 or pick another port with --rpc-port."
			)
			.into());
		}
	}
	Ok(())
}

/// ParityDB is VirtEngine's database unless `--database` says otherwise (the runtime's storage
/// weights assume it). sc-cli would default to RocksDB, which is compiled in only because the
/// relay-chain client needs it.
fn default_to_paritydb(params: &mut sc_cli::DatabaseParams) {
	params.database.get_or_insert(sc_cli::Database::ParityDb);
}

/// The same for commands that take no database flag (`export-genesis-head`): the database is put
/// where a node with the default database keeps it.
fn paritydb_config(mut config: Configuration) -> Configuration {
	if let DatabaseSource::RocksDb { path, .. } = &config.database {
		if let Some(chain_dir) = path.parent().and_then(|db| db.parent()) {
			config.database =
				DatabaseSource::ParityDb { path: chain_dir.join("paritydb").join("full") };
		}
	}
	config
}

fn para_id_of(config: &Configuration) -> Result<ParaId> {
	chain_spec::Extensions::try_get(&*config.chain_spec)
		.map(|e| ParaId::from(e.para_id))
		.ok_or_else(|| {
			"the chain spec has no parachain extensions: add \"relay_chain\" and \"para_id\"".into()
		})
}

/// Parses the command line and runs what it asks for.
pub fn run() -> Result<()> {
	let mut cli = Cli::from_args();
	default_to_paritydb(&mut cli.run.base.import_params.database_params);
	match &mut cli.subcommand {
		Some(Subcommand::CheckBlock(cmd)) => {
			default_to_paritydb(&mut cmd.import_params.database_params)
		},
		Some(Subcommand::ImportBlocks(cmd)) => {
			default_to_paritydb(&mut cmd.import_params.database_params)
		},
		Some(Subcommand::ExportBlocks(cmd)) => default_to_paritydb(&mut cmd.database_params),
		Some(Subcommand::ExportState(cmd)) => default_to_paritydb(&mut cmd.database_params),
		Some(Subcommand::Revert(cmd)) => default_to_paritydb(&mut cmd.database_params),
		Some(Subcommand::PurgeChain(cmd)) => default_to_paritydb(&mut cmd.base.database_params),
		_ => {},
	}

	match &cli.subcommand {
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		},
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		},
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } = new_partial(&config)?;
				Ok((cmd.run(client, backend, None), task_manager))
			})
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				let polkadot_cli = RelayChainCli::new(&config, cli.relay_chain_args.iter());
				let polkadot_config = SubstrateCli::create_configuration(
					&polkadot_cli,
					&polkadot_cli,
					config.tokio_handle.clone(),
				)
				.map_err(|err| format!("relay chain argument error: {err}"))?;
				cmd.run(config, polkadot_config)
			})
		},
		Some(Subcommand::ExportGenesisHead(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| {
				let partials = new_partial(&paritydb_config(config))?;
				cmd.run(partials.client)
			})
		},
		Some(Subcommand::ExportGenesisWasm(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|_config| {
				let spec = cli.load_spec(&cmd.shared_params.chain.clone().unwrap_or_default())?;
				cmd.run(&*spec)
			})
		},
		Some(Subcommand::Key(cmd)) => Ok(cmd.run(&cli)?),
		Some(Subcommand::Benchmark(cmd)) => match cmd {
			#[cfg(feature = "runtime-benchmarks")]
			frame_benchmarking_cli::BenchmarkCmd::Pallet(cmd) => {
				// This command runs without a runner: set up logging so failures say why.
				sc_cli::LoggerBuilder::new("").init()?;
				let chain =
					cmd.shared_params.chain.as_ref().map(|c| cli.load_spec(c)).transpose()?;
				// The benchmark runner brings Substrate's and the benchmarking host functions;
				// the runtime also imports proof-size recording and VEID scoring.
				cmd.run_with_spec::<sp_runtime::traits::BlakeTwo256, (
					cumulus_client_service::storage_proof_size::HostFunctions,
					virtengine_veid_host::HostFunctions,
				)>(chain)
			},
			frame_benchmarking_cli::BenchmarkCmd::Machine(cmd) => {
				let runner = cli.create_runner(cmd)?;
				runner.sync_run(|config| {
					cmd.run(&config, frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE.clone())
				})
			},
			_ => Err("this benchmark is not available in this build: pallet benchmarks need \
				`cargo build --release --features runtime-benchmarks -p virtengine-node`"
				.into()),
		},
		None => {
			let runner = cli.create_runner(&cli.run.normalize())?;
			let collator_options = cli.run.collator_options();

			// A manifest given on the command line must be usable, or the node does not start
			// (rather than run without scoring).
			if let Some(path) = &cli.veid_manifest {
				virtengine_scoring::models::Manifest::from_file(path)
					.map_err(|e| sc_cli::Error::Input(format!("--veid-manifest: {e}")))?;
			}
			let veid_manifest = cli.veid_manifest.clone();

			runner.run_node_until_exit(|config| async move {
				check_rpc_ports(&config)?;

				let para_id = para_id_of(&config)?;
				if let Some(block_time) = cli.dev_block_time() {
					info!("🧪 Dev chain: a block every {block_time} ms, no relay chain");
					return service::start_dev_node(config, para_id, block_time, veid_manifest)
						.map_err(Into::into);
				}

				let polkadot_cli = RelayChainCli::new(&config, cli.relay_chain_args.iter());
				let hwbench = (!cli.no_hardware_benchmarks)
					.then(|| {
						config.database.path().map(|database_path| {
							let _ = std::fs::create_dir_all(database_path);
							sc_sysinfo::gather_hwbench(
								Some(database_path),
								&frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE,
							)
						})
					})
					.flatten();
				let polkadot_config = SubstrateCli::create_configuration(
					&polkadot_cli,
					&polkadot_cli,
					config.tokio_handle.clone(),
				)
				.map_err(|err| format!("relay chain argument error: {err}"))?;

				info!("🪪 Parachain id: {para_id:?}");
				info!("✍️  Collating: {}", if config.role.is_authority() { "yes" } else { "no" });

				match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => {
						service::start_parachain_node::<sc_network::NetworkWorker<_, _>>(
							config,
							polkadot_config,
							collator_options,
							para_id,
							hwbench,
							veid_manifest,
						)
						.await
					},
					sc_network::config::NetworkBackendType::Litep2p => {
						service::start_parachain_node::<sc_network::Litep2pNetworkBackend>(
							config,
							polkadot_config,
							collator_options,
							para_id,
							hwbench,
							veid_manifest,
						)
						.await
					},
				}
				.map_err(Into::into)
			})
		},
	}
}
