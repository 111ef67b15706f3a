package dev.corral.controlplane.quota.rest;

import dev.corral.api.Quota;
import dev.corral.controlplane.auth.Access;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.quota.QuotaService;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** A project's quota: its members and viewers read it, admins set it. */
@Path("/v1/projects/{name}/quota")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class QuotaResource {

    private final QuotaService quotas;

    QuotaResource(QuotaService quotas) {
        this.quotas = quotas;
    }

    @GET
    @Access(Access.Allow.NAMED_PROJECT_VIEWER)
    public Quota get(@PathParam("name") String name) {
        return quotas.get(name);
    }

    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.ADMIN)
    public Quota set(@PathParam("name") String name, Quota.Limits body) {
        if (body == null) {
            throw InvalidException.field("body", "the limits are required ({} for none)");
        }
        return quotas.set(name, body);
    }
}
