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
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Spec(String instanceType, Integer vcpus, Long memoryMiB, String image, String cmdline,
            Map<String, String> nodeSelector, String antiAffinityGroup, List<DeviceRequest> devices,
            List<String> allowedAccelerators, String restartPolicy, String runState, Integer stopTimeoutSeconds,
            Instant restartRequestedAt, StopRequest stopRequest) {
    }
}
