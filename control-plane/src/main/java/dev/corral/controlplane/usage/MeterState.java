package dev.corral.controlplane.usage;

import java.time.Instant;
import java.util.Map;

/**
 * What the meter knows of one workload: the last sequence it applied and the interval it is in now (open, from
 * {@code since}).
 */
public record MeterState(String uid, String kind, String name, String project, long appliedSequence, Phase phase,
        Instant since, double vcpus, long memoryMiB, Map<String, Integer> devices, String flag, long diskGiB) {

    static MeterState first(UsageEvent e) {
        return new MeterState(e.uid(), e.kind(), e.name(), e.project(), 0, Phase.None, null, 0, 0, Map.of(), null, 0);
    }

    /** The open interval, ended at {@code end}. */
    Interval openUntil(Instant end) {
        return new Interval(uid, kind, name, project, phase, since, end, vcpus, memoryMiB, devices, flag, diskGiB);
    }
}
