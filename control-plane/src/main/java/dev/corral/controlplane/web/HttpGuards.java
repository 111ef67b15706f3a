package dev.corral.controlplane.web;

import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Problem;
import dev.corral.controlplane.problem.ProblemMapper;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * What is refused from the request head alone, before routing and before a byte of the body is read, each as
 * problem+json: a URI longer than {@code corral.api.max-uri-length} (414), headers over
 * {@code corral.api.max-header-size} (431), a Content-Length over the limit of its
 * endpoint (413; JSON bodies {@code corral.api.max-json-body}, blob uploads {@code quarkus.http.limits.max-body-size}),
 * and a body without a Content-Type (415). Vert.x's own limits stand further out (application.properties) so that
 * these answer first.
 */
@ApplicationScoped
public class HttpGuards {

    /** Before Quarkus' own upload limit (RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT, -2), which answers without a body. */
    private static final int ORDER = -3;

    private final ApiLimits limits;
    private final ObjectMapper json;
    private final long maxUpload;

    HttpGuards(ApiLimits limits, ObjectMapper json) {
        this.limits = limits;
        this.json = json;
        this.maxUpload = ConfigProvider.getConfig().getOptionalValue("quarkus.http.limits.max-body-size", MemorySize.class)
                .map(MemorySize::asLongValue).orElse(10L * 1024 * 1024);
    }

    void register(@Observes Router router) {
        router.route().order(ORDER).handler(this::guard).failureHandler(this::failed);
    }

    /**
     * What Vert.x refuses before any resource sees the request (a URI whose percent-encoding does not decode, a
     * body over Quarkus' own limit while it streams in), in the same problem+json as every other refusal.
     * Other exceptions and 5xx stay with Quarkus' error handler, which logs them.
     */
    private void failed(RoutingContext rc) {
        int status = rc.statusCode() != -1 ? rc.statusCode()
                : rc.failure() instanceof io.vertx.ext.web.handler.HttpException e ? e.getStatusCode() : -1;
        if (status < 400 || status > 499 || rc.response().headWritten()) {
            rc.next();
            return;
        }
        var reason = io.netty.handler.codec.http.HttpResponseStatus.valueOf(status);
        String detail = switch (status) {
            case 400 -> "The request cannot be decoded: its URI or a header is malformed (a percent sign not followed by"
                    + " two hex digits, say).";
            case 413 -> "The request body is larger than this endpoint takes.";
            default -> reason.reasonPhrase() + ".";
        };
        String kind = status == 400 ? "invalid" : status == 413 ? "content-too-large"
                : reason.reasonPhrase().toLowerCase().replaceAll("[^a-z0-9]+", "-");
        String title = status == 400 ? "Invalid Request" : status == 413 ? "Content Too Large" : reason.reasonPhrase();
        refuse(rc, status, kind, title, detail, abbreviated(rc.request().path()));
    }

    private void guard(RoutingContext rc) {
        var request = rc.request();
        String uri = request.uri();
        if (uri.length() > limits.maxUriLength()) {
            refuse(rc, 414, "uri-too-long", "URI Too Long", "The request URI is " + uri.length()
                    + " characters long; this server takes at most " + limits.maxUriLength() + ".", abbreviated(request.path()));
            return;
        }
        long headerBytes = 0;
        for (var header : request.headers()) {
            headerBytes += header.getKey().length() + header.getValue().length();
        }
        if (headerBytes > limits.maxHeaderSize().asLongValue()) {
            refuse(rc, 431, "request-header-fields-too-large", "Request Header Fields Too Large", "The request headers are "
                    + headerBytes + " bytes; this server takes at most " + limits.maxHeaderSize().asLongValue() + ".",
                    abbreviated(request.path()));
            return;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        boolean chunked = request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
        if (length != null) {
            long max = isUpload(rc) ? maxUpload : limits.maxJsonBody().asLongValue();
            long bytes = parseLength(length);
            if (bytes > max) {
                refuse(rc, 413, "content-too-large", "Content Too Large", "The request body is " + bytes
                        + " bytes; this endpoint takes at most " + max + ".", request.path());
                return;
            }
        }
        boolean hasBody = chunked || (length != null && parseLength(length) > 0);
        if (hasBody && request.getHeader(HttpHeaders.CONTENT_TYPE) == null) {
            refuse(rc, 415, "unsupported-media-type", "Unsupported Media Type", "The request has a body but no Content-Type;"
                    + " send Content-Type: " + (isUpload(rc) ? "application/octet-stream" : "application/json") + ".",
                    request.path());
            return;
        }
        rc.next();
    }

    private static boolean isUpload(RoutingContext rc) {
        return rc.request().method() == HttpMethod.POST && rc.request().path().equals("/v1/blobs");
    }

    /** A Content-Length header's value; Long.MAX_VALUE when it is not a number (refused as too large, 413). */
    static long parseLength(String header) {
        try {
            return Long.parseLong(header.strip());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static String abbreviated(String path) {
        return path.length() <= 120 ? path : path.substring(0, 117) + "...";
    }

    private void refuse(RoutingContext rc, int status, String kind, String title, String detail, String instance) {
        var problem = new Problem(ProblemMapper.TYPE_BASE + kind, title, status, detail, instance, List.of());
        String body;
        try {
            body = json.writeValueAsString(problem);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a problem record cannot be written", e);
        }
        // The body the client is sending (or still means to send) is not read: the connection ends with this answer.
        // Through the routing context, not response.endHandler: that would replace the end handlers of the routes
        // before this one (audit.AuditRecorder's).
        var response = rc.response();
        rc.addEndHandler(ended -> rc.request().connection().close());
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(body);
    }
}
