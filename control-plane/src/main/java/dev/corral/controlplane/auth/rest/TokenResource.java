package dev.corral.controlplane.auth.rest;

import java.net.URI;

import dev.corral.api.ResourceList;
import dev.corral.api.ServerVersion;
import dev.corral.api.Token;
import dev.corral.controlplane.auth.Access;
import dev.corral.controlplane.auth.Grant;
import dev.corral.controlplane.auth.TokenService;
import dev.corral.controlplane.problem.InvalidException;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Bearer tokens: minted (the secret shown once), listed and revoked by admins; any token can read itself. */
@Path("/v1/tokens")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class TokenResource {

    private final TokenService tokens;
    private final SecurityIdentity identity;

    TokenResource(TokenService tokens, SecurityIdentity identity) {
        this.tokens = tokens;
        this.identity = identity;
    }

    @GET
    @Access(Access.Allow.ADMIN)
    public ResourceList<Token> list() {
        return new ResourceList<>(ServerVersion.API_VERSION, "TokenList", new ResourceList.Meta(null, null), tokens.list());
    }

    /** 201 with the token, its secret included: the only time the secret is shown. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Access(Access.Allow.ADMIN)
    public Response create(Token.Request body) {
        if (body == null) {
            throw InvalidException.field("body", "a TokenRequest is required");
        }
        var token = tokens.create(body);
        return Response.created(URI.create("/v1/tokens/" + token.id())).entity(token).type(MediaType.APPLICATION_JSON).build();
    }

    /** The token this request carries: who it is for and what it grants. */
    @GET
    @Path("current")
    @Access(Access.Allow.ANY)
    public Token current() {
        Grant grant = identity.getAttribute(Grant.ATTRIBUTE);
        return tokens.get(grant.tokenId());
    }

    @GET
    @Path("{id}")
    @Access(Access.Allow.ADMIN)
    public Token get(@PathParam("id") String id) {
        return tokens.get(id);
    }

    /** Revokes the token: from the next request on, on every replica, it is refused (401). */
    @DELETE
    @Path("{id}")
    @Access(Access.Allow.ADMIN)
    public Token revoke(@PathParam("id") String id) {
        return tokens.revoke(id);
    }
}
