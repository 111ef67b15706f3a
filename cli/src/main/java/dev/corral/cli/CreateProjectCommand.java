package dev.corral.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.corral.cli.client.CorralClient;
import dev.corral.cli.output.Printer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code corral create project NAME}: a project to hold workloads and images (admins only). */
@Command(name = "project", description = "Create a project (admin).",
        footer = {"", "Examples:", "  corral create project web --description \"the web team\""})
final class CreateProjectCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--description", paramLabel = "TEXT", description = "What the project is for.")
    String description;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json, yaml or name instead of the one-line summary.")
    String output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var body = CorralClient.JSON.createObjectNode();
        body.put("apiVersion", "corral/v1");
        body.put("kind", "Project");
        body.putObject("metadata").put("name", name);
        if (description != null) {
            body.putObject("spec").put("description", description);
        }
        var created = options.client().send("POST", Kinds.PROJECT.path, Map.of(), body, Map.of()).body();
        var out = spec.commandLine().getOut();
        if (output != null) {
            GetCommand.print(out, Kinds.PROJECT, List.of(created), Printer.format(output), created);
        } else {
            out.println("project/" + name + " created");
        }
        out.flush();
        return 0;
    }
}
