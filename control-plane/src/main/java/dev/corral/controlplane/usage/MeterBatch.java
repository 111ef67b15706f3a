package dev.corral.controlplane.usage;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One batch of the meter, without I/O: given the states and pending events of the workloads the batch touches,
 * and the events just read, what to write. {@link UsageMeter} loads and writes it in one transaction; the property
 * tests drive it directly.
 *
 * <p>What makes a repeat harmless is the workload's state: an event at or below its applied sequence is stale,
 * whatever its id, so an applied event leaves no record of its own. Only events that wait for an earlier sequence
 * are kept (with their content); one read again while it waits is recognised by its id.
 */
public final class MeterBatch {

    /**
     * @param newPending events that now wait for an earlier sequence and were not kept yet
     * @param settled    ids of kept pending events that have now applied or turned stale (to forget)
     * @param states     the states of workloads that moved
     * @param closed     intervals closed by the batch
     * @param applied    events applied (kept ones included)
     * @param pending    events waiting after the batch
     * @param repeats    events read that changed nothing: stale, or already waiting
     */
    public record Writes(List<UsageEvent> newPending, List<String> settled, List<MeterState> states, List<Interval> closed,
            int applied, int pending, int repeats) {
    }

    private MeterBatch() {
    }

    /**
     * @param fresh    per workload uid, events just read (none when sweeping gaps); an id read twice counts once
     * @param states   current states of those workloads (absent: never seen)
     * @param waiting  their pending events
     * @param skipGaps apply pending events over missing sequences (the gap sweep)
     */
    public static Writes fold(Map<String, List<UsageEvent>> fresh, Map<String, MeterState> states,
            Map<String, List<UsageEvent>> waiting, boolean skipGaps) {
        var newPending = new ArrayList<UsageEvent>();
        var settled = new ArrayList<String>();
        var moved = new ArrayList<MeterState>();
        var closed = new ArrayList<Interval>();
        int applied = 0;
        int pending = 0;
        int repeats = 0;
        for (var entry : fresh.entrySet()) {
            var before = waiting.getOrDefault(entry.getKey(), List.of());
            Set<String> kept = new HashSet<>();
            before.forEach(e -> kept.add(e.id()));
            var all = new ArrayList<UsageEvent>(before);
            Set<String> seen = new HashSet<>(kept);
            for (var e : entry.getValue()) {
                if (seen.add(e.id())) {
                    all.add(e);
                } else {
                    repeats++;
                }
            }
            if (all.isEmpty()) {
                continue;
            }
            var state = states.get(entry.getKey());
            var r = UsageFold.fold(state != null ? state : MeterState.first(all.getFirst()), all, skipGaps);
            closed.addAll(r.closed());
            if (!r.applied().isEmpty()) {
                moved.add(r.state());
            }
            for (var e : r.applied()) {
                if (kept.contains(e.id())) {
                    settled.add(e.id());
                }
            }
            for (var e : r.stale()) {
                if (kept.contains(e.id())) {
                    settled.add(e.id());
                } else {
                    repeats++;
                }
            }
            for (var e : r.pending()) {
                if (!kept.contains(e.id())) {
                    newPending.add(e);
                }
            }
            applied += r.applied().size();
            pending += r.pending().size();
        }
        return new Writes(newPending, settled, moved, closed, applied, pending, repeats);
    }
}
