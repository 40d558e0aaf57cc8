#!/usr/bin/env bash
# A private single-host SLURM 22.05 test cluster for the provider daemon's tests (docs/slurm-dev.md).
#
# Usage: scripts/slurm-dev.sh start | stop [--purge] | status | env | token [user]
#
# Everything lives in one state directory, ${VIRTENGINE_SLURM_DIR:-/tmp/virtengine-slurm}: configs,
# keys, sockets, logs, pid files, a private MariaDB datadir and the job work directory. All daemons
# listen on 127.0.0.1 only, on non-default ports, and never use the system-wide munge, MariaDB or
# SLURM services or their files (/etc/slurm, /etc/munge, /run/munge, /var/lib/mysql are not touched).
#   munged      private key and socket ($dir/munge)
#   mariadbd    private datadir and socket ($dir/mysql), TCP 127.0.0.1:$VIRTENGINE_SLURM_MYSQL_PORT
#   slurmdbd    127.0.0.1:$VIRTENGINE_SLURM_DBD_PORT, accounting in MariaDB
#   slurmctld   127.0.0.1:$VIRTENGINE_SLURM_CTLD_PORT, cluster virtengine-dev, partition debug
#   slurmd      127.0.0.1:$VIRTENGINE_SLURM_SLURMD_PORT, one node (this host)
#   slurmrestd  http://127.0.0.1:$VIRTENGINE_SLURM_REST_PORT, JWT auth, as user virtengine-slurmrestd
# Jobs submitted over REST with a token for virtengine-job run as that user in $dir/work.
#
# start   idempotent: starts what is not running, waits until each daemon answers.
# stop    stops only the daemons whose pid files are in the state dir (after cancelling the
#         cluster's jobs); --purge then removes the state dir.
# status  which daemons run (exit 0 when all do, 3 otherwise).
# env     shell exports for tests: eval "$(scripts/slurm-dev.sh env)".
# token   a fresh JWT for a user (default virtengine-job), lifespan $VIRTENGINE_SLURM_TOKEN_LIFESPAN s.
#
# Settings (environment, read by a start with nothing running; recorded in $dir/settings.env and
# reused by the other commands and by a start that finds some daemons running):
#   VIRTENGINE_SLURM_DIR         /tmp/virtengine-slurm
#   VIRTENGINE_SLURM_CTLD_PORT   16817    VIRTENGINE_SLURM_SLURMD_PORT 16818
#   VIRTENGINE_SLURM_DBD_PORT    16819    VIRTENGINE_SLURM_REST_PORT   16820
#   VIRTENGINE_SLURM_MYSQL_PORT  16821
#   VIRTENGINE_SLURM_TIMEOUT     90 (seconds to wait for each daemon)
#   VIRTENGINE_SLURM_MIN_JOB_AGE 30 (seconds slurmctld keeps a finished job; then only slurmdbd has it)
#   VIRTENGINE_SLURM_TOKEN_LIFESPAN 3600
set -euo pipefail
# Trap: a SLURM_JWT variable switches every slurm CLI tool (and daemon) to JWT auth. Only slurmrestd
# gets one (SLURM_JWT=daemon), explicitly.
unset SLURM_JWT

prog=slurm-dev
say() { printf '[%s] %s\n' "$prog" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$prog" "$*" >&2; exit 1; }

dir="${VIRTENGINE_SLURM_DIR:-/tmp/virtengine-slurm}"
dir="${dir%/}"
[[ $dir == /* && $dir != / ]] || die "VIRTENGINE_SLURM_DIR must be an absolute path other than / (got '$dir')"
marker="$dir/.virtengine-slurm-dev"
settings="$dir/settings.env"

# Settings: the recorded ones win for a cluster that already has a state dir (so `env`, `token`,
# `stop` agree with what `start` configured); otherwise the environment, otherwise the defaults.
# `start` with nothing running takes the environment (load_settings fresh).
load_settings() {
	if [[ ${1:-} != fresh && -f $settings ]]; then
		# shellcheck source=/dev/null
		source "$settings"
	fi
	ctld_port="${ctld_port:-${VIRTENGINE_SLURM_CTLD_PORT:-16817}}"
	slurmd_port="${slurmd_port:-${VIRTENGINE_SLURM_SLURMD_PORT:-16818}}"
	dbd_port="${dbd_port:-${VIRTENGINE_SLURM_DBD_PORT:-16819}}"
	rest_port="${rest_port:-${VIRTENGINE_SLURM_REST_PORT:-16820}}"
	mysql_port="${mysql_port:-${VIRTENGINE_SLURM_MYSQL_PORT:-16821}}"
	min_job_age="${min_job_age:-${VIRTENGINE_SLURM_MIN_JOB_AGE:-30}}"
}
timeout_s="${VIRTENGINE_SLURM_TIMEOUT:-90}"
lifespan="${VIRTENGINE_SLURM_TOKEN_LIFESPAN:-3600}"

cluster=virtengine-dev
account=virtengine
partition=debug
rest_user=virtengine-slurmrestd
job_user=virtengine-job
db_name=virtengine_slurm_acct
db_user=virtengine_slurm
rest_api=v0.0.38
node="$(hostname -s)"

etc="$dir/etc"
conf="$etc/slurm.conf"
logs="$dir/log"
run="$dir/run"
munge_dir="$dir/munge"
munge_sock="$munge_dir/munge.socket.2"
mysql_dir="$dir/mysql"
mysql_sock="$mysql_dir/mysqld.sock"
work="$dir/work"
export SLURM_CONF="$conf"

# name|pid file|process name (/proc/PID/stat)|log file, in start order; stop goes backwards.
daemons=(
	"munged|$run/munged.pid|munged|$logs/munged.log"
	"mariadbd|$run/mariadbd.pid|mariadbd|$logs/mariadbd.log"
	"slurmdbd|$run/slurmdbd.pid|slurmdbd|$logs/slurmdbd.log"
	"slurmctld|$run/slurmctld.pid|slurmctld|$logs/slurmctld.log"
	"slurmd|$run/slurmd.pid|slurmd|$logs/slurmd.log"
	"slurmrestd|$run/slurmrestd.pid|slurmrestd|$logs/slurmrestd.log"
)
field() { # field <name> <1=pid file|2=comm|3=log>
	local d
	for d in "${daemons[@]}"; do
		IFS='|' read -r n p c l <<<"$d"
		[[ $n == "$1" ]] || continue
		case $2 in 1) echo "$p" ;; 2) echo "$c" ;; 3) echo "$l" ;; esac
		return
	done
}
# is_proc <pid> <comm>: the process exists, is not a zombie, and runs that program.
is_proc() {
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
	[[ $stat == "$1 ($2"* ]] || return 1
	stat="${stat##*) }"
	[[ ${stat:0:1} != Z ]]
}
# The pid recorded for a daemon if that process is alive and is that program, else nothing.
live_pid() {
	local pidf pid
	pidf="$(field "$1" 1)"
	[[ -s $pidf ]] || return 1
	pid="$(tr -dc 0-9 <"$pidf")"
	[[ -n $pid ]] && is_proc "$pid" "$(field "$1" 2)" || return 1
	echo "$pid"
}
running() { live_pid "$1" >/dev/null; }

# wait_for <what> <log file> <command...>: retry the command each second until it succeeds.
wait_for() {
	local what="$1" log="$2" t=0
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ((++t > timeout_s)); then
			say "timed out after ${timeout_s}s waiting for $what; last lines of $log:"
			tail -n 25 "$log" >&2 2>/dev/null || true
			die "$what is not ready: see $log"
		fi
		sleep 1
	done
}

port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
need_port() { # need_port <port> <daemon>
	port_free "$1" || die "port 127.0.0.1:$1 for $2 is already in use by another program ($(ss -Hltnp "sport = :$1" | head -1)); choose another with VIRTENGINE_SLURM_*_PORT"
}

require_tools() {
	local t missing=()
	for t in munged munge unmunge mariadbd mariadb-install-db mariadb slurmdbd slurmctld slurmd slurmrestd \
		sacctmgr scontrol sinfo squeue scancel curl setpriv ss flock; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	((${#missing[@]} == 0)) || die "missing programs: ${missing[*]}; run scripts/setup.sh (as root) to install the Debian packages"
	[[ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/auth_jwt.so || -n "$(find /usr/lib -name auth_jwt.so -print -quit 2>/dev/null)" ]] \
		|| die "the SLURM JWT plugin is missing; run scripts/setup.sh (package slurm-wlm-jwt-plugin)"
}

ensure_user() { # ensure_user <name> <home> <shell>
	if ! id -u "$1" >/dev/null 2>&1; then
		say "creating system user $1"
		useradd --system --user-group --no-create-home --home-dir "$2" --shell "$3" "$1"
	else
		# A home left in a purged state dir moves here; one in another live state dir stays.
		local home
		home="$(getent passwd "$1" | cut -d: -f6)"
		if [[ $home != "$2" && ! -d $home ]]; then usermod --home "$2" "$1"; fi
	fi
}

# --- configuration ----------------------------------------------------------------------------
# The state dir: ours (marker file), or new, or empty; a real directory owned by root.
claim_dir() {
	[[ ! -L $dir ]] || die "$dir is a symbolic link; refusing to use it"
	if [[ -e $dir && ! -f $marker ]]; then
		[[ -d $dir && -z "$(ls -A "$dir")" ]] \
			|| die "$dir exists and is not a slurm-dev state directory (no $marker); choose another VIRTENGINE_SLURM_DIR"
	fi
	mkdir -p "$dir"
	[[ "$(stat -c %u "$dir")" == 0 ]] || die "$dir is not owned by root"
	chmod 0755 "$dir"
	touch "$marker"
}
prepare_dir() {
	install -d -m 0755 "$etc" "$logs" "$run" "$dir/spool"
	install -d -m 0700 "$dir/spool/slurmctld"
	install -d -m 0755 "$dir/spool/slurmd"
	# munged checks that its directories are not writable by others.
	install -d -m 0700 "$munge_dir"
	chmod 0755 "$munge_dir" # clients (job user, slurmstepd) must reach the socket
	install -d -m 0750 -o mysql -g mysql "$mysql_dir"
	install -d -m 0755 -o "$job_user" -g "$job_user" "$work"
	# Keys and secrets: made once, kept across restarts.
	if [[ ! -s $munge_dir/munge.key ]]; then
		dd if=/dev/urandom of="$munge_dir/munge.key" bs=1024 count=1 status=none
	fi
	chmod 0600 "$munge_dir/munge.key"
	if [[ ! -s $etc/jwt_hs256.key ]]; then
		dd if=/dev/urandom of="$etc/jwt_hs256.key" bs=32 count=1 status=none
	fi
	chmod 0600 "$etc/jwt_hs256.key"
	if [[ ! -s $etc/db.pass ]]; then
		(umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$etc/db.pass")
	fi
	cat >"$settings" <<EOF
# written by scripts/slurm-dev.sh start
ctld_port=$ctld_port
slurmd_port=$slurmd_port
dbd_port=$dbd_port
rest_port=$rest_port
mysql_port=$mysql_port
min_job_age=$min_job_age
EOF
}

write_configs() {
	local cpus mem_mb margin topo
	cpus="$(nproc)"
	mem_mb=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
	margin=$((mem_mb / 20 > 512 ? mem_mb / 20 : 512))
	: >"$etc/plugstack.conf"
	cat >"$conf.new" <<EOF
# Written by scripts/slurm-dev.sh; regenerated at every start.
ClusterName=$cluster
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_sock
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$etc/jwt_hs256.key
StateSaveLocation=$dir/spool/slurmctld
SlurmdSpoolDir=$dir/spool/slurmd
SlurmctldPidFile=$run/slurmctld.pid
SlurmdPidFile=$run/slurmd.pid
SlurmctldLogFile=$logs/slurmctld.log
SlurmdLogFile=$logs/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$etc/plugstack.conf
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
ReturnToService=2
MinJobAge=$min_job_age
MailProg=/bin/true
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
GresTypes=gpu
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=5
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$dbd_port
AccountingStoragePass=socket=$munge_sock
AccountingStorageEnforce=associations
AccountingStorageTRES=gres/gpu
JobCompType=jobcomp/none
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$cpus RealMemory=$((mem_mb - margin)) State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
	mv "$conf.new" "$conf"
	chmod 0644 "$conf"
	# slurmdbd has no -f: it reads slurmdbd.conf next to $SLURM_CONF; 0600, owned by SlurmUser.
	(umask 077 && cat >"$etc/slurmdbd.conf.new" <<EOF
# Written by scripts/slurm-dev.sh; regenerated at every start.
DbdHost=$node
DbdAddr=127.0.0.1
DbdPort=$dbd_port
CommunicationParameters=NoInAddrAny
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$munge_sock
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$etc/jwt_hs256.key
PidFile=$run/slurmdbd.pid
LogFile=$logs/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$mysql_port
StorageUser=$db_user
StoragePass=$(cat "$etc/db.pass")
StorageLoc=$db_name
EOF
	)
	mv "$etc/slurmdbd.conf.new" "$etc/slurmdbd.conf"
	chmod 0600 "$etc/slurmdbd.conf"
}

# --- daemons ----------------------------------------------------------------------------------
start_munged() {
	if running munged; then say "munged already running (pid $(live_pid munged))"; return; fi
	say "starting munged (socket $munge_sock)"
	rm -f "$munge_sock" "$munge_sock.lock"
	munged --socket="$munge_sock" --key-file="$munge_dir/munge.key" --pid-file="$run/munged.pid" \
		--log-file="$logs/munged.log" --seed-file="$munge_dir/munged.seed" 9>&- \
		|| die "munged failed to start: see $logs/munged.log"
	wait_for munged "$logs/munged.log" sh -c "munge -n -S '$munge_sock' | unmunge -S '$munge_sock'"
}

mysql_root() { mariadb --no-defaults --socket="$mysql_sock" --user=root "$@"; }

start_mariadb() {
	if running mariadbd; then say "mariadbd already running (pid $(live_pid mariadbd))"; return; fi
	need_port "$mysql_port" mariadbd
	if [[ ! -d $mysql_dir/data/mysql ]]; then
		say "initialising the MariaDB datadir $mysql_dir/data"
		rm -rf "$mysql_dir/data"
		mariadb-install-db --no-defaults --user=mysql --datadir="$mysql_dir/data" \
			--auth-root-authentication-method=socket --skip-test-db >"$logs/mariadb-install-db.log" 2>&1 \
			|| die "mariadb-install-db failed: see $logs/mariadb-install-db.log"
	fi
	say "starting mariadbd (socket $mysql_sock, 127.0.0.1:$mysql_port)"
	touch "$logs/mariadbd.log" "$run/mariadbd.pid"
	chown mysql:mysql "$logs/mariadbd.log" "$run/mariadbd.pid"
	setsid mariadbd --no-defaults --user=mysql --datadir="$mysql_dir/data" --socket="$mysql_sock" \
		--port="$mysql_port" --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$run/mariadbd.pid" \
		--log-error="$logs/mariadbd.log" --innodb-buffer-pool-size=128M --innodb-log-file-size=64M \
		--innodb-lock-wait-timeout=900 --max-connections=100 </dev/null >>"$logs/mariadbd.log" 2>&1 9>&- &
	wait_for mariadbd "$logs/mariadbd.log" mysql_root -e 'SELECT 1'
	wait_for "mariadbd's pid file" "$logs/mariadbd.log" running mariadbd
	local pass
	pass="$(cat "$etc/db.pass")"
	mysql_root <<EOF || die "creating the slurmdbd database user failed"
CREATE USER IF NOT EXISTS '$db_user'@'127.0.0.1' IDENTIFIED BY '$pass';
ALTER USER '$db_user'@'127.0.0.1' IDENTIFIED BY '$pass';
GRANT ALL ON \`$db_name\`.* TO '$db_user'@'127.0.0.1';
EOF
}

start_slurmdbd() {
	if running slurmdbd; then say "slurmdbd already running (pid $(live_pid slurmdbd))"; return; fi
	need_port "$dbd_port" slurmdbd
	say "starting slurmdbd (127.0.0.1:$dbd_port)"
	slurmdbd 9>&- || die "slurmdbd failed to start: see $logs/slurmdbd.log"
	wait_for slurmdbd "$logs/slurmdbd.log" sacctmgr -n show cluster
}

ensure_accounting() {
	if ! sacctmgr -n -P show cluster format=cluster | grep -qx "$cluster"; then
		say "adding cluster $cluster to the accounting database"
		sacctmgr -i add cluster "$cluster" >/dev/null || die "sacctmgr add cluster $cluster failed"
	fi
	if ! sacctmgr -n -P show account "$account" format=account | grep -qx "$account"; then
		say "adding account $account"
		sacctmgr -i add account "$account" cluster="$cluster" description="VirtEngine provider tests" \
			organization=virtengine >/dev/null || die "sacctmgr add account $account failed"
	fi
	local u
	for u in root "$job_user" "$rest_user"; do
		ensure_association "$u"
	done
}
ensure_association() {
	if ! sacctmgr -n -P show assoc cluster="$cluster" account="$account" user="$1" format=user | grep -qx "$1"; then
		say "adding user $1 to account $account"
		sacctmgr -i add user "$1" account="$account" cluster="$cluster" >/dev/null \
			|| die "sacctmgr add user $1 failed"
	fi
}

start_slurmctld() {
	if running slurmctld; then say "slurmctld already running (pid $(live_pid slurmctld))"; return; fi
	need_port "$ctld_port" slurmctld
	say "starting slurmctld (127.0.0.1:$ctld_port)"
	slurmctld 9>&- || die "slurmctld failed to start: see $logs/slurmctld.log"
	wait_for slurmctld "$logs/slurmctld.log" sh -c 'scontrol ping | grep -q "is UP"'
}

node_ready() {
	local s
	s="$(sinfo -h -n "$node" -o %T 2>/dev/null)"
	[[ $s == idle || $s == mixed || $s == allocated || $s == completing ]]
}
start_slurmd() {
	if running slurmd; then
		say "slurmd already running (pid $(live_pid slurmd))"
	else
		need_port "$slurmd_port" slurmd
		say "starting slurmd (node $node, 127.0.0.1:$slurmd_port)"
		slurmd -N "$node" 9>&- || die "slurmd failed to start: see $logs/slurmd.log"
	fi
	local t=0
	until node_ready; do
		if ((++t > timeout_s)); then
			scontrol show node "$node" | grep -E 'State=|Reason=' >&2 || true
			tail -n 25 "$logs/slurmd.log" >&2 || true
			die "node $node is not idle: see $logs/slurmd.log and $logs/slurmctld.log"
		fi
		sleep 1
	done
}

rest_ping() {
	local token code
	token="$(make_token "$rest_user" 60)" || return 1
	code="$(curl -s -o /dev/null -w '%{http_code}' -H "X-SLURM-USER-NAME: $rest_user" \
		-H "X-SLURM-USER-TOKEN: $token" "http://127.0.0.1:$rest_port/slurm/$rest_api/ping")"
	[[ $code == 200 ]]
}
start_slurmrestd() {
	if running slurmrestd; then say "slurmrestd already running (pid $(live_pid slurmrestd))"; return; fi
	need_port "$rest_port" slurmrestd
	local plugins=openapi/v0.0.38,openapi/dbv0.0.38,openapi/v0.0.37,openapi/dbv0.0.37,openapi/v0.0.36,openapi/dbv0.0.36
	say "starting slurmrestd (http://127.0.0.1:$rest_port, as $rest_user)"
	# slurmrestd refuses to run as root; it needs SLURM_JWT=daemon to accept rest_auth/jwt tokens.
	setsid setpriv --reuid="$rest_user" --regid="$rest_user" --init-groups \
		env SLURM_JWT=daemon SLURM_CONF="$conf" \
		slurmrestd -a rest_auth/jwt -s "$plugins" "127.0.0.1:$rest_port" \
		</dev/null >>"$logs/slurmrestd.log" 2>&1 9>&- &
	echo $! >"$run/slurmrestd.pid"
	wait_for slurmrestd "$logs/slurmrestd.log" rest_ping
}

make_token() { # make_token <user> <lifespan>
	local out
	out="$(scontrol token username="$1" lifespan="$2")" || return 1
	out="${out#SLURM_JWT=}"
	[[ -n $out ]] || return 1
	echo "$out"
}

# --- commands ---------------------------------------------------------------------------------
# One start/stop at a time (tests may start the cluster concurrently). Trap: a daemon started
# while fd 9 is open inherits the lock and holds it forever, so every daemon is started with 9>&-.
lock() {
	exec 9>"$dir/.lock"
	flock -w "$timeout_s" 9 || die "another slurm-dev.sh start/stop holds $dir/.lock (waited ${timeout_s}s)"
}
any_running() {
	local d
	for d in "${daemons[@]}"; do
		running "${d%%|*}" && return 0
	done
	return 1
}
all_running() {
	local d n
	for d in "${daemons[@]}"; do
		n="${d%%|*}"
		running "$n" || return 1
	done
}

cmd_start() {
	[[ $(id -u) -eq 0 ]] || die "start must run as root (slurmd runs jobs as other users)"
	require_tools
	load_settings
	claim_dir
	lock
	if [[ -f $marker ]] && all_running; then
		say "already running (state in $dir); nothing to do"
		return 0
	fi
	if ! any_running; then
		unset ctld_port slurmd_port dbd_port rest_port mysql_port min_job_age
		load_settings fresh
	fi
	local t0=$SECONDS
	# Fail before starting anything when a port we need is taken.
	running mariadbd || need_port "$mysql_port" mariadbd
	running slurmdbd || need_port "$dbd_port" slurmdbd
	running slurmctld || need_port "$ctld_port" slurmctld
	running slurmd || need_port "$slurmd_port" slurmd
	running slurmrestd || need_port "$rest_port" slurmrestd
	ensure_user "$rest_user" /nonexistent /usr/sbin/nologin
	ensure_user "$job_user" "$work" /bin/bash
	prepare_dir
	write_configs
	start_munged
	start_mariadb
	start_slurmdbd
	ensure_accounting
	start_slurmctld
	start_slurmd
	start_slurmrestd
	say "ready in $((SECONDS - t0))s: cluster $cluster, REST http://127.0.0.1:$rest_port, state in $dir"
	say "use it with: eval \"\$($0 env)\""
}

stop_daemon() { # stop_daemon <name>
	local pid t=0 pidf
	pidf="$(field "$1" 1)"
	if ! pid="$(live_pid "$1")"; then
		rm -f "$pidf"
		return
	fi
	say "stopping $1 (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	while is_proc "$pid" "$(field "$1" 2)"; do
		if ((++t == 60)); then
			say "$1 (pid $pid) did not exit after 30s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		elif ((t > 80)); then
			die "$1 (pid $pid) survives SIGKILL; see $(field "$1" 3)"
		fi
		sleep 0.5
	done
	rm -f "$pidf"
}

cmd_stop() {
	local purge=0
	[[ ${1:-} == --purge ]] && purge=1
	[[ $# -le 1 && (${1:-} == "" || $purge -eq 1) ]] || die "usage: $0 stop [--purge]"
	[[ $(id -u) -eq 0 ]] || die "stop must run as root"
	if [[ ! -f $marker ]]; then
		if [[ -e $dir ]]; then die "$dir is not a slurm-dev state directory; not touching it"; fi
		say "nothing to stop ($dir does not exist)"
		return 0
	fi
	load_settings
	lock
	# Jobs' slurmstepd processes outlive slurmd: cancel this cluster's jobs first.
	if running slurmctld && running slurmd; then
		local jobs t=0
		jobs="$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')"
		if [[ -n ${jobs// /} ]]; then
			say "cancelling jobs still in the queue: $jobs"
			# shellcheck disable=SC2086
			scancel $jobs 2>/dev/null || true
			while [[ -n "$(squeue -h -t R,CG,S -o %A 2>/dev/null)" ]] && ((++t < 30)); do sleep 1; done
		fi
	fi
	local i n
	for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
		n="${daemons[i]%%|*}"
		stop_daemon "$n"
	done
	if ((purge)); then
		say "removing $dir"
		rm -rf -- "$dir"
	else
		say "stopped; state kept in $dir (stop --purge removes it)"
	fi
}

cmd_status() {
	load_settings
	local d n pid rc=0
	for d in "${daemons[@]}"; do
		n="${d%%|*}"
		if pid="$(live_pid "$n")"; then
			printf '%-11s running (pid %s)\n' "$n" "$pid"
		else
			printf '%-11s stopped\n' "$n"
			rc=3
		fi
	done
	if running slurmctld; then sinfo 2>/dev/null || true; fi
	return $rc
}

cmd_env() {
	load_settings
	cat <<EOF
export VIRTENGINE_SLURM_DIR='$dir'
export SLURM_CONF='$conf'
export VIRTENGINE_SLURM_REST_URL='http://127.0.0.1:$rest_port'
export VIRTENGINE_SLURM_REST_API='$rest_api'
export VIRTENGINE_SLURM_REST_USER='$rest_user'
export VIRTENGINE_SLURM_JOB_USER='$job_user'
export VIRTENGINE_SLURM_WORK_DIR='$work'
export VIRTENGINE_SLURM_LOG_DIR='$logs'
export VIRTENGINE_SLURM_MUNGE_SOCKET='$munge_sock'
export VIRTENGINE_SLURM_CLUSTER='$cluster'
export VIRTENGINE_SLURM_ACCOUNT='$account'
export VIRTENGINE_SLURM_PARTITION='$partition'
export VIRTENGINE_SLURM_NODE='$node'
export VIRTENGINE_SLURM_CTLD_PORT='$ctld_port'
export VIRTENGINE_SLURM_SLURMD_PORT='$slurmd_port'
export VIRTENGINE_SLURM_DBD_PORT='$dbd_port'
export VIRTENGINE_SLURM_REST_PORT='$rest_port'
export VIRTENGINE_SLURM_MYSQL_PORT='$mysql_port'
# A SLURM_JWT variable would switch sbatch/sacct/sacctmgr to JWT auth; they use munge here.
unset SLURM_JWT
EOF
}

cmd_token() {
	local user="${1:-$job_user}"
	[[ $(id -u) -eq 0 ]] || die "token must run as root (SlurmUser) to issue tokens for other users"
	load_settings
	running slurmctld || die "slurmctld is not running; run $0 start"
	id -u "$user" >/dev/null 2>&1 || die "no such user: $user"
	# With AccountingStorageEnforce=associations a user needs an association to run jobs.
	if running slurmdbd; then ensure_association "$user"; fi
	make_token "$user" "$lifespan" || die "scontrol token username=$user failed: see $logs/slurmctld.log"
}

case "${1:-}" in
start) shift; [[ $# -eq 0 ]] || die "usage: $0 start"; cmd_start ;;
stop) shift; cmd_stop "$@" ;;
status) cmd_status ;;
env) cmd_env ;;
token) shift; [[ $# -le 1 ]] || die "usage: $0 token [user]"; cmd_token "$@" ;;
*) die "usage: $0 start | stop [--purge] | status | env | token [user]" ;;
esac
