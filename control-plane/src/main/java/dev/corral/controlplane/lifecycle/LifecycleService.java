package dev.corral.controlplane.lifecycle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Condition;
import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.restart.Restarts;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Folds lifecycle events into their workloads' status and history, a batch at a time. An event is applied only when
 * its sequence is newer than the last one applied, so redeliveries and reordering leave the status as it is.
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

    /**
     * Workloads whose events one transaction applies: their rows stay locked, and the resourceVersion counter is held
     * while their statuses are written (about 0.1 ms a workload on 2 cores), so a larger poll is cut into transactions
     * of this many workloads, between which other writers get their turn.
     */
    static final int WORKLOADS_PER_TRANSACTION = 250;

    /**
     * Folds a batch of events, in order: the workloads they name are read and locked in one statement, each event is
     * applied to its workload's status as it stands after the events before it (a newer sequence only; its transition
     * recorded as an event), and the workloads changed are written in one statement, each once, with the status the
     * last of its events left; one transaction per {@link #WORKLOADS_PER_TRANSACTION} workloads. Returns each event's
     * outcome, in the order given. When a transaction fails, the exception says so and the batch is to be applied
     * again: what the transactions before it wrote makes their events stale then, so nothing is applied twice.
     */
    public List<Outcome> apply(List<StatusEvent> batch) {
        var outcomes = new Outcome[batch.size()];
        var uids = new UUID[batch.size()];
        var workloads = new LinkedHashSet<UUID>();
        for (int i = 0; i < outcomes.length; i++) {
            var event = batch.get(i);
            if (PHASES.get(event.action()) == null) {
                // corral.vm.scheduled and types this version does not know change no status.
                outcomes[i] = Outcome.IGNORED;
                continue;
            }
            uids[i] = uid(event.uid());
            if (uids[i] == null) {
                outcomes[i] = Outcome.UNKNOWN_WORKLOAD;
            } else {
                workloads.add(uids[i]);
            }
        }
        var chunk = new HashSet<UUID>();
        for (var uid : workloads) {
            chunk.add(uid);
            if (chunk.size() == WORKLOADS_PER_TRANSACTION) {
                apply(batch, uids, chunk, outcomes);
                chunk.clear();
            }
        }
        if (!chunk.isEmpty()) {
            apply(batch, uids, chunk, outcomes);
        }
        return List.of(outcomes);
    }

    /** The events of {@code batch} for the workloads {@code chunk}, in one transaction; their outcomes into {@code outcomes}. */
    private void apply(List<StatusEvent> batch, UUID[] uids, Set<UUID> chunk, Outcome[] outcomes) {
        QuarkusTransaction.requiringNew().run(() -> {
            var found = store.findForUpdate(chunk);
            var statuses = new LinkedHashMap<UUID, WorkloadStatus>();
            var notes = new ArrayList<EventService.About>();
            for (int i = 0; i < outcomes.length; i++) {
                if (uids[i] == null || !chunk.contains(uids[i])) {
                    continue;
                }
                var data = batch.get(i);
                var workload = found.get(uids[i]);
                if (workload == null || !workload.kind().equals(data.kind()) || !workload.project().equals(data.project())
                        || !workload.name().equals(data.name())) {
                    outcomes[i] = Outcome.UNKNOWN_WORKLOAD;
                    continue;
                }
                var status = statuses.get(uids[i]);
                var updated = fold(data, workload, status != null ? status : workload.statusAs(json, WorkloadStatus.class), notes);
                if (updated == null) {
                    outcomes[i] = Outcome.STALE;
                } else {
                    statuses.put(uids[i], updated);
                    outcomes[i] = Outcome.APPLIED;
                }
            }
            var changes = new ArrayList<ResourceStore.StatusChange>(statuses.size());
            statuses.forEach((uid, status) -> changes.add(new ResourceStore.StatusChange(found.get(uid), json.valueToTree(status))));
            events.recordAll(notes);
            store.updateStatuses(changes);
        });
    }

    /** The uid an event names, or null when it is not one (no workload has it). */
    private static UUID uid(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The workload's status after the event, what to record of its transition added to {@code notes}, or null when the
     * event is stale (its sequence is not newer than the last one applied).
     */
    private WorkloadStatus fold(StatusEvent data, StoredObject workload, WorkloadStatus status, List<EventService.About> notes) {
        String action = data.action();
        String phase = PHASES.get(action);
        if (status.eventSequence() != null && data.sequence() <= status.eventSequence()) {
            return null;
        }
        String reason = data.reason() != null ? data.reason() : phase;
        String message = data.message() != null ? data.message()
                : workload.kind() + " " + workload.name() + " is " + phase.toLowerCase() + " on node " + data.node() + ".";
        var running = new Condition("Running", phase.equals("Running") ? "True" : "False", reason, message,
                data.time() != null ? data.time() : Instant.now());
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
        var said = new ArrayList<EventService.Note>(2);
        if (!action.equals("exists") || !phase.equals(status.phase())) {
            said.add(new EventService.Note(failed ? "Warning" : "Normal", reason, message));
        }
        updated = restarts.afterEvent(workload, updated, status.phase(), action, data.reason(),
                data.time() != null ? data.time() : Instant.now(), said);
        for (var note : said) {
            notes.add(new EventService.About(workload, note));
        }
        return updated;
    }
}
