package dev.corral.agent.controlplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;

import dev.corral.agent.config.AgentConfig;

/**
 * The node's credential towards the control plane: a bearer token with role {@code node} for this node only, from
 * {@code corral.agent.token-file} or {@code corral.agent.token}. With it the control plane lets the agent register and
 * heartbeat its own node and read its own assignments and the images and blobs they use, and nothing else.
 */
final class NodeToken {

    private NodeToken() {
    }

    /** The configured token, or null when there is none. */
    static String read(AgentConfig config) {
        if (config.tokenFile().isPresent()) {
            var file = config.tokenFile().get();
            try {
                String token = Files.readAllLines(file).stream().findFirst().orElse("").strip();
                if (token.isEmpty()) {
                    throw new IllegalStateException("corral.agent.token-file " + file + " is empty: it must hold the node's token");
                }
                return token;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read corral.agent.token-file " + file + ": " + e.getMessage(), e);
            }
        }
        return config.token().map(String::strip).filter(t -> !t.isEmpty()).orElse(null);
    }

    static HttpRequest.Builder authorize(HttpRequest.Builder request, String token) {
        return token == null ? request : request.header("Authorization", "Bearer " + token);
    }
}
