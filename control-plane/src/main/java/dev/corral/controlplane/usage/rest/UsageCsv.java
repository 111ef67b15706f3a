package dev.corral.controlplane.usage.rest;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import dev.corral.api.UsageRecord;
import dev.corral.api.UsageReport;

/**
 * A usage report as RFC 4180 CSV: one header line, one line per group, a {@code diskGiBSeconds} column when any group
 * in the report held disk, a {@code deviceSeconds.<class>} column for each device class in the report, flags joined
 * with {@code ;}. Columns appear only when the report has such usage, so a report without disks or devices reads as it
 * always did.
 */
final class UsageCsv {

    private UsageCsv() {
    }

    static String write(UsageReport report) {
        var classes = new TreeSet<String>();
        report.items().forEach(r -> classes.addAll(r.deviceSeconds().keySet()));
        boolean disks = report.items().stream().anyMatch(r -> r.diskGiBSeconds() != 0);
        var header = new ArrayList<>(List.of("project", "kind", "name", "uid", "day", "runningSeconds", "stoppedSeconds",
                "vcpuSeconds", "memoryGiBSeconds"));
        if (disks) {
            header.add("diskGiBSeconds");
        }
        classes.forEach(c -> header.add("deviceSeconds." + c));
        header.add("flags");
        var out = new StringBuilder();
        line(out, header);
        for (UsageRecord r : report.items()) {
            var row = new ArrayList<String>();
            row.add(r.project());
            row.add(text(r.kind()));
            row.add(text(r.name()));
            row.add(text(r.uid()));
            row.add(r.day() == null ? "" : r.day().toString());
            row.add(number(r.runningSeconds()));
            row.add(number(r.stoppedSeconds()));
            row.add(number(r.vcpuSeconds()));
            row.add(number(r.memoryGiBSeconds()));
            if (disks) {
                row.add(number(r.diskGiBSeconds()));
            }
            classes.forEach(c -> row.add(number(r.deviceSeconds().getOrDefault(c, 0.0))));
            row.add(String.join(";", r.flags()));
            line(out, row);
        }
        return out.toString();
    }

    private static String text(String s) {
        return s == null ? "" : s;
    }

    private static String number(double d) {
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    private static void line(StringBuilder out, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            String f = fields.get(i);
            if (f.indexOf(',') >= 0 || f.indexOf('"') >= 0 || f.indexOf('\n') >= 0 || f.indexOf('\r') >= 0) {
                out.append('"').append(f.replace("\"", "\"\"")).append('"');
            } else {
                out.append(f);
            }
        }
        out.append("\r\n");
    }
}
