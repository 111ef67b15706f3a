package dev.corral.controlplane.problem;

/** A watch asked to resume from a resourceVersion older than the retained change log (410): list again. */
public class GoneException extends CorralException {
    public GoneException(String detail) {
        super(detail);
    }

    @Override public int status() { return 410; }
    @Override public String kind() { return "resource-version-too-old"; }
    @Override public String title() { return "Gone"; }
}
