package dev.corral.controlplane.vm.rest;

import dev.corral.api.Vm;
import dev.corral.api.StopRequest;
import dev.corral.controlplane.vm.VmService;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.project.ProjectService;
import dev.corral.controlplane.web.ListQuery;
import dev.corral.controlplane.web.Lister;
import dev.corral.controlplane.web.Responses;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;

@Path("/v1/vms")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class VmResource {

    private final VmService service;
    private final ProjectService projects;
    private final Lister lister;

    VmResource(VmService service, ProjectService projects, Lister lister) {
        this.service = service;
        this.projects = projects;
        this.lister = lister;
    }

    @GET
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    public Response list(@QueryParam("project") String project, @QueryParam("allProjects") @DefaultValue("false") boolean all,
            @BeanParam ListQuery query) {
        return lister.listOrWatch(Vm.KIND, all ? null : projects.require(project), query, service::view);
    }

    /** Creates the VM and schedules it: 201 with phase Scheduled, or Pending with the reason nothing fits. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(@QueryParam("project") String project, Vm body,
            @HeaderParam(IdempotencyService.HEADER) String idempotencyKey) {
        if (body == null) {
            throw InvalidException.field("body", "a VM is required");
        }
        var o = service.createAndSchedule(projects.require(project), body.metadata(), body.spec(), idempotencyKey, body).object();
        return Responses.created(Responses.location("/v1/vms", o.project(), o.name()), service.view(o), o.resourceVersion());
    }

    @GET
    @Path("{name}")
    public Response get(@PathParam("name") String name, @QueryParam("project") String project, @Context Request request) {
        var o = service.get(projects.require(project), name);
        return Responses.conditionalGet(request, service.view(o), o.resourceVersion());
    }

    @PUT
    @Path("{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response replace(@PathParam("name") String name, @QueryParam("project") String project, Vm body,
            @HeaderParam("If-Match") String ifMatch) {
        if (body == null) {
            throw InvalidException.field("body", "a VM is required");
        }
        var o = service.replaceAndReschedule(projects.require(project), name, body.metadata(), body.spec(), ifMatch);
        return Responses.ok(service.view(o), o.resourceVersion());
    }

    /** Deletes the VM and frees what it held on its node. Answers with the object as it was. */
    @DELETE
    @Path("{name}")
    public Vm delete(@PathParam("name") String name, @QueryParam("project") String project,
            @HeaderParam("If-Match") String ifMatch) {
        return service.view(service.deleteAndReschedule(projects.require(project), name, ifMatch));
    }

    @POST
    @Path("{name}/start")
    public Response start(@PathParam("name") String name, @QueryParam("project") String project,
            @HeaderParam("If-Match") String ifMatch) {
        var o = service.start(projects.require(project), name, ifMatch);
        return Responses.ok(service.view(o), o.resourceVersion());
    }

    /** Stops gracefully within the timeout, then forcibly; {"force": true} skips the graceful part. */
    @POST
    @Path("{name}/stop")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response stop(@PathParam("name") String name, @QueryParam("project") String project,
            @HeaderParam("If-Match") String ifMatch, StopRequest request) {
        var r = request == null ? new StopRequest(null, null) : request;
        var o = service.stop(projects.require(project), name, ifMatch, r.timeoutSeconds(), Boolean.TRUE.equals(r.force()));
        return Responses.ok(service.view(o), o.resourceVersion());
    }

    @POST
    @Path("{name}/restart")
    public Response restart(@PathParam("name") String name, @QueryParam("project") String project,
            @HeaderParam("If-Match") String ifMatch) {
        var o = service.restart(projects.require(project), name, ifMatch);
        return Responses.ok(service.view(o), o.resourceVersion());
    }
}
