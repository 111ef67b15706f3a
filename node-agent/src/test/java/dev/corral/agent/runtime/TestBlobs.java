package dev.corral.agent.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A control plane's blob store for tests: bytes by sha256, served to an {@link ImageCache}. */
final class TestBlobs implements ImageCache.Source {

    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();

    /** Adds the bytes; returns their sha256. */
    String put(byte[] bytes) {
        try {
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            blobs.put(sha, bytes);
            return sha;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void download(String sha256, Path target) throws IOException {
        byte[] bytes = blobs.get(sha256);
        if (bytes == null) {
            throw new IOException("no blob " + sha256);
        }
        Files.write(target, bytes);
    }

    /** The ticker test guest (deploy/guests/ticker), built with its build.sh into target/ once per JVM. */
    static byte[] ticker() {
        return Ticker.BYTES;
    }

    private static final class Ticker {
        static final byte[] BYTES = build();

        private static byte[] build() {
            Path out = Path.of("target/guests/ticker/ticker");
            try {
                var process = new ProcessBuilder("sh", "../deploy/guests/ticker/build.sh", out.toString()).inheritIO().start();
                if (process.waitFor() != 0) {
                    throw new IllegalStateException("building the ticker guest failed (exit " + process.exitValue() + ")");
                }
                return Files.readAllBytes(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
