package dev.corral.api;

import java.time.Instant;
import java.util.List;

/**
 * Usage in the window {@code [from, to)}, grouped by {@code workload}, {@code project} or {@code day}. A workload
 * still running counts up to the time of the report when {@code to} is later.
 */
public record UsageReport(String kind, Instant from, Instant to, String groupBy, List<UsageRecord> items) {

    public static final String KIND = "UsageReport";
}
