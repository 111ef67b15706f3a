package dev.corral.cli;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.cli.client.CorralClient;
import dev.corral.cli.client.CorralClientException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "apply", description = "Create or update resources from manifests (YAML or JSON; kind VM, Container, Image, InstanceType or Project).",
        footer = {"", "Examples:", "  corral apply -f vm.yaml", "  corral apply -f manifests/", "  corral get vms -o yaml | corral apply -f -"})
final class ApplyCommand implements Callable<Integer> {

    static final Set<String> KINDS = Set.of("VM", "Container", "Image", "InstanceType", "Project");

    @Mixin
    ClientOptions options;

    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE|DIR|-", description = "Manifest file, directory, or - for stdin (repeatable).")
    List<String> files;

    @Option(names = "--dry-run", description = "Say what would happen; change nothing.")
    boolean dryRun;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var manifests = Manifests.read(files, Corral.stdin(spec));
        var client = options.client();
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        int failures = 0;
        for (var m : manifests) {
            try {
                out.println(apply(client, m.object(), m.source()));
            } catch (CorralClientException e) {
                err.println("error: " + m.source() + ": " + e.getMessage());
                failures++;
            }
            out.flush();
            err.flush();
        }
        return failures == 0 ? 0 : 1;
    }

    private String apply(CorralClient client, JsonNode object, String source) {
        String apiVersion = object.path("apiVersion").asText();
        String kindName = object.path("kind").asText();
        if (!apiVersion.equals("corral/v1")) {
            throw new CorralClientException("apiVersion must be corral/v1, not '" + apiVersion + "'");
        }
        if (!KINDS.contains(kindName)) {
            throw new CorralClientException("kind must be one of VM, Container, Image, InstanceType, Project, not '" + kindName + "'");
        }
        var kind = Kinds.byName(kindName).orElseThrow();
        String name = object.path("metadata").path("name").asText(null);
        if (name == null) {
            throw new CorralClientException("metadata.name is required");
        }
        String project = object.path("metadata").path("project").asText(options.project());
        Map<String, String> query = kind.namespaced ? Map.of("project", project) : Map.of();
        var desired = desired(object);
        String display = kind.singular() + "/" + name;
        var current = client.getIfExists(kind.path + "/" + name, query);
        if (current.status() == 404) {
            if (!dryRun) {
                client.send("POST", kind.path, query, desired, Map.of());
            }
            return display + " created" + (dryRun ? " (dry run)" : "");
        }
        String currentVersion = current.body().path("metadata").path("resourceVersion").asText();
        if (dryRun) {
            boolean same = current.body().path("spec").equals(desired.path("spec"))
                    && current.body().path("metadata").path("labels").equals(desired.path("metadata").path("labels"));
            return display + (same ? " unchanged" : " configured") + " (dry run)";
        }
        // The server answers with the same resourceVersion when the spec and labels it would store are the ones
        // it has: that is "unchanged", even when the manifest leaves out defaults the server fills in.
        var answer = client.send("PUT", kind.path + "/" + name, query, desired, Map.of("If-Match", currentVersion));
        String newVersion = answer.body().path("metadata").path("resourceVersion").asText();
        return display + (newVersion.equals(currentVersion) ? " unchanged" : " configured");
    }

    /** What is sent: apiVersion, kind, metadata.name and labels, spec. Status and server-set metadata stay out. */
    private static ObjectNode desired(JsonNode object) {
        var body = CorralClient.JSON.createObjectNode();
        body.put("apiVersion", "corral/v1");
        body.put("kind", object.path("kind").asText());
        var meta = body.putObject("metadata");
        meta.put("name", object.path("metadata").path("name").asText());
        var labels = object.path("metadata").path("labels");
        meta.set("labels", labels.isObject() ? labels : CorralClient.JSON.createObjectNode());
        if (object.has("spec")) {
            body.set("spec", object.get("spec"));
        }
        return body;
    }
}
