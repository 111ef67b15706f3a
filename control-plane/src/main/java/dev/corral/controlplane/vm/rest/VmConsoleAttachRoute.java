package dev.corral.controlplane.vm.rest;

import dev.corral.controlplane.auth.Access;
import dev.corral.controlplane.auth.Authorizer;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.smallrye.mutiny.Uni;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Problem;
import dev.corral.controlplane.console.ConsoleAttachProxy;
import dev.corral.controlplane.console.ConsoleQuery;
import dev.corral.controlplane.console.ConsoleService;
import dev.corral.controlplane.problem.CorralException;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.problem.ProblemMapper;
import dev.corral.controlplane.project.ProjectService;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * {@code GET /v1/vms/{name}/console/attach}: the VM's interactive serial console, a WebSocket proxied to the attach
 * endpoint of its node's agent. A Vert.x route rather than a JAX-RS method, because the answer is either an
 * upgrade or a problem, and which one is known only after the agent has answered: the request is held (paused)
 * while the VM is looked up and the agent is connected to, then upgraded and joined to the agent's WebSocket.
 */
@ApplicationScoped
public class VmConsoleAttachRoute {

    /** The route, in Vert.x syntax; OpenApiDriftTest reads it to hold openapi.yaml to it. */
    public static final String PATH = "/v1/vms/:name/console/attach";

    private static final Logger LOG = Logger.getLogger(VmConsoleAttachRoute.class);

    private final ConsoleService consoles;
    private final ConsoleAttachProxy proxy;
    private final ProjectService projects;
    private final ObjectMapper json;

    /** What {@link dev.corral.controlplane.auth.AccessFilter} would hold a JAX-RS method to: the attach writes to the console. */
    public static final Access.Allow[] ACCESS = {Access.Allow.PROJECT_MEMBER};

    private final Authorizer authorizer;

    VmConsoleAttachRoute(ConsoleService consoles, ConsoleAttachProxy proxy, ProjectService projects, ObjectMapper json,
            Authorizer authorizer) {
        this.authorizer = authorizer;
        this.consoles = consoles;
        this.proxy = proxy;
        this.projects = projects;
        this.json = json;
    }

    void register(@Observes Router router) {
        router.get(PATH).order(RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT).handler(this::attach);
    }

    private void attach(RoutingContext ctx) {
        var request = ctx.request();
        request.pause(); // held until the answer is known: an upgrade needs the request as it came
        String name = ctx.pathParam("name");
        String project = request.getParam("project");
        String tailLines = request.getParam("tailLines");
        boolean upgrade = "websocket".equalsIgnoreCase(request.getHeader(HttpHeaders.UPGRADE));
        // The store is JDBC: looked up on a worker thread, never on the event loop.
        Uni<SecurityIdentity> identity = ctx.get(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
        ctx.vertx().<ConsoleService.AttachTarget>executeBlocking(() -> {
            var grant = authorizer.authenticate(identity == null ? Uni.createFrom().nullItem() : identity);
            authorizer.check(grant, ACCESS, new Authorizer.Facts("GET", request.path(), project == null || project.isBlank() ? null : project,
                    false, name, null));
            var target = consoles.attachTarget(projects.require(project), name, ConsoleQuery.parse(null, tailLines).tailLines());
            if (!upgrade) {
                throw new UpgradeRequired(name);
            }
            return target;
        }, false).compose(target -> proxy.connect(target)).onComplete(connected -> {
            if (connected.failed()) {
                refuse(ctx, connected.cause());
                return;
            }
            var agent = connected.result();
            request.toWebSocket().onSuccess(user -> ConsoleAttachProxy.join(user, agent)).onFailure(e -> {
                LOG.debugf(e, "console attach of VM %s: the client's upgrade failed", name);
                agent.close();
            });
        });
    }

    private void refuse(RoutingContext ctx, Throwable cause) {
        Problem problem;
        if (cause instanceof CorralException e) {
            List<Problem.FieldError> errors = e instanceof InvalidException invalid ? invalid.errors() : List.of();
            problem = new Problem(ProblemMapper.TYPE_BASE + e.kind(), e.title(), e.status(), e.getMessage(), ctx.request().path(), errors);
            if (e instanceof dev.corral.controlplane.problem.UnauthorizedException) {
                ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"corral\"");
            }
            if (e instanceof UpgradeRequired) {
                ctx.response().putHeader(HttpHeaders.UPGRADE, "websocket").putHeader(HttpHeaders.CONNECTION, "Upgrade");
            }
        } else {
            String incident = java.util.UUID.randomUUID().toString();
            LOG.errorf(cause, "incident %s on %s", incident, ctx.request().path());
            problem = new Problem(ProblemMapper.TYPE_BASE + "internal", "Internal Server Error", 500, "The control plane failed to "
                    + "handle this request (incident " + incident + "); it is logged. Retrying may help.", ctx.request().path(), List.of());
        }
        try {
            ctx.response().setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .end(json.writeValueAsString(problem));
        } catch (JsonProcessingException e) {
            ctx.fail(e);
        }
        ctx.request().resume();
    }

    /** A plain GET of the attach endpoint: it only answers WebSocket upgrades (426). */
    static final class UpgradeRequired extends CorralException {
        UpgradeRequired(String vm) {
            super("The console of VM '" + vm + "' is attached over a WebSocket: send the request with 'Upgrade: websocket' "
                    + "(e.g. corral console vm/" + vm + ").");
        }

        @Override public int status() { return 426; }
        @Override public String kind() { return "upgrade-required"; }
        @Override public String title() { return "Upgrade Required"; }
    }
}
