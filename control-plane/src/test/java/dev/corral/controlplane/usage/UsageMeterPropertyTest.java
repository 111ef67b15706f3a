package dev.corral.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.LongStream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random lifecycle histories for many workloads, delivered interleaved, with duplicates, in random batches, with
 * batches lost to crashes and read again: the meter's usage always equals the ground truth, to the second.
 *
 * <p>This drives {@link MeterBatch} (the meter's whole rule) over an in-memory copy of its tables; UsageIT does
 * the same through real Kafka and PostgreSQL.
 *
 * <p>A seeded property test: {@value #TRIES} tries, each generated from one seed drawn from a fixed master seed, so
 * every run (and CI) checks the same cases and a failure names the seed that reproduces it. To explore other cases:
 * {@code -Dcorral.property.seed=N} (the master seed) and {@code -Dcorral.property.tries=N}.
 */
class UsageMeterPropertyTest {

    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    private static final int TRIES = 100;

    /** One seed per try, from the master seed. */
    static LongStream seeds() {
        var master = new Random(Long.getLong("corral.property.seed", 2026_11_25L));
        return master.longs(Integer.getInteger("corral.property.tries", TRIES));
    }

    /**
     * The meter's tables, in memory, with the same all-or-nothing batches. No set of ids read: like the meter, they
     * keep only the events that wait, so a repeat is caught by the workload's sequence or by the waiting event's id.
     */
    private static final class Tables {
        final Map<String, MeterState> states = new HashMap<>();
        final Map<String, List<UsageEvent>> pending = new HashMap<>();
        final List<Interval> intervals = new ArrayList<>();

        void apply(List<UsageEvent> batch, boolean skipGaps) {
            var fresh = new LinkedHashMap<String, List<UsageEvent>>();
            for (var e : batch) {
                fresh.computeIfAbsent(e.uid(), u -> new ArrayList<>()).add(e);
            }
            var w = MeterBatch.fold(fresh, states, pending, skipGaps);
            var settled = new HashSet<String>(w.settled());
            pending.values().forEach(list -> list.removeIf(e -> settled.contains(e.id())));
            for (var e : w.newPending()) {
                pending.computeIfAbsent(e.uid(), u -> new ArrayList<>()).add(e);
            }
            w.states().forEach(s -> states.put(s.uid(), s));
            intervals.addAll(w.closed());
        }

        List<Interval> withOpenUntil(Instant now) {
            var all = new ArrayList<>(intervals);
            states.values().stream().filter(s -> s.phase().counts()).forEach(s -> all.add(s.openUntil(now)));
            return all;
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void usageEqualsGroundTruthWhateverTheDelivery(long seed) {
        var random = new Random(seed);
        int workloads = 1 + random.nextInt(25);
        int duplicatePercent = random.nextInt(41);
        int maxBatch = 1 + random.nextInt(60);
        int crashPercent = random.nextInt(31);
        int reorderPercent = random.nextInt(4) == 0 ? 0 : random.nextInt(21);
        var histories = new LinkedHashMap<String, List<UsageEvent>>();
        for (int i = 0; i < workloads; i++) {
            String uid = new UUID(seed, i).toString();
            histories.put(uid, Histories.random(random, "p" + random.nextInt(3), uid, T0.plusSeconds(random.nextInt(86_400))));
        }
        var stream = reorder(random, deliver(random, histories, duplicatePercent), reorderPercent);

        var tables = new Tables();
        int at = 0;
        while (at < stream.size()) {
            int n = 1 + random.nextInt(maxBatch);
            var batch = stream.subList(at, Math.min(stream.size(), at + n));
            if (random.nextInt(100) < crashPercent) {
                // Crashed before commit: nothing of the batch was kept, and it is read again.
                continue;
            }
            tables.apply(batch, false);
            at += batch.size();
        }

        Instant to = T0.plusSeconds(86_400 + random.nextInt(86_400));
        Instant from = T0.plusSeconds(random.nextInt(86_400));
        var report = UsageTotals.of(tables.withOpenUntil(to), from, to, UsageTotals.GroupBy.workload);
        var byUid = new HashMap<String, dev.corral.api.UsageRecord>();
        report.forEach(r -> byUid.put(r.uid(), r));
        histories.forEach((uid, history) -> {
            var truth = GroundTruth.of(history, from, to);
            var got = byUid.get(uid);
            if (truth.running() + truth.stopped() == 0) {
                assertThat(got).as("workload %s used nothing in the window", uid).isNull();
                return;
            }
            truth.assertMatches(got, uid);
            boolean startedUnseen = history.getFirst().action().equals("exists");
            assertThat(got.flags().contains(UsageFold.NO_START_EVENT)).isEqualTo(startedUnseen && truth.running() > 0
                    && history.getFirst().time().isBefore(to) && runsInWindowFromFirstExists(history, from, to));
        });
    }

    /** Whether the unseen-start interval (from the first exists to the next phase change) overlaps the window. */
    private static boolean runsInWindowFromFirstExists(List<UsageEvent> history, Instant from, Instant to) {
        Instant start = history.getFirst().time();
        Instant end = history.stream().skip(1).filter(e -> !e.action().equals("exists") && !e.action().equals("stopping"))
                .map(UsageEvent::time).findFirst().orElse(Instant.MAX);
        return start.isBefore(to) && end.isAfter(from) && end.isAfter(start);
    }

    /**
     * Moves some events ahead of the one before them of the same workload (a producer's retry, an agent's journal
     * replayed): the later one waits as pending until the earlier one comes, and repeats of it may come meanwhile.
     */
    static List<UsageEvent> reorder(Random random, List<UsageEvent> stream, int percent) {
        var out = new ArrayList<>(stream);
        for (int i = 1; i < out.size(); i++) {
            if (random.nextInt(100) < percent) {
                for (int j = i - 1; j >= 0; j--) {
                    if (out.get(j).uid().equals(out.get(i).uid())) {
                        out.set(j, out.set(i, out.get(j)));
                        break;
                    }
                }
            }
        }
        return out;
    }

    /** All events, interleaved across workloads, per-workload order kept; some sent again later. */
    static List<UsageEvent> deliver(Random random, Map<String, List<UsageEvent>> histories, int duplicatePercent) {
        var cursors = new HashMap<String, Integer>();
        var remaining = new ArrayList<>(histories.keySet());
        var stream = new ArrayList<UsageEvent>();
        while (!remaining.isEmpty()) {
            String uid = remaining.get(random.nextInt(remaining.size()));
            int i = cursors.merge(uid, 1, Integer::sum) - 1;
            var events = histories.get(uid);
            stream.add(events.get(i));
            if (i == events.size() - 1) {
                remaining.remove(uid);
            }
        }
        var withDuplicates = new ArrayList<>(stream);
        for (var e : stream) {
            if (random.nextInt(100) < duplicatePercent) {
                int after = withDuplicates.indexOf(e) + 1;
                withDuplicates.add(after + random.nextInt(withDuplicates.size() - after + 1), e);
            }
        }
        return withDuplicates;
    }
}
