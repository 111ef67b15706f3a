package dev.corral.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaIT {

    @Test
    void recordsRoundTripThroughAConsumerGroupInKeyOrder() throws Exception {
        try (var kafka = EmbeddedKafka.startTemporary()) {
            try (var admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("roundtrip", 3, (short) 1))).all().get();
            }
            try (var producer = new KafkaProducer<String, String>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                    new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("roundtrip", "vm-" + (i % 2), "event-" + i)).get();
                }
            }
            var received = new ArrayList<ConsumerRecord<String, String>>();
            try (var consumer = new KafkaConsumer<String, String>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "roundtrip-test",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(Set.of("roundtrip"));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (received.size() < 10 && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                }
                consumer.commitSync();
            }
            assertThat(received).hasSize(10);
            // Per-key order is what lifecycle consumers rely on.
            assertThat(received.stream().filter(r -> r.key().equals("vm-0")).map(ConsumerRecord::value))
                    .containsExactly("event-0", "event-2", "event-4", "event-6", "event-8");
            assertThat(received.stream().filter(r -> r.key().equals("vm-1")).map(ConsumerRecord::value))
                    .containsExactly("event-1", "event-3", "event-5", "event-7", "event-9");
        }
    }

    @Test
    void persistentBrokerKeepsItsTopicsAcrossRestarts() throws Exception {
        var dir = java.nio.file.Files.createTempDirectory("corral-kafka-persist-");
        try {
            try (var kafka = EmbeddedKafka.startPersistent(dir);
                 var admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get();
            }
            try (var kafka = EmbeddedKafka.startPersistent(dir);
                 var admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                assertThat(admin.listTopics().names().get()).contains("kept");
            }
        } finally {
            TempDirectories.deleteQuietly(dir);
        }
    }

    @Test
    void compactedTopicsAreCleanedWithTheSmallDedupeMap() throws Exception {
        try (var kafka = EmbeddedKafka.startTemporary();
             var admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            var broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
            Config config = admin.describeConfigs(List.of(broker)).all().get().get(broker);
            assertThat(config.get("log.cleaner.dedupe.buffer.size").value()).isEqualTo(String.valueOf(16L << 20));

            // Small segments rolled at once, so that the cleaner finds closed segments to compact.
            admin.createTopics(List.of(new NewTopic("compacted", 1, (short) 1).configs(Map.of(
                    "cleanup.policy", "compact", "segment.ms", "100", "min.cleanable.dirty.ratio", "0.01",
                    "delete.retention.ms", "100")))).all().get();
            try (var producer = new KafkaProducer<String, String>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"),
                    new StringSerializer(), new StringSerializer())) {
                for (int round = 0; round < 3; round++) {
                    for (int key = 0; key < 100; key++) {
                        producer.send(new ProducerRecord<>("compacted", "key-" + key, "round-" + round)).get();
                    }
                    Thread.sleep(200); // the segment rolls at the next append
                }
                producer.send(new ProducerRecord<>("compacted", "last", "roll")).get();
            }
            // The cleaner runs every 15 s (log.cleaner.backoff.ms): wait for the log to hold each key once.
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            List<ConsumerRecord<String, String>> records;
            do {
                Thread.sleep(1000);
                records = readAll(kafka, "compacted");
            } while (records.size() > 101 && System.nanoTime() < deadline);
            assertThat(records).hasSize(101);
            assertThat(records.stream().filter(r -> r.key().startsWith("key-")).map(ConsumerRecord::value))
                    .containsOnly("round-2");
        }
    }

    private static List<ConsumerRecord<String, String>> readAll(EmbeddedKafka kafka, String topic) {
        var records = new ArrayList<ConsumerRecord<String, String>>();
        try (var consumer = new KafkaConsumer<String, String>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            var partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
