#!/usr/bin/env bash
# bench/cli: how long `corral get vms` takes against a running control plane, against a goal of 0.3 s.
# Starts its own control plane (embedded PostgreSQL and Kafka, throw-away data), creates some VMs, runs the CLI once
# to make its ahead-of-time cache, then times `corral get vms` N times, interleaved with the references measured in the
# same run: curl of the same endpoint (the HTTP round trip, the floor) and `java -version` (a bare JVM start).
# Usage: bench/cli/run.sh [runs] [vms]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
runs="${1:-21}"
vms="${2:-50}"
./mvnw -B -q -DskipTests -pl control-plane,cli -am package
source bench/lib/control-plane.sh
# Other benches and test runs may hold a port on this machine: take the first free one from 18090 on.
port="${CORRAL_BENCH_PORT:-}"
if [ -z "$port" ]; then
    for port in $(seq 18090 18190); do
        (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null || break
    done
fi
bench_start_control_plane "$port" CORRAL_SCHEDULER_NODE_HEARTBEAT_TIMEOUT=1h
api="http://127.0.0.1:$port"

post() { curl -sf -o /dev/null -X "$1" -H "$bench_auth" -H 'Content-Type: application/json' --data-binary "$3" "$api$2"; }
kernel="bench cli kernel $$"
sha="$(printf '%s' "$kernel" | sha256sum | cut -d' ' -f1)"
curl -sf -o /dev/null -X POST -H "$bench_auth" -H 'Content-Type: application/octet-stream' --data-binary "$kernel" "$api/v1/blobs"
post POST /v1/images "{\"metadata\":{\"name\":\"bench\"},\"spec\":{\"kernel\":{\"sha256\":\"$sha\"}}}"
post PUT /v1/nodes/bench-1 '{"accelerator":"kvm-hardware","capacity":{"vcpus":64,"memoryMiB":262144}}'
for i in $(seq 1 "$vms"); do
    post POST /v1/vms "{\"metadata\":{\"name\":\"web-$i\"},\"spec\":{\"image\":\"bench\",\"vcpus\":1,\"memoryMiB\":256}}"
done

# The CLI as a user runs it: the launcher, the server and the token ($CORRAL_TOKEN) from the environment, no config file.
export CORRAL_SERVER="$api" CORRAL_CONFIG="$bench_data/no-config"
corral=cli/bin/corral
# Warm-up: the first run starts making the cache in the background; wait for its maker (it holds the lock).
"$corral" get vms > /dev/null
sleep 1
flock cli/target/corral-cli.aot.lock true 2> /dev/null || true
cache="$(ls cli/target/corral-cli-*.aot 2> /dev/null | head -1 || true)"
shown="$("$corral" get vms | wc -l)"
[ "$shown" -eq "$((vms + 1))" ] || { echo "corral get vms printed $shown lines, expected $((vms + 1))" >&2; exit 1; }

names=(corral curl java-version uncached)
cmds=("$corral get vms"
      "curl -sf -H '$bench_auth' -H 'Accept: application/json' '$api/v1/vms?project=default&limit=500'"
      "$JAVA_HOME/bin/java -version"
      "$JAVA_HOME/bin/java -jar cli/target/corral-cli-0.1.0-SNAPSHOT.jar get vms")
# CORRAL_BENCH_BASELINE: another build's launcher (e.g. an earlier commit's cli/bin/corral), timed in the same rounds.
if [ -n "${CORRAL_BENCH_BASELINE:-}" ]; then
    "$CORRAL_BENCH_BASELINE" get vms > /dev/null
    sleep 5
    names+=(baseline)
    cmds+=("$CORRAL_BENCH_BASELINE get vms")
fi
times="$(mktemp -d)"
for _ in $(seq 1 "$runs"); do
    for i in "${!names[@]}"; do
        start=$(date +%s%N)
        eval "${cmds[$i]}" > /dev/null 2>&1
        end=$(date +%s%N)
        echo $(((end - start) / 1000)) >> "$times/${names[$i]}"
    done
done
# Median and p90 (nearest rank) in seconds.
quantiles() { sort -n "$times/$1" | awk '{a[NR] = $1} END {printf "%.3f %.3f", a[int((NR + 1) / 2)] / 1e6, a[int(NR * 0.9 + 0.999)] / 1e6}'; }
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $vms VMs; $runs runs each, interleaved"
echo "cache: ${cache:-none (the CLI ran uncached)}"
printf '%-58s %8s %8s\n' "" "median" "p90"
printf '%-58s %7ss %7ss\n' "corral get vms (cli/bin/corral: AOT cache, flags)" $(quantiles corral)
printf '%-58s %7ss %7ss\n' "java -jar corral-cli.jar get vms (no cache, no flags)" $(quantiles uncached)
printf '%-58s %7ss %7ss\n' "curl of the same endpoint (the round trip)" $(quantiles curl)
printf '%-58s %7ss %7ss\n' "java -version (a bare JVM start)" $(quantiles java-version)
if [ -n "${CORRAL_BENCH_BASELINE:-}" ]; then
    printf '%-58s %7ss %7ss\n' "baseline: $CORRAL_BENCH_BASELINE" $(quantiles baseline)
fi
read -r median _ <<< "$(quantiles corral)"
read -r curl_median _ <<< "$(quantiles curl)"
read -r java_median _ <<< "$(quantiles java-version)"
awk -v m="$median" -v c="$curl_median" -v j="$java_median" 'BEGIN {
    printf "corral minus java -version: %.3f s; corral/curl = %.1f\n", m - j, m / c
    printf "cli get-vms corral/goal(0.3s) = %.2f\n", m / 0.3 }'
rm -rf "$times"
