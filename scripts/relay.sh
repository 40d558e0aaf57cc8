#!/usr/bin/env bash
# Builds the relay chain's programs (`polkadot`, `polkadot-prepare-worker`,
# `polkadot-execute-worker`) from zombienet/relay and installs them side by side in
# $VIRTENGINE_BIN (~/.cache/virtengine/bin), outside any clone: a fresh clone on this machine finds
# them there. Idempotent: when the installed programs were built from the same sources (a stamp of
# zombienet/relay's Cargo.toml, Cargo.lock and sources), it only checks, in a second.
#
# The first build on a machine is long (docs/build.md, "The relay chain", has the figures); cargo's
# own progress is shown as it goes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

say() { printf '[relay] %s\n' "$*"; }
die() { printf '[relay] error: %s\n' "$*" >&2; exit 1; }

crate="$root/zombienet/relay"
bin="$VIRTENGINE_BIN"
programs=(polkadot polkadot-prepare-worker polkadot-execute-worker)

stamp="$(cd "$crate" && find Cargo.toml Cargo.lock src -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
installed=1
for p in "${programs[@]}"; do [[ -x $bin/$p ]] || installed=0; done
if ((installed)) && [[ -f $bin/.relay-stamp && "$(cat "$bin/.relay-stamp")" == "$stamp" ]]; then
	say "up to date: $("$bin/polkadot" --version) in $bin"
	exit 0
fi

say "building the relay chain node and its workers (zombienet/relay); the first build takes long"
started=$SECONDS
# The rococo runtime's wasm is built against this crate's own lock file, not the project's.
WASM_BUILD_WORKSPACE_HINT="$crate" cargo build --locked --manifest-path "$crate/Cargo.toml" --bins \
	|| die "the build failed (above); nothing was installed"
mkdir -p "$bin"
for p in "${programs[@]}"; do
	# Copy, then rename: a network that runs the old programs keeps running them.
	cp "$CARGO_TARGET_DIR/debug/$p" "$bin/.$p.new"
	mv -f "$bin/.$p.new" "$bin/$p"
done
printf '%s\n' "$stamp" >"$bin/.relay-stamp"
say "installed $("$bin/polkadot" --version) in $bin ($((SECONDS - started)) s)"
