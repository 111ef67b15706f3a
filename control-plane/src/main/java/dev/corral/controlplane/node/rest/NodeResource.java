package dev.corral.controlplane.node.rest;

import dev.corral.controlplane.auth.Access;
import java.net.URI;
import java.util.List;

import dev.corral.api.Node;
import dev.corral.api.ResourceList;
import dev.corral.api.ServerVersion;
import dev.corral.controlplane.node.NodeService;
import dev.corral.controlplane.store.LabelSelector;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.WatchLog;
import dev.corral.controlplane.web.ListQuery;
import dev.corral.controlplane.web.Lister;
import dev.corral.controlplane.web.Responses;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import io.smallrye.common.annotation.RunOnVirtualThread;

@Path("/v1/nodes")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class NodeResource {

    private final NodeService nodes;
    private final ResourceStore store;
    private final Lister lister;

    NodeResource(NodeService nodes, ResourceStore store, Lister lister) {
        this.nodes = nodes;
        this.store = store;
        this.lister = lister;
    }

    @GET
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    @Access(Access.Allow.PEOPLE)
    public Response list(@BeanParam ListQuery query) {
        return lister.listOrWatch(Node.KIND, ResourceStore.CLUSTER, query, nodes::view);
    }

    @GET
    @Path("{name}")
    @Access({Access.Allow.PEOPLE, Access.Allow.OWN_NODE})
    public Response get(@PathParam("name") String name, @Context Request request) {
        var node = nodes.find(name);
        return Responses.conditionalGet(request, nodes.view(node), node.resourceVersion());
    }

    /** An agent registers (201) or re-registers (200) its node with its capacity and inventory. */
    @PUT
    @Path("{name}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.OWN_NODE)
    public Response register(@PathParam("name") String name, Node.Registration registration) {
        var registered = nodes.register(name, registration);
        long rv = Long.parseLong(registered.node().metadata().resourceVersion());
        return registered.created()
                ? Responses.created(URI.create("/v1/nodes/" + name), registered.node(), rv)
                : Responses.ok(registered.node(), rv);
    }

    @POST
    @Path("{name}/heartbeat")
    @Access(Access.Allow.OWN_NODE)
    public Response heartbeat(@PathParam("name") String name) {
        nodes.heartbeat(name);
        return Response.noContent().build();
    }

    @POST
    @Path("{name}/cordon")
    @Access(Access.Allow.ADMIN)
    public Node cordon(@PathParam("name") String name) {
        return nodes.cordon(name, true);
    }

    @POST
    @Path("{name}/uncordon")
    @Access(Access.Allow.ADMIN)
    public Node uncordon(@PathParam("name") String name) {
        return nodes.cordon(name, false);
    }

    /**
     * The VMs and containers placed on this node. With {@code ?watch=true}, the stream of their changes, resumable
     * from a resourceVersion; a DELETED event tells the agent to tear the workload down.
     */
    @GET
    @Path("{name}/assignments")
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    @Access(Access.Allow.OWN_NODE)
    public Response assignments(@PathParam("name") String name, @BeanParam ListQuery query) {
        query.validate();
        nodes.find(name);
        var kinds = List.of("VM", "Container");
        if (query.watch()) {
            return lister.watch(new WatchLog.Filter(kinds, null, name), LabelSelector.parse(query.labelSelector), query);
        }
        long rv = store.currentResourceVersion();
        var items = store.listOnNode(name, kinds).stream().map(store::render).toList();
        return Response.ok(new ResourceList<>(ServerVersion.API_VERSION, "AssignmentList",
                new ResourceList.Meta(String.valueOf(rv), null), items)).type(MediaType.APPLICATION_JSON_TYPE).build();
    }
}
