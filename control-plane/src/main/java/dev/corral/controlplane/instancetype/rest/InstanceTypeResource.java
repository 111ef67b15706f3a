package dev.corral.controlplane.instancetype.rest;

import dev.corral.controlplane.auth.Access;
import java.net.URI;

import dev.corral.api.InstanceType;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.instancetype.InstanceTypeService;
import dev.corral.controlplane.problem.InvalidException;
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

@Path("/v1/instancetypes")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class InstanceTypeResource {

    private final InstanceTypeService types;
    private final Lister lister;

    InstanceTypeResource(InstanceTypeService types, Lister lister) {
        this.types = types;
        this.lister = lister;
    }

    @GET
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    @Access(Access.Allow.PEOPLE)
    public Response list(@BeanParam ListQuery query) {
        return lister.listOrWatch(InstanceType.KIND, ResourceStore.CLUSTER, query, types::view);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.ADMIN)
    public Response create(InstanceType body, @HeaderParam(IdempotencyService.HEADER) String idempotencyKey) {
        if (body == null) {
            throw InvalidException.field("body", "an InstanceType is required");
        }
        var created = types.create(ResourceStore.CLUSTER, body.metadata(), body.spec(), idempotencyKey, body);
        var o = created.object();
        return Responses.created(URI.create("/v1/instancetypes/" + o.name()), types.view(o), o.resourceVersion());
    }

    @GET
    @Path("{name}")
    @Access(Access.Allow.PEOPLE)
    public Response get(@PathParam("name") String name, @Context Request request) {
        var o = types.get(ResourceStore.CLUSTER, name);
        return Responses.conditionalGet(request, types.view(o), o.resourceVersion());
    }

    @PUT
    @Path("{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.ADMIN)
    public Response replace(@PathParam("name") String name, InstanceType body, @HeaderParam("If-Match") String ifMatch) {
        if (body == null) {
            throw InvalidException.field("body", "an InstanceType is required");
        }
        var o = types.replace(ResourceStore.CLUSTER, name, body.metadata(), body.spec(), ifMatch);
        return Responses.ok(types.view(o), o.resourceVersion());
    }

    @DELETE
    @Path("{name}")
    @Access(Access.Allow.ADMIN)
    public InstanceType delete(@PathParam("name") String name, @HeaderParam("If-Match") String ifMatch) {
        return types.view(types.delete(ResourceStore.CLUSTER, name, ifMatch));
    }
}
