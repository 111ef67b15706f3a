package dev.corral.controlplane.usage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Rows for PostgreSQL's {@code COPY ... FROM STDIN} in its text format: columns separated by tabs, rows ended by a
 * newline, {@code \N} for NULL, and a backslash, tab, newline or carriage return inside a value escaped with a
 * backslash (PostgreSQL's documentation, COPY, "Text Format").
 */
final class CopyRows {

    private final StringBuilder text;
    private boolean first = true;

    CopyRows(int capacity) {
        text = new StringBuilder(capacity);
    }

    /** A text (or jsonb) value; null is NULL. */
    CopyRows text(String value) {
        separate();
        if (value == null) {
            text.append("\\N");
            return this;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> text.append("\\\\");
                case '\t' -> text.append("\\t");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                default -> text.append(c);
            }
        }
        return this;
    }

    /** A timestamptz, in UTC (ISO 8601, which PostgreSQL reads exactly; it rounds nanoseconds to microseconds). */
    CopyRows time(Instant value) {
        separate();
        text.append(value);
        return this;
    }

    CopyRows number(long value) {
        separate();
        text.append(value);
        return this;
    }

    /** A float8: Java's shortest decimal that reads back as the same double, as PostgreSQL reads it. */
    CopyRows number(double value) {
        separate();
        text.append(value);
        return this;
    }

    /** Ends the row. */
    CopyRows end() {
        text.append('\n');
        first = true;
        return this;
    }

    byte[] bytes() {
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void separate() {
        if (!first) {
            text.append('\t');
        }
        first = false;
    }
}
