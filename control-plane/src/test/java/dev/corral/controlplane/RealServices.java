package dev.corral.controlplane;

import dev.corral.embedded.quarkus.KafkaTestResource;
import dev.corral.embedded.quarkus.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;

/**
 * Every {@code @QuarkusTest} of the control plane runs against one real PostgreSQL server and one real Kafka
 * broker, started once for the test JVM.
 */
@QuarkusTestResource(PostgresTestResource.class)
@QuarkusTestResource(KafkaTestResource.class)
public final class RealServices {
    private RealServices() {
    }
}
