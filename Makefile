# VirtEngine: the two commands a newcomer needs.
#   make run   set up the machine if needed, build, start a dev chain (polkadot.js apps: ws://127.0.0.1:9944)
#   make test  set up the machine if needed, then run every test (pallets, runtime, node smoke test)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ENV := source scripts/env.sh
CARGO_FLAGS := --locked

RPC_PORT ?= 9944
DEV_BLOCK_TIME ?= 3000

.PHONY: run test setup build check doc fmt clippy zombienet-spec relay network network-test bench-envelope bench-veid bench-provider bench-chain fuzz metadata weights

setup:
	@bash scripts/setup.sh

# Builds through `cargo test --no-run` on purpose: the node binary then has exactly the feature set
# `make test` builds, so switching between `make run` and `make test` never recompiles.
build: setup
	@$(ENV) && cargo test $(CARGO_FLAGS) --workspace --no-run

run: build
	@$(ENV) && bash scripts/run-dev.sh "$$CARGO_TARGET_DIR/debug/virtengine-node" $(RPC_PORT) $(DEV_BLOCK_TIME)

test: setup
	@cargo fmt --all -- --check || { echo "formatting differs from rustfmt.toml: run 'make fmt'"; exit 1; }
	@$(ENV) && time cargo test $(CARGO_FLAGS) --workspace --no-fail-fast
	@# Every pallet benchmark, run once as a test against its pallet's mock runtime (the
	@# escrow's randomized test ran above already).
	@$(ENV) && cargo test $(CARGO_FLAGS) --lib -p pallet-encryption -p pallet-veid -p pallet-roles -p pallet-mfa -p pallet-provider -p pallet-escrow -p pallet-market \
		--features pallet-encryption/runtime-benchmarks,pallet-veid/runtime-benchmarks,pallet-roles/runtime-benchmarks,pallet-mfa/runtime-benchmarks,pallet-provider/runtime-benchmarks,pallet-escrow/runtime-benchmarks,pallet-market/runtime-benchmarks \
		-- --skip randomized_operations_keep_the_invariant

# The runtime fuzzer's long run (docs/fuzzing.md); `make test` runs a short one. FUZZ_SEED picks
# the seed, FUZZ_CALLS the number of transactions (replay a failure with the values it printed).
# Built as part of the workspace, so it reuses what `make test` built.
FUZZ_CALLS ?= 1000000
fuzz: setup
	@$(ENV) && FUZZ_CALLS=$(FUZZ_CALLS) FUZZ_KEEP_GOING=$${FUZZ_KEEP_GOING:-1} \
		cargo test $(CARGO_FLAGS) --workspace --test fuzz -- --nocapture

# The runtime metadata the client's static bindings are generated from
# (offchain/client/metadata/virtengine.scale); `make test` fails while it is stale.
metadata: setup
	@$(ENV) && SKIP_WASM_BUILD=1 VIRTENGINE_WRITE_METADATA=1 cargo test $(CARGO_FLAGS) --workspace \
		--test metadata -- --nocapture

check: setup
	@$(ENV) && SKIP_WASM_BUILD=1 cargo check $(CARGO_FLAGS) --workspace --all-targets

# The pallets' rustdoc (their READMEs, calls with origin, events and errors), with every intra-doc
# link checked: target/doc/pallet_<name>/index.html.
PALLETS_P := -p pallet-encryption -p pallet-veid -p pallet-roles -p pallet-mfa -p pallet-provider -p pallet-escrow -p pallet-market
doc: setup
	@$(ENV) && SKIP_WASM_BUILD=1 RUSTDOCFLAGS="-D rustdoc::broken_intra_doc_links -D rustdoc::private_intra_doc_links" \
		cargo doc $(CARGO_FLAGS) --no-deps --keep-going $(PALLETS_P)

fmt:
	@cargo fmt --all

clippy: setup
	@$(ENV) && SKIP_WASM_BUILD=1 cargo clippy $(CARGO_FLAGS) --workspace --all-targets

# The raw chain spec zombienet's network uses (zombienet/virtengine-local.json).
zombienet-spec: build
	@$(ENV) && "$$CARGO_TARGET_DIR/debug/virtengine-node" build-spec --chain local --raw \
		--disable-default-bootnode > zombienet/virtengine-local.json
	@echo "wrote zombienet/virtengine-local.json"

# The relay chain's programs (polkadot and its PVF workers, from zombienet/relay) and zombienet,
# built and installed once per machine in ~/.cache/virtengine/bin; later runs only check.
relay: setup
	@bash scripts/relay.sh
	@bash scripts/zombienet.sh

# A local network (zombienet/local.toml): relay chain with two validators, three collators.
# Runs in the foreground; Ctrl-C stops it. Collators' RPC addresses are in zombienet's output.
network: relay zombienet-spec
	@$(ENV) && PATH="$$VIRTENGINE_BIN:$$CARGO_TARGET_DIR/debug:$$PATH" \
		VIRTENGINE_SPEC="$(CURDIR)/zombienet/virtengine-local.json" \
		zombienet spawn --provider native zombienet/local.toml

# The network's checks (node/tests/network.rs): starts the network, checks it, stops it.
# Built as part of the workspace, so it reuses what `make test` built (CI runs both).
network-test: relay
	@$(ENV) && cargo test $(CARGO_FLAGS) --workspace --test network -- --ignored --nocapture

# Envelope seal/open throughput beside libsodium (PyNaCl), printed as ratios.
bench-envelope: setup
	@$(ENV) && cargo bench $(CARGO_FLAGS) -p virtengine-envelope --bench seal_open

# The identity pipeline under tract against onnxruntime (PyPI), same inputs, same run.
bench-veid: setup
	@$(ENV) && cargo bench $(CARGO_FLAGS) -p virtengine-scoring --bench pipeline

# The provider daemon on a dev node (1 s blocks) and the one-host SLURM (scripts/slurm-dev.sh,
# started if it is not running): bid latency, 1,000 open orders followed, provisioning against a
# direct sbatch of the same job, printed as a table (node/benches/provider.rs). Needs root.
# Built in the test profile with the workspace's features, as `make test` builds: it reuses that
# build (a release build of the node takes over an hour on a two-core machine), and the node's
# speed is not what it measures (the daemon's reaction against sbatch's, in the same run).
bench-provider: setup
	@$(ENV) && cargo test $(CARGO_FLAGS) --workspace --bench provider -- --bench

# Regenerates every VirtEngine pallet's weights (runtime/src/weights/) with a release node
# (scripts/weights.sh; `make weights PALLETS="pallet_mfa"` for some). The release build takes
# about an hour and a quarter on two cores the first time.
weights: setup
	@bash scripts/weights.sh $(PALLETS)

# Signed transfers per second included against the theoretical maximum (block weight limit /
# the transfer's weight), on a dev node and on the zombienet network (node/benches/chain.rs).
# BENCH_CHAIN_SECONDS (60) sets the load's length; BENCH_CHAIN_NETWORK=0 skips the network.
bench-chain: relay
	@$(ENV) && cargo test $(CARGO_FLAGS) --workspace --bench chain -- --bench
