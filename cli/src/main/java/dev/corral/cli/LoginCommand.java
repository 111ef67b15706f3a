package dev.corral.cli;

import java.util.Map;
import java.util.concurrent.Callable;

import dev.corral.cli.client.CorralClient;
import dev.corral.cli.config.CliConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Checks a token against the server and keeps both in a context of the config file, which becomes the current one. */
@Command(name = "login", description = "Check a bearer token with the server and store it in a context (made current).",
        footer = {"", "Examples:", "  corral login --token \"$(cat ~/.corral/local/admin-token)\"",
                "  corral login --server https://corral.example:8443 --token corral_... --certificate-authority ca.pem --context prod"})
final class LoginCommand implements Callable<Integer> {

    @Option(names = "--token", required = true, paramLabel = "TOKEN", description = "The bearer token (from corral create token, or the admin token file).")
    String token;

    @Option(names = "--server", paramLabel = "URL", description = "API server URL (default: the context's, else " + ClientOptions.DEFAULT_SERVER + ").")
    String server;

    @Option(names = "--context", paramLabel = "NAME", description = "The context to store it in (default: the current one, else 'default').")
    String context;

    @Option(names = "--certificate-authority", paramLabel = "FILE", description = "PEM file of the CA that signed an https server's "
            + "certificate; its content is stored in the context (default: the context's for the same server, else the JDK's trust store).")
    java.nio.file.Path certificateAuthority;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var path = CliConfig.location();
        var config = CliConfig.load(path);
        String name = context != null ? context : config.currentContext != null ? config.currentContext : "default";
        var target = config.context(name);
        String url = server != null ? server : target != null && target.server != null ? target.server : ClientOptions.DEFAULT_SERVER;
        // A CA given now replaces the context's; the context's is kept only for the same server.
        String ca = certificateAuthority != null ? dev.corral.cli.client.ServerTrust.readCertificateAuthority(certificateAuthority)
                : target != null && url.equals(target.server) ? target.certificateAuthorityData : null;
        var uri = java.net.URI.create(url);
        var who = new CorralClient(uri, token.strip(), "https".equalsIgnoreCase(uri.getScheme()) ? ca : null)
                .get("/v1/tokens/current", Map.of()).body();
        if (target == null) {
            target = new CliConfig.Context();
            target.name = name;
            config.contexts.add(target);
        }
        target.server = url;
        target.token = token.strip();
        target.certificateAuthorityData = ca;
        if (who.hasNonNull("project") && target.project == null) {
            target.project = who.path("project").asText();
        }
        config.currentContext = name;
        config.save(path);
        String grant = who.path("role").asText() + (who.hasNonNull("project") ? " of project " + who.path("project").asText() : "")
                + (who.hasNonNull("node") ? " of node " + who.path("node").asText() : "");
        spec.commandLine().getOut().println("Logged in to " + url + " as " + who.path("subject").asText() + " (" + grant + "); context "
                + name + " is current");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
