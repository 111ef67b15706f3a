#!/usr/bin/env bash
# bench/scheduler: placements per second through the REST API with real PostgreSQL.
# Starts its own control plane (embedded PostgreSQL and Kafka, throw-away data), registers 1,000 nodes,
# creates 10,000 VMs, and compares with the same number of plain creates (no placement) in the same run.
# Usage: bench/scheduler/run.sh [nodes] [vms] [concurrency]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
./mvnw -B -q -DskipTests -pl control-plane -am package
source bench/lib/control-plane.sh
port="${CORRAL_BENCH_PORT:-18080}"
bench_start_control_plane "$port" CORRAL_SCHEDULER_NODE_HEARTBEAT_TIMEOUT=1h ${CORRAL_BENCH_SERVER_ENV:-}
# The load generator shares the two cores with the control plane, so it runs with C1 alone: its own JIT warm-up under
# HotSpot's tiers took 0.33-0.38 ms of CPU per create in the first round (a third of the server's), C1 alone 0.11-0.12
# ms (README.md). CORRAL_BENCH_CLIENT_JAVA_OPTS replaces that (set it empty for HotSpot's defaults).
client_opts="${CORRAL_BENCH_CLIENT_JAVA_OPTS--XX:TieredStopAtLevel=1}"
CORRAL_BENCH_SERVER_PID="$bench_pid" java $client_opts bench/scheduler/SchedulerBench.java "http://127.0.0.1:$port" "${1:-1000}" "${2:-10000}" "${3:-32}"
