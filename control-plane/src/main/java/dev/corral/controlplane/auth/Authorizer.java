package dev.corral.controlplane.auth;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.corral.controlplane.problem.ForbiddenException;
import dev.corral.controlplane.problem.UnauthorizedException;
import dev.corral.controlplane.project.ProjectService;
import dev.corral.controlplane.store.StoreException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Decides a request against its endpoint's {@link Access} rules: 401 for no identity, 403 naming the caller's grant
 * and what the endpoint needs. Blocking (a node's blob and image reads are looked up in the database).
 */
@ApplicationScoped
public class Authorizer {

    /** What a rule looks at in a request; {@code project} is the query's, null when absent. */
    public record Facts(String method, String path, String project, boolean allProjects, String name, String sha256) {

        /** The project a project-scoped request works in: the query's, else {@code default}. */
        String scope() {
            return project == null ? ProjectService.DEFAULT : project;
        }
    }

    private static final String NO_TOKEN = "This request needs a bearer token: send 'Authorization: Bearer <token>' "
            + "(the local cloud's admin token is in the control plane's data directory, ~/.corral/local/admin-token).";

    private final DataSource dataSource;

    Authorizer(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The request's identity, waited for: 401 when there is none or its token was refused. */
    public Grant authenticate(Uni<SecurityIdentity> deferred) {
        SecurityIdentity identity;
        try {
            identity = deferred.await().indefinitely();
        } catch (AuthenticationFailedException e) {
            throw new UnauthorizedException(e.getMessage() == null || e.getMessage().isBlank()
                    ? "The bearer token was refused." : e.getMessage());
        }
        return grant(identity);
    }

    /** The grant of an identity Quarkus resolved: 401 when there is none or its token was refused. */
    public Grant grant(SecurityIdentity identity) {
        if (identity != null && identity.getAttribute(Grant.REFUSED) != null) {
            throw new UnauthorizedException(identity.getAttribute(Grant.REFUSED));
        }
        if (identity == null || identity.isAnonymous() || identity.getAttribute(Grant.ATTRIBUTE) == null) {
            throw new UnauthorizedException(NO_TOKEN);
        }
        return identity.getAttribute(Grant.ATTRIBUTE);
    }

    /** Passes when the grant is admin's or one of {@code rules} lets it in; else 403. No rules (null): refused to all. */
    public void check(Grant grant, Access.Allow[] rules, Facts request) {
        if (rules == null) {
            throw new ForbiddenException(request.method() + " " + request.path() + " has no access rule; it is refused to everyone.");
        }
        if (grant.role() == Role.ADMIN) {
            return;
        }
        for (Access.Allow rule : rules) {
            if (allows(rule, grant, request)) {
                return;
            }
        }
        String needs = Arrays.stream(rules).map(rule -> describe(rule, request)).distinct().collect(Collectors.joining(" or "));
        throw new ForbiddenException("Token " + grant.tokenId() + " (" + grant.describe() + ") may not " + request.method() + " "
                + request.path() + ": that needs " + needs + ".");
    }

    private boolean allows(Access.Allow rule, Grant grant, Facts r) {
        return switch (rule) {
            case ADMIN -> false;
            case ANY -> true;
            case PEOPLE -> grant.role() != Role.NODE;
            case PROJECT_VIEWER -> !r.allProjects() && grant.sees(r.scope());
            case PROJECT_MEMBER -> !r.allProjects() && grant.memberOf(r.scope());
            case QUERY_PROJECT_VIEWER -> r.project() != null && grant.sees(r.project());
            case NAMED_PROJECT_VIEWER -> r.name() != null && grant.sees(r.name());
            case ANY_MEMBER -> grant.role() == Role.MEMBER;
            case OWN_NODE -> r.name() != null && grant.isNode(r.name());
            case ASSIGNED_BLOB -> grant.role() == Role.NODE && r.sha256() != null && r.sha256().matches("[0-9a-f]{64}")
                    && blobAssigned(grant.node(), r.sha256());
            case ASSIGNED_IMAGE -> grant.role() == Role.NODE && r.name() != null && imageAssigned(grant.node(), r.scope(), r.name());
        };
    }

    private static String describe(Access.Allow rule, Facts r) {
        return switch (rule) {
            case ADMIN -> "admin";
            case ANY -> "any token";
            case PEOPLE -> "a member or viewer token";
            case PROJECT_VIEWER -> r.allProjects() ? "admin (allProjects)" : "viewer or member of project " + r.scope();
            case PROJECT_MEMBER -> r.allProjects() ? "admin (allProjects)" : "member of project " + r.scope();
            case QUERY_PROJECT_VIEWER -> r.project() == null ? "admin (all projects; name one with ?project=)"
                    : "viewer or member of project " + r.project();
            case NAMED_PROJECT_VIEWER -> "viewer or member of project " + r.name();
            case ANY_MEMBER -> "member of a project";
            case OWN_NODE -> "node " + r.name();
            case ASSIGNED_BLOB -> "a node with a workload that uses this blob";
            case ASSIGNED_IMAGE -> "a node with a workload of project " + r.scope() + " that uses this image";
        };
    }

    private boolean blobAssigned(String node, String sha256) {
        return exists("SELECT 1 FROM resource w JOIN resource i ON i.kind = 'Image' AND i.project = w.project AND i.name = w.spec ->> 'image' "
                + "WHERE w.kind IN ('VM', 'Container') AND w.node = ? AND strpos(i.spec::text, ?) > 0 LIMIT 1", node, sha256);
    }

    private boolean imageAssigned(String node, String project, String image) {
        return exists("SELECT 1 FROM resource WHERE kind IN ('VM', 'Container') AND node = ? AND project = ? AND spec ->> 'image' = ? LIMIT 1",
                node, project, image);
    }

    private boolean exists(String sql, String... params) {
        try (var c = dataSource.getConnection(); var s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setString(i + 1, params[i]);
            }
            try (var rs = s.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new StoreException("checking a node's access", e);
        }
    }
}
