package dev.corral.controlplane.web;

import java.io.ByteArrayInputStream;
import java.time.Duration;

import dev.corral.controlplane.problem.RequestTimeoutException;
import dev.corral.controlplane.problem.TooLargeException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Reads a JSON request body whole on the event loop, before the request is matched and handed to its endpoint's
 * virtual thread, and gives it to the endpoint as a byte array ({@link JsonBodies} then checks and binds it).
 *
 * <p>Left to the endpoint, the body was read by blocking on the virtual thread: a timed wait on the monitor of the
 * request's connection until its bytes came in. Over HTTP/2 every stream of a connection waits on that one monitor, and
 * each chunk that arrives wakes all of them; with 32 creates in flight those wake-ups (the JDK's unblocker and
 * delay-scheduler threads, carriers parked and unparked) took about a tenth of the control plane's CPU
 * (bench/scheduler/README.md). Here the body arrives through Vert.x's handlers on the thread that receives it anyway.
 *
 * <p>Bounds: at most {@code corral.api.max-json-body} bytes are kept, past that the request is refused (413; over
 * HTTP/1.x the connection closes with the answer, and what else comes of the body is dropped); a body that has not
 * ended {@code corral.api.body-timeout} after its head is refused (408) and its connection closed. A declared
 * Content-Length over the limit never gets here (HttpGuards refuses it from the head). A client that asked
 * {@code Expect: 100-continue} is told to go on. Other bodies (blob uploads, anything not {@code application/json})
 * are left to their endpoints, and so is a request without an Authorization header: its 401 comes before anything
 * reads its body. (One with a header is read before its token is checked, within the same bounds.)
 */
public class JsonBodyBuffer {

    /** The buffer a body starts with when it declares no length, or a larger one than this. */
    private static final int FIRST_BUFFER = 16 * 1024;

    private final long max;
    private final Duration timeout;

    JsonBodyBuffer(ApiLimits limits) {
        this.max = limits.maxJsonBody().asLongValue();
        this.timeout = limits.bodyTimeout();
    }

    @ServerRequestFilter(preMatching = true)
    Uni<Void> read(ContainerRequestContext context, RoutingContext rc) {
        HttpServerRequest request = rc.request();
        if (!hasJsonBody(request) || request.getHeader(HttpHeaders.AUTHORIZATION) == null) {
            return null;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        int first = length == null ? FIRST_BUFFER : (int) Math.min(FIRST_BUFFER, Math.max(0, HttpGuards.parseLength(length)));
        return Uni.createFrom().emitter(done -> {
            var body = Buffer.buffer(first);
            // Every handler and the timer run on the connection's event loop, one after another.
            boolean[] over = {false};
            var vertx = Vertx.currentContext() == null ? null : Vertx.currentContext().owner();
            long timer = vertx == null ? -1 : vertx.setTimer(timeout.toMillis(), fired -> {
                if (!over[0]) {
                    over[0] = true;
                    closeAfterAnswer(rc);
                    done.fail(new RequestTimeoutException("The request body did not arrive within " + timeout.toSeconds() + " s."));
                }
            });
            Runnable stopTimer = () -> {
                if (timer >= 0) {
                    vertx.cancelTimer(timer);
                }
            };
            request.handler(chunk -> {
                if (over[0]) {
                    return;
                }
                if (body.length() + (long) chunk.length() > max) {
                    over[0] = true;
                    stopTimer.run();
                    closeAfterAnswer(rc);
                    done.fail(new TooLargeException("The request body is larger than " + max + " bytes, the most a JSON body may be."));
                    return;
                }
                body.appendBuffer(chunk);
            });
            request.exceptionHandler(failure -> {
                if (!over[0]) {
                    over[0] = true;
                    stopTimer.run();
                    done.fail(failure);
                }
            });
            request.endHandler(end -> {
                if (!over[0]) {
                    over[0] = true;
                    stopTimer.run();
                    context.setEntityStream(new ByteArrayInputStream(body.getBytes()));
                    done.complete(null);
                }
            });
            if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
                request.response().writeContinue();
            }
            request.resume();
        });
    }

    /**
     * Over HTTP/1.x, the connection ends with the answer: the rest of the body is not waited for. (Through the routing
     * context, whose end handlers add to the audit's rather than replace them.)
     */
    private static void closeAfterAnswer(RoutingContext rc) {
        if (rc.request().version() != HttpVersion.HTTP_2) {
            rc.response().putHeader(HttpHeaders.CONNECTION, "close");
            rc.addEndHandler(ended -> rc.request().connection().close());
        }
    }

    /**
     * A POST, PUT or PATCH with a body declared {@code application/json} (parameters allowed): a positive Content-Length,
     * a chunked HTTP/1.1 body, or an HTTP/2 stream still open after its head.
     */
    private static boolean hasJsonBody(HttpServerRequest request) {
        HttpMethod method = request.method();
        if (method != HttpMethod.POST && method != HttpMethod.PUT && method != HttpMethod.PATCH) {
            return false;
        }
        String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (type == null || !type.regionMatches(true, 0, "application/json", 0, 16)
                || type.length() > 16 && type.charAt(16) != ';' && type.charAt(16) != ' ') {
            return false;
        }
        if (request.isEnded()) {
            return false;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            return HttpGuards.parseLength(length) > 0;
        }
        return request.version() == HttpVersion.HTTP_2 || request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
    }
}
