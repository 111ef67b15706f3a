package dev.corral.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What is observed of a VM or container.
 *
 * @param phase      {@code Pending}, {@code Scheduled}, {@code Starting}, {@code Running}, {@code Stopping},
 *                   {@code Stopped}, {@code Failed}, or {@code Unknown} while its node is NotReady
 * @param node       the node it is placed on, once scheduled
 * @param resources  the shape it holds on its node (resolved from the instance type or the spec)
 * @param deviceRequests the devices it asks for (from the instance type, or its spec)
 * @param devices    the PCI addresses assigned to it (whole IOMMU groups)
 * @param eventSequence the sequence number of the last lifecycle event applied to this status
 * @param restart    restarts the control plane made or plans under the restartPolicy
 * @param accelerator what runs or last ran a VM's vCPUs on its node, {@code kvm} or {@code emulated} (from its node's
 *                    {@code running} event; cleared when it starts again)
 * @param exitCode   how a container's last run ended: its process's exit status, or 128 + the signal that killed it
 *                   (from its node's {@code stopped} or {@code failed} event; cleared when it starts again); null for VMs
 * @param network    a VM's place on its node's network when {@code spec.network} is {@code attached}: its MAC
 *                   (given when the VM is created) and its address (given when it is placed on a node, from that
 *                   node's subnet)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkloadStatus(String phase, String node, Resources resources, List<DeviceRequest> deviceRequests,
        List<String> devices, List<Condition> conditions, Long observedGeneration, Long eventSequence, RestartStatus restart,
        String accelerator, Network network, Integer exitCode) {

    /** A status without an exit code. */
    public WorkloadStatus(String phase, String node, Resources resources, List<DeviceRequest> deviceRequests,
            List<String> devices, List<Condition> conditions, Long observedGeneration, Long eventSequence, RestartStatus restart,
            String accelerator, Network network) {
        this(phase, node, resources, deviceRequests, devices, conditions, observedGeneration, eventSequence, restart, accelerator, network, null);
    }

    /**
     * @param mac    a locally administered unicast MAC, {@code 02:xx:xx:xx:xx:xx}, unique among the VMs
     * @param ip     the IPv4 address in its node's subnet; null until it is placed
     * @param subnet its node's subnet in CIDR form ({@code 10.88.0.0/24}); the first address is the node's gateway
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Network(String mac, String ip, String subnet) {
    }

    /** A status with an accelerator and no network. */
    public WorkloadStatus(String phase, String node, Resources resources, List<DeviceRequest> deviceRequests,
            List<String> devices, List<Condition> conditions, Long observedGeneration, Long eventSequence, RestartStatus restart,
            String accelerator) {
        this(phase, node, resources, deviceRequests, devices, conditions, observedGeneration, eventSequence, restart, accelerator, null);
    }

    /** A status that says nothing about an accelerator yet. */
    public WorkloadStatus(String phase, String node, Resources resources, List<DeviceRequest> deviceRequests,
            List<String> devices, List<Condition> conditions, Long observedGeneration, Long eventSequence, RestartStatus restart) {
        this(phase, node, resources, deviceRequests, devices, conditions, observedGeneration, eventSequence, restart, null, null);
    }

    public WorkloadStatus withPlacement(String phase, String node, List<String> devices, List<Condition> conditions) {
        return new WorkloadStatus(phase, node, resources, deviceRequests, devices, conditions, observedGeneration, eventSequence, restart,
                accelerator, network, exitCode);
    }

    public WorkloadStatus withConditions(List<Condition> conditions) {
        return new WorkloadStatus(phase, node, resources, deviceRequests, devices, conditions, observedGeneration, eventSequence, restart,
                accelerator, network, exitCode);
    }

    /** The status after a lifecycle event: its phase, the generation the node acted on, and its sequence. */
    public WorkloadStatus withLifecycle(String phase, Long observedGeneration, long eventSequence, List<Condition> conditions) {
        return new WorkloadStatus(phase, node, resources, deviceRequests, devices, conditions,
                observedGeneration == null ? this.observedGeneration : observedGeneration, eventSequence, restart, accelerator, network, exitCode);
    }

    public WorkloadStatus withRestart(RestartStatus restart) {
        return new WorkloadStatus(phase, node, resources, deviceRequests, devices, conditions, observedGeneration, eventSequence, restart,
                accelerator, network, exitCode);
    }

    public WorkloadStatus withAccelerator(String accelerator) {
        return new WorkloadStatus(phase, node, resources, deviceRequests, devices, conditions, observedGeneration, eventSequence, restart,
                accelerator, network, exitCode);
    }

    public WorkloadStatus withExitCode(Integer exitCode) {
        return new WorkloadStatus(phase, node, resources, deviceRequests, devices, conditions, observedGeneration, eventSequence, restart,
                accelerator, network, exitCode);
    }

    public WorkloadStatus withNetwork(Network network) {
        return new WorkloadStatus(phase, node, resources, deviceRequests, devices, conditions, observedGeneration, eventSequence, restart,
                accelerator, network, exitCode);
    }

    /** The condition of that type, or null. */
    public Condition condition(String type) {
        return conditions == null ? null : conditions.stream().filter(c -> c.type().equals(type)).findFirst().orElse(null);
    }

    /** The conditions with {@code condition} replacing the one of its type. */
    public List<Condition> conditionsWith(Condition condition) {
        var list = new java.util.ArrayList<Condition>();
        if (conditions != null) {
            conditions.stream().filter(c -> !c.type().equals(condition.type())).forEach(list::add);
        }
        list.add(condition);
        return list;
    }
}
