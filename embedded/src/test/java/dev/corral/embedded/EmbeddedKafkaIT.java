package dev.corral.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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
}
