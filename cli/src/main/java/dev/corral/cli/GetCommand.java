package dev.corral.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.corral.cli.client.CorralClient;
import dev.corral.cli.output.Printer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "get", description = "Show one or many resources.",
        footer = {"", "Examples:", "  corral get vms", "  corral get vm web-1 -o yaml", "  corral get vms -l env=prod,tier!=db -o wide",
                "  corral get nodes -w", "  corral get events --for vm/web-1", "  corral get vms -A -o name", "  corral get quota -p web"})
final class GetCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Parameters(arity = "1..2", paramLabel = "TYPE[/NAME] [NAME]", description = "vms, containers, nodes, images, instancetypes, events, projects, tokens, quota (the project's)")
    List<String> args;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "wide, json, yaml or name (default: a table).")
    String output;

    @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR", description = "Label selector, e.g. env=prod,tier!=db.")
    String selector;

    @Option(names = {"-w", "--watch"}, description = "After listing, stream changes until interrupted.")
    boolean watch;

    @Option(names = {"-A", "--all-projects"}, description = "List across all projects.")
    boolean allProjects;

    @Option(names = "--for", paramLabel = "TYPE/NAME", description = "Events: only those about this object.")
    String forObject;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (List.of("quota", "quotas").contains(args.getFirst())) {
            if (args.size() > 1 || watch || selector != null || allProjects || forObject != null
                    || (output != null && !List.of("json", "yaml").contains(output))) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "'get quota' takes only -p PROJECT and -o json|yaml: a project has one quota.");
            }
            QuotaCommands.get(options.client(), options.project(), output, spec.commandLine().getOut());
            return 0;
        }
        var ref = Ref.parse(spec.commandLine(), args);
        var format = Printer.format(output);
        var out = spec.commandLine().getOut();
        var client = options.client();
        if (ref.name() != null && !watch) {
            var object = client.get(ref.path(), ref.projectQuery(options)).body();
            print(out, ref.kind(), List.of(object), format, object);
            return 0;
        }
        var query = new LinkedHashMap<String, String>();
        if (ref.kind().namespaced) {
            if (allProjects && ref.kind() != Kinds.EVENT) {
                query.put("allProjects", "true");
            } else {
                query.put("project", options.project());
            }
        }
        if (selector != null) {
            query.put("labelSelector", selector);
        }
        if (forObject != null) {
            query.put("involvedObject", forObject);
        }
        var items = new ArrayList<JsonNode>();
        String resourceVersion = listAll(client, ref.kind().path, query, items);
        if (ref.name() != null) {
            items.removeIf(o -> !ref.name().equals(o.path("metadata").path("name").asText()));
        }
        var list = CorralClient.JSON.createObjectNode();
        list.put("apiVersion", "corral/v1");
        list.put("kind", ref.kind().kind + "List");
        ArrayNode array = list.putArray("items");
        items.forEach(array::add);
        if (items.isEmpty() && (format == Printer.Format.table || format == Printer.Format.wide) && !watch) {
            spec.commandLine().getErr().println("No " + ref.kind().plural + " found" + (query.containsKey("project")
                    ? " in project " + query.get("project") : "") + ".");
            spec.commandLine().getErr().flush();
            return 0;
        }
        print(out, ref.kind(), items, format, list);
        if (watch) {
            if (ref.kind() == Kinds.EVENT) {
                throw new IllegalArgumentException("events cannot be watched yet; poll 'corral get events'");
            }
            if (ref.kind() == Kinds.TOKEN) {
                throw new IllegalArgumentException("tokens cannot be watched; list them with 'corral get tokens'");
            }
            follow(client, ref, query, resourceVersion, format, out);
        }
        return 0;
    }

    /** Reads every page; returns the resourceVersion of the first. */
    static String listAll(CorralClient client, String path, Map<String, String> query, List<JsonNode> items) {
        String cont = null;
        String resourceVersion = null;
        do {
            var q = new LinkedHashMap<>(query);
            q.put("limit", "500");
            if (cont != null) {
                q.put("continue", cont);
            }
            JsonNode page = client.get(path, q).body();
            page.path("items").forEach(items::add);
            if (resourceVersion == null) {
                resourceVersion = page.path("metadata").path("resourceVersion").asText(null);
            }
            cont = page.path("metadata").path("continue").asText(null);
        } while (cont != null);
        return resourceVersion;
    }

    private void follow(CorralClient client, Ref ref, Map<String, String> query, String from, Printer.Format format, PrintWriter out) {
        String[] last = {from};
        while (!Thread.currentThread().isInterrupted()) {
            var q = new LinkedHashMap<>(query);
            if (last[0] != null) {
                q.put("resourceVersion", last[0]);
            }
            client.watch(ref.kind().path, q, event -> {
                JsonNode object = event.path("object");
                last[0] = object.path("metadata").path("resourceVersion").asText(last[0]);
                if (ref.name() == null || ref.name().equals(object.path("metadata").path("name").asText())) {
                    if (format == Printer.Format.table || format == Printer.Format.wide) {
                        var shown = object.deepCopy();
                        if ("DELETED".equals(event.path("type").asText()) && shown.path("status").isObject()) {
                            ((com.fasterxml.jackson.databind.node.ObjectNode) shown.path("status")).put("phase", "Deleted");
                        }
                        Printer.table(out, ref.kind().columns(format == Printer.Format.wide), List.of(shown), false);
                    } else {
                        print(out, ref.kind(), List.of(object), format, event);
                    }
                }
                return true;
            });
        }
    }

    static void print(PrintWriter out, Kinds kind, List<JsonNode> items, Printer.Format format, JsonNode whole) {
        switch (format) {
            case table, wide -> Printer.table(out, kind.columns(format == Printer.Format.wide), items, true);
            case json -> Printer.json(out, whole);
            case yaml -> Printer.yaml(out, whole);
            case name -> {
                items.forEach(i -> out.println(Printer.name(kind.singular(), i)));
                out.flush();
            }
        }
    }
}
