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
CORRAL_BENCH_SERVER_PID="$bench_pid" java bench/scheduler/SchedulerBench.java "http://127.0.0.1:$port" "${1:-1000}" "${2:-10000}" "${3:-32}"
