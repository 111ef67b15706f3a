package dev.corral.controlplane.usage;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;

import dev.corral.api.UsageReport;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.store.Names;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;

/** Answers usage questions from what the meter recorded. */
@ApplicationScoped
public class UsageService {

    private final UsageStore store;

    UsageService(UsageStore store) {
        this.store = store;
    }

    /**
     * @param project one project, or null for all
     * @param from    start of the window (inclusive); default: the start of the current UTC month
     * @param to      end of the window (exclusive); default: now
     */
    public UsageReport report(String project, String from, String to, String groupBy) {
        if (project != null && !Names.validName(project)) {
            throw InvalidException.field("project", "'" + project + "' is not a project name");
        }
        Instant now = Instant.now();
        Instant start = from == null ? LocalDate.now(ZoneOffset.UTC).withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant()
                : instant("from", from);
        Instant end = to == null ? now : instant("to", to);
        if (!start.isBefore(end)) {
            throw InvalidException.field("from", "must be before to (" + start + " is not before " + end + ")");
        }
        UsageTotals.GroupBy by;
        try {
            by = UsageTotals.GroupBy.valueOf(groupBy == null ? "project" : groupBy.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw InvalidException.field("groupBy", "must be workload, project or day, not '" + groupBy + "'");
        }
        // Summed as the rows arrive, in a transaction so that the driver reads them through a cursor.
        var records = QuarkusTransaction.requiringNew().call(() -> {
            var sum = new UsageTotals.Sum(start, end, by);
            store.overlapping(project, start, end, now, sum);
            return sum.records();
        });
        return new UsageReport(UsageReport.KIND, start, end, by.name(), records);
    }

    private static Instant instant(String field, String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw InvalidException.field(field, "must be an RFC 3339 time such as 2026-11-01T00:00:00Z, not '" + text + "'");
        }
    }
}
