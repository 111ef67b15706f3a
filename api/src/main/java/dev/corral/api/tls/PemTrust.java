package dev.corral.api.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the control plane, its agents and the CLI share about TLS: trust in exactly the CA certificates of a PEM
 * document (never in everything), and a refused handshake said in one line.
 */
public final class PemTrust {

    private PemTrust() {
    }

    /**
     * A TLS context that trusts exactly the X.509 certificates in {@code pem}.
     *
     * @throws CertificateException when it holds none, or one that does not parse
     */
    public static SSLContext trusting(byte[] pem) throws GeneralSecurityException {
        try {
            var store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            if (i == 0) {
                throw new CertificateException("it holds no PEM certificate");
            }
            var trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            var context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            // An empty in-memory key store does not do I/O; a stream over bytes neither.
            throw new IllegalStateException(e);
        }
    }

    /**
     * Why a TLS handshake was refused (the innermost cause's message, e.g. the certificate path or host name the JDK
     * could not verify), or empty when {@code failure} is not a TLS failure.
     */
    public static Optional<String> refusal(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                Throwable root = t;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                return Optional.ofNullable(root.getMessage() != null ? root.getMessage() : t.getMessage());
            }
        }
        return Optional.empty();
    }
}
