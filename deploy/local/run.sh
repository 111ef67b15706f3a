#!/usr/bin/env bash
# Runs Corral on this machine: the control plane with an embedded PostgreSQL and an embedded Kafka broker.
# Ctrl-C stops everything it started. Data lives in $CORRAL_DATA_DIR (default ~/.corral/local).
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

echo "==> Building the control plane (./mvnw package, tests skipped)"
./mvnw -B -q -DskipTests -pl control-plane -am package

echo "==> Starting the control plane on $api"
# Its own session: Ctrl-C reaches this script only, which stops the control plane, which stops its embedded
# PostgreSQL and Kafka in order (a terminal's SIGINT would otherwise hit PostgreSQL first).
setsid java -jar control-plane/target/quarkus-app/quarkus-run.jar &
pid=$!
stop() {
    trap - INT TERM
    echo
    echo "==> Stopping Corral"
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    exit 0
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
echo
echo "Corral is running: API on $api, OpenAPI at $api/q/openapi. Press Ctrl-C to stop."
wait "$pid"
