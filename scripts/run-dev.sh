#!/usr/bin/env bash
# Starts the dev chain on a temporary base path and says how to connect to it.
# Usage: scripts/run-dev.sh <node binary> [rpc port] [block time ms]
set -euo pipefail
node="${1:?usage: run-dev.sh <node binary> [rpc port] [block time ms]}"
port="${2:-9944}"
block_time="${3:-3000}"
[[ -x $node ]] || { echo "error: $node is not an executable node binary; run 'make build'" >&2; exit 1; }
cat <<MSG

  VirtEngine dev chain: a block every ${block_time} ms, state in a temporary directory (gone on exit).
  RPC:  ws://127.0.0.1:${port}
  polkadot.js apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A${port}#/explorer
        (or Settings > Development > custom endpoint ws://127.0.0.1:${port})
  Dev accounts Alice..Ferdie hold 1,000,000 VE each; Alice is sudo.
  Stop with Ctrl-C.

MSG
exec "$node" --dev --tmp --rpc-port "$port" --dev-block-time "$block_time" --rpc-cors all
