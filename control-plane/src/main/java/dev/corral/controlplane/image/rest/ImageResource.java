package dev.corral.controlplane.image.rest;

import dev.corral.controlplane.auth.Access;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.GET;
import dev.corral.api.Image;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.image.ImageService;
import dev.corral.controlplane.kind.rest.ProjectScopedResource;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.project.ProjectService;
import dev.corral.controlplane.store.StoredObject;
import dev.corral.controlplane.web.Lister;
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

@Path("/v1/images")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class ImageResource extends ProjectScopedResource {

    private final ImageService images;

    ImageResource(ImageService images, ProjectService projects, Lister lister) {
        super(images, projects, lister);
        this.images = images;
    }

    @Override
    protected Image view(StoredObject o) {
        return images.view(o);
    }

    /** Also for the node agents that run a workload using the image. */
    @Override
    @GET
    @Path("{name}")
    @Produces(MediaType.APPLICATION_JSON)
    @Access({Access.Allow.PROJECT_VIEWER, Access.Allow.ASSIGNED_IMAGE})
    public Response get(@PathParam("name") String name, @QueryParam("project") String project, @Context Request request) {
        return super.get(name, project, request);
    }

    @Override
    protected String collection() {
        return "/v1/images";
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response create(@QueryParam("project") String project, Image body,
            @HeaderParam(IdempotencyService.HEADER) String idempotencyKey) {
        if (body == null) {
            throw InvalidException.field("body", "an Image is required");
        }
        return created(images.create(projects.require(project), body.metadata(), body.spec(), idempotencyKey, body).object());
    }

    @PUT
    @Path("{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.PROJECT_MEMBER)
    public Response replace(@PathParam("name") String name, @QueryParam("project") String project, Image body,
            @HeaderParam("If-Match") String ifMatch) {
        if (body == null) {
            throw InvalidException.field("body", "an Image is required");
        }
        return replaced(images.replace(projects.require(project), name, body.metadata(), body.spec(), ifMatch));
    }
}
