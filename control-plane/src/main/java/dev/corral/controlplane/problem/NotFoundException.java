package dev.corral.controlplane.problem;

/** The named object does not exist (404). */
public class NotFoundException extends CorralException {
    public NotFoundException(String kind, String name) {
        super(kind + " '" + name + "' not found.");
    }

    public NotFoundException(String detail) {
        super(detail);
    }

    @Override public int status() { return 404; }
    @Override public String kind() { return "not-found"; }
    @Override public String title() { return "Not Found"; }
}
