//! Assembling the node: the client and its parts (`new_partial`), the import queue, consensus,
//! and the two ways to run — a cumulus collator (`start_parachain_node`) or a standalone dev chain
//! sealed on a timer with mocked relay-chain data (`start_dev_node`).

use std::{
	ops::ControlFlow,
	path::{Path, PathBuf},
	sync::Arc,
	time::{Duration, Instant},
};

use codec::Encode;
use cumulus_client_cli::CollatorOptions;
use cumulus_client_collator::service::CollatorService;
use cumulus_client_consensus_aura::collators::lookahead::{self as aura, Params as AuraParams};
use cumulus_client_consensus_common::ParachainBlockImport as TParachainBlockImport;
use cumulus_client_parachain_inherent::MockValidationDataInherentDataProvider;
use cumulus_client_service::{
	build_network, build_relay_chain_interface, prepare_node_config, start_relay_chain_tasks,
	BuildNetworkParams, DARecoveryProfile, StartRelayChainTasksParams,
};
use cumulus_primitives_core::{relay_chain::ValidationCode, CollectCollationInfo, ParaId};
use cumulus_relay_chain_interface::{OverseerHandle, RelayChainInterface};
use futures::{channel::oneshot, FutureExt, SinkExt};
use polkadot_primitives::{CollatorPair, HeadData, UpgradeGoAhead};
use prometheus_endpoint::Registry;
use sc_client_api::Backend;
use sc_consensus::{DefaultImportQueue, LongestChain};
use sc_consensus_manual_seal::{consensus::aura::AuraConsensusDataProvider, EngineCommand};
use sc_executor::{HeapAllocStrategy, WasmExecutor, DEFAULT_HEAP_ALLOC_STRATEGY};
use sc_network::{config::FullNetworkConfiguration, NetworkBackend, NetworkBlock, PeerId};
use sc_service::{
	Configuration, ImportQueue, PartialComponents, TFullBackend, TFullClient, TaskManager,
};
use sc_telemetry::{Telemetry, TelemetryHandle, TelemetryWorker, TelemetryWorkerHandle};
use sc_transaction_pool::TransactionPoolHandle;
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_api::ProvideRuntimeApi;
use sp_keystore::KeystorePtr;
use virtengine_primitives::{time::RELAY_CHAIN_SLOT_DURATION_MILLIS, Hash, OpaqueBlock as Block};
use virtengine_runtime::RuntimeApi;

use crate::host::{self, HostFunctions};

/// The wasm executor, with VirtEngine's host functions.
pub type ParachainExecutor = WasmExecutor<HostFunctions>;
/// The client.
pub type ParachainClient = TFullClient<Block, RuntimeApi, ParachainExecutor>;
/// The database backend.
pub type ParachainBackend = TFullBackend<Block>;
/// Block import that follows the relay chain's notion of the best parachain block.
pub type ParachainBlockImport =
	TParachainBlockImport<Block, Arc<ParachainClient>, ParachainBackend>;
/// The transaction pool.
pub type ParachainTxPool = TransactionPoolHandle<Block, ParachainClient>;

/// The parts of the node every command needs (chain operations and the full node).
pub type Service = PartialComponents<
	ParachainClient,
	ParachainBackend,
	(),
	DefaultImportQueue<Block>,
	ParachainTxPool,
	(ParachainBlockImport, Option<Telemetry>, Option<TelemetryWorkerHandle>),
>;

/// Builds the client, backend, keystore, transaction pool and import queue.
pub fn new_partial(config: &Configuration) -> Result<Service, sc_service::Error> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let heap_pages = config
		.executor
		.default_heap_pages
		.map_or(DEFAULT_HEAP_ALLOC_STRATEGY, |h| HeapAllocStrategy::Static { extra_pages: h as _ });

	let executor = ParachainExecutor::builder()
		.with_execution_method(config.executor.wasm_method)
		.with_onchain_heap_alloc_strategy(heap_pages)
		.with_offchain_heap_alloc_strategy(heap_pages)
		.with_max_runtime_instances(config.executor.max_runtime_instances)
		.with_runtime_cache_size(config.executor.runtime_cache_size)
		.build();

	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts_record_import::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			true,
			Vec::new(),
		)?;
	let client = Arc::new(client);

	let telemetry_worker_handle = telemetry.as_ref().map(|(worker, _)| worker.handle());
	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let block_import = ParachainBlockImport::new(client.clone(), backend.clone());

	let import_queue = build_import_queue(
		client.clone(),
		block_import.clone(),
		config,
		telemetry.as_ref().map(|telemetry| telemetry.handle()),
		&task_manager,
	);

	Ok(PartialComponents {
		backend,
		client,
		import_queue,
		keystore_container,
		task_manager,
		transaction_pool,
		select_chain: (),
		other: (block_import, telemetry, telemetry_worker_handle),
	})
}

/// The import queue: verifies aura seals and reports equivocations.
fn build_import_queue(
	client: Arc<ParachainClient>,
	block_import: ParachainBlockImport,
	config: &Configuration,
	telemetry: Option<TelemetryHandle>,
	task_manager: &TaskManager,
) -> DefaultImportQueue<Block> {
	cumulus_client_consensus_aura::equivocation_import_queue::fully_verifying_import_queue::<
		sp_consensus_aura::sr25519::AuthorityPair,
		_,
		_,
		_,
		_,
	>(
		client,
		block_import,
		move |_, _| async move { Ok(sp_timestamp::InherentDataProvider::from_system_time()) },
		&task_manager.spawn_essential_handle(),
		config.prometheus_registry(),
		telemetry,
	)
}

/// The VEID scorer of a validator node: committee keys beside its keystore, models from the
/// model directory. `None` (the node then does not score) for non-validators, or if the keys
/// cannot be stored, which is logged.
fn veid_scorer(
	config: &Configuration,
	manifest: Option<&Path>,
) -> Option<Arc<dyn virtengine_veid_host::VeidScorer>> {
	if !config.role.is_authority() {
		return None;
	}
	let key_dir = match &config.keystore {
		sc_service::config::KeystoreConfig::Path { path, .. } => Some(path.join("veid-committee")),
		sc_service::config::KeystoreConfig::InMemory => None,
	};
	match crate::veid::Scorer::new(key_dir, virtengine_scoring::models::default_dir(), manifest) {
		Ok(scorer) => Some(Arc::new(scorer)),
		Err(e) => {
			log::error!("VEID scoring is off on this node: {e}");
			None
		},
	}
}

/// Runs the offchain workers on every imported best block, with VirtEngine's extensions.
fn spawn_offchain_workers(
	config: &Configuration,
	client: Arc<ParachainClient>,
	backend: Arc<ParachainBackend>,
	keystore: KeystorePtr,
	transaction_pool: Arc<ParachainTxPool>,
	network: Arc<dyn sc_network::service::traits::NetworkService>,
	task_manager: &TaskManager,
	veid_manifest: Option<&Path>,
) -> Result<(), sc_service::Error> {
	if !config.offchain_worker.enabled {
		return Ok(());
	}
	let offchain_workers = sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
		runtime_api_provider: client.clone(),
		keystore: Some(keystore),
		offchain_db: backend.offchain_storage(),
		transaction_pool: Some(OffchainTransactionPoolFactory::new(transaction_pool)),
		network_provider: Arc::new(network),
		is_validator: config.role.is_authority(),
		enable_http_requests: false,
		custom_extensions: host::offchain_extensions(veid_scorer(config, veid_manifest)),
	})?;
	task_manager.spawn_handle().spawn(
		"offchain-workers-runner",
		"offchain-work",
		offchain_workers.run(client, task_manager.spawn_handle()).boxed(),
	);
	Ok(())
}

fn rpc_builder(
	client: Arc<ParachainClient>,
	transaction_pool: Arc<ParachainTxPool>,
) -> Box<
	dyn Fn(sc_rpc::SubscriptionTaskExecutor) -> Result<crate::rpc::RpcExtension, sc_service::Error>,
> {
	Box::new(move |_| {
		crate::rpc::create_full(client.clone(), transaction_pool.clone())
			.map_err(|e| sc_service::Error::Application(e))
	})
}

/// Starts the aura lookahead collator (async backing).
#[allow(clippy::too_many_arguments)]
fn start_consensus(
	client: Arc<ParachainClient>,
	backend: Arc<ParachainBackend>,
	block_import: ParachainBlockImport,
	prometheus_registry: Option<&Registry>,
	telemetry: Option<TelemetryHandle>,
	task_manager: &TaskManager,
	relay_chain_interface: Arc<dyn RelayChainInterface>,
	transaction_pool: Arc<ParachainTxPool>,
	keystore: KeystorePtr,
	relay_chain_slot_duration: Duration,
	para_id: ParaId,
	collator_key: CollatorPair,
	collator_peer_id: PeerId,
	overseer_handle: OverseerHandle,
	announce_block: Arc<dyn Fn(Hash, Option<Vec<u8>>) + Send + Sync>,
) {
	let proposer = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool,
		prometheus_registry,
		telemetry,
	);
	let collator_service = CollatorService::new(client.clone(), announce_block, client.clone());
	let params = AuraParams {
		create_inherent_data_providers: move |_, ()| async move { Ok(()) },
		block_import,
		para_client: client.clone(),
		para_backend: backend,
		relay_client: relay_chain_interface,
		code_hash_provider: move |block_hash| {
			client.code_at(block_hash).ok().map(|c| ValidationCode::from(c).hash())
		},
		keystore,
		collator_key,
		collator_peer_id,
		para_id,
		overseer_handle,
		relay_chain_slot_duration,
		proposer,
		collator_service,
		// Leave the relay chain time to back the block within its six-second slot.
		authoring_duration: Duration::from_millis(2_000),
		reinitialize: false,
		max_pov_percentage: None,
	};
	let fut = aura::run::<Block, sp_consensus_aura::sr25519::AuthorityPair, _, _, _, _, _, _, _, _>(
		params,
	);
	task_manager.spawn_essential_handle().spawn("aura", None, fut);
}

/// Starts a parachain node: a full node, or a collator with `--collator`.
pub async fn start_parachain_node<Net: NetworkBackend<Block, Hash>>(
	parachain_config: Configuration,
	polkadot_config: Configuration,
	collator_options: CollatorOptions,
	para_id: ParaId,
	hwbench: Option<sc_sysinfo::HwBench>,
	veid_manifest: Option<PathBuf>,
) -> sc_service::error::Result<TaskManager> {
	let parachain_config = prepare_node_config(parachain_config);

	let params = new_partial(&parachain_config)?;
	let (block_import, mut telemetry, telemetry_worker_handle) = params.other;
	let client = params.client.clone();
	let backend = params.backend.clone();
	let mut task_manager = params.task_manager;

	let (relay_chain_interface, collator_key, relay_chain_network, _paranode_rx) =
		build_relay_chain_interface(
			polkadot_config,
			&parachain_config,
			telemetry_worker_handle,
			&mut task_manager,
			collator_options.clone(),
			hwbench.clone(),
		)
		.await
		.map_err(|e| sc_service::Error::Application(Box::new(e) as Box<_>))?;

	let validator = parachain_config.role.is_authority();
	let prometheus_registry = parachain_config.prometheus_registry().cloned();
	let transaction_pool = params.transaction_pool.clone();
	let import_queue_service = params.import_queue.service();
	let net_config = FullNetworkConfiguration::<_, _, Net>::new(
		&parachain_config.network,
		prometheus_registry.clone(),
	);
	let metrics = Net::register_notification_metrics(
		parachain_config.prometheus_config.as_ref().map(|config| &config.registry),
	);

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		build_network(BuildNetworkParams {
			parachain_config: &parachain_config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			para_id,
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			relay_chain_interface: relay_chain_interface.clone(),
			import_queue: params.import_queue,
			metrics,
			gap_sync_body_policy: None,
		})
		.await?;

	spawn_offchain_workers(
		&parachain_config,
		client.clone(),
		backend.clone(),
		params.keystore_container.keystore(),
		transaction_pool.clone(),
		network.clone(),
		&task_manager,
		veid_manifest.as_deref(),
	)?;

	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		rpc_builder: rpc_builder(client.clone(), transaction_pool.clone()),
		client: client.clone(),
		transaction_pool: transaction_pool.clone(),
		task_manager: &mut task_manager,
		config: parachain_config,
		keystore: params.keystore_container.keystore(),
		backend: backend.clone(),
		network: network.clone(),
		sync_service: sync_service.clone(),
		system_rpc_tx,
		tx_handler_controller,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	if let Some(hwbench) = hwbench {
		sc_sysinfo::print_hwbench(&hwbench);
		if let Some(ref mut telemetry) = telemetry {
			task_manager.spawn_handle().spawn(
				"telemetry_hwbench",
				None,
				sc_sysinfo::initialize_hwbench_telemetry(telemetry.handle(), hwbench),
			);
		}
	}

	let announce_block = {
		let sync_service = sync_service.clone();
		Arc::new(move |hash, data| sync_service.announce_block(hash, data))
	};
	let relay_chain_slot_duration = Duration::from_millis(RELAY_CHAIN_SLOT_DURATION_MILLIS.into());
	let overseer_handle = relay_chain_interface
		.overseer_handle()
		.map_err(|e| sc_service::Error::Application(Box::new(e)))?;

	start_relay_chain_tasks(StartRelayChainTasksParams {
		client: client.clone(),
		announce_block: announce_block.clone(),
		para_id,
		relay_chain_interface: relay_chain_interface.clone(),
		task_manager: &mut task_manager,
		da_recovery_profile: if validator {
			DARecoveryProfile::Collator
		} else {
			DARecoveryProfile::FullNode
		},
		import_queue: import_queue_service,
		relay_chain_slot_duration,
		recovery_handle: Box::new(overseer_handle.clone()),
		sync_service: sync_service.clone(),
		prometheus_registry: prometheus_registry.as_ref(),
	})?;

	if validator {
		let collator_key = collator_key.ok_or_else(|| {
			sc_service::Error::Other("a collator needs a collator key from the relay chain".into())
		})?;
		start_consensus(
			client.clone(),
			backend,
			block_import,
			prometheus_registry.as_ref(),
			telemetry.as_ref().map(|t| t.handle()),
			&task_manager,
			relay_chain_interface,
			transaction_pool,
			params.keystore_container.keystore(),
			relay_chain_slot_duration,
			para_id,
			collator_key,
			relay_chain_network.local_peer_id(),
			overseer_handle,
			announce_block,
		);
	}

	Ok(task_manager)
}

/// Starts the standalone dev chain: no relay chain, no peers; a block is sealed every
/// `block_time_ms` with mocked relay-chain validation data, the way polkadot-omni-node's dev mode
/// runs parachain runtimes, and finalized half a block time later.
pub fn start_dev_node(
	mut config: Configuration,
	para_id: ParaId,
	block_time_ms: u64,
	veid_manifest: Option<PathBuf>,
) -> sc_service::error::Result<TaskManager> {
	let PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain: _,
		transaction_pool,
		other: (_, mut telemetry, _),
	} = new_partial(&config)?;

	// A dev chain talks to nobody.
	config.network.default_peers_set.in_peers = 0;
	config.network.default_peers_set.out_peers = 0;
	let net_config = FullNetworkConfiguration::<_, _, sc_network::Litep2pNetworkBackend>::new(
		&config.network,
		None,
	);
	let metrics = sc_network::NotificationMetrics::new(None);

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			net_config,
			block_announce_validator_builder: None,
			warp_sync_config: None,
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	spawn_offchain_workers(
		&config,
		client.clone(),
		backend.clone(),
		keystore_container.keystore(),
		transaction_pool.clone(),
		network.clone(),
		&task_manager,
		veid_manifest.as_deref(),
	)?;

	let proposer = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		client.clone(),
		transaction_pool.clone(),
		None,
		None,
	);
	let slot_duration = sc_consensus_aura::slot_duration(&*client)?;
	// Pre-runtime digests whose slots match the mocked timestamps, as aura expects.
	let aura_digest_provider =
		AuraConsensusDataProvider::<Block>::new_with_slot_duration(slot_duration);

	// The timer waits for each command's outcome, so one slot is enough.
	let (engine, engine_commands) = futures::channel::mpsc::channel(1);
	task_manager.spawn_essential_handle().spawn(
		"dev-block-timer",
		None,
		seal_and_finalize_on_timer(engine, Duration::from_millis(block_time_ms)),
	);

	let params = sc_consensus_manual_seal::ManualSealParams {
		block_import: client.clone(),
		env: proposer,
		client: client.clone(),
		pool: transaction_pool.clone(),
		select_chain: LongestChain::new(backend.clone()),
		commands_stream: Box::pin(engine_commands),
		consensus_data_provider: Some(Box::new(aura_digest_provider)),
		create_inherent_data_providers: dev_inherent_data_providers(
			client.clone(),
			para_id,
			slot_duration,
		),
	};
	task_manager.spawn_essential_handle().spawn_blocking(
		"manual-seal",
		None,
		sc_consensus_manual_seal::run_manual_seal(params),
	);

	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network,
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder: rpc_builder(client, transaction_pool),
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service,
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;

	Ok(task_manager)
}

/// Seals a dev block every `block_time` and finalizes it half a block time later, before the
/// next one.
///
/// A block sealed with `finalize: true` is imported already final: the client sends its finality
/// notification together with the import notification, and the transaction pool reports
/// `InBlock` and `Finalized` for the block's transactions in the same maintenance pass,
/// milliseconds apart. Clients that look up the block's events before they report `InBlock`
/// (polkadot.js `signAndSend` does, and abandons that lookup when the next status arrives) then
/// never report `InBlock`. Finalizing in a separate step leaves them the time (docs/dev-node.md).
async fn seal_and_finalize_on_timer(mut engine: EngineCommands, block_time: Duration) {
	let mut next_block = Instant::now() + block_time;
	loop {
		futures_timer::Delay::new(next_block.saturating_duration_since(Instant::now())).await;
		if seal_then_finalize(&mut engine, block_time / 2).await.is_break() {
			// The sealing task is gone: the node is shutting down.
			break;
		}
		// One block time after the previous block, or at once if sealing ran longer than that.
		next_block = (next_block + block_time).max(Instant::now());
	}
}

/// The sending half of manual seal's command stream.
type EngineCommands = futures::channel::mpsc::Sender<EngineCommand<Hash>>;

/// Seals one block, waits `finality_delay`, then finalizes it. Breaks when manual seal has
/// stopped; a block that fails to seal or finalize is logged and the timer carries on.
async fn seal_then_finalize(
	engine: &mut EngineCommands,
	finality_delay: Duration,
) -> ControlFlow<()> {
	let (sender, sealed) = oneshot::channel();
	let seal = EngineCommand::SealNewBlock {
		create_empty: true,
		finalize: false,
		parent_hash: None,
		sender: Some(sender),
	};
	if engine.send(seal).await.is_err() {
		return ControlFlow::Break(());
	}
	let hash = match sealed.await {
		Ok(Ok(block)) => block.hash,
		Ok(Err(e)) => {
			log::warn!("dev chain: could not seal a block: {e}");
			return ControlFlow::Continue(());
		},
		Err(oneshot::Canceled) => return ControlFlow::Break(()),
	};

	futures_timer::Delay::new(finality_delay).await;
	let (sender, finalized) = oneshot::channel();
	let finalize = EngineCommand::FinalizeBlock { hash, sender: Some(sender), justification: None };
	if engine.send(finalize).await.is_err() {
		return ControlFlow::Break(());
	}
	match finalized.await {
		Ok(Ok(())) => ControlFlow::Continue(()),
		Ok(Err(e)) => {
			log::warn!("dev chain: could not finalize block {hash}: {e}");
			ControlFlow::Continue(())
		},
		Err(oneshot::Canceled) => ControlFlow::Break(()),
	}
}

type DevInherentDataProviders =
	(sp_timestamp::InherentDataProvider, MockValidationDataInherentDataProvider<()>);

/// Inherent data for dev blocks: a timestamp and relay-chain validation data, both advancing one
/// relay slot per parachain slot, so the runtime's slot and velocity checks hold whatever the
/// wall-clock block time is.
fn dev_inherent_data_providers(
	client: Arc<ParachainClient>,
	para_id: ParaId,
	slot_duration: sp_consensus_aura::SlotDuration,
) -> impl Fn(
	Hash,
	(),
) -> futures::future::Ready<
	Result<DevInherentDataProviders, Box<dyn std::error::Error + Send + Sync>>,
> + Send
       + Sync {
	let relay_slot_ms = u64::from(RELAY_CHAIN_SLOT_DURATION_MILLIS);
	// Start two hours in the past so the mocked timestamps do not run into the future.
	let now_ms = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_millis() as u64)
		.unwrap_or_default();
	let initial_relay_slot = now_ms.saturating_sub(2 * 60 * 60 * 1000) / relay_slot_ms;
	let relay_blocks_per_para_block = (slot_duration.as_millis() / relay_slot_ms).max(1) as u32;

	move |parent: Hash, ()| {
		let result = (|| {
			let parent_header = client
				.header(parent)?
				.ok_or_else(|| format!("parent block {parent} is not in the database"))?;
			// A runtime upgrade waits for the relay chain's go-ahead; a dev chain gives it at once.
			let upgrade_pending = client
				.runtime_api()
				.collect_collation_info(parent, &parent_header)
				.map(|info| info.new_validation_code.is_some())
				.unwrap_or_default();
			let block_number = parent_header.number + 1;
			let target_relay_slot = initial_relay_slot
				+ u64::from(block_number) * u64::from(relay_blocks_per_para_block);
			let relay_offset = (target_relay_slot as u32)
				.saturating_sub(relay_blocks_per_para_block * block_number);
			let mocked = MockValidationDataInherentDataProvider::<()> {
				current_para_block: block_number,
				para_id,
				current_para_block_head: Some(HeadData(parent_header.encode())),
				relay_blocks_per_para_block,
				relay_offset,
				para_blocks_per_relay_epoch: 10,
				upgrade_go_ahead: upgrade_pending.then_some(UpgradeGoAhead::GoAhead),
				..Default::default()
			};
			let timestamp =
				sp_timestamp::InherentDataProvider::new((target_relay_slot * relay_slot_ms).into());
			Ok((timestamp, mocked))
		})();
		futures::future::ready(result)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::{executor::block_on, StreamExt};
	use sc_consensus_manual_seal::{CreatedBlock, Error as SealError};

	const BLOCK_TIME: Duration = Duration::from_millis(100);

	/// The receiving half of manual seal's command stream.
	type Commands = futures::channel::mpsc::Receiver<EngineCommand<Hash>>;

	/// Runs the dev block timer on its own thread against a hand-driven manual-seal engine.
	fn with_timer(engine: impl FnOnce(&mut Commands)) {
		let (sender, mut commands) = futures::channel::mpsc::channel(1);
		let timer = std::thread::spawn(move || {
			block_on(seal_and_finalize_on_timer(sender, BLOCK_TIME));
		});
		engine(&mut commands);
		// With manual seal gone the timer stops, as it does when the node shuts down.
		drop(commands);
		timer.join().expect("the timer stops without panicking");
	}

	fn next(commands: &mut Commands) -> EngineCommand<Hash> {
		block_on(commands.next()).expect("the timer sends commands while the engine runs")
	}

	#[test]
	fn each_dev_block_is_imported_unfinalized_then_finalized_before_the_next() {
		with_timer(|commands| {
			for n in 0..3 {
				let EngineCommand::SealNewBlock { finalize, sender, .. } = next(commands) else {
					panic!("block {n}: the timer must seal before it finalizes");
				};
				assert!(!finalize, "a block sealed final gets InBlock and Finalized at once");
				let hash = Hash::repeat_byte(n);
				let sealed_at = Instant::now();
				let block = CreatedBlock { hash, aux: Default::default(), proof_size: 0 };
				sender.expect("the timer waits for the block").send(Ok(block)).unwrap();

				let EngineCommand::FinalizeBlock { hash: finalized, sender, justification } =
					next(commands)
				else {
					panic!("block {n} must be finalized before the next block is sealed");
				};
				assert_eq!(finalized, hash);
				assert_eq!(justification, None);
				assert!(sealed_at.elapsed() >= BLOCK_TIME / 2, "finality comes half a block later");
				sender.expect("the timer waits for finality").send(Ok(())).unwrap();
			}
		});
	}

	#[test]
	fn a_block_that_fails_to_seal_is_not_finalized_and_the_timer_carries_on() {
		with_timer(|commands| {
			let EngineCommand::SealNewBlock { sender, .. } = next(commands) else {
				panic!("the timer starts by sealing");
			};
			sender.unwrap().send(Err(SealError::EmptyTransactionPool)).unwrap();
			assert!(
				matches!(next(commands), EngineCommand::SealNewBlock { .. }),
				"after a failed seal the next command is the next block's seal"
			);
		});
	}
}
