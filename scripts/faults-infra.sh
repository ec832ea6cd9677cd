#!/usr/bin/env bash
# The fault-injection suite restarts RabbitMQ and Redis, so it runs its own: a second RabbitMQ node and a second
# Redis, on their own ports. RabbitMQ keeps its data under /var/lib/berth/faults-<checkout>/ (see RABBIT_DIR);
# Redis keeps nothing on disk. A developer's stack (5672, 6379) and the other test suites are never touched. Uses
# only what scripts/infra.sh installs; run `infra.sh up` first.
#
#   scripts/faults-infra.sh up              start what is stopped, reuse what runs
#   scripts/faults-infra.sh restart-rabbit  stop the suite's RabbitMQ node and start it again (data kept)
#   scripts/faults-infra.sh kill-rabbit     kill -9 the suite's RabbitMQ node (a crash; `up` starts it again)
#   scripts/faults-infra.sh restart-redis   stop the suite's Redis and start it again (it keeps nothing)
#   scripts/faults-infra.sh env             print the endpoints as shell assignments
#   scripts/faults-infra.sh down            stop both
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${BERTH_STATE_DIR:-$ROOT/.berth}"
FAULTS_DIR="$STATE_DIR/faults"
LOG_DIR="$STATE_DIR/logs"

RABBIT_NODE="${BERTH_FAULTS_RABBIT_NODE:-berth-faults@localhost}"
RABBIT_PORT="${BERTH_FAULTS_RABBIT_PORT:-5673}"
RABBIT_DIST_PORT="${BERTH_FAULTS_RABBIT_DIST_PORT:-25673}"
# Its management API: the suite's gateway makes each agent a RabbitMQ user of its own through it.
RABBIT_MANAGEMENT_PORT="${BERTH_FAULTS_RABBIT_MANAGEMENT_PORT:-15673}"
REDIS_PORT="${BERTH_FAULTS_REDIS_PORT:-6380}"
# The node runs as the rabbitmq user, which cannot read a checkout under /root or in a mktemp folder (both 0700).
# Its data lives under /var/lib/berth instead, in a folder named after this checkout's path, so two clones on one
# machine never share (or delete) each other's node data.
CHECKOUT_ID="$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
RABBIT_DIR="${BERTH_FAULTS_RABBIT_DIR:-/var/lib/berth/faults-$CHECKOUT_ID/rabbitmq}"

log() { printf '[faults-infra] %s\n' "$*" >&2; }
die() {
  printf '[faults-infra] error: %s\n' "$*" >&2
  exit 1
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
port_closed() { ! port_open "$1"; }

rabbitmqctl_node() { rabbitmqctl -n "$RABBIT_NODE" "$@"; }

# Every setting the node reads, so nothing comes from /etc/rabbitmq (the shared node's plugins and listeners).
rabbit_env() {
  echo "HOME=/var/lib/rabbitmq"
  echo "RABBITMQ_NODENAME=$RABBIT_NODE"
  echo "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1"
  echo "RABBITMQ_NODE_PORT=$RABBIT_PORT"
  echo "RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT"
  # Erlang distribution (the CLI's way in) on loopback only.
  echo "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
  echo "RABBITMQ_MNESIA_BASE=$RABBIT_DIR/mnesia"
  echo "RABBITMQ_LOG_BASE=$RABBIT_DIR/log"
  echo "RABBITMQ_PID_FILE=$RABBIT_DIR/node.pid"
  echo "RABBITMQ_CONFIG_FILE=$RABBIT_DIR/rabbitmq.conf"
  echo "RABBITMQ_ENABLED_PLUGINS_FILE=$RABBIT_DIR/enabled_plugins"
  echo "RABBITMQ_CONF_ENV_FILE=$RABBIT_DIR/rabbitmq-env.conf"
}

prepare_rabbit_dir() {
  mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
  chmod 755 /var/lib/berth 2>/dev/null || true
  cat >"$RABBIT_DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MANAGEMENT_PORT
EOF
  echo '[rabbitmq_management].' >"$RABBIT_DIR/enabled_plugins"
  : >"$RABBIT_DIR/rabbitmq-env.conf"
  chown -R rabbitmq:rabbitmq "$RABBIT_DIR"
  # The CLI, as root, needs the cookie the node (as the rabbitmq user) uses; infra.sh does the same.
  if [[ -f /var/lib/rabbitmq/.erlang.cookie && ! -f /root/.erlang.cookie ]]; then
    install -m 600 /var/lib/rabbitmq/.erlang.cookie /root/.erlang.cookie
  fi
}

# The node on the port is this checkout's (its pid file is here and alive) and answers: only then is it reused. A
# node started from another checkout (or one whose data folder was deleted under it) is stopped and started here.
rabbit_is_ours() {
  [[ -f "$RABBIT_DIR/node.pid" ]] && kill -0 "$(cat "$RABBIT_DIR/node.pid")" 2>/dev/null &&
    timeout 30 rabbitmqctl -n "$RABBIT_NODE" await_startup >/dev/null 2>&1
}

start_rabbit() {
  if port_open "$RABBIT_PORT"; then
    if rabbit_is_ours; then
      log "rabbitmq $RABBIT_NODE: running, reused"
      return
    fi
    log "rabbitmq $RABBIT_NODE: running, but not from $RABBIT_DIR (or not answering); restarting it here"
    stop_rabbit
  fi
  command -v rabbitmqctl >/dev/null || die "rabbitmq-server is not installed: run scripts/infra.sh up first"
  prepare_rabbit_dir
  log "rabbitmq $RABBIT_NODE: starting on 127.0.0.1:$RABBIT_PORT"
  # As in infra.sh: setpriv drops to the rabbitmq user without PAM, so the raised descriptor limit reaches the
  # broker (each quorum queue keeps files open).
  local env_args
  mapfile -t env_args < <(rabbit_env)
  (
    cd /var/lib/rabbitmq
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env "${env_args[@]}" \
      /usr/lib/rabbitmq/bin/rabbitmq-server -detached >>"$LOG_DIR/faults-rabbitmq.out" 2>&1
  ) || true
  wait_for 120 "rabbitmq $RABBIT_NODE (see $RABBIT_DIR/log)" port_open "$RABBIT_PORT"
  # The port opens before every queue is back; wait until the node says it is fully booted.
  wait_for 60 "rabbitmq $RABBIT_NODE boot" rabbitmqctl_node await_startup
  log "rabbitmq $RABBIT_NODE: up on 127.0.0.1:$RABBIT_PORT"
}

stop_rabbit() {
  if ! port_open "$RABBIT_PORT" && ! rabbitmqctl_node status >/dev/null 2>&1; then
    return
  fi
  log "rabbitmq $RABBIT_NODE: stopping"
  # `stop` with the pid file waits until the Erlang VM has exited, so the port and the data are free. Given a pid
  # file that does not exist (a node started from another checkout), it would wait for ever: pass it only when it
  # is there, and never wait on rabbitmqctl without a bound.
  if [[ -f "$RABBIT_DIR/node.pid" ]]; then
    timeout 90 rabbitmqctl -n "$RABBIT_NODE" stop "$RABBIT_DIR/node.pid" >/dev/null 2>&1 || true
  fi
  if port_open "$RABBIT_PORT"; then
    timeout 60 rabbitmqctl -n "$RABBIT_NODE" stop >/dev/null 2>&1 || true
  fi
  # A node that no longer obeys its CLI: end the process listening on the port.
  local pid
  pid="$(ss -ltnpH "sport = :$RABBIT_PORT" 2>/dev/null | grep -o "pid=[0-9]*" | head -1 | cut -d= -f2 || true)"
  if [[ -n "$pid" ]]; then
    kill "$pid" 2>/dev/null || true
  fi
  wait_for 60 "rabbitmq $RABBIT_NODE to stop" port_closed "$RABBIT_PORT"
}

# A crash, not a stop: the Erlang VM gets SIGKILL, with no chance to flush or close anything.
kill_rabbit() {
  local pid
  pid="$(cat "$RABBIT_DIR/node.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || die "rabbitmq $RABBIT_NODE is not running from $RABBIT_DIR"
  log "rabbitmq $RABBIT_NODE: kill -9 $pid"
  kill -9 "$pid"
  wait_for 30 "rabbitmq $RABBIT_NODE to die" port_closed "$RABBIT_PORT"
}

redis_ping() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG; }

start_redis() {
  if port_open "$REDIS_PORT"; then
    log "redis :$REDIS_PORT: running, reused"
    return
  fi
  command -v redis-server >/dev/null || die "redis-server is not installed: run scripts/infra.sh up first"
  mkdir -p "$FAULTS_DIR/redis"
  log "redis :$REDIS_PORT: starting (nothing on disk)"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
    --pidfile "$FAULTS_DIR/redis/redis.pid" --logfile "$LOG_DIR/faults-redis.log" --dir "$FAULTS_DIR/redis"
  wait_for 20 "redis :$REDIS_PORT" redis_ping
  log "redis :$REDIS_PORT: up"
}

stop_redis() {
  if ! port_open "$REDIS_PORT"; then
    return
  fi
  log "redis :$REDIS_PORT: stopping"
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  wait_for 20 "redis :$REDIS_PORT to stop" port_closed "$REDIS_PORT"
}

[[ "$(id -u)" == 0 ]] || die "run as root: the RabbitMQ node runs as the rabbitmq user"
mkdir -p "$FAULTS_DIR" "$LOG_DIR"

case "${1:-up}" in
  up)
    start_rabbit
    start_redis
    ;;
  restart-rabbit)
    stop_rabbit
    start_rabbit
    ;;
  kill-rabbit)
    kill_rabbit
    ;;
  restart-redis)
    stop_redis
    start_redis
    ;;
  env)
    echo "BERTH_AMQP_URL=amqp://guest:guest@127.0.0.1:$RABBIT_PORT"
    echo "BERTH_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
    echo "BERTH_FAULTS_RABBIT_NODE=$RABBIT_NODE"
    echo "BERTH_RABBITMQ_MANAGEMENT_URL=http://guest:guest@127.0.0.1:$RABBIT_MANAGEMENT_PORT"
    ;;
  down)
    stop_rabbit
    stop_redis
    ;;
  *) die "usage: $0 up | restart-rabbit | kill-rabbit | restart-redis | env | down" ;;
esac
