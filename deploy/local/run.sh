#!/usr/bin/env bash
# Runs Corral on this machine: the control plane with an embedded PostgreSQL and an embedded Kafka broker,
# and a node agent that registers this host. Ctrl-C stops everything it started. Data lives in $CORRAL_DATA_DIR (default ~/.corral/local).
# It supervises what it started: when the control plane or the agent exits, it stops the other and exits non-zero
# with the reason. Running it again after any crash (of either process, of PostgreSQL, of this script) brings the
# whole cloud back: what an earlier run left running is stopped first ($CORRAL_DATA_DIR/run/*.pid).
# CORRAL_LOCAL_BUILD=0 skips the build (the jars must be there); CORRAL_LOCAL_IMAGES (default "ticker linux busybox") says
# which guest images it builds and registers ("" for none).
# CORRAL_TLS=1 runs it all over TLS: a throw-away CA and a certificate for localhost/127.0.0.1 in $CORRAL_DATA_DIR/tls
# (made on the first such run, kept after), the API on https://127.0.0.1:$CORRAL_HTTPS_PORT (8443) only, the agent's
# endpoints on https://127.0.0.1:$CORRAL_AGENT_HTTPS_PORT (8444) only, each verifying the other against the CA, and
# the CLI's context "local" holding the CA.
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
# runc runs the node's containers (the busybox container image is built from busybox-static, fetched by deploy/images/busybox).
corral_require_packages runc
corral_require_package_lists

port="${CORRAL_HTTP_PORT:-8080}"
export CORRAL_HTTP_PORT="$port"
api="http://127.0.0.1:$port"
data="${CORRAL_DATA_DIR:-$HOME/.corral/local}"
tls="${CORRAL_TLS:-0}"
case "$tls" in
    0 | 1) ;;
    *) echo "corral: CORRAL_TLS must be 0 or 1, not '$tls'" >&2; exit 1 ;;
esac
tls_dir="$data/tls"
ca="$tls_dir/ca.pem"
# curl's trust for the API and the agent: the local CA, with TLS on.
curl_tls=()
if [ "$tls" = 1 ]; then
    export CORRAL_HTTPS_PORT="${CORRAL_HTTPS_PORT:-8443}"
    api="https://127.0.0.1:$CORRAL_HTTPS_PORT"
    curl_tls=(--cacert "$ca")
fi
# The node agent publishes lifecycle events to the control plane's broker: the embedded one listens on a fixed port
# (CORRAL_KAFKA_PORT, default 9092) so that the agent finds it across restarts.
if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    kafka="$KAFKA_BOOTSTRAP_SERVERS"
else
    export CORRAL_EMBEDDED_KAFKA_PORT="${CORRAL_KAFKA_PORT:-9092}"
    kafka="127.0.0.1:$CORRAL_EMBEDDED_KAFKA_PORT"
fi
agent_port="${CORRAL_AGENT_HTTP_PORT:-8081}"
agent_url="http://127.0.0.1:$agent_port"
if [ "$tls" = 1 ]; then
    agent_url="https://127.0.0.1:${CORRAL_AGENT_HTTPS_PORT:-8444}"
fi
run="$data/run"
mkdir -p "$run"
control_plane_jar="control-plane/target/quarkus-app/quarkus-run.jar"
agent_jar="node-agent/target/quarkus-app/quarkus-run.jar"

# A process this script started in an earlier run, from its pid file, if it still runs that jar.
leftover() {
    local file="$run/$1.pid" pid
    [ -f "$file" ] || return 1
    pid="$(cat "$file")"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" || return 1
    echo "$pid"
}
# Stops a process (SIGTERM, SIGKILL after $3 s) that is not this shell's child, and waits for it to be gone.
stop_pid() {
    local pid="$1" name="$2" grace="$3" i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 $((grace * 10))); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "corral: the $name (pid $pid) did not stop within $grace s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}
# The embedded PostgreSQL of a control plane that was killed: stopped cleanly (SIGINT is its fast shutdown). The
# control plane's next start would do it too; this leaves nothing running once this script has exited.
stop_orphaned_postgres() {
    local file="$data/postgres/postmaster.pid" pid
    [ -f "$file" ] || return 0
    pid="$(head -n 1 "$file")"
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 0
    echo "corral: stopping the embedded PostgreSQL (pid $pid) its control plane left running" >&2
    kill -INT "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
}

# What an earlier run left running (it was killed, or one of its processes was): the agent first, as a stop does.
if old="$(leftover agent "$agent_jar")"; then
    echo "==> Stopping the node agent (pid $old) an earlier run left running"
    stop_pid "$old" "node agent" 40
fi
if old="$(leftover control-plane "$control_plane_jar")"; then
    echo "==> Stopping the control plane (pid $old) an earlier run left running"
    stop_pid "$old" "control plane" 40
fi
stop_orphaned_postgres
rm -f "$run/agent.pid" "$run/control-plane.pid"
# Whether anything answers at all (-k: nothing is sent but the probe, and the CA may not exist yet).
if curl -sk -o /dev/null "$api/q/health" 2>/dev/null; then
    echo "corral: something already answers on $api; stop it or set CORRAL_HTTP_PORT (CORRAL_HTTPS_PORT with TLS)" >&2
    exit 1
fi
if curl -sk -o /dev/null "$agent_url/q/health" 2>/dev/null; then
    echo "corral: something already answers on $agent_url; stop it or set CORRAL_AGENT_HTTP_PORT (CORRAL_AGENT_HTTPS_PORT with TLS)" >&2
    exit 1
fi

if [ "${CORRAL_LOCAL_BUILD:-1}" != 0 ]; then
    echo "==> Building the control plane, the node agent and the CLI (./mvnw package, tests skipped)"
    ./mvnw -B -q -DskipTests -pl control-plane,node-agent,cli -am package
fi

if [ "$tls" = 1 ]; then
    # A throw-away CA and one server certificate for this host (control plane and agent alike), made with the JDK's
    # keytool by dev.corral.embedded.LocalCertificates (in the control plane's jars); kept for later runs.
    embedded_jar="$(ls control-plane/target/quarkus-app/lib/main/dev.corral.corral-embedded-*.jar 2>/dev/null | head -n 1)"
    [ -n "$embedded_jar" ] || { echo "corral: no corral-embedded jar in control-plane/target/quarkus-app/lib/main; build first" >&2; exit 1; }
    if [ ! -s "$tls_dir/server.pem" ]; then
        echo "==> Making a throw-away CA and a certificate for localhost and 127.0.0.1 in $tls_dir"
    fi
    java -cp "$embedded_jar" dev.corral.embedded.LocalCertificates "$tls_dir" server localhost 127.0.0.1 >/dev/null
    export CORRAL_TLS_CERT="$tls_dir/server.pem" CORRAL_TLS_KEY="$tls_dir/server-key.pem" CORRAL_TLS_AGENT_CA="$ca"
fi

# The JDK's ahead-of-time caches (deploy/lib/aot.sh, docs/0010): the control plane's, trained once per build before
# it starts; the agent's, recorded by its first run of a build and kept when it stops cleanly.
# shellcheck source=../lib/aot.sh
source deploy/lib/aot.sh
corral_control_plane_aot
corral_node_agent_aot

echo "==> Starting the control plane on $api"
# Its own session: Ctrl-C reaches this script only, which stops the control plane, which stops its embedded
# PostgreSQL and Kafka in order (a terminal's SIGINT would otherwise hit PostgreSQL first).
setsid java @control-plane/jvm.options ${control_plane_aot[@]+"${control_plane_aot[@]}"} -jar "$control_plane_jar" &
pid=$!
echo "$pid" >"$run/control-plane.pid"
agent=""
stopping=""
# Stops what this run started, the agent first (it drains: stops its VMs and delivers their events to the control
# plane's broker), then the control plane (which stops its PostgreSQL and Kafka last), and exits with $1.
# Output may have nowhere to go by then (a closed terminal, a pipe whose reader Ctrl-C ended first): it is written
# with SIGPIPE ignored and errors dropped, so the stopping itself always runs. The terminal closing meanwhile (SIGHUP:
# a Ctrl-C, then the window or the tmux session closed) no longer cuts it short, which left the control plane running
# without its script; a second Ctrl-C or a TERM still does.
stop() {
    trap - INT TERM EXIT
    trap '' PIPE HUP
    set +e
    [ -n "$stopping" ] && exit "${1:-0}"
    stopping=1
    { echo; echo "==> Stopping Corral"; } 2>/dev/null || true
    local agent_status=1
    if [ -n "$agent" ]; then
        kill -TERM "$agent" 2>/dev/null || true
        agent_status=0
        wait "$agent" 2>/dev/null || agent_status=$?
    fi
    # A clean stop of an agent that recorded its ahead-of-time cache (143: the TERM asked for) wrote it as it exited.
    [ "$agent_status" = 143 ] && agent_status=0
    corral_node_agent_aot_keep "$agent_status" 2>/dev/null || true
    rm -f "$run/agent.pid"
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$run/control-plane.pid"
    stop_orphaned_postgres
    exit "${1:-0}"
}
trap 'stop 0' INT TERM HUP
trap 'stop $?' EXIT
# One of the two exited on its own: say which and how, stop the other, exit non-zero.
died() {
    local status=0
    wait "$2" || status=$?
    echo "corral: the $1 (pid $2) exited with status $status$3; stopping the rest" >&2
    [ "$1" = "node agent" ] && agent=""
    stop 1
}

for _ in $(seq 1 180); do
    kill -0 "$pid" 2>/dev/null || died "control plane" "$pid" " during start-up (its log is above)"
    if curl -sf ${curl_tls[@]+"${curl_tls[@]}"} -o /dev/null "$api/q/health/ready"; then
        break
    fi
    sleep 1
done

echo
echo "==> curl ${curl_tls[*]+${curl_tls[*]} }$api/q/health"
curl -s ${curl_tls[@]+"${curl_tls[@]}"} "$api/q/health"
echo

# The control plane wrote its bootstrap admin token to $data/admin-token (mode 0600) on its first start. The CLI's
# context "local" gets it (and becomes current), so cli/bin/corral needs no token handling; curl takes it as a header.
admin_token_file="$data/admin-token"
[ -s "$admin_token_file" ] || { echo "corral: the control plane wrote no admin token to $admin_token_file" >&2; stop 1; }
# With TLS the context also stores the CA (its content), so the CLI verifies the API's certificate.
login_ca=()
[ "$tls" = 1 ] && login_ca=(--certificate-authority "$ca")
echo "==> cli/bin/corral login --server $api --context local --token \$(cat $admin_token_file)${login_ca[*]+ ${login_ca[*]}}"
cli/bin/corral login --server "$api" --context local --token "$(cat "$admin_token_file")" ${login_ca[@]+"${login_ca[@]}"} || stop 1
echo "==> curl ${curl_tls[*]+${curl_tls[*]} }-H \"Authorization: Bearer \$(cat $admin_token_file)\" $api/v1/version"
curl -s ${curl_tls[@]+"${curl_tls[@]}"} -H "Authorization: Bearer $(cat "$admin_token_file")" "$api/v1/version"
echo

# The agent runs with a node token for its own node only (role node), minted with the admin token and kept in its
# state directory (mode 0600); a later run reuses it while it works and is this node's.
node="${CORRAL_AGENT_NODE_NAME:-$(hostname | cut -d. -f1 | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9-]/-/g; s/^-*//; s/-*$//' | cut -c1-63)}"
node="${node:-localhost}"
node_token_file="$data/agent/node-token"
mkdir -p "$data/agent"
if [ ! -s "$node_token_file" ] || ! curl -sf ${curl_tls[@]+"${curl_tls[@]}"} -H "Authorization: Bearer $(cat "$node_token_file")" "$api/v1/tokens/current" \
        | grep -q "\"node\":\"$node\""; then
    echo "==> cli/bin/corral create token --role node --node $node   (for the agent, in $node_token_file)"
    (umask 077 && cli/bin/corral create token --role node --node "$node" --server "$api" >"$node_token_file.tmp") || stop 1
    mv "$node_token_file.tmp" "$node_token_file"
fi

# With TLS the agent verifies the control plane against the CA and serves its endpoints over https only.
if [ "$tls" = 1 ]; then
    export CORRAL_AGENT_CONTROL_PLANE_CA="$ca" CORRAL_AGENT_TLS_CERT="$tls_dir/server.pem" CORRAL_AGENT_TLS_KEY="$tls_dir/server-key.pem" \
        CORRAL_AGENT_HTTPS_PORT="${CORRAL_AGENT_HTTPS_PORT:-8444}"
fi
echo "==> Starting the node agent for node $node (health on $agent_url/q/health)"
CORRAL_AGENT_CONTROL_PLANE_URL="$api" CORRAL_AGENT_HTTP_PORT="$agent_port" CORRAL_AGENT_NODE_NAME="$node" \
    CORRAL_AGENT_TOKEN_FILE="$node_token_file" \
    CORRAL_AGENT_STATE_DIR="$data/agent" CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS="$kafka" \
    setsid java @node-agent/jvm.options ${node_agent_aot[@]+"${node_agent_aot[@]}"} -jar "$agent_jar" &
agent=$!
echo "$agent" >"$run/agent.pid"
for _ in $(seq 1 120); do
    kill -0 "$agent" 2>/dev/null || died "node agent" "$agent" " during start-up (its log is above)"
    curl -sf ${curl_tls[@]+"${curl_tls[@]}"} -o /dev/null "$agent_url/q/health/ready" && break
    sleep 1
done
echo "==> cli/bin/corral get nodes"
cli/bin/corral get nodes --server "$api"

register_ticker() {
    echo "==> Building the ticker guest (deploy/guests/ticker) and registering it as image 'ticker'"
    bash deploy/guests/ticker/build.sh "$data/guests/ticker" || { echo "corral: building the ticker guest failed" >&2; stop 1; }
    sha="$(cli/bin/corral upload "$data/guests/ticker" --server "$api" | cut -d' ' -f1)" || stop 1
    printf 'apiVersion: corral/v1\nkind: Image\nmetadata: {name: ticker}\nspec: {kernel: {sha256: %s}, cmdline: "interval=1000"}\n' \
        "${sha#sha256:}" | cli/bin/corral apply -f - --server "$api" || stop 1
}
register_linux() {
    echo "==> Building the linux guest (deploy/guests/linux: Debian's cloud kernel, a busybox initramfs and a 64 MiB ext4 root disk) and registering it as image 'linux'"
    bash deploy/guests/linux/build.sh "$data/guests/linux" || { echo "corral: building the linux guest failed" >&2; stop 1; }
    kernel="$(cli/bin/corral upload "$data/guests/linux/vmlinuz" --server "$api" | cut -d' ' -f1)" || stop 1
    initrd="$(cli/bin/corral upload "$data/guests/linux/initramfs.cpio" --server "$api" | cut -d' ' -f1)" || stop 1
    disk="$(cli/bin/corral upload "$data/guests/linux/rootfs.ext4" --server "$api" | cut -d' ' -f1)" || stop 1
    printf 'apiVersion: corral/v1\nkind: Image\nmetadata: {name: linux}\nspec: {kernel: {sha256: %s}, initrd: {sha256: %s}, disk: {sha256: %s, format: raw}, cmdline: "console=ttyS0 root=/dev/vda"}\n' \
        "${kernel#sha256:}" "${initrd#sha256:}" "${disk#sha256:}" | cli/bin/corral apply -f - --server "$api" || stop 1
}
register_busybox() {
    echo "==> Building the busybox container image (deploy/images/busybox: Debian's busybox-static as an OCI image layout) and importing it as image 'busybox'"
    bash deploy/images/busybox/build.sh "$data/images/busybox" || { echo "corral: building the busybox image failed" >&2; stop 1; }
    if ! cli/bin/corral get image busybox --server "$api" >/dev/null 2>&1; then
        cli/bin/corral image import "$data/images/busybox/busybox.oci.tar" --name busybox --server "$api" || stop 1
    fi
}
for image in ${CORRAL_LOCAL_IMAGES-ticker linux busybox}; do
    case "$image" in
        ticker) register_ticker ;;
        linux) register_linux ;;
        busybox) register_busybox ;;
        *) echo "corral: CORRAL_LOCAL_IMAGES: no image '$image' (ticker, linux, busybox)" >&2; stop 1 ;;
    esac
done
echo
echo "Corral is running: API on $api, OpenAPI at $api/q/openapi. Press Ctrl-C to stop."
echo "Start a VM:   curl -s ${curl_tls[*]+${curl_tls[*]} }-X POST $api/v1/vms -H \"Authorization: Bearer \$(cat $admin_token_file)\" -H 'Content-Type: application/json' \\"
echo "                -d '{\"metadata\": {\"name\": \"tick-1\"}, \"spec\": {\"image\": \"ticker\", \"vcpus\": 1, \"memoryMiB\": 64}}'"
echo "Watch it:     cli/bin/corral get vms -w      and its console:   cli/bin/corral logs vm/tick-1 -f"
echo "A container:  cli/bin/corral create container web --image busybox --memory 32Mi -- httpd -f -p 8080 -h /var/www"
echo "              cli/bin/corral exec container/web -- wget -qO- http://127.0.0.1:8080/"
while true; do
    kill -0 "$pid" 2>/dev/null || died "control plane" "$pid" ""
    kill -0 "$agent" 2>/dev/null || died "node agent" "$agent" ""
    sleep 1
done
