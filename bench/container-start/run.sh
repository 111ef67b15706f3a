#!/usr/bin/env bash
# bench/container-start: create → Running of a busybox container through Corral (POST /v1/containers, the agent
# unpacks nothing after the first, mounts the overlay, writes the bundle, runs runc) against `runc run -d` of the
# same bundle by hand (the agent's own config.json, over an overlay of the same layer) in the same run; and the
# memory each idle container costs on the node (the agent's RSS growth and the runc process beside each one).
# Starts its own control plane (embedded PostgreSQL and Kafka, throw-away data) and node agent (throw-away state,
# no VM network). Root only (runc, mounts, cgroups). Prints `container-start corral/runc = R` last.
# Usage: bench/container-start/run.sh [count] [idle]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
source deploy/lib/java.sh
source deploy/lib/prerequisites.sh
corral_require_packages runc
count="${1:-20}"
idle="${2:-10}"
if [ "$(id -u)" -ne 0 ]; then
    echo "bench/container-start: containers need root (runc, overlay mounts, cgroups)" >&2
    exit 1
fi
if [ -z "${CORRAL_BENCH_SKIP_BUILD:-}" ]; then
    ./mvnw -B -q -DskipTests -pl control-plane,node-agent,cli -am package
fi
source bench/lib/control-plane.sh
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
kafka_port="$(free_port)"
agent_port="$(free_port)"
bench_start_control_plane "$port" CORRAL_EMBEDDED_KAFKA_PORT="$kafka_port"
api="http://127.0.0.1:$port"
agent_pid=""
ref=""
# CORRAL_BENCH_LOGS=DIR keeps the control plane's and the agent's logs there (CORRAL_BENCH_AGENT_LOG_LEVEL=DEBUG: each
# container start's steps).
trap 'bench_status=$?; [ -n "${CORRAL_BENCH_LOGS:-}" ] && cp "$bench_data"/*.log "$CORRAL_BENCH_LOGS"/ 2>/dev/null;
      [ -n "$ref" ] && { runc --root "$ref/runc" delete --force ref 2>/dev/null; umount "$ref/rootfs" 2>/dev/null; rm -rf "$ref";
      rmdir /sys/fs/cgroup/corral-bench /sys/fs/cgroup/*/corral-bench 2>/dev/null; } || true;
      [ -n "$agent_pid" ] && { kill -TERM $agent_pid 2>/dev/null; wait $agent_pid 2>/dev/null || true; };
      kill -TERM $bench_pid 2>/dev/null; wait $bench_pid 2>/dev/null || true; rm -rf "$bench_data"; exit $bench_status' EXIT
CORRAL_AGENT_TOKEN="$(cli/bin/corral create token --role node --node bench-node --server "$api")" \
    CORRAL_AGENT_CONTROL_PLANE_URL="$api" CORRAL_AGENT_HTTP_PORT="$agent_port" CORRAL_AGENT_NODE_NAME=bench-node \
    CORRAL_AGENT_STATE_DIR="$bench_data/agent" CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" \
    CORRAL_AGENT_HEARTBEAT_INTERVAL=1s CORRAL_AGENT_NETWORK_SUBNET= QUARKUS_LOG_CATEGORY__DEV_CORRAL_AGENT__LEVEL="${CORRAL_BENCH_AGENT_LOG_LEVEL:-INFO}" \
    java --enable-native-access=ALL-UNNAMED -jar node-agent/target/quarkus-app/quarkus-run.jar > "$bench_data/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 1 120); do
    kill -0 "$agent_pid" 2>/dev/null || { cat "$bench_data/agent.log" >&2; exit 1; }
    curl -sf -H "$bench_auth" "$api/v1/nodes/bench-node" 2>/dev/null | grep -q '"Ready"' && break
    sleep 1
done
bash deploy/images/busybox/build.sh "$bench_data/busybox" >/dev/null
cli/bin/corral image import "$bench_data/busybox/busybox.oci.tar" --name busybox --server "$api" >/dev/null

# Corral: COUNT containers one after another, each deleted once Running (the first one unpacks the layer: not counted).
python3 bench/container-start/measure.py "$api" "$count" > "$bench_data/corral.txt"
corral_ms=$(tail -n 1 "$bench_data/corral.txt")

# The reference: the same bundle by hand. One container's config.json, as the agent wrote it, while it runs.
curl -sf -H "$bench_auth" -X POST "$api/v1/containers" -H 'Content-Type: application/json' \
    -d '{"metadata": {"name": "template"}, "spec": {"image": "busybox", "command": ["sleep", "3600"], "memoryMiB": 32}}' >/dev/null
for _ in $(seq 1 600); do
    curl -sf -H "$bench_auth" "$api/v1/containers/template" | grep -q '"phase":"Running"' && break
    sleep 0.1
done
uid=$(curl -sf -H "$bench_auth" "$api/v1/containers/template" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["uid"])')
ref="$(mktemp -d)"
mkdir -p "$ref/rootfs" "$ref/upper" "$ref/work" "$ref/runc"
layer=$(ls -d "$bench_data"/agent/layers/*/ | head -n 1)
python3 - "$bench_data/agent/containers/runs/$uid/config.json" "$ref" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["root"]["path"] = sys.argv[2] + "/rootfs"
config["linux"]["cgroupsPath"] = "/corral-bench/ref"
config["process"]["args"] = ["sleep", "3600"]
json.dump(config, open(sys.argv[2] + "/config.json", "w"))
PY
curl -sf -H "$bench_auth" -X DELETE "$api/v1/containers/template" >/dev/null
runc_ms=()
for i in $(seq 1 "$count"); do
    mount -t overlay overlay -o "lowerdir=$layer,upperdir=$ref/upper,workdir=$ref/work" "$ref/rootfs"
    t0=$(date +%s%N)
    runc --root "$ref/runc" run --detach --bundle "$ref" ref </dev/null >/dev/null 2>&1
    t1=$(date +%s%N)
    runc --root "$ref/runc" delete --force ref
    umount "$ref/rootfs"
    runc_ms+=("$(( (t1 - t0) / 1000 ))")
done
runc_med=$(printf '%s\n' "${runc_ms[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] / 1000}')

# Memory per idle container: the agent's RSS and the runc processes, before and after IDLE sleeping containers.
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
agent_before=$(rss "$agent_pid")
for i in $(seq 1 "$idle"); do
    curl -sf -H "$bench_auth" -X POST "$api/v1/containers" -H 'Content-Type: application/json' \
        -d "{\"metadata\": {\"name\": \"idle-$i\"}, \"spec\": {\"image\": \"busybox\", \"command\": [\"sleep\", \"3600\"], \"memoryMiB\": 16, \"cpus\": 0.1}}" >/dev/null
done
for _ in $(seq 1 600); do
    [ "$(curl -sf -H "$bench_auth" "$api/v1/containers" | grep -o '"phase":"Running"' | wc -l)" -ge "$idle" ] && break
    sleep 0.2
done
sleep 2
agent_after=$(rss "$agent_pid")
# Beside each running container the node keeps its supervisor (a shell, the agent's child) and its `runc run`.
runc_kib=0
shim_kib=0
for s in $(pgrep -P "$agent_pid" -f corral-supervisor || true); do
    shim_kib=$(( shim_kib + $(rss "$s") ))
    for p in $(pgrep -P "$s" -x runc || true); do
        runc_kib=$(( runc_kib + $(rss "$p") ))
    done
done
for i in $(seq 1 "$idle"); do
    curl -sf -H "$bench_auth" -X DELETE "$api/v1/containers/idle-$i" >/dev/null
done

echo "cores: $(nproc)"
cat "$bench_data/corral.txt" | head -n -1
echo "corral create → Running, median of $count: $corral_ms ms"
echo "runc run --detach of the same bundle by hand (until it returns: started), median of $count: $runc_med ms"
echo "idle containers: $idle; agent RSS $((agent_before / 1024)) → $((agent_after / 1024)) MiB ($(( (agent_after - agent_before) / idle )) KiB each);" \
    "runc run processes $(( runc_kib / 1024 )) MiB ($(( runc_kib / (idle > 0 ? idle : 1) )) KiB each);" \
    "supervisors $(( shim_kib / 1024 )) MiB ($(( shim_kib / (idle > 0 ? idle : 1) )) KiB each)"
python3 -c "print('container-start corral/runc = %.2f' % ($corral_ms / $runc_med))"
