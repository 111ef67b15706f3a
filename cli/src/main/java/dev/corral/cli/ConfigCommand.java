package dev.corral.cli;

import java.util.concurrent.Callable;

import dev.corral.cli.client.CorralClientException;
import dev.corral.cli.config.CliConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "config", description = "Manage contexts in ~/.corral/config (or $CORRAL_CONFIG).",
        subcommands = {ConfigCommand.SetContext.class, ConfigCommand.UseContext.class, ConfigCommand.GetContexts.class,
                ConfigCommand.CurrentContext.class},
        footer = {"", "Examples:", "  corral config set-context prod --server https://corral.example.com --project web",
                "  corral config use-context prod", "  corral config get-contexts"})
final class ConfigCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Say what to do: set-context, use-context, get-contexts or current-context.");
    }

    @Command(name = "set-context", description = "Create or change a context; the first one becomes current.")
    static final class SetContext implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--server", paramLabel = "URL")
        String server;

        @Option(names = {"-p", "--project"}, paramLabel = "PROJECT")
        String project;

        @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token sent with every request.")
        String token;

        @Option(names = "--certificate-authority", paramLabel = "FILE",
                description = "PEM file of the CA an https server's certificate must be signed by; its content is stored.")
        java.nio.file.Path certificateAuthority;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var path = CliConfig.location();
            var config = CliConfig.load(path);
            var context = config.context(name);
            boolean created = context == null;
            if (created) {
                context = new CliConfig.Context();
                context.name = name;
                config.contexts.add(context);
            }
            if (server != null) {
                context.server = server;
            }
            if (project != null) {
                context.project = project;
            }
            if (token != null) {
                context.token = token;
            }
            if (certificateAuthority != null) {
                context.certificateAuthorityData = dev.corral.cli.client.ServerTrust.readCertificateAuthority(certificateAuthority);
            }
            if (config.currentContext == null) {
                config.currentContext = name;
            }
            config.save(path);
            spec.commandLine().getOut().println("context/" + name + (created ? " created" : " configured"));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "use-context", description = "Make a context the current one.")
    static final class UseContext implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var path = CliConfig.location();
            var config = CliConfig.load(path);
            if (config.context(name) == null) {
                throw new CorralClientException("no context named '" + name + "' in " + path);
            }
            config.currentContext = name;
            config.save(path);
            spec.commandLine().getOut().println("Switched to context \"" + name + "\".");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "get-contexts", description = "List the contexts; * marks the current one.")
    static final class GetContexts implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var config = CliConfig.load(CliConfig.location());
            var out = spec.commandLine().getOut();
            out.printf("%-9s%-20s%-40s%s%n", "CURRENT", "NAME", "SERVER", "PROJECT");
            for (var c : config.contexts) {
                out.printf("%-9s%-20s%-40s%s%n", c.name.equals(config.currentContext) ? "*" : "", c.name,
                        c.server == null ? "" : c.server, c.project == null ? "default" : c.project);
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "current-context", description = "Print the current context's name.")
    static final class CurrentContext implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var config = CliConfig.load(CliConfig.location());
            if (config.currentContext == null) {
                throw new CorralClientException("no current context; set one with 'corral config set-context NAME --server URL'");
            }
            spec.commandLine().getOut().println(config.currentContext);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
