package dev.corral.controlplane.scheduling;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

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
    private long loadedAt;

    NodeSnapshots(Ledger ledger) {
        this.ledger = ledger;
    }

    public synchronized List<NodeState> current() {
        if (nodes == null || System.nanoTime() - loadedAt > MAX_AGE_MILLIS * 1_000_000) {
            nodes = List.copyOf(ledger.snapshot());
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
        if (nodes == null) {
            return;
        }
        var updated = new ArrayList<NodeState>(nodes.size());
        for (var n : nodes) {
            if (!n.name().equals(node)) {
                updated.add(n);
                continue;
            }
            var held = new HashSet<>(devices);
            var deviceStates = n.devices().stream()
                    .map(d -> held.contains(d.address())
                            ? new NodeState.Device(d.address(), d.vendor(), d.device(), d.deviceClass(), d.numaNode(), d.iommuGroup(), false)
                            : d)
                    .toList();
            var groups = new HashSet<>(n.antiAffinityGroups());
            if (demand.antiAffinityGroup() != null) {
                groups.add(demand.project() + "/" + demand.antiAffinityGroup());
            }
            updated.add(new NodeState(n.name(), n.vcpus(), n.memoryMiB(), n.vcpusUsed() + demand.vcpus(),
                    n.memoryMiBUsed() + demand.memoryMiB(), n.ready(), n.cordoned(), n.accelerator(), n.labels(), deviceStates, groups,
                    n.subnet(), demand.network() ? n.freeAddresses() - 1 : n.freeAddresses()));
        }
        nodes = List.copyOf(updated);
    }
}
