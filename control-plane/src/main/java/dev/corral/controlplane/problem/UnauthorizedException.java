package dev.corral.controlplane.problem;

/**
 * The request carries no credential the control plane accepts (401): no token, or one that is unknown, expired or
 * revoked. Answered with {@code WWW-Authenticate: Bearer}.
 */
public class UnauthorizedException extends CorralException {
    public UnauthorizedException(String detail) {
        super(detail);
    }

    @Override public int status() { return 401; }
    @Override public String kind() { return "unauthorized"; }
    @Override public String title() { return "Unauthorized"; }
}
