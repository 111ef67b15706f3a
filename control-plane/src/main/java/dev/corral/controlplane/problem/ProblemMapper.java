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
        var problem = new Problem(TYPE_BASE + e.kind(), e.title(), e.status(), e.getMessage(), uri.getPath(), e.errors());
        if (e instanceof UnauthorizedException) {
            return Response.status(401).type(Problem.MEDIA_TYPE).entity(problem).header("WWW-Authenticate", "Bearer realm=\"corral\"").build();
        }
        return respond(problem);
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

    /**
     * A body that is not JSON, or JSON of the wrong shape (unknown field, string for a number). The detail names the
     * field and the JSON it expects there, never a Java type.
     */
    @ServerExceptionMapper
    public Response unreadable(com.fasterxml.jackson.core.JsonProcessingException e, UriInfo uri) {
        String field;
        String message;
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m) {
            field = FieldPaths.orBody(path(m));
            message = switch (m) {
                case com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException u ->
                        "is not a field here" + known(u.getKnownPropertyIds());
                case com.fasterxml.jackson.databind.exc.InvalidFormatException f ->
                        "must be " + JsonTypes.of(f.getTargetType()) + ", not " + shown(f.getValue());
                case com.fasterxml.jackson.databind.exc.MismatchedInputException mi ->
                        "must be " + JsonTypes.of(mi.getTargetType());
                default -> "has a value this resource cannot take";
            };
        } else {
            var at = e.getLocation();
            field = "body";
            message = "is not valid JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr());
        }
        String detail = "The request body is invalid: " + field + " " + message + ".";
        return respond(new Problem(TYPE_BASE + "invalid", "Invalid Request", 400, detail, uri.getPath(),
                List.of(new Problem.FieldError(field, message))));
    }

    private static String known(java.util.Collection<Object> names) {
        if (names == null || names.isEmpty()) {
            return "";
        }
        return " (known fields: " + names.stream().map(String::valueOf).sorted().collect(java.util.stream.Collectors.joining(", ")) + ")";
    }

    private static String shown(Object value) {
        String text = value instanceof String s ? "'" + s + "'" : String.valueOf(value);
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }

    private static String path(com.fasterxml.jackson.databind.JsonMappingException e) {
        String path = "";
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                path = FieldPaths.member(path, ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path = FieldPaths.element(path, ref.getIndex());
            }
        }
        return path;
    }

    /** Framework errors: unknown paths, wrong methods, unacceptable media types. */
    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        if (e.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException unreadable) {
            return unreadable(unreadable, uri);
        }
        int status = e.getResponse().getStatus();
        var reason = Response.Status.fromStatusCode(status);
        // RFC 9110's names, as HttpGuards answers them, rather than JAX-RS's older ones.
        String title = switch (status) {
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            default -> reason != null ? reason.getReasonPhrase() : "HTTP " + status;
        };
        String kind = title.toLowerCase().replaceAll("[^a-z0-9]+", "-");
        String detail = switch (status) {
            case 404 -> "No resource at " + uri.getPath() + ".";
            case 405 -> "This resource does not support that method.";
            case 406 -> "This resource cannot answer in the media type the Accept header asks for.";
            case 413 -> "The request body is larger than this endpoint takes.";
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
