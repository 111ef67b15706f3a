package dev.corral.controlplane.problem;

/** The request body did not arrive in time (408). */
public class RequestTimeoutException extends CorralException {
    public RequestTimeoutException(String detail) {
        super(detail);
    }

    @Override public int status() { return 408; }
    @Override public String kind() { return "request-timeout"; }
    @Override public String title() { return "Request Timeout"; }
}
