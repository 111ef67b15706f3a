package dev.corral.controlplane.usage;

import java.time.Instant;
import java.util.Map;

/**
 * A lifecycle event as the meter needs it.
 *
 * @param action  the last part of the CloudEvent type: {@code running}, {@code stopped}, ...
 * @param devices devices held, counted per class
 */
public record UsageEvent(String id, String action, String uid, String kind, String name, String project, long sequence,
        Instant time, double vcpus, long memoryMiB, Map<String, Integer> devices) {
}
