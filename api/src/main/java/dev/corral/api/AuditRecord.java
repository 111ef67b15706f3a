package dev.corral.api;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One mutating request as the audit log keeps it ({@code GET /v1/audit}, topic {@code corral.audit.v1}): when, who,
 * what, on which object, with which outcome. Never a token's secret, never a request body.
 *
 * @param id        the record's place in the log (increasing, not gapless)
 * @param requestId the request's {@code X-Request-Id} (the client's, or one the control plane made and answered with)
 * @param method    POST, PUT, PATCH or DELETE
 * @param path      the request path, without the query
 * @param object    the object the request named, when its path names one (a create's object from its Location)
 * @param status    the HTTP status of the answer: 2xx done, 401 no working token, 403 refused, other 4xx invalid
 * @param identity  who sent it; null when anonymous (no token, or one that was refused)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AuditRecord(String apiVersion, String kind, long id, Instant time, String requestId, String method, String path,
        Target object, int status, Identity identity) {

    public static final String KIND = "AuditRecord";

    /** The object a request named: {@code project} for the project-scoped kinds (VM, Container, Image). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Target(String kind, String name, String project) {
    }

    /** The token a request carried and what it granted: a role, in a project (member, viewer) or for a node (node). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Identity(String tokenId, String subject, String subjectKind, String role, String project, String node) {
    }
}
