package dev.corral.agent.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Image blobs on this host, by sha256: fetched once from the control plane, verified, kept. A file is in the cache
 * only under the name of its own digest (downloaded beside it, hashed, made read-only, then linked in), so a torn or
 * tampered download is never used.
 *
 * <p>A blob, once here, is never evicted, rewritten or replaced: VMs' boot disks are overlays whose backing file is
 * the blob of their image's disk, and their contents only make sense on top of exactly those bytes. The link that
 * puts a blob in place fails rather than replace an existing one.
 */
public final class ImageCache {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** Where blobs come from. */
    @FunctionalInterface
    public interface Source {
        void download(String sha256, Path target) throws IOException, InterruptedException;
    }

    /** The blob could not be had, or was not what its digest says. */
    public static final class ImageFetchException extends IOException {
        ImageFetchException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Path directory;
    private final Source source;
    private final ConcurrentHashMap<String, ReentrantLock> fetching = new ConcurrentHashMap<>();

    public ImageCache(Path directory, Source source) {
        this.directory = directory;
        this.source = source;
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the image cache " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * The cached blob, fetched first if it is not here. Fetches of one digest take turns (the second finds the first's
     * blob); a blob already here, or a fetch of another digest, never waits for one: a VM whose image is cached starts
     * while another VM's large disk is still on its way.
     */
    public Path get(String sha256) throws ImageFetchException, InterruptedException {
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw new ImageFetchException("not a sha256 digest: " + sha256, null);
        }
        Path cached = directory.resolve(sha256);
        if (Files.exists(cached)) {
            return cached;
        }
        // One lock per digest ever fetched, kept: a lock dropped from the map while a fetch still waited on it would
        // let a third fetch of the same digest write the same partial file beside it.
        var lock = fetching.computeIfAbsent(sha256, digest -> new ReentrantLock());
        lock.lockInterruptibly();
        try {
            return Files.exists(cached) ? cached : fetch(sha256, cached);
        } finally {
            lock.unlock();
        }
    }

    private Path fetch(String sha256, Path cached) throws ImageFetchException, InterruptedException {
        Path partial = directory.resolve(sha256 + ".partial");
        try {
            source.download(sha256, partial);
            String actual = digest(partial);
            if (!actual.equals(sha256)) {
                throw new ImageFetchException("blob " + sha256 + " arrived with sha256 " + actual + ": not used", null);
            }
            // On the disk before it is linked in under its digest: a blob found here is never fetched again, so one
            // that a power loss left short or holed would back VMs' disks for good.
            try (var channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("r--r--r--"));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: the link below still never replaces a blob.
            }
            try {
                Files.createLink(cached, partial);
            } catch (FileAlreadyExistsException e) {
                // Put there meanwhile under its digest: the same bytes, and in use; keep that one.
            }
            return cached;
        } catch (ImageFetchException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageFetchException("cannot fetch blob " + sha256 + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                // The next fetch overwrites it.
            }
        }
    }

    static String digest(Path file) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            var buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
