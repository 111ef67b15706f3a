package dev.corral.engine.devices.legacy;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A guest's console output: the newest {@code capacity} bytes in a ring, addressed by their offset in the
 * whole output since boot, so a reader resumes where it stopped and learns how much it missed if the ring
 * moved past it. Optionally tees everything to a file (appended) and streams to followers.
 *
 * <p>Thread-safe: the vCPU thread writes, HTTP readers read and follow. Followers are called on the writing
 * thread while the buffer is locked (that is what makes {@link #follow} gap-free), so they must only hand the
 * bytes on, never block. A follower that throws is dropped.
 *
 * <p>The tee is buffered and flushed at every newline, so a {@code tail -f} sees whole lines without a system
 * call per byte. If the file cannot be written the tee stops (see {@link #teeFailure()}) and the console goes
 * on: a full disk must not stop the guest.
 */
public final class ConsoleBuffer implements ConsoleSink, AutoCloseable {

    /** Bytes from {@code offset} to {@code offset + bytes.length}; {@code missed} bytes before it were overwritten. */
    public record Chunk(long offset, byte[] bytes, long missed) {
        /** Where to read next. */
        public long next() {
            return offset + bytes.length;
        }
    }

    /** Streamed console output; called under the buffer's lock, so it must not block or call back into it. */
    @FunctionalInterface
    public interface Follower {
        void output(Chunk chunk);
    }

    private final Object lock = new Object();
    private final byte[] ring;
    private final List<Follower> followers = new ArrayList<>();
    private long end;
    private OutputStream tee;
    private IOException teeFailure;

    /** The tee's file and how large it may grow before it is rotated to {@code <file>.1}; null/0 without a tee. */
    private final Path teeFile;
    private final long teeLimit;
    private long teeWritten;

    private ConsoleBuffer(int capacity, OutputStream tee) {
        this(capacity, tee, null, 0, 0);
    }

    private ConsoleBuffer(int capacity, OutputStream tee, Path teeFile, long teeLimit, long teeWritten) {
        this.ring = new byte[capacity];
        this.tee = tee;
        this.teeFile = teeFile;
        this.teeLimit = teeLimit;
        this.teeWritten = teeWritten;
    }

    /** How large a tee file grows before it is rotated, unless said otherwise: eight times the ring, at least 1 MiB. */
    static long defaultTeeLimit(int capacity) {
        return Math.max(8L * capacity, 1L << 20);
    }

    /** A buffer keeping the newest {@code capacity} bytes. */
    public static ConsoleBuffer of(int capacity) {
        checkCapacity(capacity);
        return new ConsoleBuffer(capacity, null);
    }

    /** Also appends everything written to {@code file}, creating it if needed. */
    public static ConsoleBuffer teeingTo(int capacity, Path file) {
        return teeingTo(capacity, file, defaultTeeLimit(capacity));
    }

    /**
     * Also appends everything written to {@code file}; once it holds {@code maxFileBytes} it is renamed to
     * {@code <file>.1} (replacing an older one) and a new file started, so a chatty guest cannot fill the disk.
     */
    public static ConsoleBuffer teeingTo(int capacity, Path file, long maxFileBytes) {
        checkCapacity(capacity);
        if (maxFileBytes < 1) {
            throw new IllegalArgumentException("a console log holds at least one byte, not " + maxFileBytes);
        }
        try {
            long existing = Files.exists(file) ? Files.size(file) : 0;
            var out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            return new ConsoleBuffer(capacity, new BufferedOutputStream(out), file, maxFileBytes, existing);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open console log " + file + " for appending: " + e.getMessage(), e);
        }
    }

    /**
     * Like {@link #teeingTo}, but picks up where an earlier buffer teeing to {@code file} left off: the file's last
     * {@code capacity} bytes are held again, and offsets continue from the file's length (a console that outlives
     * the process that wrote it, e.g. a node agent's restart).
     */
    public static ConsoleBuffer resuming(int capacity, Path file) {
        checkCapacity(capacity);
        long length = 0;
        byte[] tail = new byte[0];
        if (Files.exists(file)) {
            try (var channel = java.nio.channels.FileChannel.open(file, StandardOpenOption.READ)) {
                length = channel.size();
                int n = (int) Math.min(capacity, length);
                var buffer = java.nio.ByteBuffer.allocate(n);
                while (buffer.hasRemaining() && channel.read(buffer, length - n + buffer.position()) > 0) {
                    // reads until the tail is in
                }
                tail = java.util.Arrays.copyOf(buffer.array(), buffer.position());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read console log " + file + ": " + e.getMessage(), e);
            }
        }
        var console = teeingTo(capacity, file);
        synchronized (console.lock) {
            long start = length - tail.length;
            for (int i = 0; i < tail.length; i++) {
                console.ring[(int) ((start + i) % capacity)] = tail[i];
            }
            console.end = length;
        }
        return console;
    }

    private static void checkCapacity(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("a console buffer holds at least one byte, not " + capacity);
        }
    }

    @Override
    public void write(byte b) {
        synchronized (lock) {
            ring[(int) (end % ring.length)] = b;
            end++;
            if (tee != null) {
                try {
                    tee.write(b);
                    teeWritten++;
                    if (b == '\n') {
                        tee.flush();
                    }
                    if (teeWritten >= teeLimit) {
                        rotateTee();
                    }
                } catch (IOException e) {
                    stopTee(e);
                }
            }
            if (!followers.isEmpty()) {
                var chunk = new Chunk(end - 1, new byte[] {b}, 0);
                // A follower that throws (a reader's bug, a closed connection) is dropped: it must not stop the
                // others, nor surface as a fault of the UART that is writing.
                followers.removeIf(f -> !deliver(f, chunk));
            }
        }
    }

    /**
     * Everything still held from {@code offset} on. An offset the ring has moved past starts at the oldest byte
     * held and says how many were missed; one past the end (a reader from an earlier boot) reads nothing, from
     * the end.
     */
    public Chunk readFrom(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("a console offset is 0 or more, not " + offset);
        }
        synchronized (lock) {
            long oldest = Math.max(0, end - ring.length);
            long from = Math.min(Math.max(offset, oldest), end);
            var bytes = new byte[(int) (end - from)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = ring[(int) ((from + i) % ring.length)];
            }
            return new Chunk(from, bytes, Math.max(0, oldest - offset));
        }
    }

    /** The offset the next byte will have: how many bytes the guest has written in all. */
    public long end() {
        synchronized (lock) {
            return end;
        }
    }

    public int capacity() {
        return ring.length;
    }

    /**
     * Sends {@code follower} everything from {@code offset} on, then every byte as it is written, with no gap
     * and no repeat between the two. Closing the returned handle stops it.
     */
    public AutoCloseable follow(long offset, Follower follower) {
        Objects.requireNonNull(follower, "follower");
        synchronized (lock) {
            var backlog = readFrom(offset);
            if (backlog.bytes().length > 0 || backlog.missed() > 0) {
                follower.output(backlog);
            }
            followers.add(follower);
        }
        return () -> {
            synchronized (lock) {
                followers.remove(follower);
            }
        };
    }

    /** Why the file tee stopped, if it did. */
    public Optional<IOException> teeFailure() {
        synchronized (lock) {
            return Optional.ofNullable(teeFailure);
        }
    }

    /** Writes out what the tee holds (a partial last line). */
    public void flush() {
        synchronized (lock) {
            if (tee != null) {
                try {
                    tee.flush();
                } catch (IOException e) {
                    stopTee(e);
                }
            }
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            flush();
            if (tee != null) {
                try {
                    tee.close();
                } catch (IOException e) {
                    teeFailure = e;
                }
                tee = null;
            }
            followers.clear();
        }
    }

    private static boolean deliver(Follower follower, Chunk chunk) {
        try {
            follower.output(chunk);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Called with the lock held: the full file becomes {@code <file>.1} and the tee starts a new one. */
    private void rotateTee() throws IOException {
        tee.close();
        Files.move(teeFile, teeFile.resolveSibling(teeFile.getFileName() + ".1"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        tee = new BufferedOutputStream(Files.newOutputStream(teeFile, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE));
        teeWritten = 0;
    }

    private void stopTee(IOException e) {
        teeFailure = e;
        try {
            tee.close();
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
        tee = null;
    }
}
