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

        var read = store.overlapping(project, T0.minusSeconds(86_400 * 401), T0.plusSeconds(7200), T0.plusSeconds(7200));

        assertThat(read).containsExactlyInAnyOrderElementsOf(intervals);
    }
}
