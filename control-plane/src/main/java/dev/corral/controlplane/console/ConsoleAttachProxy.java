package dev.corral.controlplane.console;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Problem;
import dev.corral.controlplane.problem.ConflictException;
import dev.corral.controlplane.problem.CorralException;
import dev.corral.controlplane.problem.NotFoundException;
import dev.corral.controlplane.problem.UnavailableException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * The interactive console's two legs: the control plane connects to the agent's attach endpoint first, so that every
 * refusal (no such workload, not running, agent away) can still be answered as problem+json, and only then accepts
 * the client's upgrade and joins the two WebSockets frame for frame, each closing the other.
 */
@ApplicationScoped
public class ConsoleAttachProxy {

    private static final Logger LOG = Logger.getLogger(ConsoleAttachProxy.class);
    private static final int MAX_PROBLEM_BYTES = 64 * 1024;
    /** Close codes that say no close frame came (RFC 6455 7.4.1): they may not be sent, so they become 1011. */
    private static final int NO_STATUS = 1005, ABNORMAL = 1006, TLS_FAILED = 1015;
    static final short NORMAL = 1000, INTERNAL_ERROR = 1011;

    private final Vertx vertx;
    private final ObjectMapper json;
    private final ConsoleConfig config;
    private final WebSocketClient client;

    ConsoleAttachProxy(Vertx vertx, ObjectMapper json, ConsoleConfig config) {
        this.vertx = vertx;
        this.json = json;
        this.config = config;
        var options = new WebSocketClientOptions().setConnectTimeout((int) config.agentConnectTimeout().toMillis())
                .setVerifyHost(true);
        AgentTrust.vertx(config.agentCa()).ifPresent(options::setTrustOptions);
        this.client = vertx.createWebSocketClient(options);
    }

    @PreDestroy
    void close() {
        client.close();
    }

    /**
     * Opens the agent's end. The future fails with a {@link CorralException} whose status and detail are the
     * client's answer: 404 when the agent has no such workload, 409 when it does not run, 503 when the agent cannot be
     * reached, does not answer in time, or answers anything else.
     */
    public Future<WebSocket> connect(ConsoleService.AttachTarget target) {
        URI uri = target.attachUri();
        boolean tls = "https".equalsIgnoreCase(uri.getScheme());
        var options = new WebSocketConnectOptions().setHost(uri.getHost()).setSsl(tls)
                .setPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80)
                .setURI(uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        Promise<WebSocket> result = Promise.promise();
        long timer = vertx.setTimer(config.agentResponseTimeout().toMillis(), id -> result.tryFail(
                new TimeoutException("no answer within " + config.agentResponseTimeout().toSeconds() + " s")));
        client.connect(options).onComplete(done -> {
            vertx.cancelTimer(timer);
            if (done.succeeded()) {
                done.result().pause(); // what the agent sends at once (the tail) waits for join() to pass it on
            }
            if (done.succeeded() && !result.tryComplete(done.result())) {
                done.result().close(); // answered after the client was told it timed out
            } else if (done.failed()) {
                result.tryFail(done.cause());
            }
        });
        return result.future().recover(e -> Future.failedFuture(refusal(target, e)));
    }

    private CorralException refusal(ConsoleService.AttachTarget target, Throwable e) {
        String agent = "The agent of node " + target.node() + " at " + target.agent();
        if (!(e instanceof UpgradeRejectedException rejected)) {
            return new UnavailableException(agent + " cannot be reached: " + reason(e) + ".", e);
        }
        String detail = agentDetail(rejected);
        return switch (rejected.getStatus()) {
            case 404 -> new NotFoundException(detail != null ? detail
                    : agent + " has no console for VM '" + target.vm() + "'.");
            case 409 -> ConflictException.of("VM '" + target.vm() + "' is not running on node " + target.node() + " (its phase is "
                    + target.phase() + "), so there is no console to type into; GET /v1/vms/" + target.vm()
                    + "/console reads what it wrote.");
            default -> new UnavailableException(agent + " answered HTTP " + rejected.getStatus() + " to the console attach"
                    + (detail != null ? ": " + detail : "."));
        };
    }

    /** The agent's problem detail, or null when its refusal carries none. */
    private String agentDetail(UpgradeRejectedException rejected) {
        Buffer body = rejected.getBody();
        String type = rejected.getHeaders() == null ? null : rejected.getHeaders().get("Content-Type");
        if (body == null || body.length() == 0 || body.length() > MAX_PROBLEM_BYTES || type == null || !type.startsWith(Problem.MEDIA_TYPE)) {
            return null;
        }
        try {
            var detail = json.readTree(body.getBytes()).path("detail");
            return detail.isTextual() && !detail.asText().isBlank() ? detail.asText() : null;
        } catch (IOException ignored) {
            return null; // a refusal whose body is not JSON still has its status
        }
    }

    private static String reason(Throwable e) {
        var untrusted = AgentTrust.refusal(e);
        if (untrusted.isPresent()) {
            return untrusted.get();
        }
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        return e instanceof java.net.ConnectException ? "the connection was refused" : e.getClass().getSimpleName();
    }

    /**
     * Joins the client's WebSocket and the agent's: every message one side sends goes to the other as it came
     * (binary or text), and when either side closes, the other is closed with the same code and reason. A side
     * whose connection backs up pauses the other, so the agent, not the control plane, decides what a slow client
     * loses.
     */
    public static void join(ServerWebSocket user, WebSocket agent) {
        forward(agent, user);
        forward(user, agent);
        agent.closeHandler(v -> closeWith(user, agent, "the node agent went away"));
        user.closeHandler(v -> closeWith(agent, user, "the client went away"));
        agent.exceptionHandler(e -> {
            LOG.debugf(e, "console attach: the agent's connection failed");
            closeQuietly(user, INTERNAL_ERROR, "the connection to the node agent failed");
        });
        user.exceptionHandler(e -> {
            LOG.debugf(e, "console attach: the client's connection failed");
            closeQuietly(agent, NORMAL, "the client went away");
        });
        agent.resume();
        if (agent.isClosed()) {
            closeWith(user, agent, "the node agent went away"); // it closed while the client's upgrade was answered
        }
    }

    private static void forward(WebSocketBase from, WebSocketBase to) {
        from.binaryMessageHandler(data -> {
            if (!to.isClosed()) {
                to.writeBinaryMessage(data);
                holdWhileFull(from, to);
            }
        });
        from.textMessageHandler(text -> {
            if (!to.isClosed()) {
                to.writeTextMessage(text);
                holdWhileFull(from, to);
            }
        });
    }

    private static void holdWhileFull(WebSocketBase from, WebSocketBase to) {
        if (to.writeQueueFull()) {
            from.pause();
            to.drainHandler(v -> from.resume());
        }
    }

    /** {@code closed} ended: ends {@code other} with its code and reason, or 1011 when it just went away. */
    private static void closeWith(WebSocketBase other, WebSocketBase closed, String wentAway) {
        Short code = closed.closeStatusCode();
        if (code == null || code == NO_STATUS || code == ABNORMAL || code == TLS_FAILED) {
            closeQuietly(other, INTERNAL_ERROR, wentAway);
        } else {
            closeQuietly(other, code, closed.closeReason());
        }
    }

    private static void closeQuietly(WebSocketBase socket, short code, String reason) {
        if (!socket.isClosed()) {
            socket.close(code, reason).onFailure(e -> LOG.debugf(e, "console attach: closing a connection failed"));
        }
    }
}
