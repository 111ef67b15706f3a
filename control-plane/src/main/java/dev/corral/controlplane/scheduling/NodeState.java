package dev.corral.controlplane.scheduling;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node as the scheduler sees it: its ledger row, its devices and the anti-affinity groups present on it.
 *
 * @param antiAffinityGroups "project/group" of the groups already on this node
 * @param subnet             its VM network (CIDR), null when it offers none
 * @param freeAddresses      VM addresses still free in that subnet (shared with every node on the same subnet)
 */
public record NodeState(String name, int vcpus, long memoryMiB, double vcpusUsed, long memoryMiBUsed, boolean ready,
        boolean cordoned, String accelerator, Map<String, String> labels, List<Device> devices,
        Set<String> antiAffinityGroups, String subnet, long freeAddresses) {

    /** A node without a VM network. */
    public NodeState(String name, int vcpus, long memoryMiB, double vcpusUsed, long memoryMiBUsed, boolean ready,
            boolean cordoned, String accelerator, Map<String, String> labels, List<Device> devices, Set<String> antiAffinityGroups) {
        this(name, vcpus, memoryMiB, vcpusUsed, memoryMiBUsed, ready, cordoned, accelerator, labels, devices, antiAffinityGroups, null, 0);
    }

    /** @param iommuGroup null when the host has no IOMMU: such a device is never assignable */
    public record Device(String address, String vendor, String device, String deviceClass, int numaNode,
            Integer iommuGroup, boolean free) {
    }
}
