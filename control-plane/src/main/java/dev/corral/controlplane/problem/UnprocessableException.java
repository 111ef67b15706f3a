package dev.corral.controlplane.problem;

/**
 * The request is well formed but cannot be carried out as asked (422): it names an image that does not exist,
 * asks to resize a placed VM, reuses an Idempotency-Key with another body...
 */
public class UnprocessableException extends CorralException {
    public UnprocessableException(String detail) {
        super(detail);
    }

    @Override public int status() { return 422; }
    @Override public String kind() { return "unprocessable"; }
    @Override public String title() { return "Unprocessable Request"; }
}
