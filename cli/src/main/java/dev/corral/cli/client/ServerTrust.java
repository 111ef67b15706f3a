package dev.corral.cli.client;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Base64;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

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
            var store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            if (i == 0) {
                throw new CorralClientException(source + " holds no PEM certificate");
            }
            var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            var context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new CorralClientException(source + " holds no usable PEM certificate: " + why, e);
        }
    }

    /** A refused TLS handshake as the one line the user reads, or null when {@code e} is no TLS failure. */
    static CorralClientException refusal(IOException e, URI server, boolean stored) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                Throwable root = t;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                String why = root.getMessage() != null ? root.getMessage() : t.getMessage();
                return new CorralClientException("the server at " + server + " is not trusted: " + why + " (checked against "
                        + (stored ? "the context's certificate authority" : "the JDK's trust store; corral login --certificate-authority FILE stores the CA that signed its certificate")
                        + ")", e);
            }
        }
        return null;
    }
}
