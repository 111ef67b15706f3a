package dev.corral.controlplane.problem;

/**
 * The request is well formed but cannot be carried out as asked (422): it names an image that does not exist,
 * asks to resize a placed VM, reuses an Idempotency-Key with another body...
 */
public class UnprocessableException extends CorralException {
    private final java.util.List<dev.corral.api.Problem.FieldError> errors;

    public UnprocessableException(String detail) {
        super(detail);
        this.errors = java.util.List.of();
    }

    /** About one field: {@code detail} is the whole sentence, {@code message} what is wrong with the field. */
    public UnprocessableException(String field, String message, String detail) {
        super(detail);
        this.errors = java.util.List.of(new dev.corral.api.Problem.FieldError(field, message));
    }

    /** About one field: the detail is {@code field message.} */
    public static UnprocessableException field(String field, String message) {
        return new UnprocessableException(field, message, field + " " + message + ".");
    }

    @Override
    public java.util.List<dev.corral.api.Problem.FieldError> errors() {
        return errors;
    }

    @Override public int status() { return 422; }
    @Override public String kind() { return "unprocessable"; }
    @Override public String title() { return "Unprocessable Request"; }
}
