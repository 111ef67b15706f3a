package dev.corral.controlplane;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.corral.embedded.EmbeddedKafka;
import dev.corral.embedded.FreePorts;
import dev.corral.embedded.EmbeddedPostgres;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import org.jboss.logging.Logger;

/**
 * Starts the control plane. Where no database or Kafka is configured, it first starts an embedded PostgreSQL
 * and an embedded Kafka broker on 127.0.0.1 (data under {@code corral.data-dir}) and stops them after the
 * application has stopped, so Ctrl-C leaves no server behind.
 */
@QuarkusMain
public final class ControlPlaneMain {

    private static final Logger LOG = Logger.getLogger(ControlPlaneMain.class);
    private static final String DATASOURCE_URL = "quarkus.datasource.jdbc.url";
    private static final String KAFKA_SERVERS = "kafka.bootstrap.servers";

    private ControlPlaneMain() {
    }

    public static void main(String... args) {
        Path dataDir = Path.of(setting("corral.data-dir", defaultDataDir()));
        var embedded = new EmbeddedServices();
        var stopped = new CountDownLatch(1);
        // Runs on Ctrl-C, SIGTERM and normal exit, beside Quarkus's own hook: waits until Quarkus has stopped its HTTP
        // server, its scheduler and its Kafka consumers and closed its connections, then stops the servers they used.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (!stopped.await(30, TimeUnit.SECONDS)) {
                    LOG.warn("the application did not stop within 30 s; stopping the embedded services under it");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            embedded.close();
        }, "corral-embedded-shutdown"));

        try {
            if (setting(DATASOURCE_URL, null) == null) {
                embedded.postgres = EmbeddedPostgres.startPersistent(dataDir.resolve("postgres"));
                System.setProperty(DATASOURCE_URL, embedded.postgres.jdbcUrl());
                System.setProperty("quarkus.datasource.username", embedded.postgres.username());
                System.setProperty("quarkus.datasource.password", embedded.postgres.password());
                LOG.infof("Embedded PostgreSQL on %s (pid %d, data in %s; the server runs with %s)", embedded.postgres.jdbcUrl(),
                        embedded.postgres.pid(), dataDir.resolve("postgres"), embedded.postgres.durability());
            }
            if (setting(KAFKA_SERVERS, null) == null) {
                // A fixed port (CORRAL_EMBEDDED_KAFKA_PORT) lets node agents on this host find the broker across restarts.
                String kafkaPort = setting("corral.embedded.kafka-port", null);
                embedded.kafka = kafkaPort == null ? EmbeddedKafka.startPersistent(dataDir.resolve("kafka"))
                        : EmbeddedKafka.startPersistent(dataDir.resolve("kafka"), port(kafkaPort), FreePorts.pick());
                System.setProperty(KAFKA_SERVERS, embedded.kafka.bootstrapServers());
                LOG.infof("Embedded Kafka broker on %s (data in %s)", embedded.kafka.bootstrapServers(), dataDir.resolve("kafka"));
            }
        } catch (RuntimeException e) {
            // One line, the reason: the stack is noise to whoever runs run.sh (the cause is in the message).
            LOG.error("Embedded services did not start: " + e.getMessage());
            stopped.countDown();
            System.exit(1);
        }
        if (embedded.postgres != null) {
            // Nothing works without the database: a server that dies under us (killed, crashed) ends the control plane,
            // non-zero, so that its supervisor (run.sh, systemd) sees it and starts it again, and the next start recovers.
            embedded.postgres.onUnexpectedExit(reason -> {
                LOG.error("Stopping the control plane: " + reason);
                embedded.lost = true;
                Quarkus.asyncExit(1);
            });
        }

        try {
            tls();
        } catch (IllegalArgumentException e) {
            LOG.error(e.getMessage());
            embedded.close();
            stopped.countDown();
            System.exit(1);
        }
        int[] exitCode = {0};
        Quarkus.run(Application.class, (code, failure) -> {
            exitCode[0] = code;
            stopped.countDown();
        }, args);
        stopped.countDown();
        System.exit(embedded.lost ? 1 : exitCode[0]);
    }

    /**
     * With a certificate and its key (CORRAL_TLS_CERT, CORRAL_TLS_KEY) the API serves HTTPS, and plain HTTP is turned
     * off, unless CORRAL_HTTP_INSECURE_REQUESTS (quarkus.http.insecure-requests) keeps it: a bearer token must not
     * cross the wire in clear by accident. One of the two without the other is a mistake said in one line.
     */
    private static void tls() {
        String cert = setting("corral.tls.cert", null);
        String key = setting("corral.tls.key", null);
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("TLS needs both CORRAL_TLS_CERT (the certificate chain, PEM) and CORRAL_TLS_KEY (its "
                    + "private key, PEM); only " + (cert == null ? "CORRAL_TLS_KEY" : "CORRAL_TLS_CERT") + " is set");
        }
        for (String file : new String[] {cert, key}) {
            if (file != null && !java.nio.file.Files.isReadable(Path.of(file))) {
                throw new IllegalArgumentException("TLS: cannot read " + file + " (CORRAL_TLS_" + (file.equals(cert) ? "CERT" : "KEY") + ")");
            }
        }
        if (cert != null && setting("corral.http.insecure-requests", null) == null && setting("quarkus.http.insecure-requests", null) == null) {
            System.setProperty("quarkus.http.insecure-requests", "disabled");
        }
    }

    /** A system property, else the environment variable of the same name in MicroProfile Config's spelling. */
    private static String setting(String key, String fallback) {
        String value = System.getProperty(key);
        if (value == null || value.isBlank()) {
            value = System.getenv(key.toUpperCase().replaceAll("[^A-Z0-9]", "_"));
        }
        return value == null || value.isBlank() ? fallback : value;
    }

    private static int port(String value) {
        try {
            int port = Integer.parseInt(value.strip());
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new IllegalArgumentException("CORRAL_EMBEDDED_KAFKA_PORT must be a TCP port (1-65535), not '" + value + "'");
    }

    private static String defaultDataDir() {
        return Path.of(System.getProperty("user.home"), ".corral", "local").toString();
    }

    public static final class Application implements QuarkusApplication {
        @Override
        public int run(String... args) {
            Quarkus.waitForExit();
            return 0;
        }
    }

    private static final class EmbeddedServices implements AutoCloseable {
        volatile EmbeddedPostgres postgres;
        volatile EmbeddedKafka kafka;
        /** The embedded PostgreSQL died under the application. */
        volatile boolean lost;

        @Override
        public synchronized void close() {
            if (kafka != null) {
                kafka.close();
                kafka = null;
            }
            if (postgres != null) {
                postgres.close();
                postgres = null;
            }
        }
    }
}
