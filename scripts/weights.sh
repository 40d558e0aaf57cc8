#!/usr/bin/env bash
# Regenerates the weights of VirtEngine's pallets (runtime/src/weights/) with a release node built
# with `runtime-benchmarks` (`make weights`; docs/benchmarking.md).
#
#   scripts/weights.sh                     every pallet
#   scripts/weights.sh pallet_mfa ...      these pallets only
#   WEIGHTS_STEPS=2 WEIGHTS_REPEAT=1 ...   a quick trial (figures not for committing)
#
# The release build is the long part (about an hour and a quarter on two cores the first time,
# cargo's progress shown); the benchmarks then take minutes. A weight file is replaced only when
# its pallet's run succeeded, so an interrupted run leaves every file whole.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

say() { printf '[weights] %s\n' "$*"; }
die() { printf '[weights] error: %s\n' "$*" >&2; exit 1; }

all=(pallet_encryption pallet_roles pallet_mfa pallet_provider pallet_escrow pallet_market pallet_veid)
if (($#)); then
	pallets=("$@")
	for p in "${pallets[@]}"; do
		[[ " ${all[*]} " == *" $p "* ]] || die "unknown pallet '$p' (one of: ${all[*]})"
	done
else
	pallets=("${all[@]}")
fi
steps="${WEIGHTS_STEPS:-50}"
repeat="${WEIGHTS_REPEAT:-20}"
[[ $steps =~ ^[0-9]+$ && $repeat =~ ^[0-9]+$ ]] || die "WEIGHTS_STEPS and WEIGHTS_REPEAT are numbers"

cd "$root"
say "building the release node with runtime-benchmarks"
cargo build --locked --release -p virtengine-node --features runtime-benchmarks
node="$CARGO_TARGET_DIR/release/virtengine-node"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
n=0
for p in "${pallets[@]}"; do
	n=$((n + 1))
	start=$SECONDS
	say "[$n/${#pallets[@]}] $p: --steps $steps --repeat $repeat"
	"$node" benchmark pallet --chain dev --pallet "$p" --extrinsic '*' \
		--steps "$steps" --repeat "$repeat" --output "$out/$p.rs" >"$out/$p.log" 2>&1 ||
		{ tail -n 30 "$out/$p.log" >&2; die "$p failed (its weights are unchanged)"; }
	# The command line is recorded in the file; the machine's temporary directory is not its place.
	sed -e "s|$out/$p.rs|runtime/src/weights/$p.rs|" "$out/$p.rs" >"runtime/src/weights/$p.rs"
	say "[$n/${#pallets[@]}] $p: written in $((SECONDS - start)) s"
done
say "done: git diff --stat runtime/src/weights/ shows what changed"
