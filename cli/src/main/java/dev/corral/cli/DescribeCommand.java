package dev.corral.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.cli.output.Printer;
import dev.corral.cli.output.Quantities;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "describe", description = "Show a resource in detail: spec, status, conditions and recent events.",
        footer = {"", "Examples:", "  corral describe vm web-1", "  corral describe node/worker-3"})
final class DescribeCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Parameters(arity = "1..2", paramLabel = "TYPE/NAME | TYPE NAME")
    List<String> args;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var ref = Ref.parseNamed(spec.commandLine(), args);
        var client = options.client();
        JsonNode o = client.get(ref.path(), ref.projectQuery(options)).body();
        var out = spec.commandLine().getOut();
        var meta = o.path("metadata");
        line(out, "Name:", meta.path("name").asText());
        if (meta.has("project")) {
            line(out, "Project:", meta.path("project").asText());
        }
        line(out, "Kind:", o.path("kind").asText());
        line(out, "UID:", meta.path("uid").asText());
        line(out, "Labels:", labels(meta.path("labels")));
        line(out, "Created:", meta.path("creationTimestamp").asText() + " (" + Quantities.age(meta.path("creationTimestamp").asText(null)) + " ago)");
        line(out, "Generation:", meta.path("generation").asText());
        line(out, "Resource Version:", meta.path("resourceVersion").asText());
        if (o.has("spec")) {
            out.println("Spec:");
            indent(out, o.path("spec"));
        }
        var status = o.path("status");
        if (status.isObject()) {
            out.println("Status:");
            var copy = status.deepCopy();
            ((com.fasterxml.jackson.databind.node.ObjectNode) copy).remove("conditions");
            indent(out, copy);
            var conditions = status.path("conditions");
            if (conditions.isArray() && !conditions.isEmpty()) {
                out.println("Conditions:");
                var rows = new ArrayList<List<String>>();
                rows.add(List.of("Type", "Status", "Reason", "Age", "Message"));
                conditions.forEach(c -> rows.add(List.of(c.path("type").asText(), c.path("status").asText(), c.path("reason").asText(),
                        Quantities.age(c.path("lastTransitionTime").asText(null)), c.path("message").asText())));
                Printer.rows(out, rows, "  ", 2);
            }
        }
        if (ref.kind() != Kinds.EVENT) {
            var query = new java.util.LinkedHashMap<String, String>();
            query.put("involvedObject", ref.kind().singular() + "/" + ref.name());
            if (ref.kind().namespaced) {
                query.put("project", options.project());
            }
            var events = new ArrayList<JsonNode>();
            GetCommand.listAll(client, Kinds.EVENT.path, query, events);
            out.println("Events:" + (events.isEmpty() ? "  <none>" : ""));
            if (!events.isEmpty()) {
                var rows = new ArrayList<List<String>>();
                rows.add(List.of("Type", "Reason", "Age", "Count", "Message"));
                for (var e : events.subList(Math.max(0, events.size() - 20), events.size())) {
                    rows.add(List.of(e.path("type").asText(), e.path("reason").asText(), Quantities.age(e.path("lastTimestamp").asText(null)),
                            e.path("count").asText(), e.path("message").asText()));
                }
                Printer.rows(out, rows, "  ", 2);
            }
        }
        out.flush();
        return 0;
    }

    private static void line(PrintWriter out, String label, String value) {
        out.printf("%-18s%s%n", label, value);
    }

    private static String labels(JsonNode labels) {
        if (!labels.isObject() || labels.isEmpty()) {
            return "<none>";
        }
        var parts = new ArrayList<String>();
        labels.properties().forEach(e -> parts.add(e.getKey() + "=" + e.getValue().asText()));
        return String.join(",", parts);
    }

    private static void indent(PrintWriter out, JsonNode node) {
        var text = new java.io.StringWriter();
        Printer.yaml(new PrintWriter(text), node);
        text.toString().lines().forEach(l -> out.println("  " + l));
    }
}
