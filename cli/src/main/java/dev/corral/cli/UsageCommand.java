package dev.corral.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.cli.output.Printer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code corral usage}: what workloads used, as the billing meter counted it. */
@Command(name = "usage", description = "Show usage (vCPU-seconds, memory GiB-seconds, disk GiB-seconds, device-seconds) counted from lifecycle events.",
        footer = {"", "Examples:", "  corral usage", "  corral usage --from 2026-11-01 --to 2026-12-01 --group-by day",
                "  corral usage --all-projects --group-by workload -o csv > usage.csv"})
final class UsageCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Option(names = "--from", paramLabel = "TIME", description = "Start, inclusive: RFC 3339 or YYYY-MM-DD (UTC midnight). Default: the start of this month.")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "End, exclusive: RFC 3339 or YYYY-MM-DD (UTC midnight). Default: now.")
    String to;

    @Option(names = "--group-by", paramLabel = "BY", description = "workload, project (default) or day.")
    String groupBy;

    @Option(names = {"-A", "--all-projects"}, description = "Every project, not just the current one.")
    boolean allProjects;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default), json, yaml or csv.")
    String output = "table";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var query = new LinkedHashMap<String, String>();
        query.put("project", allProjects ? null : options.project());
        query.put("from", TimeOptions.instant(spec, "--from", from));
        query.put("to", TimeOptions.instant(spec, "--to", to));
        query.put("groupBy", groupBy);
        var out = spec.commandLine().getOut();
        var client = options.client();
        switch (output) {
            case "csv" -> out.print(client.getText("/v1/usage", query, "text/csv"));
            case "json" -> Printer.json(out, client.get("/v1/usage", query).body());
            case "yaml" -> Printer.yaml(out, client.get("/v1/usage", query).body());
            case "table" -> table(out, client.get("/v1/usage", query).body());
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "unknown output format '" + output + "' (use table, json, yaml or csv)");
        }
        out.flush();
        return 0;
    }

    private static void table(java.io.PrintWriter out, JsonNode report) {
        String by = report.path("groupBy").asText();
        var header = new ArrayList<String>(List.of("PROJECT"));
        if (by.equals("workload")) {
            header.add("WORKLOAD");
        } else if (by.equals("day")) {
            header.add("DAY");
        }
        boolean disks = false;
        for (var item : report.path("items")) {
            disks |= item.path("diskGiBSeconds").asDouble() != 0;
        }
        header.addAll(List.of("RUNNING", "STOPPED", "VCPU-SECONDS", "GIB-SECONDS"));
        if (disks) {
            // Shown only when some workload held disk, so tables of diskless usage stay as they were.
            header.add("DISK-GIB-SECONDS");
        }
        header.addAll(List.of("DEVICE-SECONDS", "FLAGS"));
        var rows = new ArrayList<List<String>>();
        rows.add(header);
        for (var item : report.path("items")) {
            var row = new ArrayList<String>(List.of(item.path("project").asText()));
            if (by.equals("workload")) {
                row.add(item.path("kind").asText().toLowerCase(java.util.Locale.ROOT) + "/" + item.path("name").asText());
            } else if (by.equals("day")) {
                row.add(item.path("day").asText());
            }
            row.add(duration(item.path("runningSeconds").asDouble()));
            row.add(duration(item.path("stoppedSeconds").asDouble()));
            row.add(number(item.path("vcpuSeconds").asDouble()));
            row.add(number(item.path("memoryGiBSeconds").asDouble()));
            if (disks) {
                row.add(number(item.path("diskGiBSeconds").asDouble()));
            }
            var devices = new ArrayList<String>();
            for (Map.Entry<String, JsonNode> d : item.path("deviceSeconds").properties()) {
                devices.add(d.getKey() + "=" + number(d.getValue().asDouble()));
            }
            row.add(devices.isEmpty() ? "<none>" : String.join(",", devices));
            var flags = new ArrayList<String>();
            item.path("flags").forEach(f -> flags.add(f.asText()));
            row.add(flags.isEmpty() ? "<none>" : String.join(",", flags));
            rows.add(row);
        }
        if (rows.size() == 1) {
            out.println("No usage in " + report.path("from").asText() + " .. " + report.path("to").asText() + ".");
            return;
        }
        Printer.rows(out, rows, "", 3);
    }

    /** 7260.5 -> 2h1m0s (whole seconds, as kubectl prints ages). */
    private static String duration(double seconds) {
        var d = Duration.ofSeconds(Math.round(seconds));
        if (d.isZero()) {
            return "0s";
        }
        return (d.toHours() > 0 ? d.toHours() + "h" : "") + (d.toHours() > 0 || d.toMinutesPart() > 0 ? d.toMinutesPart() + "m" : "")
                + d.toSecondsPart() + "s";
    }

    private static String number(double d) {
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
