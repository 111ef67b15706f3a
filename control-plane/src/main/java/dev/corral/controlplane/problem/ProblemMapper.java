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
        return respond(new Problem(TYPE_BASE + e.kind(), e.title(), e.status(), e.getMessage(), uri.getPath(), List.of()));
    }

    /** Framework errors: unknown paths, wrong methods, unacceptable media types. */
    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
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

    static Response respond(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }
}
