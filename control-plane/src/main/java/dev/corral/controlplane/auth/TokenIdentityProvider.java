package dev.corral.controlplane.auth;

import dev.corral.controlplane.problem.UnauthorizedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Turns a bearer token into a SecurityIdentity: its subject as the principal, its role, and its {@link Grant}. */
@ApplicationScoped
public class TokenIdentityProvider implements IdentityProvider<TokenAuthenticationRequest> {

    private final TokenService tokens;

    TokenIdentityProvider(TokenService tokens) {
        this.tokens = tokens;
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        // A token read a moment ago is answered from the cache, here; the token table is JDBC: looked up on a
        // worker thread, never on the event loop.
        Grant known = tokens.cached(request.getToken().getToken());
        if (known != null) {
            return Uni.createFrom().item(identity(known));
        }
        return context.runBlocking(() -> {
            Grant grant;
            try {
                grant = tokens.authenticate(request.getToken().getToken());
            } catch (UnauthorizedException e) {
                // Not a failure for Quarkus to answer (with an empty 401): Authorizer answers it as problem+json.
                return refused(e.getMessage());
            }
            return identity(grant);
        });
    }

    private static SecurityIdentity identity(Grant grant) {
        return QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(grant.subject()))
                .addRole(grant.role().wire())
                .addAttribute(Grant.ATTRIBUTE, grant)
                .build();
    }

    /** An anonymous identity that remembers why its token was refused ({@link Grant#REFUSED}). */
    static SecurityIdentity refused(String reason) {
        return QuarkusSecurityIdentity.builder().setAnonymous(true).addAttribute(Grant.REFUSED, reason).build();
    }
}
