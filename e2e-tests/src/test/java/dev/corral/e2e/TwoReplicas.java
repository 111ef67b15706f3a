package dev.corral.e2e;

import java.util.Map;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Two control-plane replicas sharing one PostgreSQL and one Kafka (the first one's), started once for every test
 * that takes a {@link Pair} parameter and stopped when the whole run ends. Starting two control planes takes
 * 30-60 s on two cores; tests that need replicas share them, each in its own project, pool and names.
 */
final class TwoReplicas implements ParameterResolver {

    record Pair(ControlPlaneProcess first, ControlPlaneProcess second) implements AutoCloseable {

        /** Both, alternately: request {@code i} goes to {@code replica(i)}. */
        ControlPlaneProcess replica(int i) {
            return i % 2 == 0 ? first : second;
        }

        @Override
        public void close() throws Exception {
            try (first) {
                second.close();
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext extension) {
        return parameter.getParameter().getType() == Pair.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext extension) {
        return extension.getRoot().getStore(ExtensionContext.Namespace.create(TwoReplicas.class))
                .computeIfAbsent(Pair.class, k -> start(), Pair.class);
    }

    private static Pair start() {
        try {
            var first = ControlPlaneProcess.start();
            try {
                var second = ControlPlaneProcess.start(Map.of("QUARKUS_DATASOURCE_JDBC_URL", first.jdbcUrl(),
                        "QUARKUS_DATASOURCE_USERNAME", "postgres", "KAFKA_BOOTSTRAP_SERVERS", first.kafkaBootstrapServers(),
                        "CORRAL_USAGE_ENABLED", "false"));
                return new Pair(first, second);
            } catch (Exception | Error e) {
                first.close();
                throw e;
            }
        } catch (Exception e) {
            throw new IllegalStateException("starting two control-plane replicas failed", e);
        }
    }
}
