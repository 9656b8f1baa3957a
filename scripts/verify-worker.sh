#!/usr/bin/env bash
# Runs mediasoup's own test suite (the compiled jest tests shipped in the npm package under
# node/lib/tests) against a mediasoup-worker binary: `bash scripts/verify-worker.sh [BIN] [jest args]`
# (e.g. `... BIN test-WebRtcServer` runs one file).
# Default BIN: the installed node_modules/mediasoup/worker/out/Release/mediasoup-worker.
# scripts/build-worker.sh calls it on every fresh build (patched sources) before caching.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$(realpath "${1:-$ROOT/node_modules/mediasoup/worker/out/Release/mediasoup-worker}")
shift || true
[ -x "$BIN" ] || { echo "verify-worker: no worker binary at $BIN" >&2; exit 1; }
TESTS=$ROOT/node_modules/mediasoup/node/lib/tests
[ -d "$TESTS" ] || { echo "verify-worker: mediasoup's tests are not in the npm package" >&2; exit 1; }
[ -x "$ROOT/node_modules/.bin/jest" ] || { echo "verify-worker: jest is not installed (npm ci)" >&2; exit 1; }

# The DTLS certificate test-Worker.js loads from tests/data (not shipped in the npm package).
if [ ! -f "$TESTS/data/dtls-cert.pem" ]; then
  mkdir -p "$TESTS/data"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mediasoup-test" \
    -keyout "$TESTS/data/dtls-key.pem" -out "$TESTS/data/dtls-cert.pem" >/dev/null 2>&1
fi

# One test file at a time (--runInBand): this machine is shared, and the suite's timeouts are tight.
CONFIG=$(printf '{"rootDir":"%s","testRegex":"test-.*\\\\.js$","testEnvironment":"node","verbose":true,"testPathIgnorePatterns":[],"haste":{"retainAllFiles":true},"setupFilesAfterEnv":["%s"]}' "$TESTS" "$ROOT/scripts/jest-retry.cjs")
MEDIASOUP_WORKER_BIN=$BIN exec "$ROOT/node_modules/.bin/jest" --ci --runInBand --config "$CONFIG" \
  --testTimeout 30000 --colors=false "$@"
