package dev.corral.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.cli.output.Printer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code corral audit}: the audit log, every mutating request with who sent it and what it got (admins only). */
@Command(name = "audit", description = "Show the audit log: every mutating request, who sent it, the object and the outcome (admin).",
        footer = {"", "Examples:", "  corral audit", "  corral audit --since 2026-11-01 --until 2026-11-02",
                "  corral audit --since 2026-11-01T12:00:00Z -o json"})
final class AuditCommand implements Callable<Integer> {

    /** The page size asked of the server; every page is read. */
    private static final int PAGE = 500;

    @Mixin
    ClientOptions options;

    @Option(names = "--since", paramLabel = "TIME", description = "From, inclusive: RFC 3339 or YYYY-MM-DD (UTC midnight).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "To, exclusive: RFC 3339 or YYYY-MM-DD (UTC midnight).")
    String until;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table (default), json or yaml.")
    String output = "table";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!List.of("table", "json", "yaml").contains(output)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown output format '" + output + "' (use table, json or yaml)");
        }
        var query = new LinkedHashMap<String, String>();
        query.put("since", TimeOptions.instant(spec, "--since", since));
        query.put("until", TimeOptions.instant(spec, "--until", until));
        query.put("limit", Integer.toString(PAGE));
        var client = options.client();
        var items = new ArrayList<JsonNode>();
        String next = null;
        do {
            query.put("continue", next);
            JsonNode page = client.get("/v1/audit", query).body();
            page.path("items").forEach(items::add);
            next = page.path("metadata").path("continue").asText(null);
        } while (next != null);
        var out = spec.commandLine().getOut();
        switch (output) {
            case "json", "yaml" -> {
                ObjectNode list = JsonNodeFactory.instance.objectNode().put("apiVersion", "corral/v1").put("kind", "AuditRecordList");
                list.putArray("items").addAll(items);
                if (output.equals("json")) {
                    Printer.json(out, list);
                } else {
                    Printer.yaml(out, list);
                }
            }
            default -> table(out, items);
        }
        out.flush();
        return 0;
    }

    static void table(java.io.PrintWriter out, List<JsonNode> items) {
        if (items.isEmpty()) {
            out.println("No audit records.");
            return;
        }
        var rows = new ArrayList<List<String>>();
        rows.add(List.of("TIME", "WHO", "METHOD", "PATH", "OBJECT", "STATUS", "REQUEST-ID"));
        for (JsonNode r : items) {
            rows.add(List.of(r.path("time").asText(), who(r.path("identity")), r.path("method").asText(), r.path("path").asText(),
                    object(r.path("object")), r.path("status").asText(), r.path("requestId").asText()));
        }
        Printer.rows(out, rows, "", 3);
    }

    /** {@code alice (viewer of web)}, {@code n1 (node)}, {@code bootstrap-admin (admin)}, {@code <anonymous>}. */
    static String who(JsonNode identity) {
        if (identity.isMissingNode() || identity.isNull()) {
            return "<anonymous>";
        }
        String role = identity.path("role").asText();
        String project = identity.path("project").asText(null);
        return identity.path("subject").asText() + " (" + role + (project != null ? " of " + project : "") + ")";
    }

    /** {@code vm/web-1 (project web)}, {@code node/n1}, {@code vm (project web)} for a refused create, {@code <none>}. */
    static String object(JsonNode object) {
        if (object.isMissingNode() || object.isNull()) {
            return "<none>";
        }
        String kind = object.path("kind").asText().toLowerCase(java.util.Locale.ROOT);
        String name = object.has("name") ? kind + "/" + object.path("name").asText() : kind; // a create that made nothing
        String project = object.path("project").asText(null);
        return project == null ? name : name + " (project " + project + ")";
    }
}
