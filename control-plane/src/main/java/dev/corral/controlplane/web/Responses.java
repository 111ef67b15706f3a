package dev.corral.controlplane.web;

import java.net.URI;

import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;

/** Answers that carry the object's ETag (its resourceVersion). */
public final class Responses {
    private Responses() {
    }

    public static Response ok(Object body, long resourceVersion) {
        return Response.ok(body).tag(tag(resourceVersion)).build();
    }

    public static Response created(URI location, Object body, long resourceVersion) {
        return Response.created(location).entity(body).tag(tag(resourceVersion)).build();
    }

    /** Where a created project-scoped object lives: its path, with {@code ?project=} outside the default project. */
    public static URI location(String collection, String project, String name) {
        return URI.create(collection + "/" + name + (project.equals("default") ? "" : "?project=" + project));
    }

    /** 304 when the client's If-None-Match still matches, else the object. */
    public static Response conditionalGet(Request request, Object body, long resourceVersion) {
        var notModified = request.evaluatePreconditions(tag(resourceVersion));
        if (notModified != null) {
            return notModified.build();
        }
        return ok(body, resourceVersion);
    }

    private static EntityTag tag(long resourceVersion) {
        return new EntityTag(String.valueOf(resourceVersion));
    }
}
