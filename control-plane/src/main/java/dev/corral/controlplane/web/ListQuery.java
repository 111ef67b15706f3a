package dev.corral.controlplane.web;

import dev.corral.controlplane.problem.InvalidException;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.QueryParam;

/** The query parameters every list takes: paging, label selection, and watching. */
public class ListQuery {

    public static final int DEFAULT_LIMIT = 500;
    public static final int MAX_LIMIT = 1000;

    @QueryParam("limit")
    public Integer limit;

    @QueryParam("continue")
    public String continueToken;

    @QueryParam("labelSelector")
    public String labelSelector;

    @QueryParam("watch")
    @DefaultValue("false")
    public boolean watch;

    /** For a watch: stream changes after this version (the list's metadata.resourceVersion). */
    @QueryParam("resourceVersion")
    public String resourceVersion;

    /** For a watch: seconds until the server ends the stream (clients then resume). */
    @QueryParam("timeoutSeconds")
    public Integer timeoutSeconds;

    /** SSE clients resume with this header after a dropped connection. */
    @HeaderParam("Last-Event-ID")
    public String lastEventId;

    public int limit() {
        if (limit == null) {
            return DEFAULT_LIMIT;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw InvalidException.field("limit", "must be between 1 and " + MAX_LIMIT);
        }
        return limit;
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
        int seconds = timeoutSeconds == null ? 1800 : timeoutSeconds;
        if (seconds < 1 || seconds > 3600) {
            throw InvalidException.field("timeoutSeconds", "must be between 1 and 3600");
        }
        return java.time.Duration.ofSeconds(seconds);
    }
}
