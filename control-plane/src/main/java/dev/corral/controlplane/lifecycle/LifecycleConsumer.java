package dev.corral.controlplane.lifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Reads {@code corral.lifecycle.v1} and folds every event into workload status, at least once and a poll at a time:
 * a poll's events are applied together ({@link LifecycleService#apply}: one transaction per 250 workloads), its
 * offsets committed only after that, and a failure to apply (the database is away) rewinds to the poll's first
 * records and tries them again. A record that is not a lifecycle event is logged and skipped, so one bad producer
 * cannot stop status updates.
 */
@ApplicationScoped
public class LifecycleConsumer {

    private static final Logger LOG = Logger.getLogger(LifecycleConsumer.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

    private final LifecycleService lifecycle;
    private final LifecycleConfig config;
    private final String bootstrapServers;
    private final ObjectMapper json;
    private final AtomicLong applied = new AtomicLong();
    private volatile KafkaConsumer<byte[], byte[]> consumer;
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
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxPollRecords());
        var c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            consumer = c;
            c.subscribe(List.of(config.topic()));
            while (running) {
                var records = c.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    continue;
                }
                if (!handle(records)) {
                    // Not applied (the database is away): rewind every partition of the batch to its first record and
                    // try the batch again after a pause.
                    for (var p : records.partitions()) {
                        c.seek(p, records.records(p).getFirst().offset());
                    }
                    sleep(Duration.ofSeconds(1));
                    continue;
                }
                var done = new HashMap<TopicPartition, OffsetAndMetadata>();
                for (var p : records.partitions()) {
                    done.put(p, new OffsetAndMetadata(records.records(p).getLast().offset() + 1));
                }
                c.commitSync(done);
            }
        } finally {
            consumer = null;
            // Bounded: a consumer closed in the middle of a rebalance (the database went away under its listener)
            // would otherwise wait out the group's rebalance before the control plane can stop.
            c.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        }
    }

    /**
     * Applies a poll's events ({@link LifecycleService#apply}); true when they are dealt with
     * (applied, stale, for no workload, or unreadable and skipped), false to retry the whole batch.
     */
    private boolean handle(ConsumerRecords<byte[], byte[]> records) {
        var events = new ArrayList<StatusEvent>(records.count());
        var sources = new ArrayList<ConsumerRecord<byte[], byte[]>>(records.count());
        for (ConsumerRecord<byte[], byte[]> record : records) {
            try {
                events.add(StatusEvent.parse(json.getFactory(), record.value()));
                sources.add(record);
            } catch (Exception e) {
                LOG.warnf("skipping record %s-%d@%d: not a Corral lifecycle event (%s)", record.topic(), record.partition(),
                        record.offset(), e.getMessage());
            }
        }
        if (events.isEmpty()) {
            return true;
        }
        List<LifecycleService.Outcome> outcomes;
        long handled = System.currentTimeMillis();
        try {
            outcomes = lifecycle.apply(events);
        } catch (RuntimeException e) {
            LOG.warnf("could not apply %d events from %s (%s); retrying", events.size(), events.getFirst().id(), e.getMessage());
            return false;
        }
        long appliedAt = System.currentTimeMillis();
        for (int i = 0; i < outcomes.size(); i++) {
            if (outcomes.get(i) == LifecycleService.Outcome.APPLIED) {
                applied.incrementAndGet();
            }
            var event = events.get(i);
            if (LOG.isDebugEnabled() && event.time() != null) {
                // Where a status update's time goes: agent (journal, send), Kafka (to this poll), database.
                LOG.debugf("%s of %s: sent %d ms after the event, handled %d ms after the send, applied in %d ms with %d others (%s)",
                        event.action(), event.name(), sources.get(i).timestamp() - event.time().toEpochMilli(),
                        handled - sources.get(i).timestamp(), appliedAt - handled, events.size() - 1, outcomes.get(i));
            }
        }
        return true;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
