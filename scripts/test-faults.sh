#!/usr/bin/env bash
# npm run test:faults: the fault-injection suite on its own. Brings up the Docker hosts (and the packages) with
# infra.sh, the suite's own RabbitMQ node and Redis with faults-infra.sh, builds, then runs the scenarios.
# Extra arguments go to jest; BERTH_FAULTS_SEED replays a run, BERTH_FAULTS_ONLY=<name part> picks scenarios.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_node_modules
mkdir -p "$LOG_DIR"
say "infrastructure: 3 docker hosts"
bash scripts/infra.sh up 3
say "the fault suite's own RabbitMQ (127.0.0.1:5673) and Redis (127.0.0.1:6380)"
bash scripts/faults-infra.sh up
say "build"
npm run --silent build
say "fault-injection suite (table in .berth/faults-report.md)"
npx jest --config test/faults/jest-faults.config.js --runInBand "$@"
