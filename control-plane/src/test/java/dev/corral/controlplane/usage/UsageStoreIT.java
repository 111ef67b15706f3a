package dev.corral.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** What the meter writes to PostgreSQL reads back as it was, whatever the text in it. */
@QuarkusTest
class UsageStoreIT {

    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @Inject
    UsageStore store;

    @Inject
    javax.sql.DataSource dataSource;

    @Test
    void intervalsCopiedInReadBackExactlyEvenWithTabsNewlinesAndBackslashesInTheirText() {
        String project = "copy-" + UUID.randomUUID().toString().substring(0, 8);
        var intervals = List.of(
                new Interval("u-1", "VM", "web\t1\nsecond line\r\\N", project, Phase.Running, T0.plusNanos(123_456_000),
                        T0.plusSeconds(3600), 2.5, 4096, Map.of("gpu", 2, "audio\\\"x", 1), UsageFold.NO_START_EVENT, 115),
                new Interval("u-2", "Container", "\\", project, Phase.Allocated, T0, T0, 1e-4, 0, Map.of(), null, 0),
                new Interval("u-3", "VM", "zürich-東京", project, Phase.Running, T0.minusSeconds(86_400 * 400), T0.plusSeconds(1),
                        0.1 + 0.2, Long.MAX_VALUE, Map.of(), UsageFold.SEQUENCE_GAP, 1));
        QuarkusTransaction.requiringNew().run(() -> store.insertIntervals(intervals));

        var read = new java.util.ArrayList<Interval>();
        store.overlapping(project, T0.minusSeconds(86_400 * 401), T0.plusSeconds(7200), T0.plusSeconds(7200), read::add);

        assertThat(read).containsExactlyInAnyOrderElementsOf(intervals);
    }

    @Test
    void aReportReadsItsIntervalsThroughACursorAFetchAtATime() {
        String project = "many-" + UUID.randomUUID().toString().substring(0, 8);
        var intervals = new java.util.ArrayList<Interval>();
        for (int i = 0; i < UsageStore.FETCH * 2 + 1; i++) {
            intervals.add(new Interval("u-" + i, "VM", "vm-" + i, project, Phase.Running, T0.plusSeconds(i), T0.plusSeconds(i + 60),
                    1, 256, Map.of(), null, 0));
        }
        QuarkusTransaction.requiringNew().run(() -> store.insertIntervals(intervals));
        var openCursors = new java.util.ArrayList<Integer>();
        var sum = new UsageTotals.Sum(T0, T0.plusSeconds(86_400), UsageTotals.GroupBy.project);
        QuarkusTransaction.requiringNew().run(() -> store.overlapping(project, T0, T0.plusSeconds(86_400), T0.plusSeconds(86_400), v -> {
            if (openCursors.isEmpty()) {
                // The first interval is here while the rest are still in PostgreSQL, behind an open portal (the
                // pattern is split so that this query's own text does not match it).
                try (var c = dataSource.getConnection(); var s = c.createStatement();
                     var r = s.executeQuery("SELECT count(*) FROM pg_cursors WHERE statement LIKE '%FROM usage' || '_interval %'")) {
                    r.next();
                    openCursors.add(r.getInt(1));
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
            sum.accept(v);
        }));
        assertThat(openCursors).containsExactly(1);
        var total = sum.records();
        assertThat(total).hasSize(1);
        assertThat(total.getFirst().runningSeconds()).isEqualTo(60.0 * intervals.size());
    }
}
