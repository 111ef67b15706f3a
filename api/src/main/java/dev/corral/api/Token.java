package dev.corral.api;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A bearer token as the API shows it: who holds it, the role it grants, and where. The secret itself ({@code token})
 * appears once, in the answer to the create; the control plane keeps only its SHA-256.
 *
 * @param id          names the token for listing and revocation (not a secret)
 * @param subject     who holds it: a user's or a service account's name, or the node's name
 * @param subjectKind {@code User}, {@code ServiceAccount} or {@code Node}
 * @param role        {@code admin}, {@code member}, {@code viewer} or {@code node}
 * @param project     the project a member or viewer token is for
 * @param node        the node a node token is for
 * @param bootstrap   the admin token a control plane wrote to its data directory on first start
 * @param token       the secret, only in the answer to the create
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Token(String apiVersion, String kind, String id, String subject, String subjectKind, String role, String project,
        String node, Boolean bootstrap, Instant createdAt, Instant expiresAt, Instant revokedAt, String token) {

    public static final String KIND = "Token";

    /**
     * The body of {@code POST /v1/tokens}.
     *
     * @param subject     who will hold it (for a node token: the node's name, the default)
     * @param subjectKind {@code User} (default), {@code ServiceAccount}, or {@code Node} for a node token
     * @param expiresAt   when it stops working; never when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Request(String apiVersion, String kind, String subject, String subjectKind, String role, String project,
            String node, Instant expiresAt) {
    }
}
