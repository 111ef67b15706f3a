package dev.corral.engine.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A seeded random disk workload applied to an image and to an in-memory model of the same disk at once: writes of
 * random sizes at random offsets (many across cluster boundaries), discards, flushes; after each step the touched
 * range is read back and compared with the model.
 */
final class Workload {

    private final SplittableRandom random;
    private final byte[] model;
    private final int clusterSize;

    /** A workload over a disk whose current content is {@code model} (changed in place). */
    Workload(long seed, byte[] model, int clusterSize) {
        this.random = new SplittableRandom(seed);
        this.model = model;
        this.clusterSize = clusterSize;
    }

    byte[] model() {
        return model;
    }

    /** Runs {@code steps} random operations, checking each against the model. */
    void run(BlockImage disk, int steps) throws StorageException {
        for (int step = 0; step < steps; step++) {
            int kind = random.nextInt(100);
            long offset = offset();
            int length = (int) Math.min(length(), model.length - offset);
            if (kind < 70) {
                byte[] data = new byte[length];
                fill(data);
                disk.write(offset, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, model, (int) offset, length);
            } else if (kind < 85) {
                disk.discard(offset, length);
                Arrays.fill(model, (int) offset, (int) offset + length, (byte) 0);
            } else if (kind < 92) {
                disk.flush();
            }
            assertRange(disk, offset, length);
        }
    }

    /** A random offset: a cluster boundary, a sector boundary or any byte. */
    private long offset() {
        long any = random.nextLong(model.length);
        return switch (random.nextInt(3)) {
            case 0 -> any / clusterSize * clusterSize;
            case 1 -> any / 512 * 512;
            default -> any;
        };
    }

    private int length() {
        return switch (random.nextInt(4)) {
            case 0 -> 1 + random.nextInt(512);
            case 1 -> 4096;
            case 2 -> clusterSize * (1 + random.nextInt(3));
            default -> 1 + random.nextInt(3 * clusterSize);
        };
    }

    /** Compressible and incompressible data alike. */
    private void fill(byte[] data) {
        if (random.nextBoolean()) {
            random.nextBytes(data);
        } else {
            Arrays.fill(data, (byte) random.nextInt(256));
        }
    }

    void assertRange(BlockImage disk, long offset, int length) throws StorageException {
        ByteBuffer actual = ByteBuffer.allocate(length);
        disk.read(offset, actual);
        assertThat(actual.array()).as("bytes at %d (+%d)", offset, length)
                .isEqualTo(Arrays.copyOfRange(model, (int) offset, (int) offset + length));
    }

    /** Reads the whole disk and compares it with the model. */
    void assertWhole(BlockImage disk) throws StorageException {
        assertThat(disk.size()).isEqualTo(model.length);
        for (long at = 0; at < model.length; at += 1 << 20) {
            assertRange(disk, at, (int) Math.min(1 << 20, model.length - at));
        }
    }

    /** The model as a raw image file, for qemu-img compare. */
    Path writeRaw(Path path) throws IOException {
        return Files.write(path, model);
    }
}
