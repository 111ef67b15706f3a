package dev.corral.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.corral.cli.client.CorralClientException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "delete", description = "Delete resources by name or by the manifests that describe them.",
        footer = {"", "Examples:", "  corral delete vm/web-1", "  corral delete vm web-1", "  corral delete -f vm.yaml"})
final class DeleteCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Parameters(arity = "0..2", paramLabel = "TYPE/NAME | TYPE NAME")
    List<String> args;

    @Option(names = {"-f", "--filename"}, paramLabel = "FILE|DIR|-", description = "Delete what these manifests describe.")
    List<String> files;

    @Option(names = "--dry-run", description = "Say what would be deleted; change nothing.")
    boolean dryRun;

    @Option(names = "--ignore-not-found", description = "Treat a missing resource as deleted.")
    boolean ignoreNotFound;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var targets = new ArrayList<String[]>();
        if (files != null) {
            for (var m : Manifests.read(files, Corral.stdin(spec))) {
                var kind = Kinds.byName(m.object().path("kind").asText())
                        .orElseThrow(() -> new CorralClientException(m.source() + ": unknown kind '" + m.object().path("kind").asText() + "'"));
                targets.add(new String[] {kind.name(), m.object().path("metadata").path("name").asText(),
                        m.object().path("metadata").path("project").asText(options.project())});
            }
        } else if (args != null && !args.isEmpty()) {
            var ref = Ref.parseNamed(spec.commandLine(), args);
            targets.add(new String[] {ref.kind().name(), ref.name(), options.project()});
        } else {
            throw new CommandLine.ParameterException(spec.commandLine(), "Name what to delete (TYPE/NAME) or give -f FILE.");
        }
        var client = options.client();
        var out = spec.commandLine().getOut();
        for (String[] t : targets) {
            var kind = Kinds.valueOf(t[0]);
            Map<String, String> query = kind.namespaced ? Map.of("project", t[2]) : Map.of();
            String display = kind.singular() + "/" + t[1];
            if (dryRun) {
                client.get(kind.path + "/" + t[1], query);
                out.println(display + " deleted (dry run)");
                continue;
            }
            try {
                client.send("DELETE", kind.path + "/" + t[1], query, null, Map.of());
                out.println(display + (kind == Kinds.TOKEN ? " revoked" : " deleted"));
            } catch (dev.corral.cli.client.CorralClient.ApiException e) {
                if (!(ignoreNotFound && e.problem().status() == 404)) {
                    throw e;
                }
            }
        }
        out.flush();
        return 0;
    }
}
