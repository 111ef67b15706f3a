#!/usr/bin/env bash
# Runs Corral on this machine: the control plane with an embedded PostgreSQL and an embedded Kafka broker,
# and a node agent that registers this host. Ctrl-C stops everything it started. Data lives in $CORRAL_DATA_DIR (default ~/.corral/local).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=../lib/java.sh
source deploy/lib/java.sh
# shellcheck source=../lib/prerequisites.sh
source deploy/lib/prerequisites.sh

# binutils: the ticker guest is assembled from source (deploy/guests/ticker) when Corral starts; the linux guest is
# built from Debian packages (apt-get download, dpkg-deb) with gzip.
corral_require_packages binutils gzip
# runc runs the node's containers; busybox-static is the busybox container image's content (deploy/images/busybox).
corral_require_packages runc
corral_require_package_lists

port="${CORRAL_HTTP_PORT:-8080}"
export CORRAL_HTTP_PORT="$port"
api="http://127.0.0.1:$port"
data="${CORRAL_DATA_DIR:-$HOME/.corral/local}"
# The node agent publishes lifecycle events to the control plane's broker: the embedded one listens on a fixed port
# (CORRAL_KAFKA_PORT, default 9092) so that the agent finds it across restarts.
if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    kafka="$KAFKA_BOOTSTRAP_SERVERS"
else
    export CORRAL_EMBEDDED_KAFKA_PORT="${CORRAL_KAFKA_PORT:-9092}"
    kafka="127.0.0.1:$CORRAL_EMBEDDED_KAFKA_PORT"
fi
if curl -s -o /dev/null "$api/q/health" 2>/dev/null; then
    echo "corral: something already answers on $api; stop it or set CORRAL_HTTP_PORT" >&2
    exit 1
fi

echo "==> Building the control plane, the node agent and the CLI (./mvnw package, tests skipped)"
./mvnw -B -q -DskipTests -pl control-plane,node-agent,cli -am package

echo "==> Starting the control plane on $api"
# Its own session: Ctrl-C reaches this script only, which stops the control plane, which stops its embedded
# PostgreSQL and Kafka in order (a terminal's SIGINT would otherwise hit PostgreSQL first).
setsid java -jar control-plane/target/quarkus-app/quarkus-run.jar &
pid=$!
agent=""
stop() {
    trap - INT TERM
    echo
    echo "==> Stopping Corral"
    if [ -n "$agent" ]; then
        kill -TERM "$agent" 2>/dev/null || true
        wait "$agent" 2>/dev/null || true
    fi
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    exit "${1:-0}"
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

agent_port="${CORRAL_AGENT_HTTP_PORT:-8081}"
echo "==> Starting the node agent for this host (health on http://127.0.0.1:$agent_port/q/health)"
CORRAL_AGENT_CONTROL_PLANE_URL="$api" CORRAL_AGENT_HTTP_PORT="$agent_port" \
    CORRAL_AGENT_STATE_DIR="$data/agent" CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS="$kafka" \
    setsid java --enable-native-access=ALL-UNNAMED -jar node-agent/target/quarkus-app/quarkus-run.jar &
agent=$!
for _ in $(seq 1 120); do
    kill -0 "$agent" 2>/dev/null || { echo "corral: the node agent exited during start-up (see its log above)" >&2; stop 1; }
    curl -sf -o /dev/null "http://127.0.0.1:$agent_port/q/health/ready" && break
    sleep 1
done
echo "==> cli/bin/corral get nodes"
cli/bin/corral get nodes --server "$api"

echo "==> Building the ticker guest (deploy/guests/ticker) and registering it as image 'ticker'"
bash deploy/guests/ticker/build.sh "$data/guests/ticker" || { echo "corral: building the ticker guest failed" >&2; stop 1; }
sha="$(cli/bin/corral upload "$data/guests/ticker" --server "$api" | cut -d' ' -f1)" || stop 1
printf 'apiVersion: corral/v1\nkind: Image\nmetadata: {name: ticker}\nspec: {kernel: {sha256: %s}, cmdline: "interval=1000"}\n' \
    "${sha#sha256:}" | cli/bin/corral apply -f - --server "$api" || stop 1
echo "==> Building the linux guest (deploy/guests/linux: Debian's cloud kernel, a busybox initramfs and a 64 MiB ext4 root disk) and registering it as image 'linux'"
bash deploy/guests/linux/build.sh "$data/guests/linux" || { echo "corral: building the linux guest failed" >&2; stop 1; }
kernel="$(cli/bin/corral upload "$data/guests/linux/vmlinuz" --server "$api" | cut -d' ' -f1)" || stop 1
initrd="$(cli/bin/corral upload "$data/guests/linux/initramfs.cpio.gz" --server "$api" | cut -d' ' -f1)" || stop 1
disk="$(cli/bin/corral upload "$data/guests/linux/rootfs.ext4" --server "$api" | cut -d' ' -f1)" || stop 1
printf 'apiVersion: corral/v1\nkind: Image\nmetadata: {name: linux}\nspec: {kernel: {sha256: %s}, initrd: {sha256: %s}, disk: {sha256: %s, format: raw}, cmdline: "console=ttyS0 root=/dev/vda"}\n' \
    "${kernel#sha256:}" "${initrd#sha256:}" "${disk#sha256:}" | cli/bin/corral apply -f - --server "$api" || stop 1
echo "==> Building the busybox container image (deploy/images/busybox: Debian's busybox-static as an OCI image layout) and importing it as image 'busybox'"
bash deploy/images/busybox/build.sh "$data/images/busybox" || { echo "corral: building the busybox image failed" >&2; stop 1; }
if ! cli/bin/corral get image busybox --server "$api" >/dev/null 2>&1; then
    cli/bin/corral image import "$data/images/busybox/busybox.oci.tar" --name busybox --server "$api" || stop 1
fi
echo
echo "Corral is running: API on $api, OpenAPI at $api/q/openapi. Press Ctrl-C to stop."
echo "Start a VM:   curl -s -X POST $api/v1/vms -H 'Content-Type: application/json' \\"
echo "                -d '{\"metadata\": {\"name\": \"tick-1\"}, \"spec\": {\"image\": \"ticker\", \"vcpus\": 1, \"memoryMiB\": 64}}'"
echo "Watch it:     cli/bin/corral get vms -w      and its console:   cli/bin/corral logs vm/tick-1 -f"
echo "A container:  cli/bin/corral create container web --image busybox --memory 32Mi -- httpd -f -p 8080 -h /var/www"
echo "              cli/bin/corral exec container/web -- wget -qO- http://127.0.0.1:8080/"
wait "$pid"
