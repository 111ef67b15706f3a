# Sourced by benchmarks: starts a throw-away control plane (embedded PostgreSQL and Kafka) on port $1 with the
# environment given after it, waits until it is ready, and stops it and removes its data on exit. JVM options for it,
# such as a profiler's agent, go in $CORRAL_BENCH_CONTROL_PLANE_JAVA_OPTS. It runs as run.sh runs it: with the JDK's
# ahead-of-time cache trained for this build (deploy/lib/aot.sh; CORRAL_CONTROL_PLANE_AOT=0: without).
# Sets: bench_data (its data directory, with control-plane.log), bench_pid, bench_kafka (its embedded broker's address).
bench_start_control_plane() {
    local port="$1"
    shift
    source deploy/lib/aot.sh
    corral_control_plane_aot
    bench_data="$(mktemp -d)"
    env CORRAL_DATA_DIR="$bench_data" CORRAL_HTTP_PORT="$port" "$@" \
        java @control-plane/jvm.options ${control_plane_aot[@]+"${control_plane_aot[@]}"} ${CORRAL_BENCH_CONTROL_PLANE_JAVA_OPTS:-} -jar control-plane/target/quarkus-app/quarkus-run.jar > "$bench_data/control-plane.log" 2>&1 &
    bench_pid=$!
    # The benchmark's own status is the script's: the control plane's (143 after the TERM) must not replace it,
    # and under `set -e` a failing wait inside the trap would.
    trap 'bench_status=$?; kill -TERM $bench_pid 2>/dev/null; wait $bench_pid 2>/dev/null || true; rm -rf "$bench_data"; exit $bench_status' EXIT
    for _ in $(seq 1 120); do
        if curl -sf -o /dev/null "http://127.0.0.1:$port/q/health/ready"; then
            # Every API call takes the admin token the control plane wrote on start-up: the CLI and the Java and
            # Python benchmarks read $CORRAL_TOKEN, curl takes $bench_auth (-H "$bench_auth").
            CORRAL_TOKEN="$(cat "$bench_data/admin-token")"
            export CORRAL_TOKEN
            bench_auth="Authorization: Bearer $CORRAL_TOKEN"
            bench_kafka="$(grep -o 'Embedded Kafka broker on [^ ]*' "$bench_data/control-plane.log" | awk '{print $5}' || true)"
            return 0
        fi
        kill -0 "$bench_pid" 2>/dev/null || { cat "$bench_data/control-plane.log" >&2; exit 1; }
        sleep 1
    done
    echo "the control plane did not get ready in 120 s" >&2
    exit 1
}
