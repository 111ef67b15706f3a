package dev.corral.controlplane.kind.rest;

import dev.corral.controlplane.auth.Access;
import dev.corral.controlplane.kind.KindService;
import dev.corral.controlplane.project.ProjectService;
import dev.corral.controlplane.store.StoredObject;
import dev.corral.controlplane.web.ListQuery;
import dev.corral.controlplane.web.Lister;
import dev.corral.controlplane.web.QueryValues;
import dev.corral.controlplane.web.Responses;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;

/**
 * List, get and delete for a project-scoped kind. Subclasses add create and replace, whose bodies are typed by
 * the kind, and their own actions.
 */
public abstract class ProjectScopedResource {

    protected final KindService service;
    protected final ProjectService projects;
    protected final Lister lister;

    protected ProjectScopedResource(KindService service, ProjectService projects, Lister lister) {
        this.service = service;
        this.projects = projects;
        this.lister = lister;
    }

    /** The object as the API shows it. */
    protected abstract Object view(StoredObject object);

    /** The collection's path, e.g. {@code /v1/vms}. */
    protected abstract String collection();

    @GET
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    @Access(Access.Allow.PROJECT_VIEWER)
    public Response list(@QueryParam("project") String project, @QueryParam("allProjects") String allProjects,
            @BeanParam ListQuery query) {
        boolean all = QueryValues.bool("allProjects", allProjects, false);
        return lister.listOrWatch(service.kind(), all ? null : projects.require(project), query, this::view);
    }

    @GET
    @Path("{name}")
    @Produces(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_VIEWER)
    public Response get(@PathParam("name") String name, @QueryParam("project") String project, @Context Request request) {
        var o = service.get(projects.require(project), name);
        return Responses.conditionalGet(request, view(o), o.resourceVersion());
    }

    /** Deletes the object (and frees what it held). Answers with the object as it was. */
    @DELETE
    @Path("{name}")
    @Produces(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response delete(@PathParam("name") String name, @QueryParam("project") String project,
            @HeaderParam("If-Match") String ifMatch) {
        return Response.ok(view(remove(projects.require(project), name, ifMatch))).build();
    }

    protected StoredObject remove(String project, String name, String ifMatch) {
        return service.delete(project, name, ifMatch);
    }

    protected Response created(StoredObject o) {
        return Responses.created(Responses.location(collection(), o.project(), o.name()), view(o), o.resourceVersion());
    }

    protected Response replaced(StoredObject o) {
        return Responses.ok(view(o), o.resourceVersion());
    }
}
