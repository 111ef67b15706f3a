package dev.corral.engine.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An image's host file: positional reads and writes of whole buffers, fdatasync, hole punching, and the file's
 * length as this process has made it. Every failure is a {@link StorageException} naming the file.
 *
 * <p>A FileChannel closes itself when a thread blocked in it is interrupted, which would take the disk away from
 * every other worker of the VM. This class reopens the channel and retries the positional call instead (reads and
 * writes at an offset are idempotent), keeping the interrupting thread's interrupt status.
 */
final class ImageFile implements AutoCloseable {

    private final Path path;
    private final String name;
    private final boolean readOnly;
    private final HolePunch holes;
    private final Journal journal;
    private volatile FileChannel channel;
    private volatile boolean closed;
    private long length;

    /**
     * What the image did to its file, in order, for the tests that replay every prefix of it as the file a crash
     * would leave.
     */
    interface Journal {
        void written(long position, ByteBuffer bytes);

        void punched(long offset, long length);

        void synced();
    }

    private ImageFile(Path path, boolean readOnly, FileChannel channel, long length, Journal journal) {
        this.path = path;
        this.name = path.toString();
        this.readOnly = readOnly;
        this.channel = channel;
        this.length = length;
        this.journal = journal;
        this.holes = readOnly ? null : HolePunch.open(path.toAbsolutePath().toString());
    }

    static ImageFile open(Path path, boolean readOnly) throws StorageException {
        return open(path, readOnly, null);
    }

    static ImageFile open(Path path, boolean readOnly, Journal journal) throws StorageException {
        try {
            FileChannel channel = openChannel(path, readOnly);
            return new ImageFile(path, readOnly, channel, channel.size(), journal);
        } catch (IOException | RuntimeException e) {
            throw new StorageException(path + ": cannot open the image: " + e.getMessage(), e);
        }
    }

    private static FileChannel openChannel(Path path, boolean readOnly) throws IOException {
        return readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    String name() {
        return name;
    }

    /** The file's length, including what this process wrote past the length it had at open. */
    synchronized long length() {
        return length;
    }

    /** Fills {@code destination}'s remaining bytes from {@code position}; bytes past the end of the file read as zeros. */
    void read(long position, ByteBuffer destination) throws StorageException {
        long at = position;
        while (destination.hasRemaining()) {
            int n = io(at, destination, false);
            if (n < 0) {
                while (destination.hasRemaining()) {
                    destination.put((byte) 0);
                }
                return;
            }
            at += n;
        }
    }

    /** Writes all of {@code source}'s remaining bytes at {@code position}. */
    void write(long position, ByteBuffer source) throws StorageException {
        if (journal != null) {
            journal.written(position, source.duplicate());
        }
        long at = position;
        while (source.hasRemaining()) {
            at += io(at, source, true);
        }
        synchronized (this) {
            length = Math.max(length, at);
        }
    }

    /** Makes the file at least {@code end} bytes long (a hole, reading as zeros, where it grows). */
    void extendTo(long end) throws StorageException {
        if (length() < end) {
            write(end - 1, ByteBuffer.allocate(1));
        }
    }

    /** fdatasync: every write so far reaches the disk, with the metadata needed to read it back (the length). */
    void dataSync() throws StorageException {
        call(null, 0, Op.SYNC);
        if (journal != null) {
            journal.synced();
        }
    }

    /** Makes [offset, offset + length) read as zeros, freeing its space where the file system can. */
    void zeroRange(long offset, long length) throws StorageException {
        if (length <= 0 || offset >= length()) {
            return;
        }
        long end = Math.min(offset + length, length());
        if (punch(offset, end - offset)) {
            return;
        }
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(end - offset, 1 << 20));
        for (long at = offset; at < end; at += zeros.capacity()) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), end - at));
            write(at, zeros);
        }
    }

    /** Punches [offset, offset + length) where the file system can; false where it cannot (nothing is written). */
    boolean punch(long offset, long length) throws StorageException {
        boolean punched = holes != null && holes.punch(offset, length);
        if (punched && journal != null) {
            journal.punched(offset, length);
        }
        return punched;
    }

    private enum Op { READ, WRITE, SYNC }

    private int io(long position, ByteBuffer buffer, boolean write) throws StorageException {
        return call(buffer, position, write ? Op.WRITE : Op.READ);
    }

    private int call(ByteBuffer buffer, long position, Op op) throws StorageException {
        boolean interrupted = false;
        try {
            for (int attempt = 0; ; attempt++) {
                if (closed) {
                    throw new StorageException(name + ": the image is closed");
                }
                FileChannel current = channel;
                try {
                    return switch (op) {
                        case READ -> current.read(buffer, position);
                        case WRITE -> current.write(buffer, position);
                        case SYNC -> {
                            current.force(false);
                            yield 0;
                        }
                    };
                } catch (ClosedChannelException e) {
                    if (closed || attempt >= 3) {
                        throw new StorageException(name + ": the image is closed", e);
                    }
                    // Retrying with the status set would close the new channel at once; it is restored below.
                    interrupted |= e instanceof ClosedByInterruptException && Thread.interrupted();
                    reopen(current);
                } catch (IOException e) {
                    throw new StorageException(name + ": " + switch (op) {
                        case READ -> "reading " + buffer.remaining() + " bytes at " + position;
                        case WRITE -> "writing " + buffer.remaining() + " bytes at " + position;
                        case SYNC -> "fdatasync";
                    } + " failed: " + e.getMessage(), e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The channel closed under us, by an interrupt of this or another thread: open the file again. */
    private synchronized void reopen(FileChannel broken) throws StorageException {
        if (channel != broken || closed) {
            return;
        }
        try {
            channel = openChannel(path, readOnly);
        } catch (IOException e) {
            throw new StorageException(name + ": cannot reopen the image after an interrupt: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws StorageException {
        if (closed) {
            return;
        }
        closed = true;
        if (holes != null) {
            holes.close();
        }
        try {
            channel.close();
        } catch (IOException e) {
            throw new StorageException(name + ": closing the image failed: " + e.getMessage(), e);
        }
    }
}
