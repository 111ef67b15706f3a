package dev.corral.controlplane.problem;

import com.fasterxml.jackson.databind.JsonNode;

/** JSON types as a person reads them, for error messages that never name a Java class. */
public final class JsonTypes {

    private JsonTypes() {
    }

    /** {@code integer} → {@code an integer}, {@code boolean} → {@code true or false}. */
    public static String article(String jsonType) {
        return switch (jsonType) {
            case "integer" -> "an integer";
            case "number" -> "a number";
            case "string" -> "a string";
            case "boolean" -> "true or false";
            case "object" -> "an object";
            case "array" -> "an array";
            case "null" -> "null";
            default -> jsonType;
        };
    }

    /** What a value is: {@code the string "1"}, {@code the number 1.5}, {@code an object}. */
    public static String describe(JsonNode value) {
        if (value == null || value.isMissingNode()) {
            return "absent";
        }
        String text = value.toString();
        String shown = text.length() > 40 ? text.substring(0, 37) + "..." : text;
        return switch (value.getNodeType()) {
            case STRING -> "the string " + shown;
            case NUMBER -> (value.isIntegralNumber() ? "the integer " : "the number ") + shown;
            case BOOLEAN -> shown;
            case NULL -> "null";
            case OBJECT, POJO -> "an object";
            case ARRAY -> "an array";
            default -> shown;
        };
    }

    /** The JSON type a Java type is read from, for Jackson's binding errors. */
    public static String of(Class<?> type) {
        if (type == null) {
            return "a value of another type";
        }
        if (type == String.class || type == Character.class || type == char.class || type.isEnum()) {
            return "a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class || type == Short.class
                || type == short.class || type == java.math.BigInteger.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (java.time.temporal.Temporal.class.isAssignableFrom(type)) {
            return "an RFC 3339 time string";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        return "an object";
    }
}
