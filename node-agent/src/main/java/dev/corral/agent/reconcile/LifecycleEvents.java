package dev.corral.agent.reconcile;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.agent.events.EventSink;
import dev.corral.api.AssignedDevice;
import dev.corral.api.CloudEvent;
import dev.corral.api.LifecycleData;

/**
 * Turns what happens to a workload into lifecycle events (asyncapi.yaml) and hands them to the durable journal.
 * The sequence number is taken from the {@link WorkloadLedger} before the event is journalled, so a crash between
 * the two leaves a gap (consumers wait, then move on) and never two events with one number (the second would be
 * dropped as stale). The id is {@code <uid>-<sequence>}: the same event keeps its id however often it is sent.
 */
public final class LifecycleEvents {

    private final EventSink sink;
    private final WorkloadLedger ledger;
    private final ObjectMapper json;
    private final String node;
    private final Map<String, String> deviceClasses;
    private final Clock clock;

    /** @param deviceClasses PCI address → billing class ({@code gpu}, {@code nic}...) of this host's devices */
    public LifecycleEvents(EventSink sink, WorkloadLedger ledger, ObjectMapper json, String node,
            Map<String, String> deviceClasses, Clock clock) {
        this.sink = sink;
        this.ledger = ledger;
        this.json = json;
        this.node = node;
        this.deviceClasses = Map.copyOf(deviceClasses);
        this.clock = clock;
    }

    /**
     * Publishes {@code corral.<kind>.<action>} for the workload.
     *
     * @param generation the spec generation the agent acted on
     * @return the event's sequence number
     */
    public long publish(Desired workload, String action, long generation, String reason, String message) {
        return publish(workload, action, generation, reason, message, null);
    }

    /**
     * Publishes {@code corral.<kind>.<action>}, saying what runs the VM ({@code kvm}, {@code emulated}; null: nothing).
     *
     * @return the event's sequence number
     */
    public long publish(Desired workload, String action, long generation, String reason, String message, String accelerator) {
        return publish(workload, action, generation, reason, message, accelerator, null);
    }

    /**
     * Publishes {@code corral.<kind>.<action>} with how a container's process ended ({@code exitCode}; null: not known
     * or not a container).
     *
     * @return the event's sequence number
     */
    public long publish(Desired workload, String action, long generation, String reason, String message, String accelerator,
            Integer exitCode) {
        long sequence = ledger.nextSequence(workload.uid());
        var devices = workload.devices().stream()
                .map(address -> new AssignedDevice(address, deviceClasses.getOrDefault(address, "other")))
                .toList();
        var data = new LifecycleData(workload.kind(), workload.uid(), workload.name(), workload.project(), node, sequence,
                generation, workload.vcpus(), workload.memoryMiB(), devices.isEmpty() ? List.of() : devices, reason, message, accelerator,
                workload.diskGiB(), exitCode);
        var event = new CloudEvent<>(CloudEvent.SPEC_VERSION, workload.uid() + "-" + sequence, "/corral/nodes/" + node,
                "corral." + workload.kind().toLowerCase() + "." + action, clock.instant(), workload.subject(), "application/json", data);
        try {
            sink.publish(workload.uid(), json.writeValueAsString(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write lifecycle event " + event.id() + ": " + e.getMessage(), e);
        }
        return sequence;
    }
}
