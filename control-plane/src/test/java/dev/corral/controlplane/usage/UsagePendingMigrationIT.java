package dev.corral.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * V12 on a database that an older control plane filled (the local cloud's data directory survives upgrades): the
 * events that wait for an earlier sequence stay, with their content; the ids of applied and stale ones go, since the
 * workloads' sequences cover them. Runs the migrations in a schema of its own, up to V10 and then to the end.
 */
@QuarkusTest
class UsagePendingMigrationIT {

    @Inject
    DataSource dataSource;

    @Test
    void upgradingKeepsWaitingEventsWithTheirContentAndDropsTheIdsOfAppliedAndStaleOnes() throws SQLException {
        String schema = "upgrade_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        migrate(schema, "10");
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            s.execute("INSERT INTO " + schema + ".usage_event (id, uid, sequence, status, event) VALUES "
                    + "('w-1', 'w', 1, 'applied', NULL), ('w-2', 'w', 2, 'stale', NULL), "
                    + "('w-4', 'w', 4, 'pending', '{\"id\":\"w-4\",\"sequence\":4}')");
        }
        migrate(schema, "latest");
        var rows = new ArrayList<String>();
        try (var c = dataSource.getConnection(); var s = c.createStatement();
                var r = s.executeQuery("SELECT id, uid, sequence, event->>'id' FROM " + schema + ".usage_pending ORDER BY id")) {
            while (r.next()) {
                rows.add(r.getString(1) + " " + r.getString(2) + " " + r.getLong(3) + " " + r.getString(4));
            }
        }
        assertThat(rows).isEqualTo(List.of("w-4 w 4 w-4"));
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            s.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    private void migrate(String schema, String target) {
        Flyway.configure().dataSource(dataSource).schemas(schema).locations("classpath:db/migration").target(target).load().migrate();
    }
}
