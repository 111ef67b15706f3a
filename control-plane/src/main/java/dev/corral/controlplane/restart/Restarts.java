package dev.corral.controlplane.restart;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.api.RestartStatus;
import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.store.LabelSelector;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Applies {@code spec.restartPolicy} when a workload stops without being asked: plans the restart with backoff
 * as the lifecycle event is applied ({@link #afterEvent}), and carries it out when it is due ({@link #due}) by
 * asking the node for a restart the way {@code POST .../restart} does ({@code spec.restartRequestedAt}).
 */
@ApplicationScoped
public class Restarts {

    private static final Logger LOG = Logger.getLogger(Restarts.class);

    /** Reasons a node gives for stops the spec asked for: nothing unexpected happened. */
    static final Set<String> REQUESTED = Set.of("StopRequested", "RestartRequested", "StopForced", "Deleted", "GuestReset");

    private final ResourceStore store;
    private final EventService events;
    private final ObjectMapper json;
    private final RestartConfig config;

    Restarts(ResourceStore store, EventService events, ObjectMapper json, RestartConfig config) {
        this.store = store;
        this.events = events;
        this.json = json;
        this.config = config;
    }

    /**
     * The status after a lifecycle event, with the restart plan updated; says why in {@code notes}, the events the
     * caller records about the workload.
     */
    public WorkloadStatus afterEvent(StoredObject workload, WorkloadStatus status, String previousPhase, String action,
            String reason, Instant at, List<EventService.Note> notes) {
        var previous = status.restart();
        if (action.equals("running") && !"Running".equals(previousPhase)) {
            return status.withRestart(new RestartStatus(previous == null ? 0 : previous.count(), null,
                    previous == null ? null : previous.reason(), at));
        }
        boolean stopped = action.equals("stopped") || action.equals("failed");
        boolean wanted = workload.spec().path("runState").asText("Running").equals("Running");
        if (!stopped || !wanted || (reason != null && REQUESTED.contains(reason))) {
            return status;
        }
        var decision = RestartPolicy.decide(workload.spec().path("restartPolicy").asText(null), action, reason, previous, at,
                Instant.now(), config.firstDelay());
        notes.add(new EventService.Note(decision.restart() ? "Warning" : "Normal", decision.restart() ? "BackOff" : "NotRestarted",
                decision.message()));
        var next = decision.next();
        return status.withRestart(decision.restart()
                ? new RestartStatus(next.count(), next.nextAt(), next.reason(), next.lastStartedAt(), workload.generation())
                : next);
    }

    /** Carries out the restarts that are due. */
    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP, delayed = "2s")
    void due() {
        for (String kind : List.of("VM", "Container")) {
            var page = QuarkusTransaction.requiringNew().call(() -> store.list(kind, null, LabelSelector.EVERYTHING, 100, null,
                    "(status -> 'restart' ->> 'nextAt') IS NOT NULL AND (status -> 'restart' ->> 'nextAt')::timestamptz <= now()"));
            for (var w : page.items()) {
                try {
                    QuarkusTransaction.requiringNew().run(() -> restart(kind, w.project(), w.name()));
                } catch (RuntimeException e) {
                    LOG.warnf("could not restart %s %s/%s (%s); trying again", kind, w.project(), w.name(), e.getMessage());
                }
            }
        }
    }

    private void restart(String kind, String project, String name) {
        var w = store.findForUpdate(kind, project, name).orElse(null);
        if (w == null) {
            return;
        }
        var status = w.statusAs(json, WorkloadStatus.class);
        var plan = status.restart();
        if (plan == null || plan.nextAt() == null || plan.nextAt().isAfter(Instant.now())) {
            return;
        }
        var done = plan.settled();
        var spec = (ObjectNode) w.spec().deepCopy();
        if (plan.generation() != null && plan.generation() != w.generation()) {
            // Its user started, stopped or restarted it since: what they asked for stands, the plan is void.
            events.normal(w, "RestartSuperseded", "The planned restart is void: the spec changed since (generation "
                    + plan.generation() + " is now " + w.generation() + ").");
            store.update(w, w.labels(), spec, json.valueToTree(status.withRestart(done)), w.node());
            return;
        }
        spec.put("restartRequestedAt", Instant.now().toString());
        String which = RestartPolicy.NODE_REASONS.contains(plan.reason()) ? "Restart" : "Restart " + plan.count();
        events.normal(w, "Restarting", which + " after " + plan.reason() + " (restartPolicy "
                + spec.path("restartPolicy").asText() + ").");
        store.update(w, w.labels(), spec, json.valueToTree(status.withRestart(done)), w.node());
    }
}
