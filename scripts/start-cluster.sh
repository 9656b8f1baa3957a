#!/usr/bin/env bash
# A cluster on one machine, for trying the multi-node path: a redis-server, N SFU node processes
# (sfu/main.ts, default 2, one worker each), M signaling processes in cluster mode with demo
# sign-in (default 1: the meeting state still lives in one signaling process until the shared
# meeting store lands), and HAProxy in front of them: the one entry URL, WebSocket, health checks
# on /readyz, X-Forwarded-For (which signaling trusts from 127.0.0.1). Prints the URL; Ctrl-C stops
# everything. On real machines, run sfu/main.ts on each media machine (HOINGHI_RTC_ANNOUNCED_IP =
# its public address), signaling with HOINGHI_SFU=cluster, and HAProxy with the configuration
# from deploy/haproxy.ts.
#
# Script settings (removed from the environment of the processes it starts):
#   HOINGHI_CLUSTER_NODES       SFU node processes (default 2)
#   HOINGHI_CLUSTER_SIGNALING   signaling processes behind HAProxy (default 3)
#   HOINGHI_CLUSTER_BIND        HAProxy's entry address (default 127.0.0.1:3000)
#   HOINGHI_CLUSTER_REDIS_PORT  redis-server port (default 6390)
# Signaling i listens on 127.0.0.1:(3100+i) with /metrics on 127.0.0.1:(9100+i); HAProxy's
# statistics page is http://127.0.0.1:8404/stats. SIGTERM to one signaling process drains it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
NODES="${HOINGHI_CLUSTER_NODES:-2}"
SIGNALING="${HOINGHI_CLUSTER_SIGNALING:-3}"
BIND="${HOINGHI_CLUSTER_BIND:-127.0.0.1:3000}"
REDIS_PORT="${HOINGHI_CLUSTER_REDIS_PORT:-6390}"
SECRET="${HOINGHI_SFU_SECRET:-$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)}"
# One token key for every signaling process: a token signed by one is accepted by the others.
JWT_SECRET="${HOINGHI_JWT_SECRET:-$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)}"
SCRIPT_VARS=(-u HOINGHI_CLUSTER_NODES -u HOINGHI_CLUSTER_SIGNALING -u HOINGHI_CLUSTER_BIND -u HOINGHI_CLUSTER_REDIS_PORT)
pids=()
signaling_pids=()
cleanup() {
  # Signaling stops at once on SIGINT (SIGTERM would drain it for up to HOINGHI_DRAIN_DEADLINE_MS).
  kill -INT "${signaling_pids[@]}" 2>/dev/null || true
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
pids+=($!)
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done

for i in $(seq 0 $((NODES - 1))); do
  env "${SCRIPT_VARS[@]}" \
    HOINGHI_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" HOINGHI_SFU_SECRET="$SECRET" \
    HOINGHI_SFU_NODE_ID="sfu-$i" HOINGHI_SFU_CONTROL_PORT=$((4400 + i)) HOINGHI_WORKERS="${HOINGHI_WORKERS:-1}" \
    HOINGHI_RTC_BASE_PORT=$((40000 + 100 * i)) HOINGHI_RTC_MIN_PORT=$((41000 + 1000 * i)) HOINGHI_RTC_MAX_PORT=$((41999 + 1000 * i)) \
    node --import tsx sfu/main.ts &
  pids+=($!)
done

backends=()
for i in $(seq 1 "$SIGNALING"); do
  env "${SCRIPT_VARS[@]}" -u HOINGHI_WORKERS \
    HOINGHI_SFU=cluster HOINGHI_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" HOINGHI_SFU_SECRET="$SECRET" \
    HOINGHI_HOST=127.0.0.1 HOINGHI_PORT=$((3100 + i)) HOINGHI_METRICS_PORT=$((9100 + i)) \
    HOINGHI_TRUSTED_PROXIES=127.0.0.1 HOINGHI_JWT_SECRET="$JWT_SECRET" \
    HOINGHI_DEMO_SIGNIN="${HOINGHI_DEMO_SIGNIN:-true}" \
    node --import tsx signaling/main.ts &
  signaling_pids+=($!)
  backends+=(--backend "127.0.0.1:$((3100 + i))")
done

mkdir -p .build
node --import tsx deploy/haproxy.ts --bind "$BIND" "${backends[@]}" --stats 127.0.0.1:8404 > .build/haproxy.cfg
haproxy -db -f .build/haproxy.cfg &
pids+=($!)
echo
echo "  hoinghi cluster: open http://$BIND (HAProxy → $SIGNALING signaling process(es), $NODES SFU node(s))"
echo
wait -n
