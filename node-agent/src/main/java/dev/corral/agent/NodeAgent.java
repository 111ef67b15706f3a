package dev.corral.agent;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.agent.config.AgentConfig;
import dev.corral.agent.container.Cgroups;
import dev.corral.agent.container.ContainerRuntime;
import dev.corral.agent.container.LayerStore;
import dev.corral.agent.container.RuntimeProbe;
import dev.corral.agent.controlplane.AssignmentWatcher;
import dev.corral.agent.controlplane.ControlPlaneClient;
import dev.corral.agent.controlplane.NodeRegistration;
import dev.corral.agent.events.EventJournal;
import dev.corral.agent.events.EventPublisher;
import dev.corral.agent.inventory.InventoryReader;
import dev.corral.agent.reconcile.Consoles;
import dev.corral.agent.reconcile.LifecycleEvents;
import dev.corral.agent.reconcile.Reconciler;
import dev.corral.agent.reconcile.WorkloadLedger;
import dev.corral.agent.runtime.EngineRuntime;
import dev.corral.agent.runtime.ImageCache;
import dev.corral.agent.runtime.NodeNetwork;
import dev.corral.agent.runtime.VmDisks;
import dev.corral.api.CloudEvent;
import dev.corral.api.DeviceClasses;
import dev.corral.api.Image;
import dev.corral.api.LifecycleData;
import dev.corral.engine.vm.VmAccelerator;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import org.jboss.logging.Logger;

/**
 * The agent's working parts, started in order and stopped in reverse: the workload ledger and the event journal
 * (state on disk), the Kafka publisher, the consoles, the engine runtime, the reconciler, and last the assignments
 * watch that feeds it.
 */
@ApplicationScoped
public class NodeAgent {

    static final String TOPIC = "corral.lifecycle.v1";
    private static final Logger LOG = Logger.getLogger(NodeAgent.class);

    private final AgentConfig config;
    private final ObjectMapper json;
    private final NodeRegistration registration;
    private EventJournal journal;
    private EventPublisher publisher;
    private Consoles consoles;
    private Reconciler reconciler;
    private AssignmentWatcher watcher;
    private ContainerRuntime containers;

    private final NodeNetwork network;

    NodeAgent(AgentConfig config, ObjectMapper json, NodeRegistration registration, NodeNetwork network) {
        this.config = config;
        this.json = json;
        this.registration = registration;
        this.network = network;
    }

    void start(@Observes StartupEvent event) {
        var state = config.stateDir();
        var ledger = WorkloadLedger.open(state.resolve("workloads"), json);
        journal = EventJournal.open(state.resolve("events"), config.eventJournalMaxBytes());
        publisher = new EventPublisher(journal, config.kafkaBootstrapServers(), TOPIC);
        var classes = new HashMap<String, String>();
        var inventory = new InventoryReader(config.hostRoot()).read();
        for (var device : inventory.devices()) {
            classes.put(device.address(), DeviceClasses.of(device.classCode()));
        }
        String node = registration.nodeName();
        var events = new LifecycleEvents(publisher, ledger, json, node, classes, Clock.systemUTC());
        consoles = new Consoles(state.resolve("consoles"), config.consoleBufferBytes());
        // The consoles of what an earlier agent process ran stay readable (from their logs).
        ledger.all().forEach(entry -> consoles.open(entry.uid()));
        var client = new ControlPlaneClient(config.controlPlaneUrl(), json, registration.token(), config.controlPlaneCa());
        var accelerator = EngineRuntime.accelerator(VmAccelerator.parse(config.accelerator()), inventory.accelerator().accelerator());
        var cache = new ImageCache(state.resolve("images"), client::downloadBlob);
        var vmNetwork = network.get();
        var engine = new EngineRuntime(client::image, cache, accelerator, new VmDisks(state.resolve("vms"), cache), vmNetwork);
        containers = containerRuntime(state, client, cache, vmNetwork);
        var runtime = new KindRuntimes(Map.of("VM", engine, "Container", containers));
        // In the background, at low priority: the agent is ready at once, and the first VM finds the engine loaded.
        Thread.ofPlatform().daemon().priority(Thread.MIN_PRIORITY).name("corral-engine-preload").start(() -> {
            long t0 = System.nanoTime();
            int loaded = EngineRuntime.preloadEngine();
            warmStartPath();
            LOG.debugf("preloaded %d engine classes in %d ms", loaded, (System.nanoTime() - t0) / 1_000_000);
        });
        reconciler = new Reconciler(ledger, events, runtime, consoles, 2);
        int adopted = reconciler.adoptSurvivors();
        if (adopted > 0) {
            LOG.infof("Took over %d container(s) that outlived the previous agent process", adopted);
        }
        containers.cleanUpLeftovers(); // what was not taken over
        watcher = new AssignmentWatcher(client, node, registration::registered, reconciler, config.resyncInterval());
        LOG.infof("Node agent for %s: state in %s, lifecycle events to Kafka at %s, VMs run by %s (corral.agent.accelerator %s on a %s host), VM network %s, containers run by %s",
                node, state, config.kafkaBootstrapServers(), accelerator.wireName(), config.accelerator(),
                inventory.accelerator().accelerator().wireName(), vmNetwork.subnet().map(Object::toString).orElse("none"),
                containers.describe());
    }

    /** The container runtime over this node's cgroups. */
    private ContainerRuntime containerRuntime(java.nio.file.Path state, ControlPlaneClient client, ImageCache cache,
            dev.corral.agent.runtime.VmNetwork vmNetwork) {
        var settings = config.containers();
        Cgroups cgroups = null;
        try {
            cgroups = Cgroups.detect(settings.cgroupRoot());
        } catch (java.io.IOException e) {
            LOG.warnf("containers cannot run on this node: %s", e.getMessage());
        }
        var layers = new LayerStore(state.resolve("layers"), cache, settings.maxLayerBytes());
        var runtime = new ContainerRuntime(client::image, layers, state.resolve("containers"),
                RuntimeProbe.choose(settings.runtime(), cgroups, state.resolve("containers"), json), cgroups, vmNetwork, json);
        return runtime;
    }

    /** Runs containers on this node (exec). */
    public ContainerRuntime containers() {
        return containers;
    }

    /**
     * Builds the JSON (de)serializers and the digest a first VM start needs, which it otherwise builds on its way:
     * reading its image, writing its ledger entry and its lifecycle events, checking its blobs (the first ticker
     * spent 276–424 ms on its image step (definition, a 7 KiB kernel, digest) against 10–25 ms for the next ones;
     * bench/create-to-running).
     */
    private void warmStartPath() {
        try {
            json.readerFor(Image.class);
            json.writerFor(WorkloadLedger.Entry.class);
            json.readerFor(WorkloadLedger.Entry.class);
            json.writerFor(CloudEvent.class); // as LifecycleEvents writes them: the raw type, then its data's
            json.writerFor(LifecycleData.class);
            MessageDigest.getInstance("SHA-256").digest(new byte[1]);
        } catch (NoSuchAlgorithmException | RuntimeException e) {
            LOG.debugf("warming the VM start path failed (%s); the first VM does it", e.getMessage());
        }
    }

    @Scheduled(every = "${corral.agent.exists-interval:60s}", delayed = "${corral.agent.exists-interval:60s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void announceRunning() {
        if (reconciler != null) {
            try {
                reconciler.publishExists();
            } catch (RuntimeException e) {
                LOG.warn("publishing exists events failed", e);
            }
        }
    }

    public Consoles consoles() {
        return consoles;
    }

    /**
     * Drains (SIGTERM, Ctrl-C): no new work, every VM asked to shut down and forced off after the grace, their last
     * events delivered to the broker (bounded); only what the broker did not acknowledge stays in the journal.
     */
    void stop(@Observes ShutdownEvent event) {
        try {
            if (watcher != null) {
                watcher.close();
            }
            if (reconciler != null) {
                reconciler.close();
                int stopped = reconciler.stopAll(config.shutdownGrace());
                if (stopped > 0) {
                    LOG.infof("Stopped %d workload(s) for the agent's shutdown", stopped);
                }
            }
            if (publisher != null) {
                if (!publisher.drain(config.shutdownDeliveryTimeout())) {
                    LOG.warnf("Kafka did not acknowledge every lifecycle event within %d s; %d bytes wait in the journal for the next start",
                            config.shutdownDeliveryTimeout().toSeconds(), journal.pendingBytes());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (consoles != null) {
                consoles.close();
            }
            if (journal != null) {
                journal.close();
            }
        }
    }
}
