#!/usr/bin/env bash
# bench/create-to-running: POST of a ticker VM → phase Running on the local cloud, p50/p99 against the 0.5 s goal.
# Starts its own control plane (embedded PostgreSQL and Kafka, throw-away data) and one node agent (throw-away state,
# no VM network), builds the ticker guest, creates COUNT ticker VMs one after another (each deleted once Running),
# and compares with the POST → 201 of the same creates in the same run.
# Usage: bench/create-to-running/run.sh [count]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
corral_require_packages binutils
if [ -z "${CORRAL_BENCH_SKIP_BUILD:-}" ]; then
    ./mvnw -B -q -DskipTests -pl control-plane,node-agent -am package
fi
source bench/lib/control-plane.sh
# Free ports unless given: other control planes on this machine hold the usual ones.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="${CORRAL_BENCH_PORT:-$(free_port)}"
kafka_port="${CORRAL_BENCH_KAFKA_PORT:-$(free_port)}"
agent_port="${CORRAL_BENCH_AGENT_PORT:-$(free_port)}"
bench_start_control_plane "$port" CORRAL_EMBEDDED_KAFKA_PORT="$kafka_port"

agent_pid=""
# Stops the agent first (it publishes to the control plane's broker), then the control plane, then removes the data.
# CORRAL_BENCH_LOGS=DIR keeps the control plane's and the agent's logs there.
trap 'bench_status=$?; [ -n "${CORRAL_BENCH_LOGS:-}" ] && cp "$bench_data"/*.log "$CORRAL_BENCH_LOGS"/ 2>/dev/null; [ -n "$agent_pid" ] && { kill -TERM $agent_pid 2>/dev/null; wait $agent_pid 2>/dev/null || true; };
      kill -TERM $bench_pid 2>/dev/null; wait $bench_pid 2>/dev/null || true; rm -rf "$bench_data"; exit $bench_status' EXIT
# No VM network: the ticker needs none, and a benchmark must not touch the host's bridges.
CORRAL_AGENT_TOKEN="$(cli/bin/corral create token --role node --node bench-node --server "http://127.0.0.1:$port")" \
    CORRAL_AGENT_CONTROL_PLANE_URL="http://127.0.0.1:$port" CORRAL_AGENT_HTTP_PORT="$agent_port" CORRAL_AGENT_NODE_NAME=bench-node \
    CORRAL_AGENT_STATE_DIR="$bench_data/agent" CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" \
    CORRAL_AGENT_HEARTBEAT_INTERVAL=1s CORRAL_AGENT_NETWORK_SUBNET= \
    java --enable-native-access=ALL-UNNAMED -jar node-agent/target/quarkus-app/quarkus-run.jar > "$bench_data/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 1 120); do
    kill -0 "$agent_pid" 2>/dev/null || { cat "$bench_data/agent.log" >&2; exit 1; }
    curl -sf -o /dev/null "http://127.0.0.1:$agent_port/q/health/ready" && break
    sleep 1
done
for _ in $(seq 1 60); do
    curl -sf -H "$bench_auth" "http://127.0.0.1:$port/v1/nodes/bench-node" | grep -q '"Ready"' && break
    sleep 1
done

bash deploy/guests/ticker/build.sh "$bench_data/ticker"
lib=control-plane/target/quarkus-app/lib/main
# Jackson as the control plane ships it, whatever its version.
cp="$(printf '%s:' "$lib"/com.fasterxml.jackson.core.jackson-{databind,core,annotations}-*.jar)"
java -cp "$cp" bench/create-to-running/CreateToRunningBench.java "http://127.0.0.1:$port" "$bench_data/ticker" "${1:-50}" || {
    echo "--- control plane log (tail)" >&2; tail -30 "$bench_data/control-plane.log" >&2
    echo "--- agent log (tail)" >&2; tail -30 "$bench_data/agent.log" >&2
    exit 1
}
