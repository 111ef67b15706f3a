package dev.corral.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "version",
        description = "Print the client and server versions.",
        footer = {"", "Examples:", "  corral version", "  corral version --client"})
final class VersionCommand implements Runnable {

    @Mixin
    ClientOptions options;

    @Option(names = "--client", description = "Print only the client version; do not contact the server.")
    boolean clientOnly;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        var out = spec.commandLine().getOut();
        out.println("Client Version: " + ClientVersion.get());
        if (!clientOnly) {
            var version = options.client().version();
            out.println("Server Version: " + version.version() + " (" + version.apiVersion() + ")");
        }
        out.flush();
    }
}
