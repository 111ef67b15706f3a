package dev.corral.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.DriverManager;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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

    @Test
    void persistentServerIsDurable() throws Exception {
        var dir = Files.createTempDirectory("corral-pg-durable-");
        try (var postgres = EmbeddedPostgres.startPersistent(dir)) {
            assertThat(setting(postgres, "fsync")).isEqualTo("on");
            assertThat(setting(postgres, "synchronous_commit")).isEqualTo("on");
            assertThat(setting(postgres, "full_page_writes")).isEqualTo("on");
            assertThat(postgres.durability()).isEqualTo("fsync=on synchronous_commit=on full_page_writes=on");
        } finally {
            TempDirectories.deleteQuietly(dir);
        }
    }

    @Test
    void serverLeftRunningByAnEarlierOwnerIsStoppedAndItsDataKept() throws Exception {
        var dir = Files.createTempDirectory("corral-pg-leftover-");
        try {
            var earlier = EmbeddedPostgres.startPersistent(dir);
            var exited = new CompletableFuture<String>();
            earlier.onUnexpectedExit(exited::complete);
            insert(earlier, "before");
            // The earlier owner is gone without a word (as after kill -9 of its JVM): the next start finds its server.
            try (var next = EmbeddedPostgres.startPersistent(dir)) {
                assertThat(exited.get(30, TimeUnit.SECONDS)).contains("pid " + earlier.pid()).contains("exited");
                assertThat(ProcessHandle.of(earlier.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
                assertThat(rows(next)).containsExactly("before");
            }
            earlier.close();
        } finally {
            TempDirectories.deleteQuietly(dir);
        }
    }

    @Test
    void killedServerRecoversEveryCommitOnTheNextStart() throws Exception {
        var dir = Files.createTempDirectory("corral-pg-killed-");
        try {
            var killed = EmbeddedPostgres.startPersistent(dir);
            insert(killed, "acknowledged");
            ProcessHandle.of(killed.pid()).orElseThrow().destroyForcibly();
            ProcessHandle.of(killed.pid()).ifPresent(h -> h.onExit().join());
            try (var next = EmbeddedPostgres.startPersistent(dir)) {
                assertThat(rows(next)).containsExactly("acknowledged");
            }
            killed.close();
        } finally {
            TempDirectories.deleteQuietly(dir);
        }
    }

    @Test
    void failedStartSaysWhyInOneLine() throws Exception {
        var dir = Files.createTempDirectory("corral-pg-broken-");
        try {
            EmbeddedPostgres.startPersistent(dir).close();
            Files.writeString(dir.resolve("postgresql.conf"), "\nthis is not a setting\n", StandardOpenOption.APPEND);
            var failure = org.assertj.core.api.Assertions.catchThrowableOfType(EmbeddedServiceException.class,
                    () -> EmbeddedPostgres.startPersistent(dir));
            assertThat(failure.getMessage()).startsWith("PostgreSQL did not start on " + dir.toRealPath())
                    .contains("configuration file").doesNotContain("\n");
            assertThat(Files.exists(dir.resolve("postmaster.pid"))).isFalse();
        } finally {
            TempDirectories.deleteQuietly(dir);
        }
    }

    private static String setting(EmbeddedPostgres postgres, String name) throws Exception {
        try (var c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.username(), postgres.password());
             var s = c.createStatement();
             var rs = s.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void insert(EmbeddedPostgres postgres, String value) throws Exception {
        try (var c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.username(), postgres.password());
             var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS kept (v text)");
            s.execute("INSERT INTO kept VALUES ('" + value + "')");
        }
    }

    private static java.util.List<String> rows(EmbeddedPostgres postgres) throws Exception {
        var rows = new java.util.ArrayList<String>();
        try (var c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.username(), postgres.password());
             var s = c.createStatement();
             var rs = s.executeQuery("SELECT v FROM kept")) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }
}
