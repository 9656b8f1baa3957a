#!/usr/bin/env bash
# A cluster on one machine, for trying the multi-node path: a redis-server, N SFU node processes
# (sfu/main.ts, default 2, one worker each) and one signaling node in cluster mode with demo
# sign-in. Prints the URL; Ctrl-C stops everything. On real machines, run sfu/main.ts on each
# media machine (HOINGHI_RTC_ANNOUNCED_IP = its public address) and signaling with HOINGHI_SFU=cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
NODES="${HOINGHI_CLUSTER_NODES:-2}"
REDIS_PORT="${HOINGHI_CLUSTER_REDIS_PORT:-6390}"
SECRET="${HOINGHI_SFU_SECRET:-$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)}"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
pids+=($!)
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done

for i in $(seq 0 $((NODES - 1))); do
  env -u HOINGHI_CLUSTER_NODES -u HOINGHI_CLUSTER_REDIS_PORT \
    HOINGHI_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" HOINGHI_SFU_SECRET="$SECRET" \
    HOINGHI_SFU_NODE_ID="sfu-$i" HOINGHI_SFU_CONTROL_PORT=$((4400 + i)) HOINGHI_WORKERS="${HOINGHI_WORKERS:-1}" \
    HOINGHI_RTC_BASE_PORT=$((40000 + 100 * i)) HOINGHI_RTC_MIN_PORT=$((41000 + 1000 * i)) HOINGHI_RTC_MAX_PORT=$((41999 + 1000 * i)) \
    node --import tsx sfu/main.ts &
  pids+=($!)
done

env -u HOINGHI_CLUSTER_NODES -u HOINGHI_CLUSTER_REDIS_PORT -u HOINGHI_WORKERS \
  HOINGHI_SFU=cluster HOINGHI_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" HOINGHI_SFU_SECRET="$SECRET" \
  HOINGHI_DEMO_SIGNIN="${HOINGHI_DEMO_SIGNIN:-true}" \
  node --import tsx signaling/main.ts &
pids+=($!)
wait -n
