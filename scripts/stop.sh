#!/usr/bin/env bash
# npm stop: stop the gateway, the scheduler and the agents that npm start launched.
# RabbitMQ, Redis and the Docker hosts keep running (and keep the containers); `npm stop -- --all` stops the
# Docker hosts too.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

quiet=false
all=false
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=true ;;
    --all) all=true ;;
    *) fail "usage: npm stop [-- --all]" ;;
  esac
done

stopped=0
shopt -s nullglob
pids=()
for pidfile in "$PID_DIR"/*.pid; do
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
  rm -f "$pidfile"
done
# Services drain what is in flight on SIGTERM; give them 15 s, then stop them hard.
for _ in $(seq 1 150); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  ((alive == 0)) && break
  sleep 0.1
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
stopped=${#pids[@]}

if $all; then
  bash "$ROOT/scripts/infra.sh" down
fi
$quiet || say "stopped $stopped Berth process(es)"
