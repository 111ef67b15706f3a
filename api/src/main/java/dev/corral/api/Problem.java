package dev.corral.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An RFC 9457 problem detail, the body of every error the API returns ({@code application/problem+json}).
 *
 * @param type     a URI naming the kind of problem, e.g. {@code https://corral.dev/problems/not-found}
 * @param title    a short summary of that kind of problem
 * @param status   the HTTP status code
 * @param detail   what went wrong this time, as a sentence a person can act on
 * @param instance the request path the problem occurred on
 * @param errors   field-level violations, for validation failures
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(String type, String title, int status, String detail, String instance, List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    /** One invalid field: a JSON-pointer-like path into the request ({@code spec.vcpus}) and why. */
    public record FieldError(String field, String message) {
    }
}
