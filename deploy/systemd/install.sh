#!/usr/bin/env bash
# Installs Berth's systemd units on this machine, as root:
#   deploy/systemd/install.sh agent              on each Docker host
#   deploy/systemd/install.sh gateway scheduler  on the control machine(s)
# Berth itself must be built in /opt/berth first (npm ci && npm run build). Existing env files are kept.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
UNIT_DIR="${BERTH_UNIT_DIR:-/etc/systemd/system}"
ENV_DIR="${BERTH_ENV_DIR:-/etc/berth}"

(($# > 0)) || {
  echo "usage: $0 agent|gateway|scheduler ..." >&2
  exit 2
}
[[ "$(id -u)" == 0 ]] || {
  echo "run as root" >&2
  exit 1
}
[[ -f /opt/berth/dist/apps/gateway/src/main.js ]] || {
  echo "build Berth in /opt/berth first: cd /opt/berth && npm ci && npm run build" >&2
  exit 1
}

mkdir -p "$ENV_DIR"
for service in "$@"; do
  case "$service" in agent | gateway | scheduler) ;; *)
    echo "unknown service: $service (agent, gateway or scheduler)" >&2
    exit 2
    ;;
  esac
  if [[ "$service" != agent ]] && ! id berth >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin berth
  fi
  install -m 0644 "$HERE/berth-$service.service" "$UNIT_DIR/berth-$service.service"
  if [[ ! -f "$ENV_DIR/$service.env" ]]; then
    install -m 0600 "$HERE/$service.env.example" "$ENV_DIR/$service.env"
    echo "wrote $ENV_DIR/$service.env from the example: edit it before starting"
  fi
done
systemctl daemon-reload
echo "installed: $*. Start with: systemctl enable --now $(printf 'berth-%s ' "$@")"
