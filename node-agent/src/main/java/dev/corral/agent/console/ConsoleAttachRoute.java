package dev.corral.agent.console;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.agent.NodeAgent;
import dev.corral.api.Problem;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.jboss.logging.Logger;

/**
 * {@code GET /v1/workloads/{uid}/console/attach}: the interactive serial console of a workload running on this node,
 * as a WebSocket, for the control plane to pass on ({@code GET /v1/vms/{name}/console/attach}). Binary frames from
 * the server are console output (starting with the last {@code tailLines} lines held, none by default); binary or
 * text frames from the client are typed into the guest. Several clients may attach at once: all see the output and
 * each one's input goes in. A client leaving changes nothing for the guest; the workload stopping or being deleted
 * closes every connection with code 1000 and the reason.
 *
 * <p>Errors come before the upgrade, as problem+json: 400 for a bad {@code tailLines}, 404 for a workload this node
 * does not have, 409 for one that is not running, 426 for a request that is not a WebSocket upgrade. A Vert.x route
 * rather than a WebSocket extension: it answers these with a body, and lets output be dropped for a slow client
 * without ever holding the guest.
 */
@ApplicationScoped
public class ConsoleAttachRoute {

    private static final Logger LOG = Logger.getLogger(ConsoleAttachRoute.class);

    private final NodeAgent agent;
    private final ObjectMapper json;

    ConsoleAttachRoute(NodeAgent agent, ObjectMapper json) {
        this.agent = agent;
        this.json = json;
    }

    void register(@Observes Router router) {
        router.get("/v1/workloads/:uid/console/attach").order(RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT).handler(this::attach);
    }

    private void attach(RoutingContext ctx) {
        String uid = ctx.pathParam("uid");
        String tail = ctx.request().getParam("tailLines");
        Integer tailLines;
        try {
            tailLines = tail == null || tail.isEmpty() ? null : Integer.valueOf(tail);
        } catch (NumberFormatException e) {
            tailLines = -1;
        }
        if (tailLines != null && tailLines < 0) {
            problem(ctx, 400, "Bad Request", "tailLines must be a whole number of lines, 0 or more, not '" + tail + "'");
            return;
        }
        var consoles = agent.consoles();
        var console = consoles == null ? null : consoles.find(uid).orElse(null);
        if (console == null) {
            problem(ctx, 404, "Not Found", "this node has no workload " + uid);
            return;
        }
        if (consoles.input(uid).isEmpty()) {
            problem(ctx, 409, "Conflict", "workload " + uid + " is not running on this node, so its console takes no input");
            return;
        }
        if (!"websocket".equalsIgnoreCase(ctx.request().getHeader(HttpHeaders.UPGRADE))) {
            ctx.response().putHeader(HttpHeaders.UPGRADE, "websocket");
            problem(ctx, 426, "Upgrade Required", "the console of workload " + uid + " is attached over a WebSocket: "
                    + "send the request with 'Upgrade: websocket'");
            return;
        }
        long from = tailLines == null ? console.end() : ConsoleResource.tailStart(console, tailLines);
        var context = Vertx.currentContext();
        ctx.request().toWebSocket()
                .onSuccess(socket -> ConsoleSession.attach(socket, context, consoles, uid, console, from))
                .onFailure(e -> LOG.debugf(e, "console of %s: the WebSocket handshake failed", uid));
    }

    private void problem(RoutingContext ctx, int status, String title, String detail) {
        var problem = new Problem("about:blank", title, status, detail, ctx.request().path(), List.of());
        try {
            ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                    .end(json.writeValueAsString(problem));
        } catch (JsonProcessingException e) {
            ctx.fail(e);
        }
    }
}
