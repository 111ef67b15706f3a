package dev.corral.agent.controlplane;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.agent.config.AgentConfig;
import dev.corral.agent.inventory.HostInventory;
import dev.corral.agent.inventory.InventoryReader;
import dev.corral.agent.runtime.NodeNetwork;
import dev.corral.api.Node;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Registers this host as a node (its inventory, read afresh each time) and heartbeats. A heartbeat the control
 * plane answers with 404 (the node was removed, or the database reset) registers again; an unreachable control
 * plane is retried every interval and logged once per outage.
 */
@ApplicationScoped
public class NodeRegistration {

    private static final Logger LOG = Logger.getLogger(NodeRegistration.class);

    private final AgentConfig config;
    private final ObjectMapper json;
    private final HttpClient http;
    private final String nodeName;
    private final String token;
    private volatile boolean registered;
    private volatile String lastProblem = "not registered yet";

    private final NodeNetwork network;

    NodeRegistration(AgentConfig config, ObjectMapper json, NodeNetwork network) {
        this.config = config;
        this.json = json;
        this.network = network;
        this.nodeName = config.nodeName().orElseGet(NodeRegistration::hostName);
        this.token = NodeToken.read(config);
        this.http = ControlPlaneTls.client(config.controlPlaneCa());
    }

    /** The node token the agent authenticates with (null when none is configured). */
    public String token() {
        return token;
    }

    public String nodeName() {
        return nodeName;
    }

    public boolean registered() {
        return registered;
    }

    /** Why the node is not registered, when it is not. */
    public String problem() {
        return lastProblem;
    }

    @Scheduled(every = "${corral.agent.heartbeat-interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        try {
            if (!registered) {
                register();
            } else {
                heartbeat();
            }
        } catch (IOException e) {
            lost(ControlPlaneTls.refusal(e, config.controlPlaneUrl(), config.controlPlaneCa()).orElseGet(() ->
                    "cannot reach the control plane at " + config.controlPlaneUrl() + ": " + e.getClass().getSimpleName()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void register() throws IOException, InterruptedException {
        var inventory = new InventoryReader(config.hostRoot()).read();
        var registration = registration(inventory);
        var response = http.send(NodeToken.authorize(HttpRequest.newBuilder(uri("/v1/nodes/" + nodeName)), token).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(registration))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200 || response.statusCode() == 201) {
            registered = true;
            lastProblem = null;
            LOG.infof("Registered node %s with %s: %d vCPUs, %d MiB, %d PCI devices, %s (%s)", nodeName, config.controlPlaneUrl(),
                    inventory.vcpus(), inventory.memoryMiB(), inventory.devices().size(),
                    inventory.accelerator().accelerator().wireName(), inventory.accelerator().reason());
        } else {
            lost("the control plane refused the registration of node " + nodeName + " (HTTP " + response.statusCode() + "): "
                    + response.body());
        }
    }

    /** What this node tells the control plane about itself: its inventory, its agent's URL and its VM subnet. */
    Node.Registration registration(HostInventory inventory) {
        return new Node.Registration(java.util.Map.of("corral.dev/hostname", hostName()),
                inventory.accelerator().accelerator().wireName(),
                new Node.Capacity(inventory.vcpus(), inventory.memoryMiB(), inventory.hugepages2Mi(), inventory.hugepages1Gi(),
                        inventory.numaNodes()),
                inventory.devices(), agentEndpoint(), network.get().subnet().map(Object::toString).orElse(null));
    }

    private void heartbeat() throws IOException, InterruptedException {
        var response = http.send(NodeToken.authorize(HttpRequest.newBuilder(uri("/v1/nodes/" + nodeName + "/heartbeat")), token)
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 404) {
            registered = false;
            lost("the control plane no longer knows node " + nodeName + "; registering again");
            register();
        } else if (response.statusCode() >= 300) {
            lost("heartbeat of node " + nodeName + " answered HTTP " + response.statusCode());
        }
    }

    private void lost(String problem) {
        if (!problem.equals(lastProblem)) {
            LOG.warn(problem);
        }
        registered = false;
        lastProblem = problem;
    }

    private URI uri(String path) {
        return URI.create(config.controlPlaneUrl().toString().replaceAll("/+$", "") + path);
    }

    /** The host name as a node name: lower case, DNS-label characters only. */
    /** Where the control plane reaches this agent (consoles): the configured URL, else this agent's HTTP listener. */
    String agentEndpoint() {
        if (config.advertisedUrl().isPresent()) {
            return config.advertisedUrl().get().toString();
        }
        var settings = org.eclipse.microprofile.config.ConfigProvider.getConfig();
        String host = settings.getOptionalValue("quarkus.http.host", String.class).orElse("127.0.0.1");
        boolean tls = settings.getOptionalValue("quarkus.http.ssl.certificate.files", String.class).isPresent();
        int port = tls ? settings.getOptionalValue("quarkus.http.ssl-port", Integer.class).orElse(8444)
                : settings.getOptionalValue("quarkus.http.port", Integer.class).orElse(8081);
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = hostName(); // listening everywhere: the name others know this host by
        }
        return (tls ? "https://" : "http://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    static String hostName() {
        String name;
        try {
            name = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            name = System.getenv().getOrDefault("HOSTNAME", "localhost");
        }
        String label = name.split("\\.")[0].toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        return label.isEmpty() ? "localhost" : label.substring(0, Math.min(63, label.length()));
    }
}
