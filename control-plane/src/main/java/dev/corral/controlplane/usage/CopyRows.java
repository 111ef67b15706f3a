package dev.corral.controlplane.usage;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;

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

    /**
     * A timestamptz, in UTC: {@code 2026-11-01 10:00:00.25+00} (PostgreSQL rounds nanoseconds to microseconds).
     * Written by hand: {@link Instant#toString}'s formatter was most of what writing an interval cost.
     */
    CopyRows time(Instant value) {
        separate();
        long seconds = value.getEpochSecond();
        var day = LocalDate.ofEpochDay(Math.floorDiv(seconds, 86_400));
        if (day.getYear() < 1 || day.getYear() > 9999) {
            text.append(value);
            return this;
        }
        int second = (int) Math.floorMod(seconds, 86_400);
        pad(day.getYear(), 4).append('-');
        pad(day.getMonthValue(), 2).append('-');
        pad(day.getDayOfMonth(), 2).append(' ');
        pad(second / 3600, 2).append(':');
        pad(second / 60 % 60, 2).append(':');
        pad(second % 60, 2);
        if (value.getNano() != 0) {
            text.append('.');
            pad(value.getNano(), 9);
        }
        text.append("+00");
        return this;
    }

    private StringBuilder pad(int value, int width) {
        for (int limit = 10, i = 1; i < width; i++, limit *= 10) {
            if (value < limit) {
                text.append('0');
            }
        }
        return text.append(value);
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
