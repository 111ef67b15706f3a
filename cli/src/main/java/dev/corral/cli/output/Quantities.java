package dev.corral.cli.output;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/** Sizes, durations and ages the way kubectl reads and writes them. */
public final class Quantities {

    private static final Pattern MEMORY = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti|K|M|G|T)?");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");

    private Quantities() {
    }

    /** {@code 512Mi}, {@code 2Gi}, {@code 1G}, or a plain number of MiB; to MiB. */
    public static long parseMemoryMiB(String text) {
        var m = MEMORY.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a memory size (examples: 512Mi, 2Gi)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "Mi" : m.group(2);
        double mib = switch (unit) {
            case "Ki" -> n / 1024.0;
            case "Mi" -> n;
            case "Gi" -> n * 1024.0;
            case "Ti" -> n * 1024.0 * 1024;
            case "K" -> n * 1000.0 / 1048576;
            case "M" -> n * 1_000_000.0 / 1048576;
            case "G" -> n * 1_000_000_000.0 / 1048576;
            case "T" -> n * 1_000_000_000_000.0 / 1048576;
            default -> throw new IllegalArgumentException(unit);
        };
        if (mib != Math.floor(mib)) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of MiB");
        }
        return (long) mib;
    }

    /** {@code 60s}, {@code 2m}, {@code 1h}, {@code 500ms}, or plain seconds. */
    public static Duration parseDuration(String text) {
        var m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (examples: 30s, 2m, 1h)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** {@code 512Mi}, {@code 2Gi}: the largest binary unit that divides evenly. */
    public static String mib(JsonNode value) {
        if (value == null || value.isMissingNode() || value.isNull()) {
            return "<none>";
        }
        long mib = value.asLong();
        if (mib != 0 && mib % (1024 * 1024) == 0) {
            return mib / (1024 * 1024) + "Ti";
        }
        if (mib != 0 && mib % 1024 == 0) {
            return mib / 1024 + "Gi";
        }
        return mib + "Mi";
    }

    /** 2 rather than 2.0; 0.5 stays 0.5. */
    public static String number(JsonNode value) {
        if (value == null || value.isMissingNode() || value.isNull()) {
            return "<none>";
        }
        double d = value.asDouble();
        return d == Math.rint(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%s", d);
    }

    /** kubectl's AGE: 45s, 12m, 5h, 3d. */
    public static String age(String timestamp) {
        if (timestamp == null) {
            return "<unknown>";
        }
        try {
            long s = Math.max(0, Duration.between(Instant.parse(timestamp), Instant.now()).toSeconds());
            if (s < 120) {
                return s + "s";
            }
            if (s < 7200) {
                return s / 60 + "m";
            }
            if (s < 172800) {
                return s / 3600 + "h";
            }
            return s / 86400 + "d";
        } catch (DateTimeParseException e) {
            return "<unknown>";
        }
    }
}
