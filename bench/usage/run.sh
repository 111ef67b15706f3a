#!/usr/bin/env bash
# bench/usage: lifecycle events per second through the usage meter, with real Kafka and PostgreSQL.
# Starts its own control plane (embedded PostgreSQL and Kafka, throw-away data), publishes WORKLOADS x 8 lifecycle
# events as fast as a producer can, and measures how fast the meter turns them into usage; the reference in the
# same run is a plain consumer that reads and parses the same records and writes nothing.
# Usage: bench/usage/run.sh [workloads]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
./mvnw -B -q -DskipTests -pl control-plane -am package
# The benchmark's client needs only Kafka's client and Jackson, both in the packaged control plane.
cp="control-plane/target/quarkus-app/lib/main/*"
source bench/lib/control-plane.sh
port="${CORRAL_BENCH_PORT:-18081}"
# The meter's per-step profile (MeterProfile, at DEBUG) goes to the control plane's log; UsageBench sums it.
bench_start_control_plane "$port" QUARKUS_LOG_CATEGORY__DEV_CORRAL_CONTROLPLANE_USAGE_PROFILE__LEVEL=DEBUG
: "${bench_kafka:?no embedded Kafka broker named in the control plane log}"
# The load generator (producer, then the plain consumer) shares the two cores with the control plane, so it runs with
# C1 alone, as bench/scheduler's does: under HotSpot's tiers its own JIT warm-up competes with the meter for the first
# seconds, which are the goal's (README.md). CORRAL_BENCH_CLIENT_JAVA_OPTS replaces that (empty: HotSpot's defaults).
client_opts="${CORRAL_BENCH_CLIENT_JAVA_OPTS--XX:TieredStopAtLevel=1}"
java $client_opts --enable-native-access=ALL-UNNAMED -cp "$cp" bench/usage/UsageBench.java "http://127.0.0.1:$port" "$bench_kafka" "${1:-20000}" "$bench_data/control-plane.log" "$bench_pid"
