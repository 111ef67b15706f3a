package dev.corral.agent.controlplane;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Optional;

import javax.net.ssl.SSLContext;

import dev.corral.api.tls.PemTrust;

/**
 * How the agent trusts the control plane: over https, its certificate must be signed by a CA of
 * {@code corral.agent.control-plane-ca} ({@code CORRAL_AGENT_CONTROL_PLANE_CA}, a PEM file) — those alone, not the
 * JDK's trust store too — or, when none is configured, by one the JDK trusts; its host name is always checked.
 * There is no setting that trusts any certificate. Every call the agent makes (register, heartbeat, the assignments
 * watch, images and blobs) goes through a client made here.
 */
final class ControlPlaneTls {

    private ControlPlaneTls() {
    }

    /** The agent's HTTP client for the control plane. */
    static HttpClient client(Optional<Path> ca) {
        var builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        ca.ifPresent(path -> builder.sslContext(trusting(path)));
        return builder.build();
    }

    /** A TLS context that trusts exactly the certificates in a PEM file. */
    static SSLContext trusting(Path ca) {
        try {
            return PemTrust.trusting(Files.readAllBytes(ca));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read corral.agent.control-plane-ca " + ca + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()), e);
        }
    }

    /**
     * A failed TLS handshake in one line (what was refused and why, which CA it was checked against), or empty when
     * {@code e} is no TLS failure.
     */
    static Optional<String> refusal(IOException e, URI controlPlane, Optional<Path> ca) {
        return PemTrust.refusal(e).map(why -> "refusing the control plane at " + controlPlane + ": its TLS certificate does not verify against "
                + ca.map(p -> "corral.agent.control-plane-ca " + p).orElse("the JDK's trust store (set CORRAL_AGENT_CONTROL_PLANE_CA to its CA)")
                + ": " + why);
    }
}
