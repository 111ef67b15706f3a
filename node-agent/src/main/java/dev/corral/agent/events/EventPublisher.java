package dev.corral.agent.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Drains the {@link EventJournal} to Kafka, in journal order: an idempotent producer with {@code acks=all}, and the
 * journal's cursor moves only past what the broker acknowledged. While the broker is away, events wait in the
 * journal and the publisher retries every second; when it returns they go out in order. After a failure the
 * unacknowledged tail is sent again, so a consumer may see an event twice: at least once, deduplicated on the
 * CloudEvent id (asyncapi.yaml).
 */
public final class EventPublisher implements EventSink, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EventPublisher.class);
    private static final int BATCH = 200;

    private final EventJournal journal;
    private final String topic;
    private final Map<String, Object> producerConfig;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final Thread thread;
    private volatile boolean running = true;
    /** The last attempt to deliver failed (the broker is away); cleared by the next delivery. */
    private volatile boolean unreachable;

    public EventPublisher(EventJournal journal, String bootstrapServers, String topic) {
        this.journal = journal;
        this.topic = topic;
        this.producerConfig = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                // Fail a send within seconds when the broker is away: the journal, not the producer, holds events.
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10000,
                // No linger: events come one at a time (a VM's starting, then running) and each is on a user's
                // create → Running path; while a send is in flight the next ones still batch up behind it.
                ProducerConfig.LINGER_MS_CONFIG, 0);
        this.thread = Thread.ofPlatform().daemon().name("corral-event-publisher").start(this::run);
    }

    /** Journals the event (durably) and lets the publisher send it. */
    @Override
    public void publish(String key, String value) {
        journal.append(key, value);
        lock.lock();
        try {
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        try {
            loop();
        } finally {
            // Never leave a producer behind: one that outlived its publisher would deliver its queued records
            // later, out of order with the next publisher's. ZERO drops what it has not sent; the journal has it.
            if (producer != null) {
                producer.close(Duration.ZERO);
            }
        }
    }

    /** Used by the publisher thread only. */
    private KafkaProducer<String, String> producer;

    /**
     * Connects before the first event needs it: creating the producer, fetching the topic's metadata and the
     * idempotent producer's id took 670 ms on the first VM's {@code starting} event (2 cores, measured with
     * bench/create-to-running), and the {@code running} event waited behind it. A broker that is away costs one
     * failed attempt here (max.block.ms); the loop then creates the producer when an event is pending, as before.
     */
    private void connect() {
        try {
            producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer());
            producer.partitionsFor(topic);
        } catch (RuntimeException e) {
            LOG.debugf("Kafka not reachable at start (%s); connecting when the first event is pending", e.getMessage());
            if (producer != null) {
                producer.close(Duration.ZERO);
                producer = null;
            }
        }
    }

    private void loop() {
        connect();
        boolean down = false;
        boolean unreadable = false;
        while (running) {
            List<EventJournal.Entry> entries;
            try {
                entries = journal.pending(BATCH);
            } catch (RuntimeException e) {
                // The journal's file failed to read (an I/O error): keep trying. A publisher thread that ended here
                // would deliver nothing more until the agent restarted, while events went on piling up.
                if (!unreadable) {
                    LOG.errorf(e, "cannot read the event journal; trying again every second");
                    unreadable = true;
                }
                sleep(Duration.ofSeconds(1));
                continue;
            }
            if (unreadable) {
                LOG.infof("the event journal reads again");
                unreadable = false;
            }
            if (entries.isEmpty()) {
                awaitAppend(Duration.ofMillis(500));
                continue;
            }
            try {
                if (producer == null) {
                    producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer());
                }
                var sends = new ArrayList<Future<RecordMetadata>>(entries.size());
                for (var e : entries) {
                    var send = producer.send(new ProducerRecord<>(topic, e.key(), e.value()));
                    if (send.isDone()) {
                        // Failed at once (no metadata within max.block.ms: the broker is away): stop this batch
                        // here rather than wait that long for every record of it.
                        send.get();
                    }
                    sends.add(send);
                }
                for (var s : sends) {
                    s.get(30, TimeUnit.SECONDS);
                }
                journal.delivered(entries.getLast());
                unreachable = false;
                if (down) {
                    LOG.infof("Kafka is back: delivering the journalled lifecycle events");
                    down = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                unreachable = true;
                if (!down) {
                    LOG.warnf("cannot deliver lifecycle events to Kafka (%s); they wait in the journal (%d bytes) and are retried",
                            e.getMessage(), journal.pendingBytes());
                    down = true;
                }
                if (producer != null) {
                    // A fresh producer after a failure: the old one may hold sends that will never be acknowledged.
                    producer.close(Duration.ZERO);
                    producer = null;
                }
                sleep(Duration.ofSeconds(1));
            }
        }
    }

    private void awaitAppend(Duration timeout) {
        lock.lock();
        try {
            appended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Waits until the broker has acknowledged every journalled event, at most {@code timeout} and no longer than it
     * takes to find the broker away (an attempt that fails), then {@link #close()}s.
     *
     * @return whether the journal was empty when it stopped (false: the rest waits there for the next start)
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        unreachable = false;
        while (journal.pendingBytes() > 0 && System.nanoTime() < deadline && thread.isAlive() && !unreachable) {
            lock.lock();
            try {
                appended.signalAll();
            } finally {
                lock.unlock();
            }
            Thread.sleep(20);
        }
        close();
        return journal.pendingBytes() == 0;
    }

    /**
     * Stops sending and waits for the publisher to have closed its producer (at most the producer's delivery
     * timeout); what is not delivered stays in the journal for the next start. The thread is not interrupted: an
     * interrupt during file I/O would close the journal's channel under it.
     */
    @Override
    public void close() throws InterruptedException {
        running = false;
        lock.lock();
        try {
            appended.signalAll();
        } finally {
            lock.unlock();
        }
        thread.join();
    }
}
