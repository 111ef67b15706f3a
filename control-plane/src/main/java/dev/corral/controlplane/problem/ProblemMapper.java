package dev.corral.controlplane.problem;

import java.util.List;

import dev.corral.api.Problem;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The one place errors become RFC 9457 problem+json. */
public class ProblemMapper {

    public static final String TYPE_BASE = "https://corral.dev/problems/";

    @ServerExceptionMapper
    public Response domain(CorralException e, UriInfo uri) {
        return respond(new Problem(TYPE_BASE + e.kind(), e.title(), e.status(), e.getMessage(), uri.getPath(), e.errors()));
    }

    /** JSON of the wrong shape: an unknown field, a string where a number belongs. */
    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
    public Response mismatched(com.fasterxml.jackson.databind.exc.MismatchedInputException e, UriInfo uri) {
        return unreadable(e, uri);
    }

    /** A body that is not JSON at all. */
    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER - 100)
    public Response malformed(com.fasterxml.jackson.core.JsonParseException e, UriInfo uri) {
        return unreadable(e, uri);
    }

    /** A body that is not JSON, or JSON of the wrong shape (unknown field, string for a number). */
    @ServerExceptionMapper
    public Response unreadable(com.fasterxml.jackson.core.JsonProcessingException e, UriInfo uri) {
        String field = e instanceof com.fasterxml.jackson.databind.JsonMappingException m ? path(m) : "";
        String detail = "The request body is not valid JSON for this resource"
                + (field.isEmpty() ? "" : " at '" + field + "'") + ": " + e.getOriginalMessage();
        var errors = field.isEmpty() ? List.<Problem.FieldError>of() : List.of(new Problem.FieldError(field, e.getOriginalMessage()));
        return respond(new Problem(TYPE_BASE + "invalid", "Invalid Request", 400, detail, uri.getPath(), errors));
    }

    private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
        var sb = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** Framework errors: unknown paths, wrong methods, unacceptable media types. */
    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        if (e.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException unreadable) {
            return unreadable(unreadable, uri);
        }
        int status = e.getResponse().getStatus();
        var reason = Response.Status.fromStatusCode(status);
        String title = reason != null ? reason.getReasonPhrase() : "HTTP " + status;
        String kind = title.toLowerCase().replaceAll("[^a-z0-9]+", "-");
        String detail = switch (status) {
            case 404 -> "No resource at " + uri.getPath() + ".";
            case 405 -> "This resource does not support that method.";
            case 406 -> "This resource cannot answer in the media type the Accept header asks for.";
            case 415 -> "This resource does not accept that Content-Type.";
            default -> e.getMessage();
        };
        return respond(new Problem(TYPE_BASE + kind, title, status, detail, uri.getPath(), List.of()));
    }

    /**
     * Anything else is our fault: a 500 in the same shape, with an incident id that is also in the log next to the
     * stack trace. The cause stays in the log; the client gets no internals.
     */
    @ServerExceptionMapper
    public Response unexpected(RuntimeException e, UriInfo uri) {
        String incident = java.util.UUID.randomUUID().toString();
        LOG.errorf(e, "incident %s on %s", incident, uri.getPath());
        return respond(new Problem(TYPE_BASE + "internal", "Internal Server Error", 500,
                "The control plane failed to handle this request (incident " + incident + "); it is logged. Retrying may help.",
                uri.getPath(), List.of()));
    }

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ProblemMapper.class);

    static Response respond(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }
}
