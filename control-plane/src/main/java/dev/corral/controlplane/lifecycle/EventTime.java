package dev.corral.controlplane.lifecycle;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * A lifecycle event's {@code time} (RFC 3339) as an {@link Instant}, without {@link Instant#parse}'s general
 * formatter in the common case: that formatter was half of the meter's parse and most of what the JIT compiled for
 * it (bench/usage). The usual form, {@code 2026-11-01T10:00:00.250Z} or with an offset {@code +02:00}, is read here;
 * anything else goes to {@link Instant#parse}, so what is accepted, refused and returned is exactly what it does.
 */
public final class EventTime {

    private static final int MAX_NANOS_DIGITS = 9;

    private EventTime() {
    }

    public static Instant parse(String text) {
        return parse(text.toCharArray(), 0, text.length());
    }

    /** The instant in {@code text[offset, offset + length)}; throws DateTimeException when it is not one. */
    public static Instant parse(char[] text, int offset, int length) {
        Instant fast = common(text, offset, length);
        return fast != null ? fast : Instant.parse(new String(text, offset, length));
    }

    /** {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|±HH:mm)} in range, else null. */
    private static Instant common(char[] s, int o, int n) {
        int end = o + n;
        if (n < 20 || s[o + 4] != '-' || s[o + 7] != '-' || s[o + 10] != 'T' || s[o + 13] != ':' || s[o + 16] != ':') {
            return null;
        }
        int year = digits(s, o, 4);
        int month = digits(s, o + 5, 2);
        int day = digits(s, o + 8, 2);
        int hour = digits(s, o + 11, 2);
        int minute = digits(s, o + 14, 2);
        int second = digits(s, o + 17, 2);
        // Hour 24 and the leap second 60 are Instant.parse's to resolve.
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59) {
            return null;
        }
        int i = o + 19;
        int nanos = 0;
        if (s[i] == '.') {
            int start = ++i;
            while (i < end && i - start < MAX_NANOS_DIGITS && s[i] >= '0' && s[i] <= '9') {
                nanos = nanos * 10 + (s[i++] - '0');
            }
            if (i == start) {
                return null;
            }
            for (int k = i - start; k < MAX_NANOS_DIGITS; k++) {
                nanos *= 10;
            }
        }
        int offsetSeconds;
        if (i == end - 1 && s[i] == 'Z') {
            offsetSeconds = 0;
        } else if (i == end - 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
            int oh = digits(s, i + 1, 2);
            int om = digits(s, i + 4, 2);
            if (oh < 0 || oh > 17 || om < 0 || om > 59) {
                return null;
            }
            offsetSeconds = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        } else {
            return null;
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return null; // February 30th and the like: Instant.parse words the refusal
        }
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds, nanos);
    }

    /** The decimal number in {@code s[at, at + count)}, or -1 when one of them is not a digit. */
    private static int digits(char[] s, int at, int count) {
        int v = 0;
        for (int i = at; i < at + count; i++) {
            char c = s[i];
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
