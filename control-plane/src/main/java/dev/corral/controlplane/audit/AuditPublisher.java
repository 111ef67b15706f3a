package dev.corral.controlplane.audit;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.AuditRecord;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Copies each audit record to {@code corral.audit.v1} (key: the request id; value: the record as JSON) for SIEMs:
 * an idempotent producer with {@code acks=all}. An acknowledged record is marked published in the audit table (the
 * record of truth); one that is not (the broker away, the control plane stopped first) is sent again by a periodic
 * job once it is {@code corral.audit.republish-after} old: at least once. A failed publish fails nothing.
 */
@ApplicationScoped
class AuditPublisher {

    private static final Logger LOG = Logger.getLogger(AuditPublisher.class);

    private final String bootstrapServers;
    private final AuditConfig config;
    private final ObjectMapper json;
    private final AuditLog log;
    private KafkaProducer<String, String> producer;
    /**
     * Records the topic acknowledged, marked published by one virtual thread, up to 1,000 in one statement: under load
     * one commit serves many records, and never on the producer's I/O thread, which would hold up every other send.
     */
    private final OneDrainer<Long> acknowledged = new OneDrainer<>("corral-audit-mark", this::markPublished);
    /** Records stored, sent one after another: at most {@link #MAX_WAITING}. */
    private final OneDrainer<AuditRecord> toSend = new OneDrainer<>("corral-audit-publish", this::sendQueued);
    private static final int MAX_WAITING = 100_000;
    private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
    /** Set once the control plane stops: nothing more is sent (what is left, the periodic job of a replica sends). */
    private volatile boolean closed;

    AuditPublisher(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers, AuditConfig config, ObjectMapper json,
            AuditLog log) {
        this.bootstrapServers = bootstrapServers;
        this.config = config;
        this.json = json;
        this.log = log;
    }

    /** Sends again what the topic has not acknowledged in time; every replica may, so a record can arrive twice. */
    @Scheduled(every = "${corral.audit.republish-every:30s}", delayed = "${corral.audit.republish-every:30s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void republish() {
        for (AuditRecord record : log.unpublished(Instant.now().minus(config.republishAfter()), 500)) {
            publish(record);
        }
    }

    /**
     * Queues the record for {@link #publish}, for a caller that must not spend its own time on it (the committer
     * thread that stored it). One virtual thread at a time sends everything queued.
     */
    void publishLater(AuditRecord record) {
        if (waiting.incrementAndGet() > MAX_WAITING) {
            // The broker is away or slow (a send waits up to max.block.ms): the record stays unpublished in the table,
            // and the periodic job sends it once the broker is back. Memory stays bounded meanwhile.
            waiting.decrementAndGet();
            return;
        }
        toSend.add(record);
    }

    private void sendQueued(java.util.Queue<AuditRecord> queued) {
        AuditRecord record = queued.poll();
        waiting.decrementAndGet();
        publish(record);
    }

    /** Hands the record to the producer; never throws (a failed publish must not fail anything). */
    void publish(AuditRecord record) {
        try {
            String value = json.writeValueAsString(record);
            producer().send(new ProducerRecord<>(config.topic(), record.requestId(), value), (metadata, failure) -> {
                if (failure != null) {
                    LOG.warnf("audit record %d (request %s) was not published to %s: %s; it will be sent again",
                            record.id(), record.requestId(), config.topic(), failure.getMessage());
                } else {
                    acknowledged.add(record.id());
                }
            });
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.warnf("audit record %d (request %s) was not published to %s: %s; it will be sent again",
                    record.id(), record.requestId(), config.topic(), e.getMessage());
        }
    }

    private void markPublished(java.util.Queue<Long> queued) {
        var ids = new java.util.ArrayList<Long>();
        for (Long id; ids.size() < 1000 && (id = queued.poll()) != null; ) {
            ids.add(id);
        }
        try {
            log.published(ids);
        } catch (RuntimeException e) {
            LOG.warnf("%d audit records were published but could not be marked so (%s); they will be sent again", ids.size(),
                    e.getMessage());
        }
    }

    private synchronized KafkaProducer<String, String> producer() {
        if (closed) {
            throw new IllegalStateException("the control plane is stopping");
        }
        if (producer == null) {
            ensureTopic();
            var props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.CLIENT_ID_CONFIG, "corral-control-plane-audit");
            // send() waits for the topic's metadata at most this long, on the thread that sends the queue.
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
            // SIEMs read this topic seconds later, not milliseconds: records wait up to the linger to share a produce
            // request (and an acknowledgement, so one UPDATE marks them), where the client's default of 5 ms sent
            // one request per eight creates under load (bench/scheduler/README.md).
            props.put(ProducerConfig.LINGER_MS_CONFIG, (int) config.linger().toMillis());
            props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
            producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
        }
        return producer;
    }

    /** Creates the topic (one partition keeps the log in order) unless it exists; a failure is left to send() to report. */
    private void ensureTopic() {
        try (var admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            admin.createTopics(List.of(new NewTopic(config.topic(), 1, (short) 1))).all().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                LOG.warnf("cannot create topic %s: %s", config.topic(), e.getCause().getMessage());
            }
        } catch (TimeoutException e) {
            LOG.warnf("cannot create topic %s: the broker did not answer in 5 s", config.topic());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized void close(@Observes ShutdownEvent event) {
        closed = true;
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
            producer = null;
        }
    }
}
