package dev.corral.controlplane.scheduling;

import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.corral.api.DeviceRequest;

/**
 * What one workload needs from a node.
 *
 * @param allowedAccelerators empty when any accelerator will do
 * @param antiAffinityGroup   null when none
 */
public record Demand(String project, double vcpus, long memoryMiB, List<DeviceRequest> devices,
        Map<String, String> nodeSelector, Set<String> allowedAccelerators, String antiAffinityGroup) {
}
