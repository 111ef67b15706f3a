package dev.corral.controlplane.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Optional;

import javax.net.ssl.SSLContext;

import dev.corral.api.tls.PemTrust;
import io.vertx.core.net.PemTrustOptions;

/**
 * What the control plane trusts when it reaches an agent over https (consoles, attach, exec): the CA certificates
 * in {@code corral.console.agent-ca} ({@code CORRAL_TLS_AGENT_CA}) alone, or the JDK's trust store when none is
 * configured. Host names are always verified; there is no way to trust everything.
 */
final class AgentTrust {

    private AgentTrust() {
    }

    /** The TLS context for the JDK's HTTP client. */
    static SSLContext sslContext(Optional<Path> ca) {
        if (ca.isEmpty()) {
            try {
                return SSLContext.getDefault();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK has no default TLS context: " + e.getMessage(), e);
            }
        }
        try {
            return PemTrust.trusting(Files.readAllBytes(ca.get()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the agents' CA (corral.console.agent-ca) " + ca.get() + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()), e);
        }
    }

    /** The same trust for Vert.x' WebSocket client; empty: the JDK's trust store. */
    static Optional<PemTrustOptions> vertx(Optional<Path> ca) {
        return ca.map(path -> new PemTrustOptions().addCertPath(path.toString()));
    }

    /** A failed handshake in one sentence: the agent's certificate is not one this control plane trusts. */
    static Optional<String> refusal(Throwable e) {
        return PemTrust.refusal(e).map(why -> "its TLS certificate is not trusted (corral.console.agent-ca, CORRAL_TLS_AGENT_CA, names "
                + "the CA that signs the agents' certificates): " + why);
    }
}
