package dev.corral.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.sql.DriverManager;

import org.junit.jupiter.api.Test;

class EmbeddedPostgresIT {

    @Test
    void temporaryServerAnswersSqlAndLeavesNothingBehind() throws Exception {
        var dataDirectory = (java.nio.file.Path) null;
        try (var postgres = EmbeddedPostgres.startTemporary()) {
            dataDirectory = postgres.dataDirectory();
            try (var c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.username(), postgres.password());
                 var s = c.createStatement();
                 var rs = s.executeQuery("SELECT current_database(), version()")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(EmbeddedPostgres.DATABASE);
                assertThat(rs.getString(2)).startsWith("PostgreSQL");
            }
        }
        assertThat(Files.exists(dataDirectory)).isFalse();
    }

    @Test
    void persistentServerKeepsItsDataAcrossRestarts() throws Exception {
        var dir = Files.createTempDirectory("corral-pg-persist-");
        try {
            try (var postgres = EmbeddedPostgres.startPersistent(dir);
                 var c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.username(), postgres.password());
                 var s = c.createStatement()) {
                s.execute("CREATE TABLE kept (v text)");
                s.execute("INSERT INTO kept VALUES ('survives')");
            }
            try (var postgres = EmbeddedPostgres.startPersistent(dir);
                 var c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.username(), postgres.password());
                 var s = c.createStatement();
                 var rs = s.executeQuery("SELECT v FROM kept")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("survives");
            }
        } finally {
            TempDirectories.deleteQuietly(dir);
        }
    }
}
