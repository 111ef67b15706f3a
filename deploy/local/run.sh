#!/usr/bin/env bash
# Runs Corral on this machine: the control plane with an embedded PostgreSQL and an embedded Kafka broker,
# and a node agent that registers this host. Ctrl-C stops everything it started. Data lives in $CORRAL_DATA_DIR (default ~/.corral/local).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=../lib/java.sh
source deploy/lib/java.sh
# shellcheck source=../lib/prerequisites.sh
source deploy/lib/prerequisites.sh

port="${CORRAL_HTTP_PORT:-8080}"
export CORRAL_HTTP_PORT="$port"
api="http://127.0.0.1:$port"
if curl -s -o /dev/null "$api/q/health" 2>/dev/null; then
    echo "corral: something already answers on $api; stop it or set CORRAL_HTTP_PORT" >&2
    exit 1
fi

echo "==> Building the control plane, the node agent and the CLI (./mvnw package, tests skipped)"
./mvnw -B -q -DskipTests -pl control-plane,node-agent,cli -am package

echo "==> Starting the control plane on $api"
# Its own session: Ctrl-C reaches this script only, which stops the control plane, which stops its embedded
# PostgreSQL and Kafka in order (a terminal's SIGINT would otherwise hit PostgreSQL first).
setsid java -jar control-plane/target/quarkus-app/quarkus-run.jar &
pid=$!
agent=""
stop() {
    trap - INT TERM
    echo
    echo "==> Stopping Corral"
    if [ -n "$agent" ]; then
        kill -TERM "$agent" 2>/dev/null || true
        wait "$agent" 2>/dev/null || true
    fi
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    exit "${1:-0}"
}
trap stop INT TERM

for _ in $(seq 1 180); do
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" || true
        echo "corral: the control plane exited during start-up (see its log above)" >&2
        exit 1
    fi
    if curl -sf -o /dev/null "$api/q/health/ready"; then
        break
    fi
    sleep 1
done

echo
echo "==> curl $api/q/health"
curl -s "$api/q/health"
echo
echo "==> curl $api/v1/version"
curl -s "$api/v1/version"
echo

agent_port="${CORRAL_AGENT_HTTP_PORT:-8081}"
echo "==> Starting the node agent for this host (health on http://127.0.0.1:$agent_port/q/health)"
CORRAL_AGENT_CONTROL_PLANE_URL="$api" CORRAL_AGENT_HTTP_PORT="$agent_port" \
    CORRAL_AGENT_STATE_DIR="${CORRAL_DATA_DIR:-$HOME/.corral/local}/agent" \
    setsid java -jar node-agent/target/quarkus-app/quarkus-run.jar &
agent=$!
for _ in $(seq 1 120); do
    kill -0 "$agent" 2>/dev/null || { echo "corral: the node agent exited during start-up (see its log above)" >&2; stop 1; }
    curl -sf -o /dev/null "http://127.0.0.1:$agent_port/q/health/ready" && break
    sleep 1
done
echo "==> cli/bin/corral get nodes"
cli/bin/corral get nodes --server "$api"
echo
echo "Corral is running: API on $api, OpenAPI at $api/q/openapi. Press Ctrl-C to stop."
wait "$pid"
