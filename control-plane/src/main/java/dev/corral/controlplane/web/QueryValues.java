package dev.corral.controlplane.web;

import dev.corral.controlplane.problem.InvalidException;

/**
 * Query parameters read strictly, naming the parameter when its value is not what openapi.yaml says. (JAX-RS would
 * turn a failed conversion of a typed parameter into a 404, and take any word but {@code true} as false.)
 */
public final class QueryValues {

    private QueryValues() {
    }

    /** {@code true} or {@code false}; absent or empty: {@code otherwise}. */
    public static boolean bool(String name, String value, boolean otherwise) {
        if (value == null || value.isEmpty()) {
            return otherwise;
        }
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw InvalidException.field(name, "must be true or false, not '" + abbreviated(value) + "'");
        };
    }

    /** A whole number from {@code min} to {@code max}; absent or empty: null. */
    public static Integer integer(String name, String value, int min, int max) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        long n;
        try {
            n = value.matches("[+-]?\\d{1,18}") ? Long.parseLong(value) : Long.MIN_VALUE;
        } catch (NumberFormatException e) {
            n = Long.MIN_VALUE;
        }
        if (n == Long.MIN_VALUE) {
            throw InvalidException.field(name, "must be an integer from " + min + " to " + max + ", not '" + abbreviated(value) + "'");
        }
        if (n < min || n > max) {
            throw InvalidException.field(name, "must be between " + min + " and " + max + ", not " + n);
        }
        return (int) n;
    }

    private static String abbreviated(String value) {
        return value.length() <= 40 ? value : value.substring(0, 37) + "...";
    }
}
