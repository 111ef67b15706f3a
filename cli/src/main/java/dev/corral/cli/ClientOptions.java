package dev.corral.cli;

import java.net.URI;

import dev.corral.cli.client.CorralClient;
import dev.corral.cli.client.CorralClientException;
import dev.corral.cli.config.CliConfig;
import picocli.CommandLine.Option;

/**
 * Where requests go: {@code --server}, else {@code $CORRAL_SERVER}, else the current context of the config file,
 * else the local all-in-one. The project: {@code --project}, else the context's, else {@code default}. The token:
 * {@code --token}, else {@code $CORRAL_TOKEN}, else the context's (for the context's server only). The CA an https
 * server is checked against: {@code --certificate-authority}, else the context's (for its server only), else the JDK's.
 */
public final class ClientOptions {

    public static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

    @Option(names = "--server", paramLabel = "URL", description = "API server URL (overrides the context).")
    URI server;

    @Option(names = {"-p", "--project"}, paramLabel = "PROJECT", description = "Project to work in (default: the context's, else default).")
    String project;

    @Option(names = "--context", paramLabel = "NAME", description = "Context of the config file to use instead of the current one.")
    String context;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token (overrides $CORRAL_TOKEN and the context's).")
    String token;

    @Option(names = "--certificate-authority", paramLabel = "FILE",
            description = "PEM file of the CA an https server's certificate must be signed by (overrides the context's).")
    java.nio.file.Path certificateAuthority;

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

    /**
     * The bearer token: {@code --token}, else {@code $CORRAL_TOKEN}, else the context's when the server in use is the
     * context's (a token is never sent to a server it was not stored for).
     */
    public String token() {
        if (token != null) {
            return token;
        }
        String env = System.getenv("CORRAL_TOKEN");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        var c = resolved();
        return c != null && c.token != null && isContextServer(c) ? c.token : null;
    }

    /**
     * The CA (base64 of its PEM) an https server must present a certificate of: {@code --certificate-authority}, else
     * the context's when the server in use is the context's; null: the JDK's trust store. Read only for https.
     */
    public String certificateAuthorityData() {
        if (!"https".equalsIgnoreCase(server().getScheme())) {
            return null;
        }
        if (certificateAuthority != null) {
            return dev.corral.cli.client.ServerTrust.readCertificateAuthority(certificateAuthority);
        }
        var c = resolved();
        return c != null && c.certificateAuthorityData != null && isContextServer(c) ? c.certificateAuthorityData : null;
    }

    private boolean isContextServer(CliConfig.Context c) {
        String contextServer = c.server != null ? c.server : DEFAULT_SERVER;
        return trimmed(contextServer).equals(trimmed(server().toString()));
    }

    private static String trimmed(String url) {
        return url.replaceAll("/+$", "");
    }

    public CorralClient client() {
        return new CorralClient(server(), token(), certificateAuthorityData());
    }
}
