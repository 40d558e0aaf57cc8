# Build environment for VirtEngine; sourced by scripts/setup.sh, the Makefile and CI.
# Every value can be overridden from the caller's environment.

_ve_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# One persistent cargo target directory outside the clone: a fresh clone (CI) builds incrementally
# on top of what an earlier build on this machine left.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/virtengine/target}"
# The runtime's wasm is built by the Debian 1.96 compiler through this linked rustup toolchain.
export WASM_BUILD_TOOLCHAIN="${WASM_BUILD_TOOLCHAIN:-virtengine-wasm}"
# Trap (b): with the target dir outside the workspace, wasm-builder must be told where the
# workspace (and its Cargo.lock) is, or it silently resolves newer dependency versions.
export WASM_BUILD_WORKSPACE_HINT="${WASM_BUILD_WORKSPACE_HINT:-$_ve_root}"
# Trap (a): Rust >= 1.96 no longer lets wasm-ld accept undeclared imports by default, and the
# pinned polkadot-sdk does not declare the `env` import module for its host functions.
export WASM_BUILD_RUSTFLAGS="${WASM_BUILD_RUSTFLAGS:--C link-arg=--allow-undefined}"
# The host toolchain is rustup's; make sure its cargo comes before Debian's /usr/bin/cargo.
case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) export PATH="$HOME/.cargo/bin:$PATH" ;; esac
unset _ve_root
# The Python that has the test packages (scripts/requirements-test.txt), installed by setup.sh.
export VIRTENGINE_VENV="${VIRTENGINE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/virtengine/venv}"
export VIRTENGINE_PYTHON="${VIRTENGINE_PYTHON:-$VIRTENGINE_VENV/bin/python}"
# The identity pipeline's models and test photographs (scripts/fetch-models.py fills it).
export VIRTENGINE_MODEL_DIR="${VIRTENGINE_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/virtengine/models}"
# Programs built once per machine outside any clone: the relay chain node and its workers
# (scripts/relay.sh) and zombienet (scripts/zombienet.sh).
export VIRTENGINE_BIN="${VIRTENGINE_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/virtengine/bin}"
