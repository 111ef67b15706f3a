package dev.corral.controlplane.usage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Turns batches of lifecycle records into usage, exactly once in effect: the ids of the events read, the usage
 * they cause and the position in each partition are written in one transaction. A record read again (a
 * redelivery, a replay after a crash, the same event under a new offset) finds its id and changes nothing.
 */
@ApplicationScoped
public class UsageMeter {

    private static final Logger LOG = Logger.getLogger(UsageMeter.class);

    /** What a batch did. */
    public record Outcome(int applied, int pending, int duplicates, int skipped) {
    }

    private final UsageStore store;
    private final LifecycleRecordParser parser;
    private final MeterProfile profile = new MeterProfile();

    UsageMeter(UsageStore store, ObjectMapper json) {
        this.store = store;
        this.parser = new LifecycleRecordParser(json.getFactory());
    }

    /** Where the meter's time goes (a method: callers hold a CDI proxy, whose fields are not the bean's). */
    MeterProfile profile() {
        return profile;
    }

    /**
     * Applies one batch and records {@code group}'s position after it; all or nothing. {@code beforeCommit} runs
     * last inside the transaction (tests crash there).
     */
    Outcome apply(String group, List<Delivery> batch, Runnable beforeCommit) {
        var events = new LinkedHashMap<String, UsageEvent>();
        var next = new HashMap<String, Map<Integer, Long>>();
        int skipped = 0;
        long parsing = System.nanoTime();
        for (var d : batch) {
            next.computeIfAbsent(d.topic(), t -> new HashMap<>()).merge(d.partition(), d.offset() + 1, Math::max);
            try {
                var e = parser.parse(d.value());
                events.putIfAbsent(e.id(), e);
            } catch (Exception e) {
                skipped++;
                LOG.warnf("usage meter skips record %s-%d@%d: not a Corral lifecycle event (%s)", d.topic(), d.partition(),
                        d.offset(), e.getMessage());
            }
        }
        profile.add(MeterProfile.Step.PARSE, parsing);
        int inBatchDuplicates = batch.size() - skipped - events.size();
        int finalSkipped = skipped;
        long[] inside = new long[1];
        var outcome = QuarkusTransaction.requiringNew().call(() -> {
            long s = System.nanoTime();
            store.relaxCommitDurability();
            var claimed = store.claim(events.values());
            profile.add(MeterProfile.Step.CLAIM, s);
            var fresh = new LinkedHashMap<String, List<UsageEvent>>();
            for (var e : events.values()) {
                if (claimed.contains(e.id())) {
                    fresh.computeIfAbsent(e.uid(), u -> new ArrayList<>()).add(e);
                }
            }
            var result = fold(fresh, false);
            s = System.nanoTime();
            next.forEach((topic, offsets) -> store.saveOffsets(group, topic, offsets));
            beforeCommit.run();
            inside[0] = profile.add(MeterProfile.Step.WRITE, s);
            return new Outcome(result.applied(), result.pending(), events.size() - claimed.size() + inBatchDuplicates, finalSkipped);
        });
        profile.add(MeterProfile.Step.COMMIT, inside[0]);
        profile.batch(batch.size());
        return outcome;
    }

    /**
     * Gives up waiting for events that never came: workloads whose pending events arrived before {@code now - grace}
     * apply them over the gap, flagged. Returns how many workloads moved.
     */
    public int resolveGaps(Duration grace) {
        return QuarkusTransaction.requiringNew().call(() -> {
            var uids = store.stalled(Instant.now().minus(grace), 500);
            if (uids.isEmpty()) {
                return 0;
            }
            var none = new HashMap<String, List<UsageEvent>>();
            uids.forEach(u -> none.put(u, List.of()));
            fold(none, true);
            return uids.size();
        });
    }

    /** Folds new events (none for a gap sweep) with what was pending, per workload, and writes the outcome. */
    private MeterBatch.Writes fold(Map<String, List<UsageEvent>> fresh, boolean skipGaps) {
        if (fresh.isEmpty()) {
            return MeterBatch.fold(fresh, Map.of(), Map.of(), skipGaps);
        }
        long t = System.nanoTime();
        var states = store.lockStates(fresh.keySet());
        var waiting = store.pending(fresh.keySet());
        t = profile.add(MeterProfile.Step.READ, t);
        var w = MeterBatch.fold(fresh, states, waiting, skipGaps);
        t = profile.add(MeterProfile.Step.FOLD, t);
        store.restate(w.newEvents(), w.newStatuses());
        store.settle(w.settledApplied(), "applied");
        store.settle(w.settledStale(), "stale");
        store.saveStates(w.states());
        store.insertIntervals(w.closed());
        profile.add(MeterProfile.Step.WRITE, t);
        return w;
    }
}
