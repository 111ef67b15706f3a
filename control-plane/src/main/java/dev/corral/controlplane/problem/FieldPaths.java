package dev.corral.controlplane.problem;

import java.util.regex.Pattern;

/** How the API names a place in a request body: {@code spec.vcpus}, {@code devices[0].address}, {@code metadata.labels['a.b/c']}. */
public final class FieldPaths {

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private FieldPaths() {
    }

    /** {@code parent} followed by the object member {@code name}. */
    public static String member(String parent, String name) {
        if (!PLAIN.matcher(name).matches()) {
            return parent + "['" + name.replace("'", "\\'") + "']";
        }
        return parent.isEmpty() ? name : parent + "." + name;
    }

    /** {@code parent} followed by the array element {@code index}. */
    public static String element(String parent, int index) {
        return parent + "[" + index + "]";
    }

    /** The field name for a whole body: {@code body}. */
    public static String orBody(String path) {
        return path.isEmpty() ? "body" : path;
    }

    /** A JSON pointer ({@code /spec/devices/0}) as a field path ({@code spec.devices[0]}). */
    public static String fromPointer(String pointer) {
        String path = "";
        if (pointer == null || pointer.isEmpty()) {
            return path;
        }
        for (String raw : pointer.substring(1).split("/", -1)) {
            String token = raw.replace("~1", "/").replace("~0", "~");
            path = !token.isEmpty() && token.chars().allMatch(Character::isDigit) && !path.isEmpty()
                    ? element(path, Integer.parseInt(token)) : member(path, token);
        }
        return path;
    }
}
