package dev.corral.controlplane.scheduling;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Condition;
import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.problem.ConflictException;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Places pending workloads: plans against a fresh snapshot of the ledger, then reserves the best option in its
 * own transaction together with the workload's new status. A reservation lost to a concurrent placement (another
 * request, another control-plane replica) moves on to the next option, then to a fresh snapshot.
 */
@ApplicationScoped
public class Scheduler {

    public static final String SCHEDULED = "Scheduled";
    private static final Logger LOG = Logger.getLogger(Scheduler.class);
    private static final int ROUNDS = 5;
    private static final int OPTIONS_PER_ROUND = 3;

    private final ResourceStore store;
    private final Ledger ledger;
    private final AddressPool addresses;
    private final NodeSnapshots snapshots;
    private final EventService events;
    private final SchedulerConfig config;
    private final ObjectMapper json;
    private final Planner planner;
    private final ExecutorService background = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("corral-scheduler").factory());
    private final AtomicBoolean retryQueued = new AtomicBoolean();
    private volatile boolean stopping;

    Scheduler(ResourceStore store, Ledger ledger, AddressPool addresses, NodeSnapshots snapshots, EventService events, SchedulerConfig config,
            ObjectMapper json) {
        this.store = store;
        this.ledger = ledger;
        this.addresses = addresses;
        this.snapshots = snapshots;
        this.events = events;
        this.config = config;
        this.json = json;
        this.planner = new Planner(config.cpuAllocationRatio(), config.memoryAllocationRatio(), config.strategy());
    }

    /** Tries to place one workload now. Does nothing when it is gone or no longer Pending. */
    public void schedule(UUID uid) {
        for (int round = 0; round < ROUNDS; round++) {
            var workload = store.findByUid(uid).orElse(null);
            if (workload == null || !"Pending".equals(status(workload).phase())) {
                return;
            }
            Demand demand = demand(workload);
            var plan = planner.plan(demand, snapshots.current(), OPTIONS_PER_ROUND);
            if (!plan.schedulable()) {
                if (round == 0 && snapshots.invalidateIfOlderThan(100)) {
                    // Before telling the user nothing fits, look at the nodes as they are now.
                    continue;
                }
                markUnschedulable(workload, plan.unschedulableMessage());
                return;
            }
            for (var option : plan.options()) {
                if (tryPlace(workload, demand, option)) {
                    return;
                }
            }
        }
        LOG.debugf("placement of %s lost %d rounds to concurrent placements; it stays Pending for the next retry", uid, ROUNDS);
    }

    private boolean tryPlace(StoredObject workload, Demand demand, Planner.Option option) {
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                if (reserveAndRecord(workload, demand, option) == null) {
                    throw new PlacementLost();
                }
            });
            snapshots.placed(option.node(), demand, option.devices());
            return true;
        } catch (PlacementLost | ConflictException e) {
            // A concurrent placement took the room, or the workload changed while we planned: rolled back; look again.
            snapshots.invalidate();
            return false;
        }
    }

    /**
     * Places workloads about to be inserted in the caller's transaction (their creates, those of one shared commit),
     * each on the best node of the current view with the ones before it booked, so that a create that fits is one
     * write of the object and no transaction of its own. Answers in the same order the placement to insert each with,
     * or null when nothing fits or the reservation lost a race: then nothing of that attempt stays written, the
     * caller's transaction goes on, and the workload is inserted Pending for {@link #schedule} after the commit (which
     * also says why nothing fits). The view books each placement at once; a create that rolls back later only makes
     * the view pessimistic until its next reload.
     *
     * <p>Those that need capacity alone take it in one conditional statement for all of them, a booking per node; a
     * node whose bookings no longer fit all together takes none, and its workloads stay Pending. Those with devices,
     * an anti-affinity group or an address are placed one by one ({@link #placeWithRows}).
     */
    public List<Placement> placeAll(List<StoredObject> workloads) {
        var placements = new ArrayList<Placement>(java.util.Collections.nCopies(workloads.size(), (Placement) null));
        var bookings = new LinkedHashMap<String, Ledger.Booking>();
        var planned = new ArrayList<Integer>();
        var options = new ArrayList<Planner.Option>();
        var demands = new ArrayList<Demand>();
        var statuses = new ArrayList<WorkloadStatus>();
        for (int i = 0; i < workloads.size(); i++) {
            var workload = workloads.get(i);
            var status = status(workload);
            Demand demand = demand(workload, status);
            if (!demand.devices().isEmpty() || demand.antiAffinityGroup() != null || demand.network()) {
                placements.set(i, placeWithRows(workload, demand));
                continue;
            }
            var plan = planner.plan(demand, snapshots.current(), 1);
            if (!plan.schedulable()) {
                continue;
            }
            var option = plan.options().getFirst();
            snapshots.placed(option.node(), demand, List.of());
            bookings.merge(option.node(), new Ledger.Booking(option.node(), demand.vcpus(), demand.memoryMiB()), Ledger.Booking::plus);
            planned.add(i);
            options.add(option);
            demands.add(demand);
            statuses.add(status);
        }
        if (bookings.isEmpty()) {
            return placements;
        }
        var reserved = ledger.reserveAll(bookings.values(), config.cpuAllocationRatio(), config.memoryAllocationRatio());
        if (reserved.size() < bookings.size()) {
            snapshots.invalidate();
        }
        for (int k = 0; k < planned.size(); k++) {
            var option = options.get(k);
            if (reserved.contains(option.node())) {
                int i = planned.get(k);
                var status = statuses.get(k);
                placements.set(i, placement(status, demands.get(k), option, status.network()));
            }
        }
        return placements;
    }

    /**
     * Places one workload whose reservation writes several rows (devices, an anti-affinity slot, an address), undone
     * through a savepoint when one of them fails.
     */
    private Placement placeWithRows(StoredObject workload, Demand demand) {
        var plan = planner.plan(demand, snapshots.current(), 1);
        if (!plan.schedulable()) {
            return null;
        }
        var option = plan.options().getFirst();
        Placement placed = store.attempt(() -> reserve(workload, demand, option));
        if (placed == null) {
            snapshots.invalidate();
            return null;
        }
        snapshots.placed(option.node(), demand, option.devices());
        return placed;
    }

    /** A reservation made: the node, the workload's status that records it, and what its Scheduled event says. */
    public record Placement(String node, JsonNode status, String message) {
    }

    /**
     * Reserves the option's node (and address) for the workload, in the caller's transaction, and returns its
     * status with the placement. Null when the reservation lost a race; what it wrote before that is the caller's to
     * undo.
     */
    private Placement reserve(StoredObject workload, Demand demand, Planner.Option option) {
        if (!ledger.reserve(option.node(), workload.uid(), demand, option.devices(),
                config.cpuAllocationRatio(), config.memoryAllocationRatio())) {
            return null;
        }
        var old = status(workload);
        var network = old.network();
        if (demand.network()) {
            // Bound here, with the node, in the placement's transaction: a lost placement gives it back too.
            network = addresses.allocate(option.node(), workload.uid(), network == null ? null : network.mac());
            if (network == null) {
                return null;
            }
        }
        return placement(old, demand, option, network);
    }

    /**
     * The placement on the option's node, for a workload whose status was {@code old}, once its reservation (and
     * address) is taken.
     */
    private Placement placement(WorkloadStatus old, Demand demand, Planner.Option option, WorkloadStatus.Network network) {
        String message = "Placed on node " + option.node()
                + (option.devices().isEmpty() ? "" : " with devices " + String.join(", ", option.devices()))
                + (demand.network() ? " at " + network.ip() : "");
        var conditions = old.conditionsWith(new Condition(SCHEDULED, "True", "Scheduled", message, Instant.now()));
        var status = old.withPlacement("Scheduled", option.node(), option.devices().isEmpty() ? null : option.devices(), conditions)
                .withNetwork(network);
        return new Placement(option.node(), json.valueToTree(status), message);
    }

    /** Reserves for a stored workload and records the placement: its event, then its new status and node. */
    private StoredObject reserveAndRecord(StoredObject workload, Demand demand, Planner.Option option) {
        var placement = reserve(workload, demand, option);
        if (placement == null) {
            return null;
        }
        // The event first: the store's write takes the serialized resourceVersion, so it goes last.
        events.normal(workload, "Scheduled", placement.message());
        return store.update(workload, workload.labels(), workload.spec(), placement.status(), placement.node());
    }

    /** Thrown inside a placement transaction to roll it back when its reservation lost a race. */
    private static final class PlacementLost extends RuntimeException {
        PlacementLost() {
            super("placement lost to a concurrent one", null, false, false);
        }
    }

    private void markUnschedulable(StoredObject workload, String message) {
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                events.warning(workload, "FailedScheduling", message);
                var old = status(workload);
                var current = old.condition(SCHEDULED);
                if (current == null || !message.equals(current.message())) {
                    var status = old.withConditions(old.conditionsWith(
                            new Condition(SCHEDULED, "False", "Unschedulable", message, Instant.now())));
                    store.update(workload, workload.labels(), workload.spec(), json.valueToTree(status), null);
                }
            });
        } catch (ConflictException e) {
            // Changed meanwhile: the next retry sees the new state.
        }
    }

    /** Asks for a retry of every pending workload soon, with the nodes read again (a node registered, came back...). */
    public void kick() {
        snapshots.invalidate();
        retrySoon();
    }

    /**
     * A placed workload was deleted (committed): its capacity goes back into the view and pending workloads are
     * retried. The view follows a plain workload's release itself, so that deletes at a high rate do not reload all the
     * nodes for every pending workload of every retry; one that held devices, an address or an anti-affinity slot
     * makes it read the nodes again.
     */
    public void released(StoredObject workload) {
        Demand demand = demand(workload);
        if (demand.devices().isEmpty() && demand.antiAffinityGroup() == null && !demand.network()) {
            snapshots.released(workload.node(), demand.vcpus(), demand.memoryMiB());
        } else {
            snapshots.invalidate();
        }
        retrySoon();
    }

    private void retrySoon() {
        if (retryQueued.compareAndSet(false, true)) {
            background.submit(() -> {
                retryQueued.set(false);
                retryPending();
            });
        }
    }

    @Scheduled(every = "${corral.scheduler.retry-interval:5s}", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void retryPending() {
        Set<UUID> pending = new LinkedHashSet<>();
        try {
            // Every page: with only the first, a page of workloads that fit nowhere (sorted first by project and
            // name) kept every Pending workload after them from ever being placed.
            for (String kind : List.of("VM", "Container")) {
                String page = null;
                do {
                    var listed = store.list(kind, null, dev.corral.controlplane.store.LabelSelector.EVERYTHING, config.retryPageSize(), page,
                            "status ->> 'phase' = 'Pending'");
                    listed.items().forEach(o -> pending.add(o.uid()));
                    page = listed.continueToken();
                } while (page != null);
            }
            pending.forEach(this::schedule);
        } catch (RuntimeException e) {
            if (stopping) {
                // The control plane stops: its connections close under a round that was under way. Not a failure.
                LOG.debugf("retrying pending workloads ended by the shutdown: %s", e.getMessage());
            } else {
                LOG.warn("retrying pending workloads failed; next round in " + config.retryInterval(), e);
            }
        }
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        background.shutdownNow();
    }

    /** What a stored workload asks of a node, from its resolved status and its spec. */
    Demand demand(StoredObject workload) {
        return demand(workload, status(workload));
    }

    private Demand demand(StoredObject workload, WorkloadStatus status) {
        var spec = workload.spec();
        Map<String, String> selector = spec.hasNonNull("nodeSelector")
                ? json.convertValue(spec.get("nodeSelector"), new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {
                })
                : Map.of();
        Set<String> accelerators = spec.hasNonNull("allowedAccelerators")
                ? json.convertValue(spec.get("allowedAccelerators"), new com.fasterxml.jackson.core.type.TypeReference<Set<String>>() {
                })
                : Set.of();
        String group = spec.hasNonNull("antiAffinityGroup") ? spec.get("antiAffinityGroup").asText() : null;
        boolean network = "attached".equals(spec.path("network").asText());
        return new Demand(workload.project(), status.resources().vcpus(), status.resources().memoryMiB(),
                status.deviceRequests() == null ? List.of() : status.deviceRequests(), selector, accelerators, group, network);
    }

    private WorkloadStatus status(StoredObject workload) {
        return workload.statusAs(json, WorkloadStatus.class);
    }
}
