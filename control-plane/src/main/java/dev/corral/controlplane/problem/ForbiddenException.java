package dev.corral.controlplane.problem;

/** The caller is known, but its token does not allow this request (403). */
public class ForbiddenException extends CorralException {
    public ForbiddenException(String detail) {
        super(detail);
    }

    @Override public int status() { return 403; }
    @Override public String kind() { return "forbidden"; }
    @Override public String title() { return "Forbidden"; }
}
