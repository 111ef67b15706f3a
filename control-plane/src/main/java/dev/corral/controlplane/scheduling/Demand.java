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
 * @param network             a VM with {@code spec.network: attached}: it needs a node with a subnet and a free address
 */
public record Demand(String project, double vcpus, long memoryMiB, List<DeviceRequest> devices,
        Map<String, String> nodeSelector, Set<String> allowedAccelerators, String antiAffinityGroup, boolean network) {

    /** A workload without a network. */
    public Demand(String project, double vcpus, long memoryMiB, List<DeviceRequest> devices,
            Map<String, String> nodeSelector, Set<String> allowedAccelerators, String antiAffinityGroup) {
        this(project, vcpus, memoryMiB, devices, nodeSelector, allowedAccelerators, antiAffinityGroup, false);
    }
}
