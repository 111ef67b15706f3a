package dev.corral.controlplane.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.corral.controlplane.problem.InvalidException;

/**
 * A Kubernetes-style label selector: comma-separated requirements, all of which must hold.
 * {@code env=prod}, {@code env==prod}, {@code tier!=db}, {@code env in (prod,staging)}, {@code env notin (dev)},
 * {@code gpu} (the key exists), {@code !gpu} (it does not).
 */
public final class LabelSelector {

    public enum Op { EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, NOT_EXISTS }

    public record Requirement(String key, Op op, List<String> values) {
        boolean matches(Map<String, String> labels) {
            String v = labels.get(key);
            return switch (op) {
                case EQUALS, IN -> v != null && values.contains(v);
                case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
                case EXISTS -> v != null;
                case NOT_EXISTS -> v == null;
            };
        }
    }

    private static final Pattern SET = Pattern.compile("^(\\S+)\\s+(in|notin)\\s*\\((.*)\\)$");

    private final List<Requirement> requirements;

    private LabelSelector(List<Requirement> requirements) {
        this.requirements = List.copyOf(requirements);
    }

    public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

    public static LabelSelector parse(String text) {
        if (text == null || text.isBlank()) {
            return EVERYTHING;
        }
        var requirements = new ArrayList<Requirement>();
        for (String part : splitTopLevel(text)) {
            requirements.add(requirement(part.strip(), text));
        }
        return new LabelSelector(requirements);
    }

    /** Splits on commas that are not inside an {@code in (...)} set. */
    private static List<String> splitTopLevel(String text) {
        var parts = new ArrayList<String>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == ',' && depth == 0) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(text.substring(start));
        return parts;
    }

    private static Requirement requirement(String part, String whole) {
        var set = SET.matcher(part);
        if (set.matches()) {
            var values = new ArrayList<String>();
            for (String v : set.group(3).split(",")) {
                values.add(value(v.strip(), whole));
            }
            return new Requirement(key(set.group(1), whole), set.group(2).equals("in") ? Op.IN : Op.NOT_IN, values);
        }
        int ne = part.indexOf("!=");
        if (ne > 0) {
            return new Requirement(key(part.substring(0, ne).strip(), whole), Op.NOT_EQUALS, List.of(value(part.substring(ne + 2).strip(), whole)));
        }
        int eq = part.indexOf("==");
        if (eq > 0) {
            return new Requirement(key(part.substring(0, eq).strip(), whole), Op.EQUALS, List.of(value(part.substring(eq + 2).strip(), whole)));
        }
        int single = part.indexOf('=');
        if (single > 0) {
            return new Requirement(key(part.substring(0, single).strip(), whole), Op.EQUALS, List.of(value(part.substring(single + 1).strip(), whole)));
        }
        if (part.startsWith("!")) {
            return new Requirement(key(part.substring(1).strip(), whole), Op.NOT_EXISTS, List.of());
        }
        return new Requirement(key(part, whole), Op.EXISTS, List.of());
    }

    private static String key(String key, String whole) {
        if (!Names.validLabelKey(key)) {
            throw InvalidException.field("labelSelector", "'" + key + "' is not a valid label key in '" + whole + "'");
        }
        return key;
    }

    private static String value(String value, String whole) {
        if (!Names.validLabelValue(value)) {
            throw InvalidException.field("labelSelector", "'" + value + "' is not a valid label value in '" + whole + "'");
        }
        return value;
    }

    public List<Requirement> requirements() {
        return requirements;
    }

    public boolean matches(Map<String, String> labels) {
        return requirements.stream().allMatch(r -> r.matches(labels));
    }
}
