#!/usr/bin/env bash
# bench/status: lifecycle events per second into the status of stored workloads, with real Kafka and PostgreSQL.
# Starts its own control plane (embedded PostgreSQL and Kafka, throw-away data), creates WORKLOADS VMs through the
# API, publishes 6 lifecycle events for each at once (a busy fleet, or a control plane catching up), and measures how
# fast the status consumer applies them, while an API client keeps writing; the reference in the same run is a plain
# consumer that reads and parses the same records and writes nothing.
# Usage: bench/status/run.sh [workloads]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
./mvnw -B -q -DskipTests -pl control-plane -am package
# The benchmark's client needs only Kafka's client and Jackson, both in the packaged control plane.
cp="control-plane/target/quarkus-app/lib/main/*"
source bench/lib/control-plane.sh
port="${CORRAL_BENCH_PORT:-18082}"
bench_start_control_plane "$port"
: "${bench_kafka:?no embedded Kafka broker named in the control plane log}"
java --enable-native-access=ALL-UNNAMED -cp "$cp" bench/status/StatusBench.java "http://127.0.0.1:$port" "$bench_kafka" "${1:-4000}" "$bench_pid"
