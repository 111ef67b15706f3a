package dev.corral.controlplane.container.rest;

import dev.corral.controlplane.auth.Access;
import dev.corral.api.Container;
import dev.corral.api.ExecRequest;
import dev.corral.api.ExecResult;
import dev.corral.controlplane.console.AgentConsole;
import dev.corral.controlplane.console.ConsoleQuery;
import dev.corral.controlplane.console.ConsoleService;
import io.vertx.core.http.HttpServerResponse;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.StreamingOutput;
import dev.corral.controlplane.container.ContainerService;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.project.ProjectService;
import dev.corral.controlplane.store.StoredObject;
import dev.corral.controlplane.web.Lister;
import dev.corral.controlplane.workload.rest.WorkloadResource;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

@Path("/v1/containers")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class ContainerResource extends WorkloadResource {

    private final ContainerService service;
    private final ConsoleService consoles;

    ContainerResource(ContainerService service, ConsoleService consoles, ProjectService projects, Lister lister) {
        super(service, projects, lister);
        this.service = service;
        this.consoles = consoles;
    }

    /**
     * What the container's processes wrote to stdout and stderr, proxied from its node's agent, which keeps it in the
     * same bounded, rotated store as VM consoles. With {@code follow=true} the answer streams until the client or the
     * agent closes it.
     */
    @GET
    @Path("{name}/logs")
    @Produces(MediaType.TEXT_PLAIN)
    @Access(Access.Allow.PROJECT_VIEWER)
    public Response logs(@PathParam("name") String name, @QueryParam("project") String project,
            @QueryParam("follow") String follow, @QueryParam("tailLines") String tailLines, @Context HttpServerResponse http) {
        var query = ConsoleQuery.parse(follow, tailLines);
        AgentConsole logs = consoles.open(Container.KIND, projects.require(project), name, query);
        return Response.ok((StreamingOutput) out -> logs.copyTo(out, http::closed), MediaType.TEXT_PLAIN + ";charset=utf-8")
                .header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no")
                .build();
    }

    /** Runs a process in the running container (runc exec on its node), without a terminal; answers when it ends. */
    @POST
    @Path("{name}/exec")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public ExecResult exec(@PathParam("name") String name, @QueryParam("project") String project, ExecRequest body) {
        return consoles.exec(projects.require(project), name, body);
    }

    @Override
    protected Container view(StoredObject o) {
        return service.view(o);
    }

    @Override
    protected String collection() {
        return "/v1/containers";
    }

    /** Creates the Container and schedules it: 201 with phase Scheduled, or Pending with the reason nothing fits. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response create(@QueryParam("project") String project, Container body,
            @HeaderParam(IdempotencyService.HEADER) String idempotencyKey) {
        if (body == null) {
            throw InvalidException.field("body", "a Container is required");
        }
        return created(service.createAndSchedule(projects.require(project), body.metadata(), body.spec(), idempotencyKey, body).object());
    }

    @PUT
    @Path("{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response replace(@PathParam("name") String name, @QueryParam("project") String project, Container body,
            @HeaderParam("If-Match") String ifMatch) {
        if (body == null) {
            throw InvalidException.field("body", "a Container is required");
        }
        return replaced(service.replaceAndReschedule(projects.require(project), name, body.metadata(), body.spec(), ifMatch));
    }
}
