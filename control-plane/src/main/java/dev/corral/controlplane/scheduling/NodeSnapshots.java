package dev.corral.controlplane.scheduling;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * The scheduler's view of the nodes, reloaded from the ledger at most every {@value #MAX_AGE_MILLIS} ms and kept
 * current in between with this replica's own placements. Staleness costs only efficiency, never correctness: a
 * reservation that no longer fits fails in the database, and that failure reloads the view.
 */
@ApplicationScoped
public class NodeSnapshots {

    static final long MAX_AGE_MILLIS = 1000;

    private final Ledger ledger;
    private List<NodeState> nodes;
    /** Where each node is in {@link #nodes}. */
    private Map<String, Integer> positions;
    private long loadedAt;

    NodeSnapshots(Ledger ledger) {
        this.ledger = ledger;
    }

    public synchronized List<NodeState> current() {
        if (nodes == null || System.nanoTime() - loadedAt > MAX_AGE_MILLIS * 1_000_000) {
            nodes = List.copyOf(ledger.snapshot());
            positions = new HashMap<>(nodes.size() * 2);
            for (int i = 0; i < nodes.size(); i++) {
                positions.put(nodes.get(i).name(), i);
            }
            loadedAt = System.nanoTime();
        }
        return nodes;
    }

    /** Something changed that this view cannot follow by itself (a node registered, a placement was lost...). */
    public synchronized void invalidate() {
        nodes = null;
    }

    /** Drops the view when it is older than {@code millis}; true when it did. */
    public synchronized boolean invalidateIfOlderThan(long millis) {
        if (nodes != null && System.nanoTime() - loadedAt > millis * 1_000_000) {
            nodes = null;
            return true;
        }
        return false;
    }

    /** Books a placement this replica just committed into the view. */
    public synchronized void placed(String node, Demand demand, List<String> devices) {
        update(node, n -> {
            var held = new HashSet<>(devices);
            var deviceStates = devices.isEmpty() ? n.devices() : n.devices().stream()
                    .map(d -> held.contains(d.address())
                            ? new NodeState.Device(d.address(), d.vendor(), d.device(), d.deviceClass(), d.numaNode(), d.iommuGroup(), false)
                            : d)
                    .toList();
            var groups = n.antiAffinityGroups();
            if (demand.antiAffinityGroup() != null) {
                groups = new HashSet<>(groups);
                groups.add(demand.project() + "/" + demand.antiAffinityGroup());
            }
            return new NodeState(n.name(), n.vcpus(), n.memoryMiB(), n.vcpusUsed() + demand.vcpus(),
                    n.memoryMiBUsed() + demand.memoryMiB(), n.ready(), n.cordoned(), n.accelerator(), n.labels(), deviceStates, groups,
                    n.subnet(), demand.network() ? n.freeAddresses() - 1 : n.freeAddresses());
        });
    }

    /**
     * Books into the view the capacity a workload held on {@code node} and gave back when this replica deleted it
     * (committed): what a reload would show, without one. Only capacity: a workload that held devices, an address or
     * an anti-affinity slot is followed by {@link #invalidate} instead.
     */
    public synchronized void released(String node, double vcpus, long memoryMiB) {
        update(node, n -> new NodeState(n.name(), n.vcpus(), n.memoryMiB(), Math.max(0, n.vcpusUsed() - vcpus),
                Math.max(0, n.memoryMiBUsed() - memoryMiB), n.ready(), n.cordoned(), n.accelerator(), n.labels(), n.devices(),
                n.antiAffinityGroups(), n.subnet(), n.freeAddresses()));
    }

    /**
     * Replaces one node of the view with {@code change} of it, in a new list (the planner may still be reading the
     * old one); nothing when there is no view or it does not know the node.
     */
    private void update(String node, UnaryOperator<NodeState> change) {
        if (nodes == null) {
            return;
        }
        Integer at = positions.get(node);
        if (at == null) {
            return;
        }
        var copy = nodes.toArray(NodeState[]::new);
        copy[at] = change.apply(copy[at]);
        nodes = Collections.unmodifiableList(Arrays.asList(copy));
    }
}
