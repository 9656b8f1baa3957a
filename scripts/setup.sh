#!/usr/bin/env bash
# Everything both README commands need, idempotent: Debian packages, npm dependencies, the
# mediasoup worker built from source, and the web build. A second run on an unchanged tree
# only checks stamps and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
mkdir -p .build

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

bash scripts/setup-system.sh

# npm dependencies, when the lock file changed. mediasoup's own install script must not try to
# download or build its worker: we build it below (and npm may not run it anyway).
npm_hash=$(cat package.json package-lock.json | sha256sum | cut -c1-32)
if [ ! -d node_modules ] || [ "$(cat .build/npm.stamp 2>/dev/null)" != "$npm_hash" ]; then
  echo "setup: npm ci"
  MEDIASOUP_WORKER_BIN="$ROOT/node_modules/mediasoup/worker/out/Release/mediasoup-worker" \
    npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_hash" > .build/npm.stamp
fi

bash scripts/build-worker.sh

# The web client, when its sources (or the shared protocol, or dependencies) changed.
web_hash=$( (find web -path web/dist -prune -o -type f -print; find signaling/protocol -type f) | sort \
  | xargs sha256sum | cat - .build/npm.stamp | sha256sum | cut -c1-32)
if [ ! -f web/dist/index.html ] || [ "$(cat .build/web.stamp 2>/dev/null)" != "$web_hash" ]; then
  echo "setup: building the web client"
  node_modules/.bin/vite build --config web/vite.config.ts --logLevel warn
  echo "$web_hash" > .build/web.stamp
fi
