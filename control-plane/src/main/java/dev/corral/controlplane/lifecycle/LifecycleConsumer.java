package dev.corral.controlplane.lifecycle;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.CloudEvent;
import dev.corral.api.LifecycleData;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Reads {@code corral.lifecycle.v1} and folds every event into workload status, at least once: offsets are
 * committed only after the events before them were applied, and a failure to apply (the database is away) rewinds
 * to the failed record and tries again. A record that is not a lifecycle event is logged and skipped, so one bad
 * producer cannot stop status updates.
 */
@ApplicationScoped
public class LifecycleConsumer {

    private static final Logger LOG = Logger.getLogger(LifecycleConsumer.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);
    private static final TypeReference<CloudEvent<LifecycleData>> EVENT = new TypeReference<>() {
    };

    private final LifecycleService lifecycle;
    private final LifecycleConfig config;
    private final String bootstrapServers;
    private final ObjectMapper json;
    private final AtomicLong applied = new AtomicLong();
    private volatile KafkaConsumer<String, String> consumer;
    private volatile Thread thread;
    private volatile boolean running;

    LifecycleConsumer(LifecycleService lifecycle, LifecycleConfig config,
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers, ObjectMapper json) {
        this.lifecycle = lifecycle;
        this.config = config;
        this.bootstrapServers = bootstrapServers;
        this.json = json;
    }

    void start(@Observes StartupEvent event) {
        running = true;
        thread = Thread.ofPlatform().daemon().name("corral-lifecycle-consumer").start(this::run);
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        running = false;
        var c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            thread.join(Duration.ofSeconds(10));
        }
    }

    /** Events applied since start (for health and tests). */
    public long applied() {
        return applied.get();
    }

    private void run() {
        // Builds the event reader before the first event needs it: parsing the first VM's starting event, building
        // this reader included, took 31 ms (under 1 ms warm) on 2 cores, and the VM's running event waits behind it
        // (bench/create-to-running).
        json.readerFor(EVENT);
        while (running) {
            try {
                ensureTopic();
                consume();
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("lifecycle consumer stopped (" + e.getMessage() + "); starting again in 2 s");
                    sleep(Duration.ofSeconds(2));
                }
            }
        }
    }

    private void ensureTopic() {
        try (var admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            admin.createTopics(List.of(new NewTopic(config.topic(), config.partitions(), config.replicationFactor()))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + config.topic() + ": " + e.getCause().getMessage(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WakeupException();
        }
    }

    private void consume() {
        var props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // A control plane that was killed stays in the group, holding its partitions, until its session expires:
        // 10 s rather than Kafka's 45 s is how long a restarted one waits before it reads the lifecycle stream again.
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
        var c = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
        try {
            consumer = c;
            c.subscribe(List.of(config.topic()));
            while (running) {
                var records = c.poll(Duration.ofMillis(500));
                var done = new HashMap<TopicPartition, OffsetAndMetadata>();
                boolean retry = false;
                for (ConsumerRecord<String, String> record : records) {
                    var partition = new TopicPartition(record.topic(), record.partition());
                    if (!handle(record)) {
                        // Not applied (the database is away): rewind every partition of this batch to its first
                        // unapplied record, keep what was done, and try again after a pause.
                        for (var p : records.partitions()) {
                            var applied = done.get(p);
                            c.seek(p, applied != null ? applied.offset() : records.records(p).getFirst().offset());
                        }
                        retry = true;
                        break;
                    }
                    done.put(partition, new OffsetAndMetadata(record.offset() + 1));
                }
                if (!done.isEmpty()) {
                    c.commitSync(done);
                }
                if (retry) {
                    sleep(Duration.ofSeconds(1));
                }
            }
        } finally {
            consumer = null;
            // Bounded: a consumer closed in the middle of a rebalance (the database went away under its listener)
            // would otherwise wait out the group's rebalance before the control plane can stop.
            c.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        }
    }

    /** True when the record is dealt with (applied, stale, or unreadable and skipped); false to retry it. */
    private boolean handle(ConsumerRecord<String, String> record) {
        CloudEvent<LifecycleData> event;
        try {
            event = json.readValue(record.value(), EVENT);
            if (event.type() == null || event.data() == null || event.data().uid() == null || event.data().kind() == null) {
                throw new IllegalArgumentException("missing type or data");
            }
        } catch (Exception e) {
            LOG.warnf("skipping record %s-%d@%d: not a Corral lifecycle event (%s)", record.topic(), record.partition(),
                    record.offset(), e.getMessage());
            return true;
        }
        try {
            long handled = System.currentTimeMillis();
            var outcome = lifecycle.apply(event);
            if (LOG.isDebugEnabled() && event.time() != null) {
                // Where a status update's time goes: agent (journal, send), Kafka (to this poll), database.
                LOG.debugf("%s of %s: sent %d ms after the event, handled %d ms after the send, applied in %d ms (%s)", event.type(),
                        event.data().name(), record.timestamp() - event.time().toEpochMilli(), handled - record.timestamp(),
                        System.currentTimeMillis() - handled, outcome);
            }
            if (outcome == LifecycleService.Outcome.APPLIED) {
                applied.incrementAndGet();
            }
            return true;
        } catch (RuntimeException e) {
            LOG.warnf("could not apply event %s (%s); retrying", event.id(), e.getMessage());
            return false;
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
