# Shared by start.sh, stop.sh and test.sh.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${BERTH_STATE_DIR:-$ROOT/.berth}"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/run"

say() { printf '\033[1m[berth]\033[0m %s\n' "$*"; }
fail() {
  printf '\033[31m[berth] error:\033[0m %s\n' "$*" >&2
  exit 1
}

# Installs npm dependencies on a fresh checkout, and again when package-lock.json changed since.
ensure_node_modules() {
  command -v node >/dev/null || fail "Node.js 20 is required (node not found)"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  ((major >= 20)) || fail "Node.js 20 or newer is required (found $(node --version))"
  if [[ ! -d "$ROOT/node_modules" || "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]]; then
    say "installing npm dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
