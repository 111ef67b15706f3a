package dev.corral.controlplane.image.rest;

import dev.corral.api.Image;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.image.ImageService;
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

@Path("/v1/images")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class ImageResource {

    private final ImageService images;
    private final ProjectService projects;
    private final Lister lister;

    ImageResource(ImageService images, ProjectService projects, Lister lister) {
        this.images = images;
        this.projects = projects;
        this.lister = lister;
    }

    @GET
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    public Response list(@QueryParam("project") String project, @QueryParam("allProjects") @DefaultValue("false") boolean all,
            @BeanParam ListQuery query) {
        return lister.listOrWatch(Image.KIND, all ? null : projects.require(project), query, images::view);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(@QueryParam("project") String project, Image body,
            @HeaderParam(IdempotencyService.HEADER) String idempotencyKey) {
        if (body == null) {
            throw InvalidException.field("body", "an Image is required");
        }
        var o = images.create(projects.require(project), body.metadata(), body.spec(), idempotencyKey, body).object();
        return Responses.created(Responses.location("/v1/images", o.project(), o.name()), images.view(o), o.resourceVersion());
    }

    @GET
    @Path("{name}")
    public Response get(@PathParam("name") String name, @QueryParam("project") String project, @Context Request request) {
        var o = images.get(projects.require(project), name);
        return Responses.conditionalGet(request, images.view(o), o.resourceVersion());
    }

    @PUT
    @Path("{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response replace(@PathParam("name") String name, @QueryParam("project") String project, Image body,
            @HeaderParam("If-Match") String ifMatch) {
        if (body == null) {
            throw InvalidException.field("body", "an Image is required");
        }
        var o = images.replace(projects.require(project), name, body.metadata(), body.spec(), ifMatch);
        return Responses.ok(images.view(o), o.resourceVersion());
    }

    @DELETE
    @Path("{name}")
    public Image delete(@PathParam("name") String name, @QueryParam("project") String project,
            @HeaderParam("If-Match") String ifMatch) {
        return images.view(images.delete(projects.require(project), name, ifMatch));
    }
}
