package dev.corral.controlplane.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class NodeSnapshotsTest {

    /** A ledger whose nodes are given and whose reads are counted. */
    private static final class CountingLedger extends Ledger {
        final AtomicInteger reads = new AtomicInteger();
        volatile List<NodeState> nodes;

        CountingLedger(List<NodeState> nodes) {
            super(null, null);
            this.nodes = nodes;
        }

        @Override
        public List<NodeState> snapshot() {
            reads.incrementAndGet();
            return nodes;
        }
    }

    private static NodeState node(String name, double vcpusUsed, long memoryUsed) {
        return new NodeState(name, 4, 4096, vcpusUsed, memoryUsed, true, false, "kvm-hardware", Map.of("pool", "a"), List.of(),
                Set.of("default/db"), "10.88.0.0/24", 7);
    }

    @Test
    void aReleaseGoesBackIntoTheViewWithoutReadingTheNodesAgain() {
        var ledger = new CountingLedger(List.of(node("a", 1, 1024), node("b", 3, 3072)));
        var snapshots = new NodeSnapshots(ledger);
        snapshots.current();

        snapshots.released("b", 2, 2048);

        var view = snapshots.current();
        assertThat(ledger.reads).hasValue(1);
        assertThat(view.get(1)).isEqualTo(node("b", 1, 1024));
        assertThat(view.get(0)).isEqualTo(node("a", 1, 1024));
    }

    @Test
    void aPlacementAndItsReleaseLeaveTheViewAsItWas() {
        var ledger = new CountingLedger(List.of(node("a", 1, 1024)));
        var snapshots = new NodeSnapshots(ledger);
        var before = snapshots.current();

        var demand = new Demand("default", 1.5, 512, List.of(), Map.of(), Set.of(), null);
        snapshots.placed("a", demand, List.of());
        assertThat(snapshots.current().getFirst()).isEqualTo(node("a", 2.5, 1536));
        snapshots.released("a", 1.5, 512);

        assertThat(snapshots.current()).isEqualTo(before);
        assertThat(ledger.reads).hasValue(1);
    }

    @Test
    void aReleaseNeverTakesUsageBelowZeroNorTouchesAnUnknownNodeOrAViewNotYetRead() {
        var ledger = new CountingLedger(List.of(node("a", 1, 1024)));
        var snapshots = new NodeSnapshots(ledger);
        snapshots.released("a", 1, 1024); // no view yet: nothing to follow, the first read sees the ledger
        assertThat(snapshots.current()).containsExactly(node("a", 1, 1024));

        snapshots.released("a", 2, 4096); // a view read after the delete committed already holds the release
        snapshots.released("gone", 1, 1);
        assertThat(snapshots.current()).containsExactly(node("a", 0, 0));
        assertThat(ledger.reads).hasValue(1);
    }
}
