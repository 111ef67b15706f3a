package dev.corral.agent.controlplane;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.Reconciler;
import org.jboss.logging.Logger;

/**
 * Keeps the reconciler's picture of what is placed on this node current: lists the assignments, then watches them
 * from the list's resourceVersion. The server ends each watch after {@code resyncInterval}; every end, clean or
 * broken, is followed by a new list, which is the periodic full resync (level-triggered: a missed event is repaired
 * by the next list at the latest).
 */
public final class AssignmentWatcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AssignmentWatcher.class);

    private final ControlPlaneClient client;
    private final String node;
    private final Reconciler reconciler;
    private final BooleanSupplier registered;
    private final Duration resyncInterval;
    private final Thread thread;
    private volatile boolean running = true;

    /** @param registered whether the control plane knows the node yet: before, there is nothing to list */
    public AssignmentWatcher(ControlPlaneClient client, String node, BooleanSupplier registered, Reconciler reconciler,
            Duration resyncInterval) {
        this.client = client;
        this.registered = registered;
        this.node = node;
        this.reconciler = reconciler;
        this.resyncInterval = resyncInterval;
        this.thread = Thread.ofPlatform().daemon().name("corral-assignment-watch").start(this::loop);
    }

    private void loop() {
        String problem = null;
        while (running) {
            if (!registered.getAsBoolean()) {
                pause(Duration.ofMillis(250));
                continue;
            }
            try {
                var list = client.assignments(node);
                var all = new ArrayList<Desired>();
                for (JsonNode object : list.objects()) {
                    desired(object).ifPresent(all::add);
                }
                reconciler.replaceAll(all);
                if (problem != null) {
                    LOG.infof("watching the assignments of node %s again", node);
                    problem = null;
                }
                client.watchAssignments(node, list.resourceVersion(), (int) Math.max(1, resyncInterval.toSeconds()),
                        this::changed);
            } catch (IOException e) {
                if (!running) {
                    return; // closing: the interrupted call is not an outage
                }
                String now = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
                if (!now.equals(problem)) {
                    // Once per kind of outage: an agent whose control plane is away must not flood its log.
                    LOG.warnf("cannot watch the assignments of node %s (%s); retrying", node, now);
                    problem = now;
                }
                pause(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warnf(e, "the assignments watch of node %s failed; retrying", node);
                pause(Duration.ofSeconds(2));
            }
        }
    }

    private void changed(ControlPlaneClient.Change change) {
        var object = change.object();
        String uid = object.path("metadata").path("uid").asText(null);
        if (uid == null) {
            return;
        }
        var d = "DELETED".equals(change.type()) ? Optional.<Desired>empty() : desired(object);
        if (d.isPresent()) {
            reconciler.upsert(d.get());
        } else {
            reconciler.remove(uid);
        }
    }

    /** The workload as the reconciler wants it; empty when it is not (or no longer) placed on this node. */
    Optional<Desired> desired(JsonNode object) {
        return desired(node, object);
    }

    /**
     * The workload as the reconciler wants it, read defensively (a field the control plane does not send yet reads as
     * absent); empty when it is not placed on {@code node}.
     */
    static Optional<Desired> desired(String node, JsonNode object) {
        var status = object.path("status");
        if (!node.equals(status.path("node").asText(null))) {
            return Optional.empty();
        }
        var meta = object.path("metadata");
        var spec = object.path("spec");
        String kind = object.path("kind").asText();
        var resources = status.path("resources");
        List<String> devices = new ArrayList<>();
        status.path("devices").forEach(d -> devices.add(d.asText()));
        boolean running = !"Stopped".equals(spec.path("runState").asText("Running"));
        var diskGiB = resources.path("diskGiB");
        return Optional.of(new Desired(kind, meta.path("uid").asText(), meta.path("name").asText(),
                meta.path("project").asText(), meta.path("generation").asLong(1), resources.path("vcpus").asDouble(),
                resources.path("memoryMiB").asLong(), spec.path("image").asText(null), spec.path("cmdline").asText(null), running,
                spec.path("restartRequestedAt").asText(""), devices, status.path("eventSequence").asLong(0), stopGraceSeconds(spec),
                disks(spec.path("disks")), network(spec, status), diskGiB.isIntegralNumber() ? diskGiB.asLong() : null,
                "Container".equals(kind) ? container(spec) : null));
    }

    /** A Container's process options; the control plane has defaulted pidsLimit and readOnlyRootFilesystem. */
    static Desired.ContainerSpec container(JsonNode spec) {
        var env = new java.util.LinkedHashMap<String, String>();
        spec.path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        return new Desired.ContainerSpec(strings(spec.path("command")), strings(spec.path("args")), env.isEmpty() ? null : env,
                spec.path("workingDir").asText(null), spec.path("pidsLimit").asLong(1024),
                spec.path("readOnlyRootFilesystem").asBoolean(false));
    }

    private static List<String> strings(JsonNode array) {
        if (!array.isArray()) {
            return null;
        }
        var list = new ArrayList<String>();
        array.forEach(a -> list.add(a.asText()));
        return list;
    }

    /** {@code spec.disks}: the boot size when it is a number, and each volume that has a name. */
    static Desired.Disks disks(JsonNode disks) {
        var boot = disks.path("bootSizeGiB");
        var volumes = new ArrayList<Desired.Volume>();
        for (JsonNode volume : disks.path("volumes")) {
            String name = volume.path("name").asText(null);
            if (name != null) {
                volumes.add(new Desired.Volume(name, volume.path("sizeGiB").asLong(0)));
            }
        }
        return new Desired.Disks(boot.isIntegralNumber() ? boot.asInt() : null, volumes);
    }

    /** {@code status.network} when {@code spec.network} is {@code attached}; null when the VM wants no network. */
    static Desired.Network network(JsonNode spec, JsonNode status) {
        if (!"attached".equals(spec.path("network").asText(null))) {
            return null;
        }
        var network = status.path("network");
        return new Desired.Network(network.path("mac").asText(null), network.path("ip").asText(null),
                network.path("subnet").asText(null));
    }

    /**
     * The stop action's own timeout in seconds (zero when forced), else the spec's default for this workload; -1 when
     * the spec says neither (the default applies).
     */
    static long stopGraceSeconds(JsonNode spec) {
        var request = spec.path("stopRequest");
        if (request.isObject()) {
            return request.path("force").asBoolean(false) ? 0 : request.path("timeoutSeconds").asLong(spec.path("stopTimeoutSeconds").asLong(-1));
        }
        return spec.path("stopTimeoutSeconds").isNumber() ? spec.path("stopTimeoutSeconds").asLong() : -1;
    }

    private void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
