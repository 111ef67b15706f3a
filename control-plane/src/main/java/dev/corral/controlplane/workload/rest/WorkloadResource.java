package dev.corral.controlplane.workload.rest;

import dev.corral.controlplane.auth.Access;
import dev.corral.api.StopRequest;
import dev.corral.controlplane.kind.rest.ProjectScopedResource;
import dev.corral.controlplane.project.ProjectService;
import dev.corral.controlplane.store.StoredObject;
import dev.corral.controlplane.web.Lister;
import dev.corral.controlplane.web.Responses;
import dev.corral.controlplane.workload.WorkloadService;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** What the VM and container resources share: the life cycle actions, and deletes that free capacity. */
public abstract class WorkloadResource extends ProjectScopedResource {

    protected final WorkloadService workloads;

    protected WorkloadResource(WorkloadService workloads, ProjectService projects, Lister lister) {
        super(workloads, projects, lister);
        this.workloads = workloads;
    }

    @Override
    protected StoredObject remove(String project, String name, String ifMatch) {
        return workloads.deleteAndReschedule(project, name, ifMatch);
    }

    @POST
    @Path("{name}/start")
    @Produces(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response start(@PathParam("name") String name, @QueryParam("project") String project,
            @HeaderParam("If-Match") String ifMatch) {
        var o = workloads.start(projects.require(project), name, ifMatch);
        return Responses.ok(view(o), o.resourceVersion());
    }

    /** Stops gracefully within the timeout, then forcibly; {"force": true} skips the graceful part. */
    @POST
    @Path("{name}/stop")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response stop(@PathParam("name") String name, @QueryParam("project") String project,
            @HeaderParam("If-Match") String ifMatch, StopRequest request) {
        var r = request == null ? new StopRequest(null, null) : request;
        var o = workloads.stop(projects.require(project), name, ifMatch, r.timeoutSeconds(), Boolean.TRUE.equals(r.force()));
        return Responses.ok(view(o), o.resourceVersion());
    }

    @POST
    @Path("{name}/restart")
    @Produces(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response restart(@PathParam("name") String name, @QueryParam("project") String project,
            @HeaderParam("If-Match") String ifMatch) {
        var o = workloads.restart(projects.require(project), name, ifMatch);
        return Responses.ok(view(o), o.resourceVersion());
    }
}
