package dev.corral.controlplane.tenancy.rest;

import dev.corral.controlplane.auth.Access;
import java.net.URI;

import dev.corral.api.ObjectMeta;
import dev.corral.api.Project;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.tenancy.ProjectKind;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.web.ListQuery;
import dev.corral.controlplane.web.Lister;
import dev.corral.controlplane.web.Responses;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;

@Path("/v1/projects")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class ProjectResource {

    private final ProjectKind projects;
    private final Lister lister;

    ProjectResource(ProjectKind projects, Lister lister) {
        this.projects = projects;
        this.lister = lister;
    }

    @GET
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    @Access(Access.Allow.ADMIN)
    public Response list(@BeanParam ListQuery query) {
        return lister.listOrWatch(Project.KIND, ResourceStore.CLUSTER, query, projects::view);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.ADMIN)
    public Response create(Project body, @HeaderParam(IdempotencyService.HEADER) String idempotencyKey) {
        if (body == null) {
            throw InvalidException.field("body", "a Project is required");
        }
        var o = projects.create(ResourceStore.CLUSTER, body.metadata(), spec(body), idempotencyKey, body).object();
        return Responses.created(URI.create("/v1/projects/" + o.name()), projects.view(o), o.resourceVersion());
    }

    @GET
    @Path("{name}")
    @Access(Access.Allow.NAMED_PROJECT_VIEWER)
    public Response get(@PathParam("name") String name, @Context Request request) {
        var o = projects.get(ResourceStore.CLUSTER, name);
        return Responses.conditionalGet(request, projects.view(o), o.resourceVersion());
    }

    @PUT
    @Path("{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.ADMIN)
    public Response replace(@PathParam("name") String name, Project body, @HeaderParam("If-Match") String ifMatch) {
        if (body == null) {
            throw InvalidException.field("body", "a Project is required");
        }
        ObjectMeta metadata = body.metadata();
        var o = projects.replace(ResourceStore.CLUSTER, name, metadata, spec(body), ifMatch);
        return Responses.ok(projects.view(o), o.resourceVersion());
    }

    /** Deletes an empty project; {@code default}, or a project that still holds objects, is a 409. */
    @DELETE
    @Path("{name}")
    @Access(Access.Allow.ADMIN)
    public Project delete(@PathParam("name") String name, @HeaderParam("If-Match") String ifMatch) {
        return projects.view(projects.delete(ResourceStore.CLUSTER, name, ifMatch));
    }

    /** A project's spec is optional: without one it has no description. */
    private static Project.Spec spec(Project body) {
        return body.spec() == null ? new Project.Spec(null) : body.spec();
    }
}
