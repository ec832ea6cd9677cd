#!/usr/bin/env bash
# Brings up what Berth runs on, on one Debian/Ubuntu machine, as root:
# RabbitMQ, Redis and N Docker engines ("hosts"), each with the local test image.
# Installs what is missing, starts what is stopped, reuses what runs: running it twice changes nothing.
#
#   scripts/infra.sh up [N]     N Docker hosts (default $BERTH_HOSTS or 2)
#   scripts/infra.sh status     what runs
#   scripts/infra.sh env [N]    print the endpoints as shell assignments
#   scripts/infra.sh down       stop the Docker hosts this script started (RabbitMQ and Redis stay up)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${BERTH_STATE_DIR:-$ROOT/.berth}"
LOG_DIR="$STATE_DIR/logs"
# Unix socket paths must stay under 108 bytes, so the engines' runtime files live in /run, not in the checkout.
RUN_DIR="${BERTH_RUN_DIR:-/run/berth}"
DATA_DIR="${BERTH_DATA_DIR:-/var/lib/berth}"
IMAGE="berth/busybox:latest"

log() { printf '[infra] %s\n' "$*" >&2; }
die() {
  printf '[infra] error: %s\n' "$*" >&2
  exit 1
}

host_count() {
  local n="${1:-${BERTH_HOSTS:-2}}"
  [[ "$n" =~ ^[1-9][0-9]?$ ]] || die "host count must be a number from 1 to 99, got '$n'"
  echo "$n"
}

host_socket() { echo "$RUN_DIR/h$1/docker.sock"; }

require_root() {
  [[ "$(id -u)" == 0 ]] || die "run as root: Berth starts dockerd and installs Debian packages"
}

install_missing() {
  # systemd only for `systemd-analyze verify` of the unit files in the tests; faketime for an agent whose clock is
  # wrong, in the tests; prometheus for promtool and a real server scraping Berth, in the tests;
  # chromium-headless-shell for the web console's browser tests (playwright-core drives it, downloads nothing).
  local wanted=(rabbitmq-server redis-server docker.io busybox-static curl systemd faketime prometheus
    chromium-headless-shell)
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    return
  fi
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 || die "apt-get update failed, see $LOG_DIR/apt.log"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1 ||
    die "apt-get install failed, see $LOG_DIR/apt.log"
}

wait_for() {
  # wait_for <seconds> <description> <command...>
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what did not come up within ${seconds}s"
    sleep 0.3
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
rabbit_up() { port_open 5672; }

start_rabbitmq() {
  if rabbit_up; then
    log "rabbitmq: running, reused"
    return
  fi
  log "rabbitmq: starting"
  # The Debian package ships the Erlang cookie for the rabbitmq user; as root the CLI needs the same one.
  if [[ -f /var/lib/rabbitmq/.erlang.cookie && ! -f /root/.erlang.cookie ]]; then
    install -m 600 /var/lib/rabbitmq/.erlang.cookie /root/.erlang.cookie
  fi
  # Each quorum queue keeps files open; with the 1024 descriptors that `su` (the Debian wrapper's way to drop to
  # the rabbitmq user) resets to, a broker holding a queue per host for a large or simulated fleet stops
  # accepting connections. setpriv drops privileges without PAM, so the raised limit reaches the broker.
  (
    cd /var/lib/rabbitmq
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq \
      /usr/lib/rabbitmq/bin/rabbitmq-server -detached >>"$LOG_DIR/rabbitmq.out" 2>&1
  ) || true
  wait_for 120 "rabbitmq (see /var/log/rabbitmq)" rabbit_up
  rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null 2>&1 || log "rabbitmq: management plugin not enabled"
  log "rabbitmq: up on 127.0.0.1:5672"
}

start_redis() {
  if port_open 6379; then
    log "redis: running, reused"
    return
  fi
  log "redis: starting"
  # Nothing on disk in the local stack; see the README for running with AOF.
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no \
    --logfile "$LOG_DIR/redis.log" --dir "$STATE_DIR"
  # Once the ACL below is applied, an unauthenticated ping is answered NOAUTH: that is up too.
  wait_for 20 "redis" sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping 2>&1 | grep -Eq "PONG|NOAUTH"'
  log "redis: up on 127.0.0.1:6379"
}

# ---- credentials: a user per service, nobody anonymous, no guest
#
# Kept once per machine (RabbitMQ and Redis are the machine's), readable by root only, and reused: running this
# again changes nothing. Agents get theirs from POST /v1/nodes, never from here.
CREDENTIALS_DIR="$DATA_DIR/credentials"
CREDENTIALS_ENV="$CREDENTIALS_DIR/local.env"

secret() {
  local file="$CREDENTIALS_DIR/$1"
  if [[ ! -s "$file" ]]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$file")
  fi
  cat "$file"
}

redis_admin() {
  redis-cli -h 127.0.0.1 -p 6379 --no-auth-warning --user berth-admin --pass "$(secret redis-admin)" "$@"
}

ensure_credentials() {
  mkdir -p "$CREDENTIALS_DIR"
  chmod 700 "$CREDENTIALS_DIR"
  # RabbitMQ: an administrator for the management API (the gateway adds hosts with it, the tests clean up with
  # it), and the control plane's two services. guest goes.
  local user
  for user in berth-admin berth-gateway berth-scheduler; do
    if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$user"; then
      rabbitmqctl -q change_password "$user" "$(secret "rabbitmq-$user")" >/dev/null
    else
      rabbitmqctl -q add_user "$user" "$(secret "rabbitmq-$user")" >/dev/null
    fi
    rabbitmqctl -q set_permissions -p / "$user" '.*' '.*' '.*' >/dev/null
  done
  rabbitmqctl -q set_user_tags berth-admin administrator >/dev/null
  if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx guest; then
    rabbitmqctl -q delete_user guest >/dev/null
    log "rabbitmq: removed the guest user"
  fi
  # Redis: an ACL user per service; the default user is switched off, so nothing gets in without a password. The
  # services may not run what could wipe or reconfigure Redis (FLUSHALL, CONFIG, KEYS, DEBUG, ...).
  # A fresh Redis still lets its default user in: create the administrator through it, then lock it.
  local cli=(redis_admin)
  redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && cli=(redis-cli -h 127.0.0.1 -p 6379)
  "${cli[@]}" ACL SETUSER berth-admin on ">$(secret redis-admin)" '~*' '&*' +@all >/dev/null
  for user in berth-gateway berth-scheduler; do
    redis_admin ACL SETUSER "$user" reset on ">$(secret "redis-$user")" '~*' '&*' +@all -@dangerous \
      +info +client\|setname +client\|id >/dev/null
  done
  redis_admin ACL SETUSER default off >/dev/null
  local amqp="127.0.0.1:5672" redis="127.0.0.1:6379"
  (
    umask 077
    cat >"$CREDENTIALS_ENV" <<ENV
BERTH_ADMIN_AMQP_URL=amqp://berth-admin:$(secret rabbitmq-berth-admin)@$amqp
BERTH_GATEWAY_AMQP_URL=amqp://berth-gateway:$(secret rabbitmq-berth-gateway)@$amqp
BERTH_SCHEDULER_AMQP_URL=amqp://berth-scheduler:$(secret rabbitmq-berth-scheduler)@$amqp
BERTH_RABBITMQ_MANAGEMENT_URL=http://berth-admin:$(secret rabbitmq-berth-admin)@127.0.0.1:15672
BERTH_ADMIN_REDIS_URL=redis://berth-admin:$(secret redis-admin)@$redis
BERTH_GATEWAY_REDIS_URL=redis://berth-gateway:$(secret redis-berth-gateway)@$redis
BERTH_SCHEDULER_REDIS_URL=redis://berth-scheduler:$(secret redis-berth-scheduler)@$redis
ENV
  )
  log "credentials: a RabbitMQ and a Redis user per service, in $CREDENTIALS_ENV (no guest, no anonymous Redis)"
}

docker_up() { docker -H "unix://$(host_socket "$1")" version >/dev/null 2>&1; }

start_docker_host() {
  local i="$1" sock
  sock="$(host_socket "$i")"
  if docker_up "$i"; then
    log "docker host h$i: running, reused ($sock)"
    return
  fi
  log "docker host h$i: starting ($sock)"
  mkdir -p "$RUN_DIR/h$i/exec" "$DATA_DIR/h$i"
  rm -f "$sock" "$RUN_DIR/h$i/docker.pid"
  # No bridge, no iptables: containers run with network mode none, and nothing leaves loopback.
  nohup dockerd \
    --host "unix://$sock" \
    --data-root "$DATA_DIR/h$i" \
    --exec-root "$RUN_DIR/h$i/exec" \
    --pidfile "$RUN_DIR/h$i/docker.pid" \
    --bridge=none --iptables=false --ip-masq=false \
    --label "berth.host=h$i" \
    >>"$LOG_DIR/dockerd-h$i.log" 2>&1 &
  wait_for 60 "docker host h$i (see $LOG_DIR/dockerd-h$i.log)" docker_up "$i"
}

# The test image: Debian's static busybox in an otherwise empty root filesystem. No registry is needed.
build_rootfs() {
  local tarball="$STATE_DIR/busybox-rootfs.tar"
  if [[ -f "$tarball" ]]; then
    echo "$tarball"
    return
  fi
  local dir
  dir="$(mktemp -d)"
  mkdir -p "$dir/bin" "$dir/tmp" "$dir/etc"
  cp /bin/busybox "$dir/bin/busybox"
  for applet in sh sleep echo true false cat ls env ps top yes printf date hostname id; do
    ln -s busybox "$dir/bin/$applet"
  done
  echo "root:x:0:0:root:/:/bin/sh" >"$dir/etc/passwd"
  tar -C "$dir" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$dir"
  echo "$tarball"
}

load_image() {
  local i="$1" sock tarball
  sock="$(host_socket "$i")"
  if docker -H "unix://$sock" image inspect "$IMAGE" >/dev/null 2>&1; then
    return
  fi
  tarball="$(build_rootfs)"
  docker -H "unix://$sock" import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' "$tarball" "$IMAGE" >/dev/null
  log "docker host h$i: loaded $IMAGE"
}

print_env() {
  local n="$1" endpoints=()
  for ((i = 1; i <= n; i++)); do endpoints+=("unix://$(host_socket "$i")"); done
  # Each service's own credentials (see ensure_credentials), as `BERTH_<SERVICE>_AMQP_URL` and so on.
  [[ -r "$CREDENTIALS_ENV" ]] && cat "$CREDENTIALS_ENV"
  echo "BERTH_DOCKER_HOSTS=$(
    IFS=,
    echo "${endpoints[*]}"
  )"
}

cmd_up() {
  require_root
  local n
  n="$(host_count "${1:-}")"
  mkdir -p "$LOG_DIR"
  install_missing
  start_rabbitmq
  start_redis
  ensure_credentials
  # The tarball is also what the tests' local registry serves, so it is made even when every host has the image.
  build_rootfs >/dev/null
  for ((i = 1; i <= n; i++)); do
    start_docker_host "$i"
    load_image "$i"
  done
  log "ready: rabbitmq, redis and $n docker host(s)"
}

cmd_status() {
  local n
  n="$(host_count "${1:-}")"
  if rabbit_up; then echo "rabbitmq: up"; else echo "rabbitmq: down"; fi
  if redis-cli ping 2>&1 | grep -Eq "PONG|NOAUTH"; then echo "redis: up"; else echo "redis: down"; fi
  for ((i = 1; i <= n; i++)); do
    if docker_up "$i"; then echo "docker h$i: up ($(host_socket "$i"))"; else echo "docker h$i: down"; fi
  done
}

cmd_down() {
  for pidfile in "$RUN_DIR"/h*/docker.pid; do
    [[ -f "$pidfile" ]] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  log "docker hosts stopped (rabbitmq and redis left running)"
}

case "${1:-up}" in
  up) cmd_up "${2:-}" ;;
  status) cmd_status "${2:-}" ;;
  env) print_env "$(host_count "${2:-}")" ;;
  down) cmd_down ;;
  *) die "usage: $0 up [N] | status [N] | env [N] | down" ;;
esac
