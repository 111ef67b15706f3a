package dev.corral.engine.devices.virtio;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.corral.engine.storage.BlockImage;
import dev.corral.engine.storage.StorageException;

/**
 * A disk image in a byte array, for tests: checks every access as the BlockImage contract says, records the
 * operations in order, and fails every access from {@link #failing} on, as a broken host disk would.
 */
public final class RamDisk implements BlockImage {

    public final byte[] bytes;
    private final boolean readOnly;
    private final List<String> log = new ArrayList<>();
    public volatile boolean failing;

    public RamDisk(int size, boolean readOnly) {
        this.bytes = new byte[size];
        this.readOnly = readOnly;
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public synchronized void read(long offset, ByteBuffer destination) throws StorageException {
        check(offset, destination.remaining(), false);
        log.add("read " + offset + "+" + destination.remaining());
        destination.put(bytes, (int) offset, destination.remaining());
    }

    @Override
    public synchronized void write(long offset, ByteBuffer source) throws StorageException {
        check(offset, source.remaining(), true);
        log.add("write " + offset + "+" + source.remaining());
        source.get(bytes, (int) offset, source.remaining());
    }

    @Override
    public synchronized void flush() throws StorageException {
        if (failing) {
            throw new StorageException("ram disk: flush failed");
        }
        log.add("flush");
    }

    @Override
    public synchronized void discard(long offset, long length) throws StorageException {
        check(offset, length, true);
        log.add("discard " + offset + "+" + length);
        Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
    }

    @Override
    public void close() {
    }

    public synchronized List<String> log() {
        return List.copyOf(log);
    }

    private void check(long offset, long length, boolean write) throws StorageException {
        if (failing) {
            throw new StorageException("ram disk: I/O error");
        }
        if (write && readOnly) {
            log.add("refused a write to a read-only disk");
            throw new StorageException("ram disk: read-only");
        }
        if (offset < 0 || length < 0 || offset > bytes.length - length) {
            throw new StorageException("ram disk: [" + offset + ", +" + length + ") is outside " + bytes.length + " bytes");
        }
    }
}
