#!/usr/bin/env bash
# The whole product in its multi-node shape, on one machine: a PostgreSQL server (organisation,
# scheduled meetings, attendance, questions and polls), a redis-server (the shared meeting store,
# the socket.io adapter, the SFU node directory), N SFU node processes (sfu/main.ts, one worker
# each), M signaling processes in cluster mode with demo sign-in, all on that database and that
# Redis, and HAProxy in front of signaling: the one entry URL, WebSocket, health checks on /readyz,
# X-Forwarded-For (which signaling trusts from 127.0.0.1). Waits until every part is ready (every
# signaling process up behind HAProxy and seeing every SFU node), then prints the URL; Ctrl-C (or
# SIGTERM) stops everything, PostgreSQL last and cleanly.
#
# The database: Debian's PostgreSQL (scripts/setup-system.sh installs it) in a data folder of its
# own, created on the first run (initdb, with a generated password kept beside it) and reused on
# the next, so scheduled meetings and attendance survive a restart of the script. It listens on
# 127.0.0.1 only, password authentication, no Unix socket. Run as root, the server runs as the
# `postgres` user (it refuses root), which must then be able to reach the folder. With
# HOINGHI_DATABASE_URL set, signaling uses that server instead and none is started. The first
# signaling process to start loads the demo organisation and the demo meeting (as scripts/start.sh
# does in its embedded database); the others find them there.
#
# A signaling process that exits once the cluster is up is started again (SIGTERM to one drains it:
# its clients move to the others, then it comes back, as in a rolling restart). Any other process
# that exits, or a process that fails before the cluster is up, stops the whole cluster.
#
# On real machines, run sfu/main.ts on each media machine (HOINGHI_RTC_ANNOUNCED_IP = its public
# address), signaling with HOINGHI_SFU=cluster, HOINGHI_REDIS_URL and HOINGHI_DATABASE_URL, and
# HAProxy with the configuration from deploy/haproxy.ts.
#
# Script settings (removed from the environment of the processes it starts):
#   HOINGHI_CLUSTER_NODES           SFU node processes (default 2)
#   HOINGHI_CLUSTER_SIGNALING       signaling processes behind HAProxy (default 3)
#   HOINGHI_CLUSTER_BIND            HAProxy's entry address (default 127.0.0.1:3000)
#   HOINGHI_CLUSTER_STATS_BIND      HAProxy's statistics page, /stats (default 127.0.0.1:8404)
#   HOINGHI_CLUSTER_REDIS_PORT      redis-server port (default 6390)
#   HOINGHI_CLUSTER_POSTGRES_PORT   PostgreSQL port on 127.0.0.1 (default 5490)
#   HOINGHI_CLUSTER_SIGNALING_PORT  signaling i (1…M) listens on 127.0.0.1:(this + i) (default 3100)
#   HOINGHI_CLUSTER_METRICS_PORT    …and serves /metrics on 127.0.0.1:(this + i) (default 9100)
#   HOINGHI_CLUSTER_SFU_PORT        SFU node i (0…N-1) takes control connections on (this + i) (default 4400)
#   HOINGHI_CLUSTER_RTC_PORT        SFU node i's WebRTC port is (this + 100 i) (one per worker from
#                                   there) and its other transports use (this + 1000 + 1000 i) to
#                                   (this + 1999 + 1000 i) (default 40000)
#   HOINGHI_CLUSTER_DATA            the database's folder (default ./data-cluster): postgres/ (the
#                                   server's data), postgres.password, postgres.log
#   HOINGHI_CLUSTER_SKIP_SETUP=1    do not run scripts/setup.sh first (for a test run of a tree that
#                                   scripts/test.sh has just set up)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${HOINGHI_CLUSTER_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh

NODES="${HOINGHI_CLUSTER_NODES:-2}"
SIGNALING="${HOINGHI_CLUSTER_SIGNALING:-3}"
BIND="${HOINGHI_CLUSTER_BIND:-127.0.0.1:3000}"
STATS_BIND="${HOINGHI_CLUSTER_STATS_BIND:-127.0.0.1:8404}"
REDIS_PORT="${HOINGHI_CLUSTER_REDIS_PORT:-6390}"
PG_PORT="${HOINGHI_CLUSTER_POSTGRES_PORT:-5490}"
SIGNALING_PORT="${HOINGHI_CLUSTER_SIGNALING_PORT:-3100}"
METRICS_PORT="${HOINGHI_CLUSTER_METRICS_PORT:-9100}"
SFU_PORT="${HOINGHI_CLUSTER_SFU_PORT:-4400}"
RTC_PORT="${HOINGHI_CLUSTER_RTC_PORT:-40000}"
DATA="${HOINGHI_CLUSTER_DATA:-$PWD/data-cluster}"
SECRET="${HOINGHI_SFU_SECRET:-$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)}"
# One token key for every signaling process: a token signed by one is accepted by the others.
JWT_SECRET="${HOINGHI_JWT_SECRET:-$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)}"
# One environment for the whole cluster: each program refuses a HOINGHI_* name it does not read
# (a typo stops it), so each is given only its own settings; a name that neither reads, nor this
# script or the worker build, stops the script here, before anything starts.
SFU_SETTINGS=$(node --import tsx sfu/main.ts --settings)
SIGNALING_SETTINGS=$(node --import tsx signaling/main.ts --settings)
NOT_SFU=()
NOT_SIGNALING=()
unknown=()
for v in $(compgen -e | grep '^HOINGHI_' || true); do
  reader=""
  grep -qx "$v" <<<"$SFU_SETTINGS" && reader=sfu || NOT_SFU+=(-u "$v")
  grep -qx "$v" <<<"$SIGNALING_SETTINGS" && reader=signaling || NOT_SIGNALING+=(-u "$v")
  case "$v" in HOINGHI_CLUSTER_* | HOINGHI_WORKER_* | HOINGHI_CACHE_DIR) reader=script ;; esac
  [ -n "$reader" ] || unknown+=("$v")
done
[ ${#unknown[@]} -eq 0 ] || { echo "start-cluster: unknown setting(s): ${unknown[*]} (docs/configuration.md lists them all)" >&2; exit 2; }

log() { echo "start-cluster: $*" >&2; }
fail() { log "$*"; exit 1; }

redis_pid=""
sfu_pids=()
haproxy_pid=""
signaling_pids=()     # by slot (1…M)
PG_DATA=""            # set once this script has started PostgreSQL
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
all_pids() { echo $redis_pid "${sfu_pids[@]}" $haproxy_pid "${signaling_pids[@]}"; }

# `stop SIGNAL PID…`: sends SIGNAL and waits for them to exit; what still runs after 30 s is killed.
stop() {
  local sig=$1 deadline=$((SECONDS + 30)) p alive
  shift
  [ $# -gt 0 ] || return 0
  kill "-$sig" "$@" 2>/dev/null || true
  for (( ; ; )); do
    alive=()
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [ ${#alive[@]} -gt 0 ] || break
    if [ $SECONDS -ge $deadline ]; then
      log "killing what did not stop: ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  wait "$@" 2>/dev/null || true
}

# In layers, each while what it needs still runs: signaling (SIGINT: at once; SIGTERM would drain
# it for up to HOINGHI_DRAIN_DEADLINE_MS) while Redis and the database answer its last writes, then
# HAProxy and the SFU nodes, then Redis, and PostgreSQL last (a fast shutdown: its clients are gone).
cleanup() {
  trap '' INT TERM
  stop INT "${signaling_pids[@]}"
  stop TERM $haproxy_pid "${sfu_pids[@]}"
  stop TERM $redis_pid
  if [ -n "$PG_DATA" ]; then
    # pg_ctl returns once the server has removed its pid file; the process itself ends a moment
    # later, and is waited for too, so that nothing of the cluster outlives the script.
    local pm
    pm=$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || log "PostgreSQL did not stop cleanly"
    local until=$((SECONDS + 60))
    while [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null && [ $SECONDS -lt $until ]; do sleep 0.1; done
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# `http_get HOST:PORT PATH`: the status line and body of a GET (bash's /dev/tcp: no dependency);
# fails when nothing listens.
http_get() {
  (
    exec 3<>"/dev/tcp/${1%:*}/${1##*:}"
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$2" "$1" >&3
    timeout 5 cat <&3
  ) 2>/dev/null
}

# `until_ready WHAT CHECK…`: runs CHECK until it succeeds; stops the cluster if a process it
# started has exited meanwhile, or after 5 minutes (tsx compiling on a busy machine is slow, not that slow).
until_ready() {
  local what=$1 deadline=$((SECONDS + 300))
  shift
  until "$@"; do
    for p in $(all_pids); do
      kill -0 "$p" 2>/dev/null || fail "a process exited while waiting for $what (see its messages above)"
    done
    [ $SECONDS -lt $deadline ] || fail "$what not ready after 5 minutes"
    sleep 0.2
  done
}

# --- PostgreSQL ----------------------------------------------------------------------------------
if [ -n "${HOINGHI_DATABASE_URL:-}" ]; then
  DATABASE_URL=$HOINGHI_DATABASE_URL
  log "using the PostgreSQL server of HOINGHI_DATABASE_URL"
else
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -x "$PG_BIN/postgres" ] || fail "PostgreSQL is not installed (Debian package postgresql; scripts/setup-system.sh installs it)"
  mkdir -p "$DATA"
  DATA=$(cd "$DATA" && pwd)
  pg_dir=$DATA/postgres
  pg_log=$DATA/postgres.log
  pw_file=$DATA/postgres.password
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$pg_dir"
    touch "$pg_log"
    chown postgres: "$pg_dir" "$pg_log"
    runuser -u postgres -- test -w "$pg_dir" \
      || fail "the postgres user cannot reach $DATA (a private home folder?): set HOINGHI_CLUSTER_DATA to a folder it can reach"
  fi
  if [ ! -f "$pg_dir/PG_VERSION" ]; then
    log "creating the database in $pg_dir"
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 32 > "$pw_file")
    # initdb reads the password from a file (never a command line) that the postgres user can
    # read: a private copy, removed at once.
    pw_tmp=$(mktemp)
    cat "$pw_file" > "$pw_tmp"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$pw_tmp"
    status=0
    as_postgres "$PG_BIN/initdb" -D "$pg_dir" -U postgres --pwfile="$pw_tmp" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
      > "$DATA/initdb.log" 2>&1 || status=$?
    rm -f "$pw_tmp"
    [ $status -eq 0 ] || fail "initdb failed (see $DATA/initdb.log)"
  fi
  [ -s "$pw_file" ] || fail "$pw_file is missing: the database in $pg_dir was made without it (move that folder away to start afresh)"
  PASSWORD=$(cat "$pw_file")
  if as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir" status >/dev/null 2>&1; then
    log "a PostgreSQL server of an earlier run still uses $pg_dir: stopping it"
    as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir" -m fast -w stop >/dev/null
  fi
  # pg_ctl puts the server in a session of its own (Ctrl-C does not reach it); cleanup stops it.
  as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir" -l "$pg_log" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=''" start >/dev/null \
    || fail "PostgreSQL did not start (see $pg_log)"
  PG_DATA=$pg_dir
  export PGPASSWORD=$PASSWORD
  psql_q() { psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA -c "$1"; }
  [ "$(psql_q "SELECT 1 FROM pg_database WHERE datname = 'hoinghi'")" = 1 ] || psql_q 'CREATE DATABASE hoinghi' >/dev/null
  unset PGPASSWORD
  DATABASE_URL="postgres://postgres:$PASSWORD@127.0.0.1:$PG_PORT/hoinghi"
fi

# --- Redis and the SFU nodes ---------------------------------------------------------------------
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
redis_pid=$!
until_ready redis redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1

for i in $(seq 0 $((NODES - 1))); do
  env "${NOT_SFU[@]}" \
    HOINGHI_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" HOINGHI_SFU_SECRET="$SECRET" \
    HOINGHI_SFU_NODE_ID="sfu-$i" HOINGHI_SFU_CONTROL_PORT=$((SFU_PORT + i)) HOINGHI_WORKERS="${HOINGHI_WORKERS:-1}" \
    HOINGHI_RTC_BASE_PORT=$((RTC_PORT + 100 * i)) HOINGHI_RTC_MIN_PORT=$((RTC_PORT + 1000 + 1000 * i)) HOINGHI_RTC_MAX_PORT=$((RTC_PORT + 1999 + 1000 * i)) \
    node --import tsx sfu/main.ts &
  sfu_pids+=($!)
done

# --- Signaling -----------------------------------------------------------------------------------
start_signaling() {
  local i=$1
  env "${NOT_SIGNALING[@]}" -u HOINGHI_WORKERS \
    HOINGHI_SFU=cluster HOINGHI_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" HOINGHI_SFU_SECRET="$SECRET" \
    HOINGHI_DATABASE_URL="$DATABASE_URL" \
    HOINGHI_HOST=127.0.0.1 HOINGHI_PORT=$((SIGNALING_PORT + i)) HOINGHI_METRICS_PORT=$((METRICS_PORT + i)) \
    HOINGHI_TRUSTED_PROXIES=127.0.0.1 HOINGHI_JWT_SECRET="$JWT_SECRET" \
    HOINGHI_DEMO_SIGNIN="${HOINGHI_DEMO_SIGNIN:-true}" \
    node --import tsx signaling/main.ts &
  signaling_pids[i]=$!
}
# Ready: answers /readyz and sees every SFU node.
signaling_ready() { http_get "127.0.0.1:$((SIGNALING_PORT + $1))" /readyz | grep -q "\"nodes\":$NODES[,}]"; }

backends=()
for i in $(seq 1 "$SIGNALING"); do
  start_signaling "$i"
  backends+=(--backend "127.0.0.1:$((SIGNALING_PORT + i))")
done
for i in $(seq 1 "$SIGNALING"); do until_ready "signaling $i" signaling_ready "$i"; done

# --- HAProxy -------------------------------------------------------------------------------------
mkdir -p .build
node --import tsx deploy/haproxy.ts --bind "$BIND" "${backends[@]}" --stats "$STATS_BIND" > .build/haproxy.cfg
haproxy -db -f .build/haproxy.cfg &
haproxy_pid=$!
# Ready: HAProxy's statistics list every signaling process UP.
haproxy_ready() { [ "$(http_get "$STATS_BIND" '/stats;csv' | grep -c '^signaling,signaling-[0-9]*,.*,UP,')" -eq "$SIGNALING" ]; }
until_ready HAProxy haproxy_ready

echo
echo "  hoinghi cluster: open http://$BIND (HAProxy → $SIGNALING signaling process(es), $NODES SFU node(s), PostgreSQL, Redis)"
echo

# Supervise: a signaling process that exits is started again; anything else ends the cluster.
for (( ; ; )); do
  status=0
  wait -n -p exited || status=$?
  for i in "${!signaling_pids[@]}"; do
    if [ "${signaling_pids[i]}" = "${exited:-}" ]; then
      log "signaling $i exited ($status): starting it again"
      sleep 1
      start_signaling "$i"
      continue 2
    fi
  done
  log "a process exited ($status): stopping the cluster"
  exit 1
done
