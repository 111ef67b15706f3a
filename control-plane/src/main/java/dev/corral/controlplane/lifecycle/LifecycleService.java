package dev.corral.controlplane.lifecycle;

import java.time.Instant;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.CloudEvent;
import dev.corral.api.Condition;
import dev.corral.api.LifecycleData;
import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.restart.Restarts;
import dev.corral.controlplane.store.ResourceStore;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Folds one lifecycle event into its workload's status and history. An event is applied only when its sequence
 * is newer than the last one applied, so redeliveries and reordering leave the status as it is.
 */
@ApplicationScoped
public class LifecycleService {

    /** The phase each event type puts a workload in. */
    static final Map<String, String> PHASES = Map.of(
            "starting", "Starting", "running", "Running", "exists", "Running", "stopping", "Stopping",
            "stopped", "Stopped", "failed", "Failed", "deleted", "Stopped");

    private final ResourceStore store;
    private final EventService events;
    private final ObjectMapper json;
    private final Restarts restarts;

    LifecycleService(ResourceStore store, EventService events, ObjectMapper json, Restarts restarts) {
        this.store = store;
        this.events = events;
        this.json = json;
        this.restarts = restarts;
    }

    public enum Outcome { APPLIED, STALE, UNKNOWN_WORKLOAD, IGNORED }

    public Outcome apply(CloudEvent<LifecycleData> event) {
        var data = event.data();
        String action = event.type().substring(event.type().lastIndexOf('.') + 1);
        String phase = PHASES.get(action);
        if (phase == null) {
            // corral.vm.scheduled and types this version does not know change no status.
            return Outcome.IGNORED;
        }
        return QuarkusTransaction.requiringNew().call(() -> {
            var workload = store.findForUpdate(data.kind(), data.project(), data.name())
                    .filter(w -> w.uid().toString().equals(data.uid()))
                    .orElse(null);
            if (workload == null) {
                return Outcome.UNKNOWN_WORKLOAD;
            }
            var status = workload.statusAs(json, WorkloadStatus.class);
            if (status.eventSequence() != null && data.sequence() <= status.eventSequence()) {
                return Outcome.STALE;
            }
            String reason = data.reason() != null ? data.reason() : phase;
            String message = data.message() != null ? data.message()
                    : workload.kind() + " " + workload.name() + " is " + phase.toLowerCase() + " on node " + data.node() + ".";
            var running = new Condition("Running", phase.equals("Running") ? "True" : "False", reason, message,
                    event.time() != null ? event.time() : Instant.now());
            var updated = status.withLifecycle(phase, data.generation(), data.sequence(), status.conditionsWith(running));
            if (data.accelerator() != null) {
                updated = updated.withAccelerator(data.accelerator());
            } else if (action.equals("starting")) {
                updated = updated.withAccelerator(null); // a new run: its node says what runs it once it runs
            }
            if (data.exitCode() != null) {
                updated = updated.withExitCode(data.exitCode());
            } else if (action.equals("starting")) {
                updated = updated.withExitCode(null); // a container's new run has not ended yet
            }
            boolean failed = phase.equals("Failed");
            if (!action.equals("exists") || !phase.equals(status.phase())) {
                events.record(workload, failed ? "Warning" : "Normal", reason, message);
            }
            updated = restarts.afterEvent(workload, updated, status.phase(), action, data.reason(),
                    event.time() != null ? event.time() : Instant.now());
            store.update(workload, workload.labels(), workload.spec(), json.valueToTree(updated), workload.node());
            return Outcome.APPLIED;
        });
    }
}
