package dev.corral.controlplane.workload;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.api.Condition;
import dev.corral.api.DeviceRequest;
import dev.corral.api.ObjectMeta;
import dev.corral.api.Problem;
import dev.corral.api.Resources;
import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.kind.KindService;
import dev.corral.controlplane.kind.Preconditions;
import dev.corral.controlplane.problem.NotFoundException;
import dev.corral.controlplane.problem.UnprocessableException;
import dev.corral.controlplane.quota.QuotaLedger;
import dev.corral.controlplane.scheduling.Ledger;
import dev.corral.controlplane.scheduling.Scheduler;
import dev.corral.controlplane.store.Names;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * What VMs and containers share: they are scheduled, hold capacity on a node until deleted, and have the same
 * life cycle actions (start, stop, restart).
 */
public abstract class WorkloadService extends KindService {

    public static final Set<String> RESTART_POLICIES = Set.of("Always", "OnFailure", "Never");
    public static final Set<String> RUN_STATES = Set.of("Running", "Stopped");

    protected final Ledger ledger;
    protected final Scheduler scheduler;
    /** Held from create to delete, whatever the phase (docs/0009, "Quotas"); charged in the create's transaction. */
    private final QuotaLedger quotas;

    protected WorkloadService(ResourceStore store, EventService events, IdempotencyService idempotency, ObjectMapper json,
            Ledger ledger, Scheduler scheduler, QuotaLedger quotas) {
        super(store, events, idempotency, json);
        this.ledger = ledger;
        this.scheduler = scheduler;
        this.quotas = quotas;
    }

    /** The shape the workload holds on its node. */
    protected abstract Resources resources(String project, JsonNode spec);

    /** The devices it asks for. */
    protected List<DeviceRequest> deviceRequests(String project, JsonNode spec) {
        return List.of();
    }

    /** Spec fields that cannot change once the workload holds a place on a node. */
    protected abstract List<String> placementFields();

    @Override
    protected JsonNode initialStatus(String project, JsonNode spec) {
        return json.valueToTree(pending(resources(project, spec), deviceRequests(project, spec)));
    }

    /** Pending, waiting for the scheduler, with the shape and devices it asks for. */
    protected static WorkloadStatus pending(Resources resources, List<DeviceRequest> requests) {
        return new WorkloadStatus("Pending", null, resources, requests.isEmpty() ? null : requests, null,
                List.of(new Condition(Scheduler.SCHEDULED, "False", "Pending", "Waiting for the scheduler.", Instant.now())), null, null, null);
    }

    /**
     * Creates the workload and places it in the same transaction when a node fits; otherwise the scheduler tries
     * again after the commit, and the workload stays Pending (with the reason) when nothing fits.
     */
    public Created createAndSchedule(String project, ObjectMeta metadata, Object spec, String idempotencyKey, Object body) {
        var created = create(project, metadata, spec, idempotencyKey, body);
        if (created.replay() || created.object().node() != null) {
            return created;
        }
        scheduler.schedule(created.object().uid());
        return new Created(store.findByUid(created.object().uid()).orElse(created.object()), false);
    }

    /**
     * Places the new workloads of one shared commit together ({@link Scheduler#placeAll}): each that fits is inserted
     * Scheduled, with its node, and a Scheduled event.
     */
    @Override
    protected List<Insertion> beforeInsertAll(List<StoredObject> drafts) {
        var placements = scheduler.placeAll(drafts);
        var insertions = new java.util.ArrayList<Insertion>(drafts.size());
        for (int i = 0; i < drafts.size(); i++) {
            var draft = drafts.get(i);
            var placement = placements.get(i);
            insertions.add(placement == null ? new Insertion(draft, List.of())
                    : new Insertion(new StoredObject(draft.kind(), draft.project(), draft.name(), draft.uid(), draft.labels(), draft.spec(),
                            placement.status(), draft.generation(), draft.resourceVersion(), draft.creationTimestamp(), placement.node()),
                            List.of(EventService.Note.normal(Scheduler.SCHEDULED, placement.message()))));
        }
        return insertions;
    }

    @Override
    protected void checkUpdate(StoredObject old, JsonNode newSpec) {
        if (old.node() == null) {
            return;
        }
        for (String field : placementFields()) {
            if (!old.spec().path(field).equals(newSpec.path(field))) {
                throw new UnprocessableException("spec." + field + " of " + kind() + " '" + old.name() + "' cannot change while it is placed on node "
                        + old.node() + "; delete it and create it again with the new " + field + ".");
            }
        }
    }

    /*
     * The quota follows status.resources and status.deviceRequests, changed only by these three writes. Each runs
     * after the store's write, so like every other quota change it comes after the resourceVersion counter's lock:
     * one order of locks on every path (docs/0009, "Quotas").
     */
    @Override
    protected void onCreate(StoredObject created) {
        quotas.charge(created.project(), QuotaLedger.Charge.of(status(created)));
    }

    @Override
    protected void onCreateAll(List<StoredObject> created) {
        quotas.chargeAll(created.stream().map(StoredObject::project).toList(),
                created.stream().map(o -> QuotaLedger.Charge.of(status(o))).toList());
    }

    @Override
    protected void onReplaced(StoredObject old, StoredObject updated) {
        quotas.reshape(old.project(), QuotaLedger.Charge.of(status(old)), QuotaLedger.Charge.of(status(updated)));
    }

    @Override
    protected void onDeleted(StoredObject old) {
        quotas.release(old.project(), QuotaLedger.Charge.of(status(old)));
    }

    @Override
    protected void onDelete(StoredObject old) {
        if (old.node() != null) {
            ledger.release(old.uid(), old.node(), status(old).resources());
        }
    }

    public StoredObject deleteAndReschedule(String project, String name, String ifMatch) {
        var deleted = delete(project, name, ifMatch);
        if (deleted.node() != null) {
            scheduler.released(deleted);
        }
        return deleted;
    }

    /**
     * Asks for the workload to run. One that already wants to run but ended on its own (the guest powered off, or it
     * failed and its restartPolicy gave up) gets a new {@code restartRequestedAt} too: that is what tells its agent to
     * start it again. One that runs is left alone.
     */
    public StoredObject start(String project, String name, String ifMatch) {
        return act(project, name, ifMatch, "StartRequested", "Start requested.", (spec, status) -> {
            boolean ended = "Stopped".equals(status.phase()) || "Failed".equals(status.phase());
            if (ended && "Running".equals(spec.path("runState").asText("Running"))) {
                spec.put("restartRequestedAt", Instant.now().toString());
            }
            spec.put("runState", "Running");
            spec.remove("stopRequest");
        });
    }

    /**
     * Asks for a stop: graceful within {@code timeoutSeconds} (default: the spec's stopTimeoutSeconds), then forced;
     * {@code force} skips the graceful part. The request is recorded as {@code spec.stopRequest}; the spec's default
     * timeout is left as it is.
     */
    public StoredObject stop(String project, String name, String ifMatch, Integer timeoutSeconds, boolean force) {
        if (timeoutSeconds != null && (timeoutSeconds < 0 || timeoutSeconds > 3600)) {
            throw dev.corral.controlplane.problem.InvalidException.field("timeoutSeconds", "must be between 0 and 3600");
        }
        return act(project, name, ifMatch, "StopRequested",
                force ? "Forced stop requested." : "Graceful stop requested" + (timeoutSeconds == null ? "." : " (timeout " + timeoutSeconds + " s)."),
                (spec, status) -> {
                    spec.put("runState", "Stopped");
                    var request = spec.putObject("stopRequest");
                    request.put("timeoutSeconds", force ? 0 : timeoutSeconds == null ? spec.path("stopTimeoutSeconds").asInt() : timeoutSeconds);
                    request.put("force", force);
                });
    }

    public StoredObject restart(String project, String name, String ifMatch) {
        return act(project, name, ifMatch, "RestartRequested", "Restart requested.", (spec, status) -> {
            spec.put("runState", "Running");
            spec.remove("stopRequest");
            spec.put("restartRequestedAt", Instant.now().toString());
        });
    }

    /** A Pending workload whose shape changed is asked for its new shape; a placed one cannot change shape. */
    @Override
    protected JsonNode statusAfterReplace(StoredObject old, JsonNode newSpec) {
        if (old.node() != null) {
            return old.status();
        }
        var current = status(old);
        var requests = deviceRequests(old.project(), newSpec);
        return json.valueToTree(new WorkloadStatus(current.phase(), null, resources(old.project(), newSpec),
                requests.isEmpty() ? null : requests, null, current.conditions(), current.observedGeneration(), current.eventSequence(), current.restart(),
                current.accelerator(), current.network()));
    }

    /** Replaces the spec; a Pending workload is then scheduled again with its new shape. */
    public StoredObject replaceAndReschedule(String project, String name, ObjectMeta metadata, Object spec, String ifMatch) {
        var updated = replace(project, name, metadata, spec, ifMatch);
        if (updated.node() == null) {
            scheduler.schedule(updated.uid());
            return store.findByUid(updated.uid()).orElse(updated);
        }
        return updated;
    }

    private StoredObject act(String project, String name, String ifMatch, String reason, String message,
            java.util.function.BiConsumer<ObjectNode, WorkloadStatus> change) {
        return QuarkusTransaction.requiringNew().call(() -> {
            var old = store.findForUpdate(kind(), project, name).orElseThrow(() -> new NotFoundException(kind(), name));
            Preconditions.checkIfMatch(ifMatch, old);
            var spec = (ObjectNode) old.spec().deepCopy();
            change.accept(spec, status(old));
            events.normal(old, reason, message);
            return store.update(old, old.labels(), spec, old.status(), old.node());
        });
    }

    protected WorkloadStatus status(StoredObject o) {
        return o.statusAs(json, WorkloadStatus.class);
    }

    /** Checks the fields VMs and containers share and fills in their defaults. */
    protected void checkCommon(ObjectNode spec, String defaultRestartPolicy, int defaultStopTimeout, List<Problem.FieldError> errors) {
        String restart = spec.path("restartPolicy").asText(defaultRestartPolicy);
        if (!RESTART_POLICIES.contains(restart)) {
            errors.add(new Problem.FieldError("spec.restartPolicy", "must be Always, OnFailure or Never"));
        }
        spec.put("restartPolicy", restart);
        String run = spec.path("runState").asText("Running");
        if (!RUN_STATES.contains(run)) {
            errors.add(new Problem.FieldError("spec.runState", "must be Running or Stopped"));
        }
        spec.put("runState", run);
        int timeout = spec.path("stopTimeoutSeconds").asInt(defaultStopTimeout);
        if (timeout < 0 || timeout > 3600) {
            errors.add(new Problem.FieldError("spec.stopTimeoutSeconds", "must be between 0 and 3600"));
        }
        spec.put("stopTimeoutSeconds", timeout);
        if (spec.hasNonNull("nodeSelector")) {
            Names.checkLabels("spec.nodeSelector", json.convertValue(spec.get("nodeSelector"),
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {
                    }), errors);
        }
        if (spec.hasNonNull("antiAffinityGroup")) {
            Names.checkName("spec.antiAffinityGroup", spec.get("antiAffinityGroup").asText(), errors);
        }
    }
}
