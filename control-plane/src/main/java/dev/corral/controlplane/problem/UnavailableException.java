package dev.corral.controlplane.problem;

/**
 * Something the request needs beyond the control plane cannot be reached now, such as the agent of the node a
 * console lives on (503). Retrying later may work; the detail names what is missing.
 */
public class UnavailableException extends CorralException {
    public UnavailableException(String detail) {
        super(detail);
    }

    public UnavailableException(String detail, Throwable cause) {
        super(detail, cause);
    }

    @Override public int status() { return 503; }
    @Override public String kind() { return "unavailable"; }
    @Override public String title() { return "Service Unavailable"; }
}
