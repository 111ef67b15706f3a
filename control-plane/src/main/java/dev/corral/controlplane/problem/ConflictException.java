package dev.corral.controlplane.problem;

/** The request conflicts with the object's current state: it already exists, or If-Match is stale (409). */
public class ConflictException extends CorralException {
    private final String kind;

    private ConflictException(String kind, String detail) {
        super(detail);
        this.kind = kind;
    }

    public static ConflictException alreadyExists(String objectKind, String name) {
        return new ConflictException("already-exists", objectKind + " '" + name + "' already exists.");
    }

    public static ConflictException staleResourceVersion(String objectKind, String name, String expected, String actual) {
        return new ConflictException("stale-resource-version", objectKind + " '" + name + "' has resourceVersion "
                + actual + ", not " + expected + ": it changed since you read it. Read it again and retry.");
    }

    public static ConflictException of(String detail) {
        return new ConflictException("conflict", detail);
    }

    @Override public int status() { return 409; }
    @Override public String kind() { return kind; }
    @Override public String title() { return "Conflict"; }
}
