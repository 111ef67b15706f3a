package dev.corral.controlplane.node;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.api.Condition;
import dev.corral.api.Node;
import dev.corral.api.PciDevice;
import dev.corral.api.Problem;
import dev.corral.api.Resources;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.network.Subnet;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.problem.NotFoundException;
import dev.corral.controlplane.scheduling.Ledger;
import dev.corral.controlplane.scheduling.Scheduler;
import dev.corral.controlplane.scheduling.SchedulerConfig;
import dev.corral.controlplane.store.Names;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/** Nodes: registration by agents, heartbeats, cordoning, and the view users see. */
@ApplicationScoped
public class NodeService {

    private static final Logger LOG = Logger.getLogger(NodeService.class);
    private static final Set<String> ACCELERATORS = Set.of("kvm-hardware", "kvm-pvm", "emulated-only");
    private static final Pattern HEX4 = Pattern.compile("[0-9a-fA-F]{4}");
    private static final Pattern PCI_ADDRESS = Pattern.compile("[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]");

    private final ResourceStore store;
    private final Ledger ledger;
    private final EventService events;
    private final Scheduler scheduler;
    private final SchedulerConfig config;
    private final ObjectMapper json;

    NodeService(ResourceStore store, Ledger ledger, EventService events, Scheduler scheduler, SchedulerConfig config,
            ObjectMapper json) {
        this.store = store;
        this.ledger = ledger;
        this.events = events;
        this.scheduler = scheduler;
        this.config = config;
        this.json = json;
    }

    /** Registers a node, or refreshes its inventory. Returns the node and whether it was new. */
    public Registered register(String name, Node.Registration registration) {
        validate(name, registration);
        var result = QuarkusTransaction.requiringNew().call(() -> {
            var labels = registration.labels() == null ? Map.<String, String>of() : registration.labels();
            var capacity = registration.capacity();
            ledger.register(name, capacity.vcpus(), capacity.memoryMiB(), registration.accelerator(), labels,
                    registration.devices() == null ? List.of() : registration.devices(), registration.subnet());
            var existing = store.findForUpdate(Node.KIND, ResourceStore.CLUSTER, name);
            var conditions = List.of(new Condition("Ready", "True", "AgentRegistered", "The node agent registered.", Instant.now()));
            var status = new Node.Status("Ready", registration.accelerator(), capacity, null, null, null, null, conditions,
                    registration.agentEndpoint(), registration.subnet());
            StoredObject node;
            if (existing.isEmpty()) {
                node = store.insert(Node.KIND, ResourceStore.CLUSTER, name, labels, json.valueToTree(new Node.Spec(false)),
                        json.valueToTree(status), null);
                events.normal(node, "Registered", "Node " + name + " registered: " + capacity.vcpus() + " vCPUs, "
                        + capacity.memoryMiB() + " MiB, " + registration.accelerator() + ".");
            } else {
                node = store.update(existing.get(), labels, existing.get().spec(), json.valueToTree(status), null);
                events.normal(node, "Registered", "Node " + name + " re-registered.");
            }
            return new Registered(view(node), existing.isEmpty());
        });
        scheduler.kick();
        return result;
    }

    public record Registered(Node node, boolean created) {
    }

    private static void validate(String name, Node.Registration r) {
        var errors = new ArrayList<Problem.FieldError>();
        Names.checkName("metadata.name", name, errors);
        if (r == null) {
            throw InvalidException.field("body", "a node registration is required");
        }
        Names.checkLabels("labels", r.labels(), errors);
        if (r.accelerator() == null || !ACCELERATORS.contains(r.accelerator())) {
            errors.add(new Problem.FieldError("accelerator", "must be one of kvm-hardware, kvm-pvm, emulated-only"));
        }
        var c = r.capacity();
        if (c == null) {
            errors.add(new Problem.FieldError("capacity", "is required"));
        } else {
            if (c.vcpus() == null || c.vcpus() < 1) {
                errors.add(new Problem.FieldError("capacity.vcpus", "must be at least 1"));
            }
            if (c.memoryMiB() == null || c.memoryMiB() < 1) {
                errors.add(new Problem.FieldError("capacity.memoryMiB", "must be at least 1"));
            }
        }
        if (r.agentEndpoint() != null && !isHttpUrl(r.agentEndpoint())) {
            errors.add(new Problem.FieldError("agentEndpoint", "must be an http or https URL with a host, like http://10.0.0.7:8081"));
        }
        if (r.subnet() != null) {
            try {
                Subnet.parse(r.subnet());
            } catch (Subnet.InvalidSubnetException e) {
                errors.add(new Problem.FieldError("subnet", e.getMessage()));
            }
        }
        if (r.devices() != null) {
            var seen = new java.util.HashSet<String>();
            for (int i = 0; i < r.devices().size(); i++) {
                PciDevice d = r.devices().get(i);
                String f = "devices[" + i + "]";
                if (d.address() == null || !PCI_ADDRESS.matcher(d.address()).matches()) {
                    errors.add(new Problem.FieldError(f + ".address", "must be a PCI address like 0000:3b:00.0"));
                } else if (!seen.add(d.address())) {
                    errors.add(new Problem.FieldError(f + ".address", d.address() + " is listed twice"));
                }
                if (d.vendor() == null || !HEX4.matcher(d.vendor()).matches()) {
                    errors.add(new Problem.FieldError(f + ".vendor", "must be 4 hex digits"));
                }
                if (d.device() == null || !HEX4.matcher(d.device()).matches()) {
                    errors.add(new Problem.FieldError(f + ".device", "must be 4 hex digits"));
                }
                if (d.classCode() == null || !HEX4.matcher(d.classCode()).matches()) {
                    errors.add(new Problem.FieldError(f + ".classCode", "must be 4 hex digits (class and subclass)"));
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidException("The node registration is invalid: " + errors.getFirst().field() + " "
                    + errors.getFirst().message() + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "") + ".", errors);
        }
    }

    private static boolean isHttpUrl(String s) {
        try {
            var uri = new java.net.URI(s);
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
                    && uri.getRawQuery() == null && uri.getRawFragment() == null;
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    public void heartbeat(String name) {
        boolean recovered = QuarkusTransaction.requiringNew().call(() -> {
            // Lock order everywhere: the ledger row, then the node object.
            boolean back = ledger.heartbeat(name);
            var node = store.findForUpdate(Node.KIND, ResourceStore.CLUSTER, name)
                    .orElseThrow(() -> new NotFoundException(Node.KIND, name));
            if (back) {
                setPhase(node, "Ready", "True", "AgentHeartbeat", "The node agent is heartbeating again.");
            }
            return back;
        });
        if (recovered) {
            markWorkloads(name, "True", "NodeReady", "Node " + name + " is Ready again.");
            scheduler.kick();
        }
    }

    public Node cordon(String name, boolean cordoned) {
        var node = QuarkusTransaction.requiringNew().call(() -> {
            ledger.setCordoned(name, cordoned);
            var old = store.findForUpdate(Node.KIND, ResourceStore.CLUSTER, name)
                    .orElseThrow(() -> new NotFoundException(Node.KIND, name));
            if (old.spec().path("unschedulable").asBoolean() == cordoned) {
                return old;
            }
            var updated = store.update(old, old.labels(), json.valueToTree(new Node.Spec(cordoned)), old.status(), null);
            events.normal(updated, cordoned ? "Cordoned" : "Uncordoned",
                    cordoned ? "No new workloads will be placed on this node." : "The node accepts new workloads again.");
            return updated;
        });
        if (!cordoned) {
            scheduler.kick();
        }
        return view(node);
    }

    /** Nodes whose agents went silent become NotReady. */
    @Scheduled(every = "5s", delayed = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void expireSilentNodes() {
        try {
            String message = "No heartbeat from the node agent for " + config.nodeHeartbeatTimeout().toSeconds() + " s.";
            List<String> expired = QuarkusTransaction.requiringNew().call(() -> {
                var names = ledger.expireHeartbeats(config.nodeHeartbeatTimeout());
                for (String name : names) {
                    store.findForUpdate(Node.KIND, ResourceStore.CLUSTER, name).ifPresent(node -> setPhase(node, "NotReady",
                            "False", "HeartbeatTimeout", message));
                }
                return names;
            });
            for (String name : expired) {
                markWorkloads(name, "False", "NodeNotReady", "Node " + name + " is NotReady: " + message
                        + " What runs there is unknown until its agent is back.");
            }
        } catch (RuntimeException e) {
            LOG.warn("checking node heartbeats failed", e);
        }
    }

    /**
     * Tells every workload on a node that its node stopped (or resumed) answering: condition {@code NodeReady}.
     * Their phase is what the agent last reported; this condition is how users see that it may be stale. One
     * transaction per workload, after the node's own, so no ledger lock is held while workload rows are locked.
     */
    private void markWorkloads(String node, String ready, String reason, String message) {
        for (var listed : store.listOnNode(node, List.of("VM", "Container"))) {
            try {
                QuarkusTransaction.requiringNew().run(() -> store.findForUpdate(listed.kind(), listed.project(), listed.name())
                        .filter(w -> node.equals(w.node()))
                        .ifPresent(w -> markWorkload(w, ready, reason, message)));
            } catch (dev.corral.controlplane.problem.ConflictException e) {
                LOG.debugf("%s %s changed while marking it; the next change of its node marks it again", listed.kind(), listed.name());
            }
        }
    }

    private void markWorkload(StoredObject workload, String ready, String reason, String message) {
        var status = (ObjectNode) workload.status().deepCopy();
        var conditions = json.createArrayNode();
        workload.status().path("conditions").forEach(c -> {
            if (!"NodeReady".equals(c.path("type").asText())) {
                conditions.add(c);
            }
        });
        conditions.add(json.valueToTree(new Condition("NodeReady", ready, reason, message, Instant.now())));
        status.set("conditions", conditions);
        String phase = status.path("phase").asText();
        if (ready.equals("False") && (phase.equals("Starting") || phase.equals("Running") || phase.equals("Stopping"))) {
            // What the silent agent last said may no longer be true (a VM dies with a killed agent): never keep
            // claiming it runs. The agent's next event, once it is back, says what became of it.
            status.put("phase", "Unknown");
        }
        if (ready.equals("True")) {
            events.normal(workload, reason, message);
        } else {
            events.warning(workload, reason, message);
        }
        store.update(workload, workload.labels(), workload.spec(), status, workload.node());
    }

    private void setPhase(StoredObject node, String phase, String ready, String reason, String message) {
        var status = (ObjectNode) node.status().deepCopy();
        status.put("phase", phase);
        status.set("conditions", json.valueToTree(List.of(new Condition("Ready", ready, reason, message, Instant.now()))));
        var updated = store.update(node, node.labels(), node.spec(), status, null);
        if (ready.equals("True")) {
            events.normal(updated, reason, message);
        } else {
            events.warning(updated, reason, message);
        }
    }

    public StoredObject find(String name) {
        return store.find(Node.KIND, ResourceStore.CLUSTER, name).orElseThrow(() -> new NotFoundException(Node.KIND, name));
    }

    /** The node as users see it: its stored object plus the ledger's live figures. */
    public Node view(StoredObject stored) {
        var node = json.convertValue(store.render(stored), Node.class);
        var usage = ledger.usage(stored.name());
        if (usage == null) {
            return node;
        }
        var s = node.status();
        var allocatable = s.capacity() == null ? null : new Resources(s.capacity().vcpus() * config.cpuAllocationRatio(),
                (long) Math.floor(s.capacity().memoryMiB() * config.memoryAllocationRatio()));
        var status = new Node.Status(s.phase(), s.accelerator(), s.capacity(), allocatable, usage.allocated(), usage.devices(),
                usage.lastHeartbeat(), s.conditions(), s.agentEndpoint(), s.subnet());
        return new Node(node.apiVersion(), node.kind(), node.metadata(), node.spec(), status);
    }
}
