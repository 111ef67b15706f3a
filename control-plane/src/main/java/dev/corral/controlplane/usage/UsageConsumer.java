package dev.corral.controlplane.usage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.corral.controlplane.lifecycle.LifecycleConfig;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * Reads the lifecycle topic into the {@link UsageMeter}. Its position in each partition is the one PostgreSQL
 * holds, written with the usage: on every assignment, and after any failure, it seeks there; Kafka's committed
 * offsets are written too, only so that tools can show the lag.
 */
public final class UsageConsumer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(UsageConsumer.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration SWEEP_EVERY = Duration.ofSeconds(5);

    private final UsageMeter meter;
    private final UsageStore store;
    private final String bootstrapServers;
    private final String topic;
    private final String group;
    private final UsageConfig config;
    private volatile boolean running;
    private volatile Runnable beforeCommit = () -> {
    };
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;
    // The poll thread's own: the writer, the batch it is committing, and whether one failed since the last seek.
    private ExecutorService writer;
    private InFlight inFlight;
    private boolean failed;

    public UsageConsumer(UsageMeter meter, UsageStore store, String bootstrapServers, String topic, String group, UsageConfig config) {
        this.meter = meter;
        this.store = store;
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.group = group;
        this.config = config;
    }

    static UsageConsumer forLifecycle(UsageMeter meter, UsageStore store, String bootstrapServers, LifecycleConfig lifecycle,
            UsageConfig config) {
        return new UsageConsumer(meter, store, bootstrapServers, lifecycle.topic(), config.groupId(), config);
    }

    public synchronized void start() {
        running = true;
        thread = Thread.ofPlatform().daemon().name("corral-usage-meter-" + topic).start(this::run);
    }

    /** Runs inside every batch's transaction, last (tests make it throw to crash the meter there). */
    void beforeCommit(Runnable hook) {
        beforeCommit = hook;
    }

    @Override
    public synchronized void close() {
        running = false;
        var c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (running) {
            try {
                consume();
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warn("usage meter stopped (" + e.getMessage() + "); starting again in 2 s");
                    sleep(Duration.ofSeconds(2));
                }
            }
        }
    }

    private void consume() {
        var props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // A control plane that was killed stays in the group, holding its partitions, until its session expires:
        // 10 s rather than Kafka's 45 s is how long a restarted one waits before it reads the lifecycle stream again.
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxPollRecords());
        props.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 64 * 1024);
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        // The status consumer creates the topic with its configured partitions; the meter waits for it.
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // Bytes, not Strings: the parser reads the UTF-8 JSON itself, and the key (the uid) is in the JSON too.
        var c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // One batch commits on the writer while the poll thread reads and parses the next; never two at once, so
        // batches commit in order and a failed one stops the next before it commits.
        writer = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("corral-usage-writer-" + topic).unstarted(r));
        inFlight = null;
        failed = false;
        try {
            consumer = c;
            c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    awaitInFlight(c);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    // PostgreSQL's position is only true once the batch being committed has finished.
                    awaitInFlight(c);
                    seekToStored(c, partitions);
                }
            });
            Instant nextSweep = Instant.now().plus(SWEEP_EVERY);
            while (running) {
                long polling = System.nanoTime();
                var records = c.poll(Duration.ofMillis(500));
                meter.profile().add(MeterProfile.Step.POLL, polling);
                UsageMeter.Parsed next = null;
                var hint = new HashMap<TopicPartition, OffsetAndMetadata>();
                if (!records.isEmpty()) {
                    var batch = new ArrayList<Delivery>(records.count());
                    records.forEach(r -> batch.add(new Delivery(r.topic(), r.partition(), r.offset(), r.value())));
                    // Parsed while the previous batch commits on the writer thread.
                    next = meter.parse(batch);
                    for (var p : records.partitions()) {
                        hint.put(p, new OffsetAndMetadata(records.records(p).getLast().offset() + 1));
                    }
                }
                awaitInFlight(c);
                if (failed) {
                    // A batch failed (here, or while the rebalance listener waited for it inside poll). Nothing of it
                    // was kept, and what was read after it must not commit before it: go back to where PostgreSQL
                    // says we are and read both again.
                    failed = false;
                    seekToStored(c, c.assignment());
                    sleep(Duration.ofSeconds(1));
                    continue;
                }
                if (next != null) {
                    var batch = next;
                    var hook = beforeCommit;
                    inFlight = new InFlight(writer.submit(() -> meter.commit(group, batch, hook)), hint, batch.size());
                }
                meter.profile().reportWhenDue();
                if (Instant.now().isAfter(nextSweep)) {
                    awaitInFlight(c);
                    if (!failed) {
                        meter.resolveGaps(config.gapGrace());
                    }
                    nextSweep = Instant.now().plus(SWEEP_EVERY);
                }
            }
        } finally {
            consumer = null;
            awaitInFlight(c);
            writer.shutdown();
            // Bounded: a consumer closed in the middle of a rebalance (the database went away under its listener)
            // would otherwise wait out the group's rebalance before the control plane can stop.
            c.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        }
    }

    /** A batch handed to the writer thread, and Kafka's offsets to commit as a hint once it has committed. */
    private record InFlight(Future<?> done, Map<TopicPartition, OffsetAndMetadata> hint, int size) {
    }

    /**
     * Waits for the batch being committed, if any. When it failed, marks the consumer {@code failed}, so that the poll
     * loop goes back to PostgreSQL's position. Runs on the poll thread only (the rebalance listener runs inside
     * {@code poll}).
     */
    private void awaitInFlight(KafkaConsumer<byte[], byte[]> c) {
        var f = inFlight;
        if (f == null) {
            return;
        }
        inFlight = null;
        try {
            f.done().get();
            c.commitAsync(f.hint(), null);
            return;
        } catch (ExecutionException e) {
            LOG.warnf("usage meter could not apply %d records (%s); retrying", f.size(), e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failed = true;
    }

    private void seekToStored(KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> partitions) {
        Map<Integer, Long> stored = store.offsets(group, topic);
        var unknown = new ArrayList<TopicPartition>();
        for (var p : partitions) {
            Long next = stored.get(p.partition());
            if (next == null) {
                unknown.add(p);
            } else {
                c.seek(p, next);
            }
        }
        if (!unknown.isEmpty()) {
            c.seekToBeginning(unknown);
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
