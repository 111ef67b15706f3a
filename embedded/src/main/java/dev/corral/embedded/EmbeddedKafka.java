package dev.corral.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Apache Kafka 4 broker, in KRaft mode, running inside this JVM: one combined broker + controller node
 * listening on 127.0.0.1 (a free port for clients, another for the controller quorum).
 *
 * <p>Its storage is formatted on first start, the way {@code kafka-storage.sh format} does, and reused when the
 * data directory already holds a formatted log (the local all-in-one keeps its topics across restarts). Internal
 * topics are single-replica so consumer groups and transactions work on one node.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path dataDirectory;
    private final boolean temporary;
    private boolean closed;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path dataDirectory, boolean temporary) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.dataDirectory = dataDirectory;
        this.temporary = temporary;
    }

    /** Starts a throw-away broker whose log is deleted on {@link #close()}. */
    public static EmbeddedKafka startTemporary() {
        try {
            return start(TempDirectories.create("corral-kafka-"), true);
        } catch (IOException e) {
            throw new EmbeddedServiceException("Kafka could not get a temporary data directory", e);
        }
    }

    /** Starts a broker on {@code dataDirectory}, formatting it when it is empty and keeping it on close. */
    public static EmbeddedKafka startPersistent(Path dataDirectory) {
        return start(dataDirectory, false);
    }

    /**
     * Starts a broker on {@code dataDirectory} at fixed ports, keeping it on close: stopping and starting it again
     * at the same address is how tests take Kafka away from its clients and give it back.
     */
    public static EmbeddedKafka startPersistent(Path dataDirectory, int brokerPort, int controllerPort) {
        return start(dataDirectory, false, brokerPort, controllerPort);
    }

    private static EmbeddedKafka start(Path dataDirectory, boolean temporary) {
        return start(dataDirectory, temporary, FreePorts.pick(), FreePorts.pick());
    }

    private static EmbeddedKafka start(Path dataDirectory, boolean temporary, int brokerPort, int controllerPort) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Path logDir = dataDirectory.resolve("log");
        KafkaConfig config = KafkaConfig.fromProps(properties(logDir, brokerPort, controllerPort), false);
        try {
            Files.createDirectories(logDir);
            // An already formatted directory (a restart of the local cloud) keeps its cluster id and topics.
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(logDir);
            }
        } catch (Exception e) {
            throw new EmbeddedServiceException("Kafka storage in " + logDir + " could not be formatted: " + e.getMessage(), e);
        }
        var server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            server.awaitShutdown();
            throw new EmbeddedServiceException("Kafka broker did not start on 127.0.0.1:" + brokerPort + ": " + e.getMessage(), e);
        }
        return new EmbeddedKafka(server, "127.0.0.1:" + brokerPort, dataDirectory, temporary);
    }

    private static Properties properties(Path logDir, int brokerPort, int controllerPort) {
        var p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        // One node: every internal topic must be satisfiable with a single replica.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("min.insync.replicas", "1");
        p.put("default.replication.factor", "1");
        p.put("num.partitions", "3");
        p.put("auto.create.topics.enable", "true");
        p.put("group.initial.rebalance.delay.ms", "0");
        // The log cleaner's dedupe map is one array, allocated at start and live for the broker's life: Kafka's
        // default (128 MiB) was two thirds of the control plane's live heap, so G1 ran a marking cycle and mixed
        // collections every few seconds under load. The only compacted topics here are Kafka's own (consumer
        // offsets, transaction state): 16 MiB holds ~700,000 keys per cleaning pass.
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(16L << 20));
        // Flushing as Kafka's defaults do (log.flush.interval.*: never per message; the OS, segment rolls and a clean
        // stop flush): a crash of the process loses nothing the broker acknowledged, a power loss its last seconds.
        return p;
    }

    private static void format(Path logDir) throws Exception {
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                .setClusterId(Uuid.randomUuid().toString())
                .setNodeId(NODE_ID)
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.latestProduction())
                .run();
    }

    /** {@code host:port} for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Stops the broker and waits for it (and deletes its log when it was temporary). Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            if (temporary) {
                TempDirectories.deleteQuietly(dataDirectory);
            }
        }
    }
}
