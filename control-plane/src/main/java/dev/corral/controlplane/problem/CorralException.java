package dev.corral.controlplane.problem;

/**
 * The control plane's domain errors. Each subclass is one kind of problem: it carries its HTTP status and its
 * problem type, and its message is the {@code detail} a user reads.
 */
public abstract class CorralException extends RuntimeException {

    protected CorralException(String detail) {
        super(detail);
    }

    protected CorralException(String detail, Throwable cause) {
        super(detail, cause);
    }

    /** The HTTP status this problem is reported with. */
    public abstract int status();

    /** The last segment of the problem type URI, e.g. {@code not-found}. */
    public abstract String kind();

    /** The problem type's short, fixed summary. */
    public abstract String title();

    /** The fields the problem is about, each with what is wrong with it; empty when it is about no field. */
    public java.util.List<dev.corral.api.Problem.FieldError> errors() {
        return java.util.List.of();
    }
}
