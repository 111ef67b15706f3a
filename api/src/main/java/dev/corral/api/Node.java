package dev.corral.api;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A host that runs workloads. Cluster-scoped: nodes belong to no project. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Node(String apiVersion, String kind, ObjectMeta metadata, Spec spec, Status status) {

    public static final String KIND = "Node";

    /** @param unschedulable true when cordoned: no new workloads are placed here */
    public record Spec(boolean unschedulable) {
    }

    /**
     * What the agent reported and what the scheduler placed.
     *
     * @param phase       {@code Ready} while the agent heartbeats, {@code NotReady} when it stopped
     * @param accelerator {@code kvm-hardware}, {@code kvm-pvm} or {@code emulated-only}
     * @param allocatable capacity times the allocation ratios: what the scheduler may hand out
     * @param allocated   the sum of what workloads placed here hold
     * @param agentEndpoint the http URL the node's agent serves consoles on, as it registered; null when none
     * @param subnet      the IPv4 subnet (CIDR) of the node's VM network, whose first address is the node's own
     *                    (the guests' gateway); VMs with {@code spec.network: attached} get addresses from it; null:
     *                    the node offers no VM network
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Status(String phase, String accelerator, Capacity capacity, Resources allocatable,
            Resources allocated, List<PciDevice> devices, Instant lastHeartbeatTime, List<Condition> conditions,
            String agentEndpoint, String subnet) {
    }

    /**
     * @param hugepages2Mi count of free 2 MiB huge pages
     * @param hugepages1Gi count of free 1 GiB huge pages
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Capacity(Integer vcpus, Long memoryMiB, Long hugepages2Mi, Long hugepages1Gi, Integer numaNodes) {
    }

    /**
     * What an agent sends to {@code PUT /v1/nodes/{name}} when it registers or re-registers.
     *
     * @param agentEndpoint the http(s) URL where the agent answers (the control plane proxies consoles from it);
     *                      null for a node registered by hand, whose consoles cannot be reached
     * @param subnet        the node's VM network (CIDR), see {@link Status#subnet()}; null: none
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Registration(java.util.Map<String, String> labels, String accelerator, Capacity capacity,
            List<PciDevice> devices, String agentEndpoint, String subnet) {
    }
}
