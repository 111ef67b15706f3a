package dev.corral.engine.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A raw disk image: the file is the disk, byte for byte, and its length at open is the disk's size. Flush is
 * fdatasync; discard punches a hole in the file (fallocate PUNCH_HOLE | KEEP_SIZE), or writes zeros where the file
 * system cannot punch, so a discarded range always reads as zeros. Positional I/O on one channel: requests from
 * several threads run concurrently, and a flush covers every write that returned before it.
 */
public final class RawImage implements BlockImage {

    private final ImageFile file;
    private final long size;
    private final boolean readOnly;

    private RawImage(ImageFile file, long size, boolean readOnly) {
        this.file = file;
        this.size = size;
        this.readOnly = readOnly;
    }

    /** Opens an existing raw image; its size is the file's length now. */
    public static RawImage open(Path path, boolean readOnly) throws StorageException {
        ImageFile file = ImageFile.open(path, readOnly);
        return new RawImage(file, file.length(), readOnly);
    }

    /** Creates a sparse raw image of {@code size} bytes (all zeros) and opens it for writing; refuses an existing file. */
    public static RawImage create(Path path, long size) throws StorageException {
        if (size < 0) {
            throw new StorageException(path + ": a disk cannot have a negative size (" + size + ")");
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            if (size > 0) {
                channel.write(ByteBuffer.allocate(1), size - 1);
            }
            channel.force(true);
        } catch (IOException e) {
            throw new StorageException(path + ": cannot create the raw image: " + e.getMessage(), e);
        }
        return open(path, false);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer destination) throws StorageException {
        Ranges.check(file.name(), size, offset, destination.remaining());
        file.read(offset, destination);
    }

    @Override
    public void write(long offset, ByteBuffer source) throws StorageException {
        Ranges.checkWritable(file.name(), readOnly);
        Ranges.check(file.name(), size, offset, source.remaining());
        file.write(offset, source);
    }

    @Override
    public void flush() throws StorageException {
        if (!readOnly) {
            file.dataSync();
        }
    }

    @Override
    public void discard(long offset, long length) throws StorageException {
        Ranges.checkWritable(file.name(), readOnly);
        Ranges.check(file.name(), size, offset, length);
        file.zeroRange(offset, length);
    }

    @Override
    public void close() throws StorageException {
        try {
            flush();
        } finally {
            file.close();
        }
    }

    @Override
    public String toString() {
        return "raw image " + file.name();
    }
}
