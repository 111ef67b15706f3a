package dev.corral.controlplane.audit.rest;

import java.time.Instant;
import java.time.format.DateTimeParseException;

import dev.corral.api.AuditRecord;
import dev.corral.api.ResourceList;
import dev.corral.controlplane.audit.AuditLog;
import dev.corral.controlplane.auth.Access;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.web.ListQuery;
import dev.corral.controlplane.web.QueryValues;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** The audit log: every mutating request, oldest first, for admins. */
@Path("/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@RunOnVirtualThread
public class AuditResource {

    private final AuditLog log;

    AuditResource(AuditLog log) {
        this.log = log;
    }

    @GET
    @Access(Access.Allow.ADMIN)
    public ResourceList<AuditRecord> list(@QueryParam("since") String since, @QueryParam("until") String until,
            @QueryParam("limit") String limit, @QueryParam("continue") String continueToken) {
        Integer n = QueryValues.integer("limit", limit, 1, ListQuery.MAX_LIMIT);
        return log.list(instant("since", since), instant("until", until), n == null ? ListQuery.DEFAULT_LIMIT : n, continueToken);
    }

    private static Instant instant(String name, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw InvalidException.field(name, "must be an RFC 3339 time such as 2026-01-31T12:00:00Z, not '"
                    + (value.length() <= 40 ? value : value.substring(0, 37) + "...") + "'");
        }
    }
}
