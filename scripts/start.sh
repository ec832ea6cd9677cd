#!/usr/bin/env bash
# npm start: bring Berth up on this machine and run one demo job.
# Installs what is missing, starts RabbitMQ, Redis and BERTH_HOSTS Docker hosts, builds, starts the gateway,
# the scheduler and one agent per host in the background, then submits a job and shows it running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOSTS="${BERTH_HOSTS:-2}"
PORT="${PORT:-8080}"
API="http://127.0.0.1:$PORT"
# The Docker Engine API for the whole cluster: `docker -H tcp://127.0.0.1:2375 ...`.
DOCKER_PORT="${BERTH_DOCKER_PORT:-2375}"
DOCKER_CONFIG_DIR="$STATE_DIR/docker"
# Prometheus metrics: the gateway on its API port, the scheduler on METRICS_BASE, agent k on METRICS_BASE + k.
METRICS_BASE="${BERTH_METRICS_BASE:-9470}"
export BERTH_PREFIX="${BERTH_PREFIX:-berth}"

ensure_node_modules
mkdir -p "$LOG_DIR" "$PID_DIR"
bash "$ROOT/scripts/infra.sh" up "$HOSTS"

say "building"
(cd "$ROOT" && npm run --silent build)

# A restart picks up a new build: stop what an earlier npm start left running.
bash "$ROOT/scripts/stop.sh" --quiet

# The admin token: made on the first start, reused after. Only its owner may read it.
ADMIN_TOKEN_FILE="$STATE_DIR/admin-token"
if [[ ! -s "$ADMIN_TOKEN_FILE" ]]; then
  (umask 077 && node -e 'console.log("berth_" + require("crypto").randomBytes(32).toString("base64url"))' >"$ADMIN_TOKEN_FILE")
  say "made an admin token in $ADMIN_TOKEN_FILE"
fi
chmod 600 "$ADMIN_TOKEN_FILE"
TOKEN="$(cat "$ADMIN_TOKEN_FILE")"
AUTH=(-H "Authorization: Bearer $TOKEN")
# The docker CLI sends the headers of its config.json's HttpHeaders on every request: the admin token, here.
mkdir -p "$DOCKER_CONFIG_DIR"
chmod 700 "$DOCKER_CONFIG_DIR"
(umask 077 && printf '{"HttpHeaders": {"Authorization": "Bearer %s"}}\n' "$TOKEN" >"$DOCKER_CONFIG_DIR/config.json")

start_service() {
  local name="$1"
  shift
  # setsid: the service outlives this script and the terminal it ran in.
  env NO_COLOR=1 "$@" setsid nohup node "$ROOT/dist/apps/${name%%-*}/src/main.js" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
}

# Each service's own RabbitMQ and Redis user (scripts/infra.sh made them), and where the Docker hosts listen.
# shellcheck source=/dev/null
source <(bash "$ROOT/scripts/infra.sh" env "$HOSTS")
IFS=, read -r -a ENDPOINTS <<<"$BERTH_DOCKER_HOSTS"

say "starting gateway, scheduler and $HOSTS agent(s); logs in $LOG_DIR"
# The gateway makes each host's agent a RabbitMQ user of its own, through the broker's management API.
start_service gateway PORT="$PORT" BERTH_ADMIN_TOKEN_FILE="$ADMIN_TOKEN_FILE" \
  BERTH_AMQP_URL="$BERTH_GATEWAY_AMQP_URL" BERTH_REDIS_URL="$BERTH_GATEWAY_REDIS_URL" \
  BERTH_RABBITMQ_MANAGEMENT_URL="$BERTH_RABBITMQ_MANAGEMENT_URL" BERTH_DOCKER_PORT="$DOCKER_PORT"
start_service scheduler BERTH_AMQP_URL="$BERTH_SCHEDULER_AMQP_URL" BERTH_REDIS_URL="$BERTH_SCHEDULER_REDIS_URL" \
  BERTH_METRICS_PORT="$METRICS_BASE"

say "waiting for $API/readyz"
for _ in $(seq 1 120); do
  curl -fsS "$API/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$API/readyz" >/dev/null 2>&1 || fail "the gateway is not ready; see $LOG_DIR/gateway.log"

# Each host is added as an operator adds one (POST /v1/nodes): its agent runs with the environment, credential
# included, that the answer holds, kept in .berth/agents/<node>.env (mode 0600).
mkdir -p "$STATE_DIR/agents"
chmod 700 "$STATE_DIR/agents"
agent_targets=()
for endpoint in "${ENDPOINTS[@]}"; do
  id="$(basename "$(dirname "${endpoint#unix://}")")"
  added="$(curl -sS "${AUTH[@]}" -X POST "$API/v1/nodes" -H 'content-type: application/json' -d "{\"id\":\"$id\"}")" ||
    fail "could not add host $id; see $LOG_DIR/gateway.log"
  env_file="$STATE_DIR/agents/$id.env"
  (umask 077 && node -e 'const a=JSON.parse(process.argv[1]); if(!a.envFile){console.error(JSON.stringify(a));process.exit(1)} process.stdout.write(a.envFile)' "$added" >"$env_file") ||
    fail "the gateway would not add host $id: $added"
  mapfile -t agent_env <"$env_file"
  metrics_port=$((METRICS_BASE + ${#agent_targets[@]} + 1))
  agent_targets+=("\"127.0.0.1:$metrics_port\"")
  start_service "agent-$id" BERTH_DOCKER_HOST="$endpoint" "${agent_env[@]}" BERTH_METRICS_PORT="$metrics_port"
done
# Every local Berth process, in Prometheus' file_sd format (file_sd_configs: [{files: [this file]}]).
mkdir -p "$STATE_DIR/prometheus"
agents_json="$(IFS=,; echo "${agent_targets[*]}")"
cat >"$STATE_DIR/prometheus/targets.json" <<JSON
[
  {"targets": ["127.0.0.1:$PORT"], "labels": {"job": "berth-gateway"}},
  {"targets": ["127.0.0.1:$METRICS_BASE"], "labels": {"job": "berth-scheduler"}},
  {"targets": [$agents_json], "labels": {"job": "berth-agent"}}
]
JSON
say "added $HOSTS host(s); their agents' credentials are in $STATE_DIR/agents/"

ready=0
for _ in $(seq 1 60); do
  ready="$(curl -sS "${AUTH[@]}" "$API/v1/nodes" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).items.filter(n=>n.status==="ready").length)}catch{console.log(0)}})' || echo 0)"
  ((ready >= HOSTS)) && break
  sleep 0.5
done
((ready >= HOSTS)) || fail "only $ready of $HOSTS hosts registered; see $LOG_DIR/agent-*.log"
say "$ready host(s) ready"

# One demo job at a time: the one an earlier npm start left is removed first, and its name freed, which takes
# as long as its container needs to stop.
json_field() { node -p "try { JSON.parse(process.argv[1])[process.argv[2]] } catch { '' }" "$1" "$2"; }
if [[ -f "$STATE_DIR/demo-job" ]]; then
  old="$(cat "$STATE_DIR/demo-job")"
  curl -sS "${AUTH[@]}" -X DELETE "$API/v1/jobs/$old" >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do
    old_status="$(json_field "$(curl -sS "${AUTH[@]}" "$API/v1/jobs/$old" 2>/dev/null || true)" status)"
    [[ "$old_status" == removed || "$old_status" == undefined || -z "$old_status" ]] && break
    sleep 0.5
  done
fi
say "submitting a demo job"
job="$(curl -sS "${AUTH[@]}" -X POST "$API/v1/jobs" -H 'content-type: application/json' \
  -d '{"image":"berth/busybox:latest","name":"hello","cmd":["sh","-c","echo hello from berth; sleep 600"],"resources":{"cpuMillis":100,"memoryMiB":16}}')" ||
  fail "could not reach the gateway; see $LOG_DIR/gateway.log"
id="$(json_field "$job" id)"
[[ -n "$id" && "$id" != undefined ]] || fail "the gateway refused the demo job: $job"
echo "$id" >"$STATE_DIR/demo-job"
status=""
view=""
for _ in $(seq 1 60); do
  view="$(curl -sS "${AUTH[@]}" "$API/v1/jobs/$id" 2>/dev/null || true)"
  status="$(json_field "$view" status)"
  [[ "$status" == queued || "$status" == scheduled || -z "$status" ]] || break
  sleep 0.5
done
node -e 'const j=JSON.parse(process.argv[1]);console.log(`  job ${j.id}: ${j.status} on ${j.node}, container ${String(j.containerId).slice(0,12)}${j.reason?`, reason: ${j.reason}`:""}`)' "$view"
[[ "$status" == running ]] || fail "the demo job did not start (status $status); see $LOG_DIR"
node_id="$(json_field "$view" node)"
say "Docker on $node_id says:"
docker -H "unix://${BERTH_RUN_DIR:-/run/berth}/$node_id/docker.sock" ps --filter "label=berth.job=$id" \
  --format '  {{.Names}}  {{.Image}}  {{.Status}}'
docker -H "unix://${BERTH_RUN_DIR:-/run/berth}/$node_id/docker.sock" logs "berth-$id" 2>&1 | sed 's/^/  output: /'
say "the docker CLI, through Berth's Engine API, says:"
DOCKER_HOST="tcp://127.0.0.1:$DOCKER_PORT" DOCKER_CONFIG="$DOCKER_CONFIG_DIR" docker ps \
  --format '  {{.ID}}  {{.Names}}  {{.Image}}  {{.Status}}'

cat <<MSG

Berth is up: $API ($HOSTS Docker host(s), logs in $LOG_DIR)

The web console is at $API/ (sign in with the admin token below); the API is described at $API/docs.

Every /v1 request needs a token; the admin token is in $ADMIN_TOKEN_FILE:

  export BERTH_TOKEN="\$(cat $ADMIN_TOKEN_FILE)"
  # run a container
  curl -s -H "Authorization: Bearer \$BERTH_TOKEN" -X POST $API/v1/jobs -H 'content-type: application/json' \\
    -d '{"image":"berth/busybox:latest","cmd":["sleep","300"],"resources":{"cpuMillis":250,"memoryMiB":64}}'
  # follow it, list hosts, remove it
  curl -s -H "Authorization: Bearer \$BERTH_TOKEN" $API/v1/jobs/<id>
  curl -s -H "Authorization: Bearer \$BERTH_TOKEN" $API/v1/nodes
  curl -s -H "Authorization: Bearer \$BERTH_TOKEN" -X DELETE $API/v1/jobs/<id>
  # a token for a team: its own namespace, only reading and submitting
  curl -s -H "Authorization: Bearer \$BERTH_TOKEN" -X POST $API/v1/tokens -H 'content-type: application/json' \\
    -d '{"name":"team-a ci","namespace":"team-a","scopes":["read","submit"]}'

The docker CLI works against the whole cluster (Berth picks the host; the admin token is in its config):

  export DOCKER_HOST=tcp://127.0.0.1:$DOCKER_PORT DOCKER_CONFIG=$DOCKER_CONFIG_DIR
  docker run -d --name web -m 64m berth/busybox:latest sleep 600
  docker ps; docker info; docker logs web; docker rm -f web

The berth CLI reads the same token:

  npx berth nodes; npx berth run --cpu 0.1 --memory 64Mi berth/busybox:latest -- sleep 300; npx berth jobs

Prometheus can scrape every Berth process from $STATE_DIR/prometheus/targets.json (file_sd_configs).

Stop with: npm stop
MSG
