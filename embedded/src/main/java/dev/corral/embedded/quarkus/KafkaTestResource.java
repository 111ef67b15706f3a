package dev.corral.embedded.quarkus;

import java.util.Map;

import dev.corral.embedded.EmbeddedKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts a real, throw-away Kafka broker (KRaft, in-process) for a {@code @QuarkusTest} and sets
 * {@code kafka.bootstrap.servers} to it.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    private EmbeddedKafka kafka;

    @Override
    public Map<String, String> start() {
        kafka = EmbeddedKafka.startTemporary();
        return Map.of("kafka.bootstrap.servers", kafka.bootstrapServers());
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }
}
