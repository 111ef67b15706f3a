package dev.corral.controlplane.audit;

import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.corral.api.AuditRecord;
import dev.corral.controlplane.auth.Authorizer;
import dev.corral.controlplane.auth.Grant;
import dev.corral.controlplane.auth.TokenService;
import dev.corral.controlplane.problem.UnauthorizedException;
import dev.corral.controlplane.store.GroupCommit;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * The one place mutating requests are audited: a route ahead of every other (the refusals of web.HttpGuards
 * included) gives each request its {@code X-Request-Id} and, once the answer is sent, records it:
 * the request's identity (the token it carried, resolved as AccessFilter resolved it; none: anonymous), method, path,
 * the object the path names and the status. The row is written whatever the outcome; publishing it follows. Nothing
 * waits for either: the row joins the next shared commit, the record the publisher's queue.
 */
@ApplicationScoped
public class AuditRecorder {

    public static final String REQUEST_ID = "X-Request-Id";
    /** Before web.HttpGuards (-3), so that its refusals carry a request id and are audited too. */
    private static final int ORDER = -4;
    private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");
    /** A client's request id is taken when it is this tame; else the control plane makes one. */
    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Logger LOG = Logger.getLogger(AuditRecorder.class);

    private final Authorizer authorizer;
    private final TokenService tokens;
    private final AuditLog log;
    private final AuditPublisher publisher;
    private final GroupCommit groupCommit;

    AuditRecorder(Authorizer authorizer, TokenService tokens, AuditLog log, AuditPublisher publisher, GroupCommit groupCommit) {
        this.groupCommit = groupCommit;
        this.authorizer = authorizer;
        this.tokens = tokens;
        this.log = log;
        this.publisher = publisher;
    }

    void register(@Observes Router router) {
        router.route().order(ORDER).handler(this::handle);
    }

    private void handle(RoutingContext rc) {
        var request = rc.request();
        String given = request.getHeader(REQUEST_ID);
        String requestId = given != null && CLIENT_ID.matcher(given).matches() ? given : UUID.randomUUID().toString();
        rc.response().putHeader(REQUEST_ID, requestId);
        if (MUTATING.contains(request.method().name())) {
            String method = request.method().name();
            String path = request.path();
            String project = request.getParam("project");
            String authorization = request.getHeader("Authorization");
            rc.addEndHandler(ended -> {
                int status = rc.response().getStatusCode();
                String location = rc.response().headers().get("Location");
                var target = AuditEntry.target(path, project, location);
                if (rc.user() instanceof QuarkusHttpUser user && user.getSecurityIdentity() != null) {
                    // Authenticated while it was served: recorded from here, nothing to wait for on this event loop.
                    record(new AuditEntry(requestId, method, path, target, status, identity(user.getSecurityIdentity())));
                    return;
                }
                // Never authenticated (refused or answered before that): the token is looked up now, which may read
                // the database, so not on the event loop.
                Uni<SecurityIdentity> deferred = rc.get(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
                Thread.ofVirtual().name("corral-audit").start(() -> {
                    try {
                        record(new AuditEntry(requestId, method, path, target, status, identity(deferred, authorization)));
                    } catch (RuntimeException e) {
                        LOG.errorf(e, "request %s (%s %s, %d) could not be audited", requestId, method, path, status);
                    }
                });
            });
        }
        rc.next();
    }

    /**
     * Stores the entry in a shared commit with other requests' writes (GroupCommit: one WAL flush, and one insert, for
     * many) without waiting for it; once stored, the record goes to the publisher's queue, in the order of the commits.
     */
    private void record(AuditEntry entry) {
        groupCommit.submit(log, entry, (record, failure) -> {
            if (failure != null) {
                LOG.errorf(failure, "request %s (%s %s, %d) could not be audited", entry.requestId(), entry.method(), entry.path(),
                        entry.status());
            } else {
                publisher.publishLater(record);
            }
        });
    }

    /** The identity Quarkus resolved for the request, as AccessFilter judged it; null when none or refused (anonymous). */
    private AuditRecord.Identity identity(SecurityIdentity identity) {
        try {
            return identity(authorizer.grant(identity));
        } catch (UnauthorizedException anonymous) {
            return null;
        }
    }

    private static AuditRecord.Identity identity(Grant g) {
        return new AuditRecord.Identity(g.tokenId(), g.subject(), g.subjectKind(), g.role().wire(), g.project(), g.node());
    }

    /**
     * The token the request carried, as Quarkus resolved it for the endpoint (memoized); for a request refused before
     * Quarkus' authentication ran (web.HttpGuards' 413, 414, 415), looked up here. Null: anonymous.
     */
    private AuditRecord.Identity identity(Uni<SecurityIdentity> deferred, String authorization) {
        try {
            Grant g;
            if (deferred != null) {
                g = authorizer.authenticate(deferred);
            } else if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                g = tokens.authenticate(authorization.substring(7).strip());
            } else {
                return null;
            }
            return identity(g);
        } catch (UnauthorizedException anonymous) {
            return null;
        }
    }
}
