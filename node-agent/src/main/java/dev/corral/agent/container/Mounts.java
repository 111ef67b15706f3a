package dev.corral.agent.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The mounts of this host ({@code /proc/self/mountinfo}), as far as container roots need them. */
public final class Mounts {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private Mounts() {
    }

    /** The mount points at or under {@code dir} (the tests count them to prove a clean removal). */
    public static List<Path> under(Path dir) throws IOException {
        var found = new ArrayList<Path>();
        Path base = dir.toAbsolutePath().normalize();
        for (String line : Files.readAllLines(MOUNTINFO)) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                Path point = Path.of(unescape(fields[4]));
                if (point.startsWith(base)) {
                    found.add(point);
                }
            }
        }
        return found;
    }

    static boolean isMountedUnder(Path dir) throws IOException {
        return !under(dir).isEmpty();
    }

    /** Unmounts {@code point} (each mount stacked there) when something is mounted there. */
    static void unmountIfMounted(Path point) throws IOException {
        Path p = point.toAbsolutePath().normalize();
        for (int i = 0; i < 16 && under(p).contains(p); i++) {
            if (!HostCalls.unmount(p)) {
                return;
            }
        }
    }

    /** mountinfo writes space, tab, newline and backslash as {@code \ooo}. */
    static String unescape(String field) {
        var out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, Math.min(i + 4, field.length())).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
