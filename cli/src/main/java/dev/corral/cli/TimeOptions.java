package dev.corral.cli;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Time options of the CLI's verbs (`usage --from`, `audit --since`): an RFC 3339 instant or a date (its UTC midnight). */
final class TimeOptions {
    private TimeOptions() {
    }

    /** {@code text} as an RFC 3339 instant for a query, null when absent; a usage error naming {@code option} otherwise. */
    static String instant(CommandSpec spec, String option, String text) {
        if (text == null) {
            return null;
        }
        try {
            return text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant().toString()
                    : Instant.parse(text).toString();
        } catch (DateTimeParseException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    option + " must be RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01), not '" + text + "'");
        }
    }
}
