package dev.corral.engine.guests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Real guests no one here wrote come from Debian: {@code apt-get download} into {@code target/} on first use (never
 * installed, never committed). Shared by the tests that need them.
 */
public final class DebianPackages {

    private DebianPackages() {
    }

    /** Downloads {@code pkg}'s .deb into {@code dir} (unless one is there) and returns it. */
    public static Path fetch(String pkg, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path deb = find(pkg, dir);
        if (deb == null) {
            run(dir, "apt-get", "download", pkg);
            deb = find(pkg, dir);
        }
        if (deb == null) {
            throw new IOException("apt-get download " + pkg + " left no .deb in " + dir);
        }
        return deb;
    }

    private static Path find(String pkg, Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(pkg + "_") && f.toString().endsWith(".deb"))
                    .sorted().reduce((a, b) -> b).orElse(null);
        }
    }

    /** Runs a host command in {@code dir}; returns its output, or throws quoting it when the command fails. */
    public static String run(Path dir, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("corral-guest", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " failed: " + Files.readString(log));
            }
            return Files.readString(log);
        } finally {
            Files.deleteIfExists(log);
        }
    }
    /**
     * Runs a guest's build script ({@code sh SCRIPT OUT}, from this module's directory) and returns OUT; a failure is
     * unchecked, saying which guest ({@code what}) could not be built. For the guests' once-per-JVM holders.
     */
    public static Path buildGuest(Path script, Path out, String what) {
        try {
            run(Path.of("."), "sh", script.toString(), out.toString());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the " + what + " guest: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the " + what + " guest", e);
        }
    }

    /** A built guest's file, whole. */
    public static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
