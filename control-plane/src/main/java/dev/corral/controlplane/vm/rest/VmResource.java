package dev.corral.controlplane.vm.rest;

import dev.corral.controlplane.auth.Access;
import dev.corral.api.Vm;
import dev.corral.controlplane.console.AgentConsole;
import dev.corral.controlplane.console.ConsoleQuery;
import dev.corral.controlplane.console.ConsoleService;
import dev.corral.controlplane.vm.VmService;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.project.ProjectService;
import dev.corral.controlplane.store.StoredObject;
import dev.corral.controlplane.web.Lister;
import dev.corral.controlplane.workload.rest.WorkloadResource;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import io.vertx.core.http.HttpServerResponse;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

@Path("/v1/vms")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class VmResource extends WorkloadResource {

    private static final String CONSOLE_MEDIA_TYPE = "text/plain; charset=utf-8";

    private final VmService service;
    private final ConsoleService consoles;

    VmResource(VmService service, ConsoleService consoles, ProjectService projects, Lister lister) {
        super(service, projects, lister);
        this.service = service;
        this.consoles = consoles;
    }

    @Override
    protected Vm view(StoredObject o) {
        return service.view(o);
    }

    @Override
    protected String collection() {
        return "/v1/vms";
    }

    /** Creates the VM and schedules it: 201 with phase Scheduled, or Pending with the reason nothing fits. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response create(@QueryParam("project") String project, Vm body,
            @HeaderParam(IdempotencyService.HEADER) String idempotencyKey) {
        if (body == null) {
            throw InvalidException.field("body", "a VM is required");
        }
        return created(service.createAndSchedule(projects.require(project), body.metadata(), body.spec(), idempotencyKey, body).object());
    }

    @PUT
    @Path("{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response replace(@PathParam("name") String name, @QueryParam("project") String project, Vm body,
            @HeaderParam("If-Match") String ifMatch) {
        if (body == null) {
            throw InvalidException.field("body", "a VM is required");
        }
        return replaced(service.replaceAndReschedule(projects.require(project), name, body.metadata(), body.spec(), ifMatch));
    }

    /**
     * The VM's serial console, proxied from its node's agent byte for byte. With {@code follow=true} the answer
     * stays open and streams what the guest writes until the client or the agent closes it.
     */
    @GET
    @Path("{name}/console")
    @Produces(MediaType.TEXT_PLAIN)
    @Access(Access.Allow.PROJECT_VIEWER)
    public Response console(@PathParam("name") String name, @QueryParam("project") String project,
            @QueryParam("follow") String follow, @QueryParam("tailLines") String tailLines,
            @Context HttpServerResponse http) {
        var query = ConsoleQuery.parse(follow, tailLines);
        AgentConsole console = consoles.open(projects.require(project), name, query);
        return Response.ok((StreamingOutput) out -> console.copyTo(out, http::closed), CONSOLE_MEDIA_TYPE)
                // A followed console is read as it comes: no proxy in between may hold it back.
                .header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no")
                .build();
    }
}
