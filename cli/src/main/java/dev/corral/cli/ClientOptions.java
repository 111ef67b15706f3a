package dev.corral.cli;

import java.net.URI;

import dev.corral.cli.client.CorralClient;
import dev.corral.cli.client.CorralClientException;
import dev.corral.cli.config.CliConfig;
import picocli.CommandLine.Option;

/**
 * Where requests go: {@code --server}, else {@code $CORRAL_SERVER}, else the current context of the config file,
 * else the local all-in-one. The project: {@code --project}, else the context's, else {@code default}.
 */
public final class ClientOptions {

    public static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

    @Option(names = "--server", paramLabel = "URL", description = "API server URL (overrides the context).")
    URI server;

    @Option(names = {"-p", "--project"}, paramLabel = "PROJECT", description = "Project to work in (default: the context's, else default).")
    String project;

    @Option(names = "--context", paramLabel = "NAME", description = "Context of the config file to use instead of the current one.")
    String context;

    private CliConfig.Context resolvedContext;
    private boolean contextRead;

    /** The context in force, read from the config file once per command. */
    private CliConfig.Context resolved() {
        if (!contextRead) {
            resolvedContext = readContext();
            contextRead = true;
        }
        return resolvedContext;
    }

    private CliConfig.Context readContext() {
        var config = CliConfig.load(CliConfig.location());
        if (context != null) {
            var c = config.context(context);
            if (c == null) {
                throw new CorralClientException("no context named '" + context + "' in " + CliConfig.location());
            }
            return c;
        }
        return config.current();
    }

    public URI server() {
        if (server != null) {
            return server;
        }
        String env = System.getenv("CORRAL_SERVER");
        if (env != null && !env.isBlank()) {
            return URI.create(env);
        }
        var c = resolved();
        return URI.create(c != null && c.server != null ? c.server : DEFAULT_SERVER);
    }

    public String project() {
        if (project != null) {
            return project;
        }
        var c = resolved();
        return c != null && c.project != null ? c.project : "default";
    }

    public CorralClient client() {
        var c = server == null && System.getenv("CORRAL_SERVER") == null ? resolved() : null;
        return new CorralClient(server(), c == null ? null : c.token);
    }
}
