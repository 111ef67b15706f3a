package dev.corral.controlplane.problem;

import java.util.List;

import dev.corral.api.Problem;

/** The request is malformed: fields fail their rules (400), each named in {@link #errors()}. */
public class InvalidException extends CorralException {
    private final List<Problem.FieldError> errors;

    public InvalidException(String detail, List<Problem.FieldError> errors) {
        super(detail);
        this.errors = List.copyOf(errors);
    }

    public static InvalidException field(String field, String message) {
        return new InvalidException(field + ": " + message, List.of(new Problem.FieldError(field, message)));
    }

    @Override
    public List<Problem.FieldError> errors() {
        return errors;
    }

    @Override public int status() { return 400; }
    @Override public String kind() { return "invalid"; }
    @Override public String title() { return "Invalid Request"; }
}
