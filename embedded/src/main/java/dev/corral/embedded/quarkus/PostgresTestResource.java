package dev.corral.embedded.quarkus;

import java.util.Map;

import dev.corral.embedded.EmbeddedPostgres;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts a real, throw-away PostgreSQL server for a {@code @QuarkusTest} and points the default datasource at it:
 * {@code @WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL)}.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

    private EmbeddedPostgres postgres;

    @Override
    public Map<String, String> start() {
        postgres = EmbeddedPostgres.startTemporary();
        return Map.of(
                "quarkus.datasource.jdbc.url", postgres.jdbcUrl(),
                "quarkus.datasource.username", postgres.username(),
                "quarkus.datasource.password", postgres.password());
    }

    @Override
    public void stop() {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }
}
