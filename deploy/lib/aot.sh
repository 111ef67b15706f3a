# Sourced (after java.sh): the ahead-of-time caches of the control plane and the node agent, JDK 25's AOT cache (JEP
# 483/514/515, docs/0010). A training run records which classes the process loads and links and how its hot methods
# behave; a process started with the cache finds them ready: it starts sooner and compiles less while it serves its
# first requests (bench/scheduler/README.md, "Set-based shared commits, and an ahead-of-time cache").
#
# The control plane's cache is made once per build, by a control plane of its own (throw-away data, embedded
# PostgreSQL and Kafka on free ports, HTTP on a free port) driven through its REST API, and through its lifecycle topic
# as node agents would, by deploy/lib/ControlPlaneTraining.java for about a minute. Its name is a hash of what the build's files hold, of the
# JDK and of the training (AotKey.java): a rebuild of the same code keeps it, a change of code, JDK or training trains
# a new one. A failed training never stops the control plane from starting: it starts without the cache (the reason
# is in control-plane/target/control-plane-aot.log; a .failed marker stops retries for that build).
# CORRAL_CONTROL_PLANE_AOT=0 turns it off.
#
# With its cache the control plane runs C2 alone (-XX:-TieredCompilation): the training runs with HotSpot's tiers, so
# C1's profiling code records the method profiles the cache keeps, and a control plane that finds them there needs no
# C1 to gather them again: C2 compiles from them, and C1's compiles and profiling code no longer take the two cores
# from the requests (bench/scheduler/README.md, "C2 alone beside the cache"). Two C2 threads, not the one HotSpot gives
# C2 alone on two cores, and both kept (not started and stopped with the queue): a fresh control plane's first burst of
# requests queues more compiles than one thread drains, and its code runs interpreted meanwhile (bench/scheduler,
# "Two compiler threads"). C2 alone has a 48 MiB code cache, and HotSpot starts a G1 marking cycle (to unload code)
# each time 15% of it (7 MiB) has been compiled since the last: a fresh control plane compiles that much within its
# first minute under load, and each cycle's pauses delayed every request in flight; -XX:SweeperThreshold=45 waits for
# 22 MiB (bench/scheduler/README.md, "The heap under load").
#
# corral_control_plane_aot: sets control_plane_aot, the JVM options that use the cache (none without one).
corral_control_plane_aot() {
    control_plane_aot=()
    [ "${CORRAL_CONTROL_PLANE_AOT:-1}" = 0 ] && return 0
    local app="control-plane/target/quarkus-app" target="control-plane/target" key cache log
    [ -f "$app/quarkus-run.jar" ] || return 0
    key="$("$JAVA_HOME/bin/java" deploy/lib/AotKey.java "$app" deploy/lib/ControlPlaneTraining.java)" || return 0
    cache="$target/control-plane-$key.aot"
    log="$target/control-plane-aot.log"
    if [ ! -f "$cache" ]; then
        [ -e "$cache.failed" ] && return 0
        echo "corral: training the control plane's ahead-of-time cache (once per build, about a minute)" >&2
        if ! corral_control_plane_aot_train "$app" "$cache" > "$log" 2>&1; then
            : > "$cache.failed"
            echo "corral: training the control plane's ahead-of-time cache failed ($log); it starts without one" >&2
            return 0
        fi
        find "$target" -maxdepth 1 -name 'control-plane-*.aot*' ! -name "control-plane-$key.aot" -delete
    fi
    control_plane_aot=(-XX:AOTCache="$PWD/$cache" -XX:-TieredCompilation -XX:CICompilerCount=2 -XX:-UseDynamicNumberOfCompilerThreads -XX:SweeperThreshold=45)
}

# The training: a control plane recording the cache (-XX:AOTCacheOutput, written when it exits), the training
# client, then a TERM. Only what it must have reaches it from this environment.
corral_control_plane_aot_train() (
    local app="$1" cache="$2" data pid port="" i
    data="$(mktemp -d)"
    trap '[ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$data" "$cache.tmp"' EXIT
    env -i PATH="$PATH" HOME="$HOME" JAVA_HOME="$JAVA_HOME" CORRAL_DATA_DIR="$data" CORRAL_HTTP_PORT=0 \
        "$JAVA_HOME/bin/java" -XX:AOTCacheOutput="$cache.tmp" -jar "$app/quarkus-run.jar" \
        > "$data/control-plane.log" 2>&1 &
    pid=$!
    for i in $(seq 1 120); do
        port="$(grep -o 'Listening on: http://[^ ]*' "$data/control-plane.log" | head -1 | sed 's/.*://')"
        if [ -n "$port" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/q/health/ready"; then
            break
        fi
        port=""
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    if [ -z "$port" ]; then
        echo "the training control plane did not get ready:"
        cat "$data/control-plane.log"
        return 1
    fi
    # Its own libraries give the training the Kafka client for the agents' lifecycle events; its log names its broker.
    CORRAL_TOKEN="$(cat "$data/admin-token")" \
        CORRAL_TRAINING_KAFKA="$(grep -o 'Embedded Kafka broker on [^ ]*' "$data/control-plane.log" | awk '{print $5}' | head -1 || true)" \
        "$JAVA_HOME/bin/java" -cp "$app/lib/main/*" deploy/lib/ControlPlaneTraining.java "http://127.0.0.1:$port" || {
        cat "$data/control-plane.log"
        return 1
    }
    kill -TERM "$pid"
    wait "$pid" || true
    pid=""
    grep -i 'aot' "$data/control-plane.log" | tail -5
    [ -s "$cache.tmp" ] || { echo "no cache was written"; cat "$data/control-plane.log"; return 1; }
    mv -f "$cache.tmp" "$cache"
)

# The node agent's cache is trained by the agent's first run for a build, the way the JDK means it (JEP 514): that
# run records (-XX:AOTCacheOutput) while it serves (registers, reports, boots the VMs it is given) and writes the cache
# when it exits; a clean exit keeps it (corral_node_agent_aot_keep), any other leaves nothing. Its name: the build's
# files, the JDK and node-agent/jvm.options (AotKey.java). CORRAL_NODE_AGENT_AOT=0 turns it off.
#
# corral_node_agent_aot: sets node_agent_aot, the JVM options that use or record the cache.
corral_node_agent_aot() {
    node_agent_aot=()
    node_agent_aot_recording=""
    [ "${CORRAL_NODE_AGENT_AOT:-1}" = 0 ] && return 0
    local app="node-agent/target/quarkus-app" key cache
    [ -f "$app/quarkus-run.jar" ] || return 0
    key="$("$JAVA_HOME/bin/java" deploy/lib/AotKey.java "$app" node-agent/jvm.options)" || return 0
    cache="$PWD/node-agent/target/node-agent-$key.aot"
    if [ -f "$cache" ]; then
        node_agent_aot=(-XX:AOTCache="$cache")
    else
        rm -f "$cache.tmp"
        # Quiet: the recording warns once for every class it leaves out, and the software CPU's translations (hidden
        # classes, made at run time) are thousands of them.
        node_agent_aot=(-XX:AOTCacheOutput="$cache.tmp" -Xlog:aot*=off -Xlog:cds*=off)
        node_agent_aot_recording="$cache"
    fi
}

# After the node agent exited with status $1: keeps the cache its run recorded, when it exited cleanly.
corral_node_agent_aot_keep() {
    local cache="$node_agent_aot_recording"
    [ -n "$cache" ] || return 0
    if [ "$1" = 0 ] && [ -s "$cache.tmp" ]; then
        mv -f "$cache.tmp" "$cache"
        find "$(dirname "$cache")" -maxdepth 1 -name 'node-agent-*.aot*' ! -name "$(basename "$cache")" -delete
    else
        rm -f "$cache.tmp"
    fi
}
