package dev.corral.controlplane.console;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Node;
import dev.corral.api.Problem;
import dev.corral.api.Vm;
import dev.corral.controlplane.problem.ConflictException;
import dev.corral.controlplane.problem.NotFoundException;
import dev.corral.controlplane.problem.UnavailableException;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Serial consoles of VMs. The control plane keeps none: each request is proxied to the agent of the VM's node
 * ({@code GET {agentEndpoint}/v1/workloads/{uid}/console}), which holds the guest's recent output.
 */
@ApplicationScoped
@io.quarkus.runtime.Startup // reads corral.console.agent-ca at start: an unreadable CA file stops the start, not a console request
public class ConsoleService {

    private static final int MAX_PROBLEM_BYTES = 64 * 1024;

    private final ResourceStore store;
    private final ObjectMapper json;
    private final ConsoleConfig config;
    private final HttpClient http;

    ConsoleService(ResourceStore store, ObjectMapper json, ConsoleConfig config) {
        this.store = store;
        this.json = json;
        this.config = config;
        // HTTP/1.1: a chunked text stream needs nothing more. An https agent must present a certificate of the
        // configured agent CA (else one the JDK trusts) for the host name it registered.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(AgentTrust.sslContext(config.agentCa()))
                .connectTimeout(config.agentConnectTimeout()).build();
    }

    /**
     * Opens the console of a VM at its node's agent. The answer has started (status 200) when this returns; the
     * caller copies it to its client.
     *
     * @throws NotFoundException    no such VM, or its agent has no such workload (yet or any more)
     * @throws ConflictException    the VM is not placed on a node yet
     * @throws UnavailableException the node has no agent endpoint, or its agent cannot be reached or failed
     */
    public AgentConsole open(String project, String vmName, ConsoleQuery query) {
        return open(Vm.KIND, project, vmName, query);
    }

    /**
     * Opens the console of a VM, or the logs (stdout and stderr) of a Container, at its node's agent.
     *
     * @param kind {@code VM} or {@code Container}
     */
    public AgentConsole open(String kind, String project, String vmName, ConsoleQuery query) {
        var vm = placed(kind, project, vmName);
        String nodeName = vm.node();
        URI endpoint = agentEndpoint(nodeName);
        URI uri = consoleUri(endpoint, vm, query);
        var request = HttpRequest.newBuilder(uri).GET()
                .header("Accept", "text/plain, " + Problem.MEDIA_TYPE)
                // Bounds the wait for the answer to start, not the stream after it.
                .timeout(config.agentResponseTimeout())
                .build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new UnavailableException("The agent of node " + nodeName + " at " + endpoint
                    + " cannot be reached: " + reason(e) + ".", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("Interrupted while waiting for the agent of node " + nodeName + ".", e);
        }
        int status = response.statusCode();
        if (status == 200) {
            return new AgentConsole(response.body());
        }
        String detail = agentDetail(response);
        if (status == 404) {
            throw new NotFoundException(detail != null ? detail
                    : "The agent of node " + nodeName + " has no console for " + kind + " '" + vmName + "' (uid " + vm.uid() + ").");
        }
        throw new UnavailableException("The agent of node " + nodeName + " answered HTTP " + status
                + " for the console of " + kind + " '" + vmName + "'" + (detail != null ? ": " + detail : "."));
    }

    /** The longest an exec may run: the agent answers when it ends. */
    private static final int MAX_EXEC_SECONDS = 600;

    /**
     * Runs a process in a running container, at its node's agent ({@code POST {agentEndpoint}/v1/workloads/{uid}/exec}),
     * and answers how it ended. The agent's problem (409 not running, 400 bad command) is passed on as it is.
     */
    public dev.corral.api.ExecResult exec(String project, String name, dev.corral.api.ExecRequest exec) {
        if (exec == null || exec.command() == null || exec.command().isEmpty() || exec.command().contains(null)
                || exec.command().getFirst().isEmpty()) {
            throw dev.corral.controlplane.problem.InvalidException.field("command", "is required: the program and its arguments");
        }
        int timeout = exec.timeoutSeconds() == null ? 30 : exec.timeoutSeconds();
        if (timeout < 1 || timeout > MAX_EXEC_SECONDS) {
            throw dev.corral.controlplane.problem.InvalidException.field("timeoutSeconds", "must be between 1 and " + MAX_EXEC_SECONDS);
        }
        var container = placed(dev.corral.api.Container.KIND, project, name);
        String nodeName = container.node();
        URI endpoint = agentEndpoint(nodeName);
        URI uri = URI.create(endpoint.toString().replaceAll("/+$", "") + "/v1/workloads/" + container.uid() + "/exec");
        HttpResponse<byte[]> response;
        try {
            var body = json.writeValueAsBytes(new dev.corral.api.ExecRequest(exec.command(), timeout));
            response = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .header("Content-Type", "application/json").header("Accept", "application/json, " + Problem.MEDIA_TYPE)
                    .timeout(config.agentResponseTimeout().plusSeconds(timeout)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UnavailableException("The agent of node " + nodeName + " at " + endpoint + " cannot be reached: " + reason(e) + ".", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("Interrupted while waiting for the agent of node " + nodeName + ".", e);
        }
        int status = response.statusCode();
        try {
            if (status == 200) {
                return json.readValue(response.body(), dev.corral.api.ExecResult.class);
            }
            var problem = json.readTree(response.body()).path("detail").asText(null);
            String detail = problem != null ? problem : "the agent of node " + nodeName + " answered HTTP " + status;
            throw switch (status) {
                case 400 -> new dev.corral.controlplane.problem.InvalidException(detail, java.util.List.of());
                case 404 -> new NotFoundException(detail);
                case 409 -> ConflictException.of(detail);
                default -> new UnavailableException("The agent of node " + nodeName + " could not run the command in Container '"
                        + name + "': " + detail, null);
            };
        } catch (IOException e) {
            throw new UnavailableException("The agent of node " + nodeName + " answered the exec in Container '" + name
                    + "' with HTTP " + status + " and a body that is not JSON.", e);
        }
    }

    /**
     * Where to attach to a VM's interactive console: the attach endpoint of its node's agent. Nothing is contacted
     * yet; see {@link ConsoleAttachProxy}.
     *
     * @param vm        the VM's name
     * @param node      the node it is placed on
     * @param phase     its phase as the control plane last heard it
     * @param agent     the agent's endpoint, as registered
     * @param attachUri {@code {agentEndpoint}/v1/workloads/{uid}/console/attach[?tailLines=N]}
     */
    public record AttachTarget(String vm, String node, String phase, URI agent, URI attachUri) {
    }

    /**
     * The agent endpoint to attach to a VM's console at.
     *
     * @throws NotFoundException    no such VM
     * @throws ConflictException    the VM is not placed on a node yet
     * @throws UnavailableException the node has no agent endpoint
     */
    public AttachTarget attachTarget(String project, String vmName, Integer tailLines) {
        var vm = placedVm(project, vmName);
        URI endpoint = agentEndpoint(vm.node());
        String base = endpoint.toString().replaceAll("/+$", "");
        URI uri = URI.create(base + "/v1/workloads/" + vm.uid() + "/console/attach" + (tailLines == null ? "" : "?tailLines=" + tailLines));
        return new AttachTarget(vmName, vm.node(), phase(vm), endpoint, uri);
    }

    private StoredObject placedVm(String project, String vmName) {
        return placed(Vm.KIND, project, vmName);
    }

    private StoredObject placed(String kind, String project, String vmName) {
        var vm = store.find(kind, project, vmName).orElseThrow(() -> new NotFoundException(kind, vmName));
        if (vm.node() == null) {
            throw ConflictException.of(kind + " '" + vmName + "' is not placed on a node yet (its phase is " + phase(vm)
                    + "), so it has no " + (kind.equals(Vm.KIND) ? "console." : "logs and runs no process."));
        }
        return vm;
    }

    private static String phase(StoredObject vm) {
        return vm.status() == null ? "Pending" : vm.status().path("phase").asText("Pending");
    }

    private URI agentEndpoint(String nodeName) {
        var node = store.find(Node.KIND, ResourceStore.CLUSTER, nodeName).orElseThrow(() ->
                new UnavailableException("Node " + nodeName + " is not registered, so no agent serves its consoles."));
        String endpoint = node.status() == null ? null : node.status().path("agentEndpoint").asText(null);
        if (endpoint == null || endpoint.isBlank()) {
            throw new UnavailableException("Node " + nodeName + " has no agentEndpoint (its agent registered none), "
                    + "so its consoles cannot be reached.");
        }
        return URI.create(endpoint);
    }

    private static URI consoleUri(URI endpoint, StoredObject vm, ConsoleQuery query) {
        String base = endpoint.toString().replaceAll("/+$", "");
        return URI.create(base + "/v1/workloads/" + vm.uid() + "/console?follow=" + query.follow()
                + (query.tailLines() == null ? "" : "&tailLines=" + query.tailLines()));
    }

    /** The agent's problem detail, or null when its error answer carries none. */
    private String agentDetail(HttpResponse<InputStream> response) {
        try (InputStream in = response.body()) {
            byte[] body = in.readNBytes(MAX_PROBLEM_BYTES);
            if (!response.headers().firstValue("Content-Type").orElse("").startsWith(Problem.MEDIA_TYPE)) {
                return null;
            }
            var detail = json.readTree(body).path("detail");
            return detail.isTextual() && !detail.asText().isBlank() ? detail.asText() : null;
        } catch (IOException e) {
            // An error answer that breaks off or is not JSON still has its status; only its detail is lost.
            return null;
        }
    }

    private static String reason(IOException e) {
        var untrusted = AgentTrust.refusal(e);
        if (untrusted.isPresent()) {
            return untrusted.get();
        }
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        // The HTTP client reports a refused connection without a message of its own.
        return e instanceof java.net.ConnectException ? "the connection was refused" : e.getClass().getSimpleName();
    }
}
