package dev.corral.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority and the server certificates it signs, as PEM files: for the local cloud
 * ({@code CORRAL_TLS=1 deploy/local/run.sh}) and for tests that run the API, the agents and the CLI over real TLS.
 * Made with the JDK's own {@code keytool} (next to the running {@code java}), so nothing beyond the JDK is needed;
 * RSA 2048 keys, which every TLS stack reads (PKCS#8 PEM). Not for production: the CA's key sits beside its
 * certificate, protected only by the directory's permissions.
 *
 * <p>Files in the directory: {@code ca.pem} (the CA's certificate, what clients trust), {@code ca.p12} (its key),
 * and for each issued name {@code NAME.pem} (the certificate) and {@code NAME-key.pem} (its key, mode 0600).
 */
public final class LocalCertificates {

    /** Guards nothing of value: the keystores live in a directory only their owner reads. */
    private static final String PASSWORD = "corral-local";

    /** A certificate and its key, both PEM files. */
    public record Issued(Path cert, Path key) {
    }

    private final Path dir;

    private LocalCertificates(Path dir) {
        this.dir = dir;
    }

    /** The CA in {@code dir}, made (with common name {@code name}) when it is not there yet. */
    public static LocalCertificates authority(Path dir, String name) {
        var ca = new LocalCertificates(dir);
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            if (!Files.exists(ca.caCert())) {
                Files.deleteIfExists(dir.resolve("ca.p12"));
                ca.keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650",
                        "-dname", "CN=" + name, "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign",
                        "-keystore", dir.resolve("ca.p12").toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
                ca.keytool("-exportcert", "-rfc", "-alias", "ca", "-file", dir.resolve("ca.pem.tmp").toString(),
                        "-keystore", dir.resolve("ca.p12").toString(), "-storepass", PASSWORD);
                Files.move(dir.resolve("ca.pem.tmp"), ca.caCert());
            }
        } catch (IOException e) {
            throw new EmbeddedServiceException("cannot make a certificate authority in " + dir + ": " + e.getMessage(), e);
        }
        return ca;
    }

    /** The CA's certificate (PEM): what clients are told to trust. */
    public Path caCert() {
        return dir.resolve("ca.pem");
    }

    /**
     * A server certificate for {@code hosts} (DNS names or IP addresses, the first also its common name) signed by
     * this CA, written as {@code NAME.pem} and {@code NAME-key.pem}; an existing pair is kept.
     */
    public Issued issue(String name, String... hosts) {
        var issued = new Issued(dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
        if (Files.exists(issued.cert()) && Files.exists(issued.key())) {
            return issued;
        }
        Path store = dir.resolve(name + ".p12");
        Path request = dir.resolve(name + ".csr");
        try {
            Files.deleteIfExists(store);
            var san = new ArrayList<String>();
            for (String host : hosts) {
                san.add((host.matches("[0-9.]+") || host.contains(":") ? "ip:" : "dns:") + host);
            }
            keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=" + hosts[0],
                    "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
            keytool("-certreq", "-alias", name, "-file", request.toString(), "-keystore", store.toString(), "-storepass", PASSWORD);
            keytool("-gencert", "-rfc", "-alias", "ca", "-infile", request.toString(), "-outfile", issued.cert().toString(),
                    "-validity", "825", "-ext", "san=" + String.join(",", san), "-ext", "ku:c=digitalSignature,keyEncipherment",
                    "-ext", "eku=serverAuth", "-keystore", dir.resolve("ca.p12").toString(), "-storepass", PASSWORD);
            writeKey(store, name, issued.key());
            Files.delete(request);
            Files.delete(store);
        } catch (IOException | GeneralSecurityException e) {
            throw new EmbeddedServiceException("cannot issue a certificate for " + String.join(", ", hosts) + " in " + dir + ": "
                    + e.getMessage(), e);
        }
        return issued;
    }

    /** The key of {@code alias} in a PKCS#12 store as an unencrypted PKCS#8 PEM file, mode 0600 from the start. */
    private static void writeKey(Path store, String alias, Path target) throws IOException, GeneralSecurityException {
        var keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, PASSWORD.toCharArray());
        }
        byte[] pkcs8 = keys.getKey(alias, PASSWORD.toCharArray()).getEncoded();
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pkcs8) + "\n-----END PRIVATE KEY-----\n";
        Files.deleteIfExists(target);
        Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(target, pem, StandardCharsets.US_ASCII);
    }

    private void keytool(String... args) throws IOException {
        // A short-lived JVM each: the client compiler and the serial collector start it fastest.
        var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-noprompt"));
        command.addAll(List.of(args));
        Path output = Files.createTempFile("corral-keytool", ".log");
        try {
            var process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish within 60 s");
            }
            if (process.exitValue() != 0) {
                throw new IOException("keytool " + args[0] + " failed: " + Files.readString(output).strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool " + args[0] + " ran", e);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /**
     * {@code LocalCertificates DIR NAME HOST...}: the CA in DIR (made when missing) and a certificate NAME for the
     * hosts (kept when present); prints the paths of the CA, the certificate and its key, one a line.
     */
    public static void main(String... args) {
        if (args.length < 3) {
            System.err.println("usage: LocalCertificates DIR NAME HOST...");
            System.exit(2);
        }
        var ca = authority(Path.of(args[0]), "Corral local CA");
        var issued = ca.issue(args[1], java.util.Arrays.copyOfRange(args, 2, args.length));
        System.out.println(ca.caCert());
        System.out.println(issued.cert());
        System.out.println(issued.key());
    }
}
