package dev.corral.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class UsageFoldTest {

    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    private static UsageEvent event(long sequence, String action, long second) {
        return new UsageEvent("u-" + sequence, action, "u", "VM", "web", "p", sequence, T0.plusSeconds(second), 2, 1024,
                Map.of("gpu", 1));
    }

    private static MeterState none() {
        return MeterState.first(event(1, "scheduled", 0));
    }

    @Test
    void runningThenStoppedThenDeletedMakesOneIntervalOfEachPhase() {
        var r = UsageFold.fold(none(), List.of(event(1, "scheduled", 0), event(2, "starting", 10), event(3, "running", 20),
                event(4, "exists", 80), event(5, "stopping", 120), event(6, "stopped", 130), event(7, "deleted", 200)), false);
        assertThat(r.closed()).extracting(Interval::phase, v -> v.start().getEpochSecond() - T0.getEpochSecond(),
                v -> v.end().getEpochSecond() - T0.getEpochSecond())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Phase.Allocated, 0L, 20L),
                        org.assertj.core.groups.Tuple.tuple(Phase.Running, 20L, 130L),
                        org.assertj.core.groups.Tuple.tuple(Phase.Allocated, 130L, 200L));
        assertThat(r.state().phase()).isEqualTo(Phase.Gone);
        assertThat(r.applied()).hasSize(7);
        assertThat(r.closed()).allSatisfy(v -> assertThat(v.flag()).isNull());
    }

    @Test
    void aContainerIsMeteredByItsCpuAndMemoryLimitsUntilItsProcessEnds() {
        var events = new ArrayList<UsageEvent>();
        String[] actions = {"scheduled", "starting", "running", "failed", "deleted"};
        long[] at = {0, 1, 2, 102, 110};
        for (int i = 0; i < actions.length; i++) {
            events.add(new UsageEvent("c-" + (i + 1), actions[i], "c", "Container", "job", "p", i + 1, T0.plusSeconds(at[i]), 0.5, 64,
                    Map.of()));
        }
        var r = UsageFold.fold(MeterState.first(events.getFirst()), events, false);
        var running = r.closed().stream().filter(v -> v.phase() == Phase.Running).toList();
        assertThat(running).singleElement().satisfies(v -> {
            assertThat(v.kind()).isEqualTo("Container");
            assertThat(v.vcpus()).isEqualTo(0.5);
            assertThat(v.memoryMiB()).isEqualTo(64);
            assertThat(v.end().getEpochSecond() - v.start().getEpochSecond()).isEqualTo(100); // running → failed (OOMKilled)
        });
    }

    @Test
    void anEventAheadOfItsPredecessorWaitsAndIsAppliedWhenTheGapFills() {
        var first = UsageFold.fold(none(), List.of(event(1, "scheduled", 0), event(3, "running", 20)), false);
        assertThat(first.pending()).extracting(UsageEvent::sequence).containsExactly(3L);
        assertThat(first.state().appliedSequence()).isEqualTo(1);
        var second = UsageFold.fold(first.state(), List.of(first.pending().getFirst(), event(2, "starting", 10)), false);
        assertThat(second.pending()).isEmpty();
        assertThat(second.state().phase()).isEqualTo(Phase.Running);
        assertThat(second.state().since()).isEqualTo(T0.plusSeconds(20));
        assertThat(second.state().flag()).isNull();
    }

    @Test
    void aDuplicateUnderAnotherIdIsStale() {
        var r = UsageFold.fold(none(), List.of(event(1, "scheduled", 0), event(2, "running", 5)), false);
        var again = new UsageEvent("other-id", "running", "u", "VM", "web", "p", 2, T0.plusSeconds(9), 2, 1024, Map.of("gpu", 1));
        var r2 = UsageFold.fold(r.state(), List.of(again), false);
        assertThat(r2.stale()).containsExactly(again);
        assertThat(r2.state()).isEqualTo(r.state());
    }

    @Test
    void aWorkloadSeenOnlyThroughExistsIsFlaggedNoStartEvent() {
        var r = UsageFold.fold(none(), List.of(event(1, "exists", 100), event(2, "exists", 160), event(3, "stopped", 200)), false);
        assertThat(r.closed()).singleElement().satisfies(v -> {
            assertThat(v.phase()).isEqualTo(Phase.Running);
            assertThat(v.flag()).isEqualTo(UsageFold.NO_START_EVENT);
            assertThat(v.end()).isEqualTo(T0.plusSeconds(200));
        });
    }

    @Test
    void givingUpOnAGapAppliesTheRestFlaggedSequenceGap() {
        var waiting = UsageFold.fold(none(), List.of(event(4, "running", 50), event(5, "stopped", 90)), false);
        assertThat(waiting.applied()).isEmpty();
        var r = UsageFold.fold(waiting.state(), waiting.pending(), true);
        assertThat(r.applied()).hasSize(2);
        assertThat(r.closed()).singleElement().satisfies(v -> {
            assertThat(v.flag()).isEqualTo(UsageFold.SEQUENCE_GAP);
            assertThat(v.end().getEpochSecond() - v.start().getEpochSecond()).isEqualTo(40);
        });
    }

    @Test
    void nothingCountsAfterDeletedAndAClockGoingBackwardsMakesNoNegativeInterval() {
        var r = UsageFold.fold(none(), List.of(event(1, "running", 100), event(2, "stopped", 90), event(3, "deleted", 300),
                event(4, "running", 400)), false);
        assertThat(r.closed()).extracting(Interval::phase).containsExactly(Phase.Allocated);
        assertThat(r.closed().getFirst().start()).isEqualTo(T0.plusSeconds(100));
        assertThat(r.state().phase()).isEqualTo(Phase.Gone);
    }

    @Test
    void totalsSplitAtUtcMidnightWhenGroupedByDay() {
        var closed = new ArrayList<Interval>();
        closed.add(new Interval("u", "VM", "web", "p", Phase.Running, Instant.parse("2026-11-01T23:00:00Z"),
                Instant.parse("2026-11-02T01:00:00Z"), 2, 2048, Map.of("gpu", 1), null));
        var days = UsageTotals.of(closed, T0, Instant.parse("2026-11-03T00:00:00Z"), UsageTotals.GroupBy.day);
        assertThat(days).hasSize(2);
        assertThat(days).allSatisfy(d -> {
            assertThat(d.runningSeconds()).isEqualTo(3600);
            assertThat(d.vcpuSeconds()).isEqualTo(7200);
            assertThat(d.memoryGiBSeconds()).isEqualTo(7200);
            assertThat(d.deviceSeconds()).containsEntry("gpu", 3600.0);
        });
        var clipped = UsageTotals.of(closed, Instant.parse("2026-11-02T00:30:00Z"), Instant.parse("2026-11-03T00:00:00Z"),
                UsageTotals.GroupBy.project);
        assertThat(clipped).singleElement().satisfies(p -> assertThat(p.runningSeconds()).isEqualTo(1800));
    }

    private static UsageEvent diskEvent(long sequence, String action, long second, long diskGiB) {
        return new UsageEvent("d-" + sequence, action, "d", "VM", "db", "p", sequence, T0.plusSeconds(second), 1, 512, Map.of(), diskGiB);
    }

    @Test
    void diskIsHeldStoppedAndRunningUntilDeletedAndAnotherSizeStartsAnotherInterval() {
        var r = UsageFold.fold(MeterState.first(diskEvent(1, "scheduled", 0, 20)), List.of(diskEvent(1, "scheduled", 0, 20),
                diskEvent(2, "running", 100, 20), diskEvent(3, "exists", 200, 50), diskEvent(4, "stopped", 300, 50),
                diskEvent(5, "deleted", 600, 50), diskEvent(6, "exists", 900, 50)), false);
        assertThat(r.closed()).extracting(Interval::phase, Interval::diskGiB, v -> v.end().getEpochSecond() - v.start().getEpochSecond())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Phase.Allocated, 20L, 100L),
                        org.assertj.core.groups.Tuple.tuple(Phase.Running, 20L, 100L),
                        org.assertj.core.groups.Tuple.tuple(Phase.Running, 50L, 100L),
                        org.assertj.core.groups.Tuple.tuple(Phase.Allocated, 50L, 300L));
        var total = UsageTotals.of(r.closed(), T0, T0.plusSeconds(1000), UsageTotals.GroupBy.project);
        assertThat(total).singleElement().satisfies(p -> {
            assertThat(p.diskGiBSeconds()).isEqualTo(20 * 200 + 50 * 400);
            assertThat(p.vcpuSeconds()).isEqualTo(200);
        });
    }
}
