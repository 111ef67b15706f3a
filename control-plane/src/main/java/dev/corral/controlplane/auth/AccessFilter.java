package dev.corral.controlplane.auth;

import io.quarkus.security.identity.CurrentIdentityAssociation;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every JAX-RS endpoint's {@link Access} rule, enforced before it runs (on its own thread, after the route matched):
 * 401 without a working token, 403 when the token's grant does not reach. Denies an endpoint without a rule.
 */
public class AccessFilter {

    private final CurrentIdentityAssociation identities;
    private final Authorizer authorizer;

    AccessFilter(CurrentIdentityAssociation identities, Authorizer authorizer) {
        this.identities = identities;
        this.authorizer = authorizer;
    }

    @ServerRequestFilter
    public void check(ContainerRequestContext request, ResourceInfo resource) {
        var method = resource.getResourceMethod();
        if (method == null) {
            return; // no endpoint matched: a 404 or 405 follows, and it tells nothing
        }
        var grant = authorizer.authenticate(identities.getDeferredIdentity());
        var uri = request.getUriInfo();
        var query = uri.getQueryParameters();
        var path = uri.getPathParameters();
        String project = query.getFirst("project");
        String at = uri.getPath();
        var facts = new Authorizer.Facts(request.getMethod(), at.startsWith("/") ? at : "/" + at,
                project == null || project.isBlank() ? null : project, "true".equals(query.getFirst("allProjects")),
                path.getFirst("name"), path.getFirst("sha256"));
        Access access = method.getAnnotation(Access.class);
        authorizer.check(grant, access == null ? null : access.value(), facts);
    }
}
