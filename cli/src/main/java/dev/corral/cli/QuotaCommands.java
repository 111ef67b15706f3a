package dev.corral.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.cli.client.CorralClient;
import dev.corral.cli.output.Printer;
import dev.corral.cli.output.Quantities;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** A project's quota: {@code corral get quota} shows it with what is in use, {@code corral set quota} changes it (admin). */
final class QuotaCommands {

    private static final Pattern DEVICE = Pattern.compile("([a-z][-a-z0-9]{0,31})=(\\d+|none)");

    private QuotaCommands() {
    }

    static String path(String project) {
        return Kinds.PROJECT.path + "/" + project + "/quota";
    }

    /** {@code corral get quota}: the quota of the project of the command line (-p, else the context's, else default). */
    static void get(CorralClient client, String project, String output, PrintWriter out) {
        var quota = client.get(path(project), Map.of()).body();
        print(out, quota, output);
    }

    static void print(PrintWriter out, JsonNode quota, String output) {
        switch (output == null ? "table" : output) {
            case "json" -> Printer.json(out, quota);
            case "yaml" -> Printer.yaml(out, quota);
            case "table" -> table(out, quota);
            default -> throw new IllegalArgumentException("unknown output format '" + output + "' for a quota (use json or yaml)");
        }
        out.flush();
    }

    /** One row per quantity: what is in use and the limit ({@code <none>}: unlimited), devices by class after the rest. */
    static void table(PrintWriter out, JsonNode quota) {
        JsonNode limits = quota.path("limits");
        JsonNode used = quota.path("used");
        var rows = new ArrayList<List<String>>();
        rows.add(List.of("RESOURCE", "USED", "LIMIT"));
        rows.add(List.of("vcpus", Quantities.number(used.path("vcpus")), Quantities.number(limits.path("vcpus"))));
        rows.add(List.of("memory", Quantities.mib(used.path("memoryMiB")), Quantities.mib(limits.path("memoryMiB"))));
        rows.add(List.of("instances", Quantities.number(used.path("instances")), Quantities.number(limits.path("instances"))));
        var classes = new java.util.TreeSet<String>();
        used.path("devices").fieldNames().forEachRemaining(classes::add);
        limits.path("devices").fieldNames().forEachRemaining(classes::add);
        for (String c : classes) {
            rows.add(List.of("devices/" + c, Quantities.number(used.path("devices").path(c).isMissingNode()
                    ? CorralClient.JSON.getNodeFactory().numberNode(0) : used.path("devices").path(c)), Quantities.number(limits.path("devices").path(c))));
        }
        Printer.rows(out, rows, "", 3);
    }

    @Command(name = "set", description = "Change settings of a resource: set quota.", subcommands = SetQuota.class)
    static final class Set implements Runnable {

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "Name what to set: quota.");
        }
    }

    @Command(name = "quota", description = "Set a project's limits (admin); limits not named stay as they are.",
            footer = {"", "Examples:", "  corral set quota -p web --vcpus 10 --memory 16Gi --instances 5 --device gpu=1",
                    "  corral set quota -p web --vcpus none          (no vCPU limit)",
                    "  corral set quota -p web --clear               (no limits at all)",
                    "", "A limit below what is in use is allowed: what exists stays, new creates are refused."})
    static final class SetQuota implements Callable<Integer> {

        @Mixin
        ClientOptions options;

        @Option(names = "--vcpus", paramLabel = "N|none", description = "vCPUs of all VMs and containers together.")
        String vcpus;

        @Option(names = "--memory", paramLabel = "SIZE|none", description = "Their memory together, e.g. 16Gi or 512Mi.")
        String memory;

        @Option(names = "--instances", paramLabel = "N|none", description = "How many VMs and containers.")
        String instances;

        @Option(names = "--device", paramLabel = "CLASS=N|none", description = "Devices of a class, e.g. gpu=2 (repeatable).")
        List<String> devices = new ArrayList<>();

        @Option(names = "--clear", description = "Start from no limits: only the limits given here remain.")
        boolean clear;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml instead of the one-line summary.")
        String output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var cli = spec.commandLine();
            if (vcpus == null && memory == null && instances == null && devices.isEmpty() && !clear) {
                throw new CommandLine.ParameterException(cli, "Give at least one of --vcpus, --memory, --instances, --device or --clear.");
            }
            // Every flag is checked before the server is asked anything; null in a map means "no limit".
            var changes = new java.util.LinkedHashMap<String, Object>();
            if (vcpus != null) {
                changes.put("vcpus", count(cli, "--vcpus", vcpus));
            }
            if (instances != null) {
                changes.put("instances", count(cli, "--instances", instances));
            }
            if (memory != null) {
                try {
                    changes.put("memoryMiB", memory.equals("none") ? null : Quantities.parseMemoryMiB(memory));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(cli, "--memory " + e.getMessage());
                }
            }
            var deviceChanges = new java.util.LinkedHashMap<String, Integer>();
            for (String d : devices) {
                var m = DEVICE.matcher(d);
                if (!m.matches()) {
                    throw new CommandLine.ParameterException(cli, "--device " + d + ": expected CLASS=N or CLASS=none, e.g. gpu=2");
                }
                deviceChanges.put(m.group(1), count(cli, "--device " + m.group(1), m.group(2)));
            }
            String project = options.project();
            var client = options.client();
            ObjectNode limits = clear ? CorralClient.JSON.createObjectNode()
                    : (ObjectNode) client.get(path(project), Map.of()).body().path("limits").deepCopy();
            changes.forEach((field, value) -> {
                if (value == null) {
                    limits.remove(field);
                } else {
                    limits.put(field, ((Number) value).longValue());
                }
            });
            var classes = new TreeMap<String, Integer>();
            limits.path("devices").properties().forEach(e -> classes.put(e.getKey(), e.getValue().asInt()));
            deviceChanges.forEach((c, n) -> {
                if (n == null) {
                    classes.remove(c);
                } else {
                    classes.put(c, n);
                }
            });
            limits.remove("devices");
            if (!classes.isEmpty()) {
                var node = limits.putObject("devices");
                classes.forEach(node::put);
            }
            var quota = client.send("PUT", path(project), Map.of(), limits, Map.of()).body();
            var out = cli.getOut();
            if (output != null) {
                print(out, quota, output);
            } else {
                out.println("quota/" + project + " set");
                out.flush();
            }
            return 0;
        }

        /** A whole number of at least 0, or null for {@code none}. */
        private static Integer count(CommandLine cli, String option, String value) {
            return value.equals("none") ? null : parse(cli, option, value);
        }

        private static int parse(CommandLine cli, String option, String value) {
            try {
                int n = Integer.parseInt(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException notAnInteger) {
                // below
            }
            throw new CommandLine.ParameterException(cli, option + " " + value + ": expected a whole number of at least 0, or none");
        }
    }
}
