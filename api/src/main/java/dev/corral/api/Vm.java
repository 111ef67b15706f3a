package dev.corral.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A virtual machine. Project-scoped. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Vm(String apiVersion, String kind, ObjectMeta metadata, Spec spec, WorkloadStatus status) {

    public static final String KIND = "VM";

    /**
     * Either {@code instanceType} or both {@code vcpus} and {@code memoryMiB}.
     *
     * @param image               the name of an Image in the same project
     * @param cmdline             kernel command line; the image's default when absent
     * @param nodeSelector        labels a node must carry
     * @param antiAffinityGroup   VMs of one group (in one project) never share a node
     * @param allowedAccelerators the node accelerators this VM may run on; all when absent
     * @param restartPolicy       {@code Always}, {@code OnFailure} (default) or {@code Never}
     * @param runState            {@code Running} (default) or {@code Stopped}; set by the start and stop actions
     * @param stopTimeoutSeconds  how long a graceful stop may take before the VM is forced off
     * @param restartRequestedAt  set by the restart action; a change asks the agent to restart the guest
     * @param stopRequest         set by the stop action (this stop's timeout or force), cleared by start
     * @param disks               the boot disk's size and the empty data volumes; absent: the image's disk (if it has
     *                            one) at its own size, and no volumes
     * @param network             {@code attached} (a NIC on its node's network, with a MAC and an address in
     *                            {@code status.network}) or {@code none} (the default)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Spec(String instanceType, Integer vcpus, Long memoryMiB, String image, String cmdline,
            Map<String, String> nodeSelector, String antiAffinityGroup, List<DeviceRequest> devices,
            List<String> allowedAccelerators, String restartPolicy, String runState, Integer stopTimeoutSeconds,
            Instant restartRequestedAt, StopRequest stopRequest, Disks disks, String network) {

        /** A spec without disks or network (the VM boots from its kernel and initrd alone). */
        public Spec(String instanceType, Integer vcpus, Long memoryMiB, String image, String cmdline,
                Map<String, String> nodeSelector, String antiAffinityGroup, List<DeviceRequest> devices,
                List<String> allowedAccelerators, String restartPolicy, String runState, Integer stopTimeoutSeconds,
                Instant restartRequestedAt, StopRequest stopRequest) {
            this(instanceType, vcpus, memoryMiB, image, cmdline, nodeSelector, antiAffinityGroup, devices, allowedAccelerators,
                    restartPolicy, runState, stopTimeoutSeconds, restartRequestedAt, stopRequest, null, null);
        }
    }

    /**
     * A VM's disks. The boot disk (the guest's {@code /dev/vda}) is a copy-on-write overlay of its image's disk, made on
     * its node at first start and kept until the VM is deleted; volumes follow it ({@code /dev/vdb}, ...), empty and
     * thin, kept as long.
     *
     * @param bootSizeGiB the boot disk's size as the guest sees it, at least the image disk's own size; absent: that size
     * @param volumes     empty data disks, in the order the guest names them
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Disks(Integer bootSizeGiB, List<Volume> volumes) {
    }

    /**
     * An empty data disk.
     *
     * @param name    unique within the VM, a DNS label; the guest reads it as the disk's serial number
     * @param sizeGiB its size as the guest sees it
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Volume(String name, Integer sizeGiB) {
    }
}
