package dev.corral.controlplane.usage;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One batch of the meter, without I/O: given the states and pending events of the workloads the batch touches,
 * and the events read for the first time, what to write. {@link UsageMeter} loads and writes it in one
 * transaction; the property tests drive it directly.
 */
public final class MeterBatch {

    /**
     * @param newEvents      events read for the first time, with their status in {@code newStatuses}
     * @param settledApplied ids of earlier pending events now applied
     * @param settledStale   ids of earlier pending events now stale
     * @param states         the states of workloads that moved
     * @param closed         intervals closed by the batch
     */
    public record Writes(List<UsageEvent> newEvents, List<String> newStatuses, List<String> settledApplied,
            List<String> settledStale, List<MeterState> states, List<Interval> closed, int applied, int pending) {
    }

    private MeterBatch() {
    }

    /**
     * @param fresh    per workload uid, events never seen before (none when sweeping gaps)
     * @param states   current states of those workloads (absent: never seen)
     * @param waiting  their pending events
     * @param skipGaps apply pending events over missing sequences (the gap sweep)
     */
    public static Writes fold(Map<String, List<UsageEvent>> fresh, Map<String, MeterState> states,
            Map<String, List<UsageEvent>> waiting, boolean skipGaps) {
        var w = new Writes(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>(), 0, 0);
        int applied = 0;
        int pending = 0;
        for (var entry : fresh.entrySet()) {
            var before = waiting.getOrDefault(entry.getKey(), List.of());
            var all = new ArrayList<UsageEvent>(before);
            all.addAll(entry.getValue());
            if (all.isEmpty()) {
                continue;
            }
            var state = states.get(entry.getKey());
            var r = UsageFold.fold(state != null ? state : MeterState.first(all.getFirst()), all, skipGaps);
            w.closed().addAll(r.closed());
            if (!r.applied().isEmpty()) {
                w.states().add(r.state());
            }
            Set<String> wasPending = new HashSet<>();
            before.forEach(e -> wasPending.add(e.id()));
            record(r.applied(), "applied", wasPending, w.settledApplied(), w);
            record(r.stale(), "stale", wasPending, w.settledStale(), w);
            record(r.pending(), "pending", wasPending, new ArrayList<>(), w);
            applied += r.applied().size();
            pending += r.pending().size();
        }
        return new Writes(w.newEvents(), w.newStatuses(), w.settledApplied(), w.settledStale(), w.states(), w.closed(),
                applied, pending);
    }

    private static void record(List<UsageEvent> events, String status, Set<String> wasPending, List<String> settled, Writes w) {
        for (var e : events) {
            if (wasPending.contains(e.id())) {
                settled.add(e.id());
            } else {
                w.newEvents().add(e);
                w.newStatuses().add(status);
            }
        }
    }
}
