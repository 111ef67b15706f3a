package dev.corral.e2e;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The control plane as a user runs it: {@code java -jar quarkus-run.jar} with nothing configured, so it starts its
 * embedded PostgreSQL and Kafka, on a free port and a throw-away data directory.
 */
final class ControlPlaneProcess implements AutoCloseable {

    private final Process process;
    private final Path data;
    private final Path log;
    final URI server;
    /** A client that trusts the control plane's certificate when it serves https. */
    final HttpClient http;
    /** The admin token the control plane wrote to its data directory on start-up. */
    String adminToken;

    private ControlPlaneProcess(Process process, Path data, Path log, URI server, HttpClient http) {
        this.process = process;
        this.data = data;
        this.log = log;
        this.server = server;
        this.http = http;
    }

    static ControlPlaneProcess start() throws Exception {
        return start(java.util.Map.of());
    }

    /** @param env extra environment, e.g. scheduler settings */
    static ControlPlaneProcess start(java.util.Map<String, String> env) throws Exception {
        return start(env, null, null);
    }

    /**
     * A control plane serving only HTTPS (CORRAL_TLS_CERT, CORRAL_TLS_KEY) at {@code https://localhost:PORT}; its plain
     * HTTP port ({@link #plainPort}) is closed.
     *
     * @param ca what the returned process' {@link #http} client trusts
     */
    static ControlPlaneProcess startTls(dev.corral.embedded.LocalCertificates.Issued cert, Path ca, java.util.Map<String, String> env)
            throws Exception {
        var all = new java.util.HashMap<>(env);
        all.put("CORRAL_TLS_CERT", cert.cert().toString());
        all.put("CORRAL_TLS_KEY", cert.key().toString());
        return start(all, freePort(), ca);
    }

    /** The plain HTTP port the process was given (with TLS on, nothing may answer there). */
    int plainPort;

    static int freePort() throws IOException {
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static ControlPlaneProcess start(java.util.Map<String, String> env, Integer httpsPort, Path ca) throws Exception {
        Path app = Path.of(System.getProperty("corral.controlPlaneApp", "../control-plane/target/quarkus-app/quarkus-run.jar"));
        if (!Files.exists(app)) {
            throw new IllegalStateException(app + " is missing: build the control plane first (./mvnw package runs it before these tests)");
        }
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path data = Files.createTempDirectory("corral-e2e-");
        Path log = data.resolve("control-plane.log");
        var builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", app.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("CORRAL_HTTP_PORT", String.valueOf(port));
        builder.environment().put("CORRAL_DATA_DIR", data.toString());
        builder.environment().remove("QUARKUS_DATASOURCE_JDBC_URL");
        builder.environment().remove("KAFKA_BOOTSTRAP_SERVERS");
        builder.environment().putAll(env);
        var server = URI.create("http://127.0.0.1:" + port);
        var http = HttpClient.newHttpClient();
        if (httpsPort != null) {
            builder.environment().put("CORRAL_HTTPS_PORT", String.valueOf(httpsPort));
            server = URI.create("https://localhost:" + httpsPort);
            http = HttpClient.newBuilder().sslContext(trusting(ca)).build();
        }
        var cp = new ControlPlaneProcess(builder.start(), data, log, server, http);
        cp.plainPort = port;
        cp.awaitReady(Duration.ofSeconds(180));
        cp.adminToken = Files.readString(data.resolve("admin-token")).strip();
        return cp;
    }

    /** A TLS context trusting exactly the certificates of a PEM file. */
    static javax.net.ssl.SSLContext trusting(Path ca) throws Exception {
        var store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (var in = Files.newInputStream(ca)) {
            store.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        var trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        var context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    private void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the control plane exited during start-up:\n" + Files.readString(log));
            }
            try {
                var r = http.send(HttpRequest.newBuilder(server.resolve("/q/health/ready")).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(250);
        }
        close();
        throw new IllegalStateException("the control plane was not ready within " + timeout);
    }

    /** A new token with role node for {@code node}, minted with the admin token: what an agent runs with. */
    String nodeToken(String node) throws IOException, InterruptedException {
        var r = http.send(HttpRequest.newBuilder(server.resolve("/v1/tokens"))
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"role\": \"node\", \"node\": \"" + node + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        var m = java.util.regex.Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
        if (r.statusCode() != 201 || !m.find()) {
            throw new IllegalStateException("minting a node token for " + node + " answered " + r.statusCode() + ": " + r.body());
        }
        return m.group(1);
    }

    /** The embedded PostgreSQL's JDBC URL, as the control plane logged it (another replica can share it). */
    String jdbcUrl() throws IOException {
        var m = java.util.regex.Pattern.compile("Embedded PostgreSQL on (\\S+) ").matcher(Files.readString(log));
        if (!m.find()) {
            throw new IllegalStateException("the control plane did not log its embedded PostgreSQL");
        }
        return m.group(1);
    }

    /** The embedded broker's address, as the control plane logged it. */
    String kafkaBootstrapServers() throws IOException {
        var m = java.util.regex.Pattern.compile("Embedded Kafka broker on (\\S+) ").matcher(Files.readString(log));
        if (!m.find()) {
            throw new IllegalStateException("the control plane did not log its embedded Kafka broker");
        }
        return m.group(1);
    }

    /** SIGTERM, as Ctrl-C would: the control plane stops its embedded servers itself. */
    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (Stream<Path> files = Files.walk(data)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    boolean alive() {
        return process.isAlive();
    }
}
