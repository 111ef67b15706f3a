package dev.corral.controlplane.web;

import java.io.ByteArrayInputStream;

import dev.corral.controlplane.problem.TooLargeException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
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
 * <p>At most {@code corral.api.max-json-body} bytes are kept: past that the request is refused (413) and the rest of the
 * body is dropped as it comes. A declared Content-Length over the limit never gets here (HttpGuards refuses it from the
 * head). Other bodies (blob uploads, anything not {@code application/json}) are left to their endpoints, and so is a
 * request without credentials: its 401 comes before anything reads its body.
 */
public class JsonBodyBuffer {

    private final long max;

    JsonBodyBuffer(ApiLimits limits) {
        this.max = limits.maxJsonBody().asLongValue();
    }

    @ServerRequestFilter(preMatching = true)
    Uni<Void> read(ContainerRequestContext context, HttpServerRequest request) {
        if (!hasJsonBody(request) || request.isEnded() || request.getHeader(HttpHeaders.AUTHORIZATION) == null) {
            return null;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        int expected = length == null ? 256 : (int) Math.min(max, Math.max(0, parse(length)));
        return Uni.createFrom().emitter(done -> {
            var body = Buffer.buffer(expected);
            boolean[] refused = {false};
            request.handler(chunk -> {
                if (refused[0]) {
                    return;
                }
                if (body.length() + (long) chunk.length() > max) {
                    refused[0] = true;
                    done.fail(new TooLargeException("The request body is larger than " + max + " bytes, the most a JSON body may be."));
                    return;
                }
                body.appendBuffer(chunk);
            });
            request.exceptionHandler(failure -> {
                if (!refused[0]) {
                    refused[0] = true;
                    done.fail(failure);
                }
            });
            request.endHandler(end -> {
                if (!refused[0]) {
                    context.setEntityStream(new ByteArrayInputStream(body.getBytes()));
                    done.complete(null);
                }
            });
            request.resume();
        });
    }

    /** A POST, PUT or PATCH with a body declared {@code application/json} (parameters allowed). */
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
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return length != null ? parse(length) > 0 : request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
