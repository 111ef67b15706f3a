package dev.corral.agent.console;

import java.io.IOException;
import java.time.Duration;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.corral.agent.NodeAgent;
import dev.corral.agent.container.ContainerRuntime;
import dev.corral.api.ExecRequest;
import dev.corral.api.ExecResult;
import dev.corral.api.Problem;

/**
 * Runs a process in a container on this node ({@code runc exec}), for the control plane to pass on
 * ({@code POST /v1/containers/{name}/exec}); answers when the process ends, with its output and exit code.
 */
@Path("/v1/workloads/{uid}/exec")
public class ExecResource {

    private final NodeAgent agent;

    ExecResource(NodeAgent agent) {
        this.agent = agent;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public ExecResult exec(@PathParam("uid") String uid, ExecRequest request) {
        if (request == null || request.command() == null || request.command().isEmpty() || request.command().contains(null)
                || request.command().getFirst().isEmpty()) {
            throw problem(400, "Bad Request", "command is required: the program and its arguments");
        }
        int timeout = request.timeoutSeconds() == null ? 30 : request.timeoutSeconds();
        if (timeout < 1 || timeout > 600) {
            throw problem(400, "Bad Request", "timeoutSeconds must be between 1 and 600, not " + timeout);
        }
        if (!uid.matches("[A-Za-z0-9-]{1,64}")) {
            throw problem(404, "Not Found", "this node has no workload " + uid);
        }
        try {
            return agent.containers().exec(uid, request.command(), Duration.ofSeconds(timeout));
        } catch (ContainerRuntime.NotRunningException e) {
            throw problem(409, "Conflict", e.getMessage() + ", so it cannot run a process");
        } catch (IOException e) {
            throw problem(500, "Internal Server Error", "running the process failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw problem(503, "Service Unavailable", "the agent is stopping");
        }
    }

    private static WebApplicationException problem(int status, String title, String detail) {
        var body = new Problem("about:blank", title, status, detail, null, null);
        return new WebApplicationException(Response.status(status).type(Problem.MEDIA_TYPE).entity(body).build());
    }
}
