#!/usr/bin/env bash
# Starts one hoinghi node with embedded defaults: all mediasoup workers on this machine, state in
# memory (no Redis), demo sign-in on. Prints the URL. Any HOINGHI_* variable overrides a default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HOINGHI_DEMO_SIGNIN="${HOINGHI_DEMO_SIGNIN:-true}"
exec node --import tsx signaling/main.ts
