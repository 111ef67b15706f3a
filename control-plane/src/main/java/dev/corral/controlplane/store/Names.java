package dev.corral.controlplane.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.corral.api.Problem;

/** Rules for names and labels, shared by every kind (DNS-1123 labels, Kubernetes label syntax). */
public final class Names {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern LABEL_KEY = Pattern.compile("([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    private Names() {
    }

    /** A label key: an optional DNS-subdomain prefix and '/', then up to 63 name characters. */
    public static boolean validLabelKey(String key) {
        return key != null && LABEL_KEY.matcher(key).matches();
    }

    /** A label value: empty, or up to 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric. */
    public static boolean validLabelValue(String value) {
        return value != null && LABEL_VALUE.matcher(value).matches();
    }

    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    public static void checkName(String field, String name, List<Problem.FieldError> errors) {
        if (name == null || name.isBlank()) {
            errors.add(new Problem.FieldError(field, "is required"));
        } else if (!validName(name)) {
            errors.add(new Problem.FieldError(field, "'" + name
                    + "' must be 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit"));
        }
    }

    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    /** Dotted names ({@code c1.large}): DNS-1123 subdomains of at most 253 characters. */
    public static void checkSubdomain(String field, String name, List<Problem.FieldError> errors) {
        if (name == null || name.isBlank()) {
            errors.add(new Problem.FieldError(field, "is required"));
        } else if (name.length() > 253 || !SUBDOMAIN.matcher(name).matches()) {
            errors.add(new Problem.FieldError(field, "'" + name
                    + "' must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"));
        }
    }

    public static void checkLabels(String field, Map<String, String> labels, List<Problem.FieldError> errors) {
        if (labels == null) {
            return;
        }
        labels.forEach((k, v) -> {
            if (!validLabelKey(k)) {
                errors.add(new Problem.FieldError(field, "'" + k + "' is not a valid label key"));
            } else if (!validLabelValue(v)) {
                errors.add(new Problem.FieldError(field + "." + k, "'" + v + "' is not a valid label value (at most 63 letters, digits, '-', '_' or '.')"));
            }
        });
    }

    public static List<Problem.FieldError> errors() {
        return new ArrayList<>();
    }
}
