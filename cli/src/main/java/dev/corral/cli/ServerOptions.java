package dev.corral.cli;

import java.net.URI;

import picocli.CommandLine.Option;

/** How to reach the API server: {@code --server}, else {@code CORRAL_SERVER}, else the local all-in-one. */
final class ServerOptions {

    static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

    @Option(names = "--server", paramLabel = "URL",
            description = "API server URL (default: $CORRAL_SERVER, else " + DEFAULT_SERVER + ").")
    URI server;

    URI server() {
        if (server != null) {
            return server;
        }
        String env = System.getenv("CORRAL_SERVER");
        return URI.create(env == null || env.isBlank() ? DEFAULT_SERVER : env);
    }
}
