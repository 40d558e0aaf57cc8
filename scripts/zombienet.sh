#!/usr/bin/env bash
# Installs zombienet (npm `@zombienet/cli`, the version zombienet/package-lock.json pins) in
# ~/.cache/virtengine/zombienet, outside any clone, and links `zombienet` into $VIRTENGINE_BIN.
# Idempotent: when the installed packages came from the same package files, it only checks.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

say() { printf '[zombienet] %s\n' "$*"; }
die() { printf '[zombienet] error: %s\n' "$*" >&2; exit 1; }

command -v npm >/dev/null || die "npm is not installed (Debian: apt-get install nodejs npm)"
dir="$(dirname "$VIRTENGINE_BIN")/zombienet"
stamp="$(cat "$root/zombienet/package.json" "$root/zombienet/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -x $dir/node_modules/.bin/zombienet && -f $dir/.stamp && "$(cat "$dir/.stamp")" == "$stamp" ]]; then
	say "up to date: zombienet $("$dir/node_modules/.bin/zombienet" version 2>/dev/null | tail -1) in $dir"
else
	say "installing @zombienet/cli from the npm registry into $dir"
	mkdir -p "$dir"
	cp "$root/zombienet/package.json" "$root/zombienet/package-lock.json" "$dir/"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed (above)"
	printf '%s\n' "$stamp" >"$dir/.stamp"
fi
mkdir -p "$VIRTENGINE_BIN"
ln -sfn "$dir/node_modules/.bin/zombienet" "$VIRTENGINE_BIN/zombienet"
