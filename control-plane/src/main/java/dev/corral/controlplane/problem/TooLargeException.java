package dev.corral.controlplane.problem;

/** The request body is larger than the API takes at this endpoint (413). */
public class TooLargeException extends CorralException {
    public TooLargeException(String detail) {
        super(detail);
    }

    @Override public int status() { return 413; }
    @Override public String kind() { return "content-too-large"; }
    @Override public String title() { return "Content Too Large"; }
}
