package dev.corral.agent.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.corral.embedded.EmbeddedKafka;
import dev.corral.embedded.FreePorts;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker goes away and comes back; the agent restarts in between. Every event arrives, in order. */
class EventPublisherIT {

    private static final String TOPIC = "corral.lifecycle.v1";

    @TempDir
    Path tmp;

    @Test
    void eventsWaitInTheJournalWhileKafkaIsDownAndArriveInOrderWhenItReturns() throws Exception {
        int brokerPort = FreePorts.pick();
        int controllerPort = FreePorts.pick();
        Path kafkaData = Files.createDirectories(tmp.resolve("kafka"));
        Path journalDir = tmp.resolve("journal");
        String bootstrap = "127.0.0.1:" + brokerPort;
        var expected = new ArrayList<String>();

        var kafka = EmbeddedKafka.startPersistent(kafkaData, brokerPort, controllerPort);
        var journal = EventJournal.open(journalDir, 1 << 20);
        var publisher = new EventPublisher(journal, bootstrap, TOPIC);
        for (int i = 1; i <= 10; i++) {
            publisher.publish("vm-a", "a-" + i);
            expected.add("a-" + i);
        }
        // A stop drains: what was just journalled is acknowledged before the publisher stops.
        assertThat(publisher.drain(Duration.ofSeconds(30))).isTrue();
        assertThat(journal.pendingBytes()).isZero();
        assertThat(read(bootstrap, 10, Duration.ofSeconds(60))).containsExactlyElementsOf(expected);
        publisher = new EventPublisher(journal, bootstrap, TOPIC);

        kafka.close();
        for (int i = 11; i <= 30; i++) {
            publisher.publish("vm-a", "a-" + i);
            expected.add("a-" + i);
        }
        Thread.sleep(2000);
        assertThat(journal.pendingBytes()).as("undeliverable events wait in the journal").isPositive();
        // The agent restarts while Kafka is still away: its drain gives up after its bound, the events stay journalled.
        assertThat(publisher.drain(Duration.ofSeconds(1))).isFalse();
        journal.close();

        kafka = EmbeddedKafka.startPersistent(kafkaData, brokerPort, controllerPort);
        try (var reopened = EventJournal.open(journalDir, 1 << 20)) {
            assertThat(reopened.pending(1000)).hasSize(20);
            var again = new EventPublisher(reopened, bootstrap, TOPIC);
            try {
                var seen = read(bootstrap, 30, Duration.ofSeconds(90));
                // At least once: a repeat is allowed, a gap or a reordering is not.
                assertThat(new ArrayList<>(new LinkedHashSet<>(seen))).containsExactlyElementsOf(expected);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (reopened.pendingBytes() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(reopened.pendingBytes()).isZero();
            } finally {
                again.close();
            }
        } finally {
            kafka.close();
        }
    }

    /** Reads the topic from the start until {@code count} distinct values arrived. */
    private static List<String> read(String bootstrap, int count, Duration timeout) {
        var values = new ArrayList<String>();
        Set<String> distinct = new LinkedHashSet<>();
        try (var consumer = new KafkaConsumer<String, String>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (distinct.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    values.add(r.value());
                    distinct.add(r.value());
                });
            }
        }
        return values;
    }
}
