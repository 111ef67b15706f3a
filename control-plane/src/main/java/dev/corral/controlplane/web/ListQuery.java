package dev.corral.controlplane.web;

import dev.corral.controlplane.problem.InvalidException;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.QueryParam;

/** The query parameters every list takes: paging, label selection, and watching. */
public class ListQuery {

    public static final int DEFAULT_LIMIT = 500;
    public static final int MAX_LIMIT = 1000;

    @QueryParam("limit")
    public String limit;

    @QueryParam("continue")
    public String continueToken;

    @QueryParam("labelSelector")
    public String labelSelector;

    @QueryParam("watch")
    public String watch;

    /** For a watch: stream changes after this version (the list's metadata.resourceVersion). */
    @QueryParam("resourceVersion")
    public String resourceVersion;

    /** For a watch: seconds until the server ends the stream (clients then resume). */
    @QueryParam("timeoutSeconds")
    public String timeoutSeconds;

    /** SSE clients resume with this header after a dropped connection. */
    @HeaderParam("Last-Event-ID")
    public String lastEventId;

    /**
     * Checks every typed parameter, whether or not this request uses it (a watch has no page, a list no timeout):
     * {@code limit=abc} is a 400 either way.
     */
    public void validate() {
        limit();
        watch();
        watchTimeout();
    }

    public int limit() {
        Integer n = QueryValues.integer("limit", limit, 1, MAX_LIMIT);
        return n == null ? DEFAULT_LIMIT : n;
    }

    /** Whether {@code watch=true}: stream changes instead of a page. */
    public boolean watch() {
        return QueryValues.bool("watch", watch, false);
    }

    /** Where a watch starts: {@code resourceVersion}, else {@code Last-Event-ID}, else null (now). */
    public Long watchFrom() {
        String from = resourceVersion != null && !resourceVersion.isBlank() ? resourceVersion : lastEventId;
        if (from == null || from.isBlank()) {
            return null;
        }
        try {
            long v = Long.parseLong(from.strip());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw InvalidException.field("resourceVersion", "'" + from + "' is not a resourceVersion this server issued");
        }
    }

    public java.time.Duration watchTimeout() {
        Integer seconds = QueryValues.integer("timeoutSeconds", timeoutSeconds, 1, 3600);
        return java.time.Duration.ofSeconds(seconds == null ? 1800 : seconds);
    }
}
