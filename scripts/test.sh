#!/usr/bin/env bash
# npm test: lint and format check, type check, unit tests, then the end-to-end suites against a real RabbitMQ,
# a real Redis and three real dockerd hosts, brought up by the same script npm start uses, then the
# fault-injection suite on a RabbitMQ node and a Redis of its own.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_node_modules
mkdir -p "$LOG_DIR"
RESULTS="$STATE_DIR/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

say "lint (eslint, type-aware) and format (prettier)"
npx eslint . --max-warnings 0
npx prettier --check . --log-level warn
say "type check"
npx tsc -p tsconfig.json --noEmit
npx tsc -p apps/console/tsconfig.json --noEmit

say "unit tests"
npx jest --config jest.config.js --json --outputFile "$RESULTS/unit.json"

# Three hosts: most suites use two, the node-failure suite takes the third down and brings it back.
say "infrastructure: rabbitmq, redis, 3 docker hosts"
bash scripts/infra.sh up 3
say "build"
npm run --silent build

say "end-to-end tests (real RabbitMQ, Redis and dockerd)"
e2e_status=0
npx jest --config test/jest-e2e.config.js --runInBand --json --outputFile "$RESULTS/e2e.json" || e2e_status=$?

# Its own RabbitMQ node and Redis, because it restarts them: the shared ones above are never disturbed.
say "fault-injection suite (300 jobs per scenario; own RabbitMQ on 5673 and Redis on 6380)"
bash scripts/faults-infra.sh up
faults_status=0
npx jest --config test/faults/jest-faults.config.js --runInBand --json --outputFile "$RESULTS/faults.json" ||
  faults_status=$?

# One closing line that CI can read: jest's own summary is not one of the formats it parses.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const f of ["unit.json", "e2e.json", "faults.json"]) {
    const p = process.argv[1] + "/" + f;
    if (!fs.existsSync(p)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(p, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  console.log(`${passed} passed, ${failed} failed`);
' "$RESULTS"
if ((e2e_status != 0)); then exit "$e2e_status"; fi
exit "$faults_status"
