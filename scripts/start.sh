#!/usr/bin/env bash
# Starts one hoinghi node with embedded defaults: all mediasoup workers on this machine, state in
# memory (no Redis), demo sign-in on. Prints the URL. Any HOINGHI_* variable overrides a default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HOINGHI_DEMO_SIGNIN="${HOINGHI_DEMO_SIGNIN:-true}"
# The embedded database (PGlite) keeps organisation, meetings and attendance here, unless
# HOINGHI_DATABASE_URL names a PostgreSQL server.
if [ -z "${HOINGHI_DATABASE_URL:-}" ]; then export HOINGHI_DATA_DIR="${HOINGHI_DATA_DIR:-$PWD/data}"; fi
# The worker build's knobs are this script's (scripts/build-worker.sh), not the server's settings.
exec env -u HOINGHI_WORKER_VARIANT -u HOINGHI_WORKER_VERIFY -u HOINGHI_WORKER_JOBS -u HOINGHI_WORKER_BUILD_ONLY -u HOINGHI_CACHE_DIR \
  node --import tsx signaling/main.ts
