package dev.corral.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The data of a lifecycle event: which workload, where, its shape, and where it stands.
 *
 * @param kind       {@code VM} or {@code Container}
 * @param uid        the workload's metadata.uid (also the record key)
 * @param sequence   per workload, starting at 1 and increasing by 1 with each event the workload's node publishes;
 *                   consumers apply an event only when it is newer than the last one they applied
 * @param generation the spec generation the node was acting on (becomes status.observedGeneration)
 * @param devices    the host devices the workload holds, with the class each is billed as
 * @param reason     why, in one word (e.g. {@code GuestPoweredOff}, {@code StopRequested})
 * @param accelerator what runs the VM's vCPUs, {@code kvm} or {@code emulated}: on a VM's {@code running} events;
 *                    null otherwise
 * @param diskGiB    the disk space a VM is provisioned (boot disk and volumes, as the guest sees them), billed while
 *                   the VM exists; null when it has no disks
 * @param exitCode   how a container's process ended, on its {@code stopped} and {@code failed} events: its exit
 *                   status, or 128 + the signal that killed it; null for VMs and when unknown
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LifecycleData(String kind, String uid, String name, String project, String node, long sequence, Long generation,
        double vcpus, long memoryMiB, List<AssignedDevice> devices, String reason, String message, String accelerator,
        Long diskGiB, Integer exitCode) {

    /** An event without an exit code. */
    public LifecycleData(String kind, String uid, String name, String project, String node, long sequence, Long generation,
            double vcpus, long memoryMiB, List<AssignedDevice> devices, String reason, String message, String accelerator,
            Long diskGiB) {
        this(kind, uid, name, project, node, sequence, generation, vcpus, memoryMiB, devices, reason, message, accelerator, diskGiB, null);
    }

    /** An event without disks. */
    public LifecycleData(String kind, String uid, String name, String project, String node, long sequence, Long generation,
            double vcpus, long memoryMiB, List<AssignedDevice> devices, String reason, String message, String accelerator) {
        this(kind, uid, name, project, node, sequence, generation, vcpus, memoryMiB, devices, reason, message, accelerator, null);
    }

    /** An event that says nothing about an accelerator. */
    public LifecycleData(String kind, String uid, String name, String project, String node, long sequence, Long generation,
            double vcpus, long memoryMiB, List<AssignedDevice> devices, String reason, String message) {
        this(kind, uid, name, project, node, sequence, generation, vcpus, memoryMiB, devices, reason, message, null);
    }
}
