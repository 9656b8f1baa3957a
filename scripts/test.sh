#!/usr/bin/env bash
# Runs the whole test suite: type check, then unit, integration (real mediasoup workers, real
# socket.io) and end-to-end tests (Debian's Chromium) with vitest. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "test: type check"
node_modules/.bin/tsc -p tsconfig.json

echo "test: import rules (.dependency-cruiser.cjs)"
npm run --silent deps

results=.build/vitest-results.json
rm -f "$results"
status=0
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?

if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
    if (r.numTotalTests === 0) process.exit(1);
    // A file whose set-up failed, or an error outside any test (an uncaught exception in the
    // server under test), fails the run too.
    if (!r.success && r.numFailedTests === 0) console.log(`tests: the run failed outside the tests: ${r.numFailedTestSuites} file(s) failed to set up, or errors were unhandled (see above)`);
  ' "$PWD/$results" || status=1
else
  echo "tests: vitest wrote no results" >&2
  status=1
fi
exit $status
