package dev.corral.cli.client;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;

import javax.net.ssl.SSLContext;

import dev.corral.api.tls.PemTrust;

/**
 * Which certificates an https server may present: those signed by the CA a context stores (kubectl's
 * {@code certificate-authority-data}) — that CA alone — or, without one, by a CA of the JDK's trust store. The host
 * name is always verified; nothing trusts every certificate. Only loaded for an https server, so a plain http command
 * does not pay for the TLS classes.
 */
public final class ServerTrust {

    private ServerTrust() {
    }

    /** The CA file's content, checked to hold at least one X.509 certificate, as a context stores it (base64 of the PEM). */
    public static String readCertificateAuthority(Path file) {
        byte[] pem;
        try {
            pem = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CorralClientException("cannot read the certificate authority " + file + ": " + e.getMessage(), e);
        }
        sslContext(pem, file.toString());
        return Base64.getEncoder().encodeToString(pem);
    }

    /** A TLS context trusting exactly the certificates of a context's {@code certificateAuthorityData}. */
    static SSLContext sslContext(String certificateAuthorityData) {
        byte[] pem;
        try {
            pem = Base64.getMimeDecoder().decode(certificateAuthorityData);
        } catch (IllegalArgumentException e) {
            throw new CorralClientException("the context's certificateAuthorityData is not base64: " + e.getMessage(), e);
        }
        return sslContext(pem, "the context's certificateAuthorityData");
    }

    private static SSLContext sslContext(byte[] pem, String source) {
        try {
            return PemTrust.trusting(pem);
        } catch (GeneralSecurityException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new CorralClientException("cannot use " + source + " as a certificate authority: " + why, e);
        }
    }

    /** A refused TLS handshake as the one line the user reads, or null when {@code e} is no TLS failure. */
    static CorralClientException refusal(IOException e, URI server, boolean stored) {
        return PemTrust.refusal(e).map(why -> new CorralClientException("the server at " + server + " is not trusted: " + why
                + " (checked against " + (stored ? "the context's certificate authority"
                        : "the JDK's trust store; corral login --certificate-authority FILE stores the CA that signed its certificate")
                + ")", e)).orElse(null);
    }
}
