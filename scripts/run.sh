#!/usr/bin/env bash
# Builds and runs the whole suite on this machine: Redis, the four services and the gateway.
#   scripts/run.sh         start, wait until all are healthy, stay in the foreground; Ctrl-C stops all
#   scripts/run.sh stop    stop a suite started from another terminal
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib.sh"
run="$root/.run"
pids="$run/pids"
redis_port="${REDIS_PORT:-6380}"
configuration=Release

# name, project directory, assembly, HTTP/1.1 port (health)
apps=(
  "challenge services/challenge Disputes.Challenge 5102"
  "escalation services/escalation Disputes.Escalation 5202"
  "notification services/notification Disputes.Notification 5302"
  "records services/records Disputes.Records 5402"
  "gateway gateway Disputes.Gateway 8081"
)

stop_all() {
  local pidfile pid
  for pidfile in "$pids"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

if [ "${1:-}" = "stop" ]; then
  stop_all
  echo "Stopped."
  exit 0
fi

if compgen -G "$pids/*.pid" >/dev/null; then
  echo "A suite started from here may still be running; stopping it first."
  stop_all
fi

ensure_dotnet
ensure_redis
mkdir -p "$run/logs" "$pids" "$run/redis" "$run/spans"
[ -s "$run/dev-signing-key" ] || head -c 32 /dev/urandom | base64 > "$run/dev-signing-key"
chmod 600 "$run/dev-signing-key"
# The key that seals each record's head, kept outside Redis as in production.
[ -s "$run/records-checkpoint-key" ] || head -c 32 /dev/urandom | base64 > "$run/records-checkpoint-key"
chmod 600 "$run/records-checkpoint-key"

echo "Building..."
dotnet build "$root/Disputes.slnx" -c "$configuration" -nologo -v quiet -clp:ErrorsOnly

trap 'echo; echo "Stopping..."; stop_all; exit 0' INT TERM
trap 'stop_all' EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --appendonly yes --dir "$run/redis" --save "" \
  >"$run/logs/redis.log" 2>&1 &
echo $! > "$pids/redis.pid"

# The development signing key is refused outside the Development environment.
export ASPNETCORE_ENVIRONMENT=Development
export ConnectionStrings__redis="127.0.0.1:$redis_port"
export Auth__SigningKey="$(cat "$run/dev-signing-key")"
export Records__CheckpointKey="$(cat "$run/records-checkpoint-key")"
# VerifyRecord asks escalation (its gRPC port) for the witnessed head of a record.
export Records__Witness__Address="http://127.0.0.1:5201"
# Local agency systems may receive webhooks on this machine.
export Notification__Webhooks__AllowLoopback=true
# Every process appends its finished spans to .run/spans/ (one JSON-lines file each), for
# "disputes-tools trace <challenge> --spans .run/spans" without a trace collector.
export Telemetry__SpansDirectory="$run/spans"
# The demo partnership directory (fictional agencies and people); loading it again changes nothing.
export Escalation__DirectoryFile="$root/deploy/directory/demo-partnership.yaml"
for app in "${apps[@]}"; do
  read -r name dir assembly _ <<<"$app"
  out="$root/$dir/bin/$configuration/net10.0"
  (cd "$out" && exec dotnet "$assembly.dll") >"$run/logs/$name.log" 2>&1 &
  echo $! > "$pids/$name.pid"
done

wait_healthy() {
  local name="$1" url="$2"
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if ! kill -0 "$(cat "$pids/$name.pid")" 2>/dev/null; then
      echo "$name exited; its log:" >&2; tail -n 30 "$run/logs/$name.log" >&2; return 1
    fi
    sleep 0.5
  done
  echo "$name did not become healthy at $url; see $run/logs/$name.log" >&2
  return 1
}

for app in "${apps[@]}"; do
  read -r name _ _ port <<<"$app"
  wait_healthy "$name" "http://127.0.0.1:$port/health/ready"
done

cat <<MSG

The suite is running.
  gateway (gRPC, h2c)   http://127.0.0.1:8080
  gateway (HTTP/1.1)    http://127.0.0.1:8081/health/ready
  services (gRPC)       challenge :5101  escalation :5201  notification :5301  records :5401
  redis                 127.0.0.1:$redis_port (AOF in .run/redis)
  logs                  .run/logs/
  spans                 .run/spans/ (disputes-tools trace <challenge> --spans .run/spans)

Mint a development token:
  dotnet tools/Disputes.Tools/bin/$configuration/net10.0/disputes-tools.dll token --professional sw-1 --agency childrens-social-care --role practitioner

Ctrl-C (or scripts/run.sh stop from another terminal) stops everything started here.
MSG

wait
