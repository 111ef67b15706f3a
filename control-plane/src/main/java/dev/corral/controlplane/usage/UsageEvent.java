package dev.corral.controlplane.usage;

import java.time.Instant;
import java.util.Map;

/**
 * A lifecycle event as the meter needs it.
 *
 * @param action  the last part of the CloudEvent type: {@code running}, {@code stopped}, ...
 * @param devices devices held, counted per class
 * @param diskGiB the disk space a VM is provisioned (its {@code data.diskGiB}); 0 when it has none
 */
public record UsageEvent(String id, String action, String uid, String kind, String name, String project, long sequence,
        Instant time, double vcpus, long memoryMiB, Map<String, Integer> devices, long diskGiB) {

    /** An event of a workload without disks. */
    public UsageEvent(String id, String action, String uid, String kind, String name, String project, long sequence,
            Instant time, double vcpus, long memoryMiB, Map<String, Integer> devices) {
        this(id, action, uid, kind, name, project, sequence, time, vcpus, memoryMiB, devices, 0);
    }
}
