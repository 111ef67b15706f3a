package dev.corral.controlplane.usage;

import java.time.Instant;
import java.util.Map;

/**
 * A stretch of time {@code [start, end)} a workload spent in one phase with one shape.
 *
 * @param flag why the interval is inferred rather than seen: {@code NoStartEvent} (seen running only through
 *             {@code exists} events), {@code SequenceGap} (events before it never arrived)
 * @param diskGiB the disk space provisioned throughout, counted whether the workload runs or not
 */
public record Interval(String uid, String kind, String name, String project, Phase phase, Instant start, Instant end,
        double vcpus, long memoryMiB, Map<String, Integer> devices, String flag, long diskGiB) {

    /** An interval without disks. */
    public Interval(String uid, String kind, String name, String project, Phase phase, Instant start, Instant end,
            double vcpus, long memoryMiB, Map<String, Integer> devices, String flag) {
        this(uid, kind, name, project, phase, start, end, vcpus, memoryMiB, devices, flag, 0);
    }
}
