package dev.corral.engine.storage;

import java.nio.ByteBuffer;

/**
 * A disk as a block device sees it: a fixed number of bytes, read and written at byte offsets, made durable by
 * {@link #flush()}. Implementations are the image formats (raw files, qcow2 overlays on a read-only base); the
 * virtio-blk device is their one user and never knows which format it drives.
 *
 * <p>Offsets and lengths come from the guest: implementations check them against {@link #size()} and refuse an
 * access outside the disk with {@link StorageException}, never an unchecked exception. A read of a range never
 * written returns zeros (or the backing image's bytes). Thread-safe: a device may issue requests from several
 * worker threads; a flush covers every write that completed before it was called.
 */
public interface BlockImage extends AutoCloseable {

    /** The disk's size in bytes, fixed for the life of the image. */
    long size();

    /** Whether writes and discards are refused. */
    boolean readOnly();

    /** Fills {@code destination}'s remaining bytes from the disk at {@code offset}. */
    void read(long offset, ByteBuffer destination) throws StorageException;

    /** Writes {@code source}'s remaining bytes to the disk at {@code offset}; durable only after {@link #flush()}. */
    void write(long offset, ByteBuffer source) throws StorageException;

    /** Makes every completed write durable (fdatasync or the format's equivalent, metadata included). */
    void flush() throws StorageException;

    /**
     * Tells the image that [offset, offset + length) is no longer needed: later reads of it return zeros; the
     * image may free the space. A no-op is allowed where the format cannot free it, but the zeros are not optional.
     */
    void discard(long offset, long length) throws StorageException;

    /** Flushes and releases the files. */
    @Override
    void close() throws StorageException;
}
