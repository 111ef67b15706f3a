package dev.corral.controlplane.usage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Turns batches of lifecycle records into usage, exactly once in effect: the usage a batch causes, the workloads'
 * states (the last sequence applied) and the position in each partition are written in one transaction. A record
 * read again (a redelivery, a replay after a crash, the same event under a new offset or a new id) is at or below
 * its workload's applied sequence, or already waiting as pending, and changes nothing.
 *
 * <p>A batch is parsed ({@link #parse}) and then committed ({@link #commit}); the consumer parses the next batch
 * while the previous one commits.
 */
@ApplicationScoped
public class UsageMeter {

    private static final Logger LOG = Logger.getLogger(UsageMeter.class);

    /** What a batch did. */
    public record Outcome(int applied, int pending, int repeats, int skipped) {
    }

    /** A batch read and parsed, not yet applied: its events by workload and the position after it. */
    record Parsed(int size, Map<String, List<UsageEvent>> byWorkload, Map<String, Map<Integer, Long>> next, int skipped) {
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
        return commit(group, parse(batch), beforeCommit);
    }

    /** Parses a batch (no I/O); records that are not lifecycle events are logged and skipped. */
    Parsed parse(List<Delivery> batch) {
        long start = System.nanoTime();
        var byWorkload = new LinkedHashMap<String, List<UsageEvent>>();
        var next = new HashMap<String, Map<Integer, Long>>();
        int skipped = 0;
        for (var d : batch) {
            next.computeIfAbsent(d.topic(), t -> new HashMap<>()).merge(d.partition(), d.offset() + 1, Math::max);
            try {
                var e = parser.parse(d.value());
                byWorkload.computeIfAbsent(e.uid(), u -> new ArrayList<>()).add(e);
            } catch (Exception e) {
                skipped++;
                LOG.warnf("usage meter skips record %s-%d@%d: not a Corral lifecycle event (%s)", d.topic(), d.partition(),
                        d.offset(), e.getMessage());
            }
        }
        profile.add(MeterProfile.Step.PARSE, start);
        return new Parsed(batch.size(), byWorkload, next, skipped);
    }

    /** Applies a parsed batch and records {@code group}'s position after it, in one transaction; all or nothing. */
    Outcome commit(String group, Parsed batch, Runnable beforeCommit) {
        long[] inside = new long[1];
        var outcome = QuarkusTransaction.requiringNew().call(() -> {
            store.relaxCommitDurability();
            var w = fold(batch.byWorkload(), false);
            long start = System.nanoTime();
            batch.next().forEach((topic, offsets) -> store.saveOffsets(group, topic, offsets));
            beforeCommit.run();
            inside[0] = profile.add(MeterProfile.Step.WRITE, start);
            return new Outcome(w.applied(), w.pending(), w.repeats(), batch.skipped());
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
        store.addPending(w.newPending());
        store.settle(w.settled());
        store.saveStates(w.states(), new HashSet<>(states.keySet()));
        store.insertIntervals(w.closed());
        profile.add(MeterProfile.Step.WRITE, t);
        return w;
    }
}
