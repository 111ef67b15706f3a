package dev.corral.engine.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The qcow2 reader on untrusted bytes: whatever the file holds, opening it, reading it, and (opened for writing)
 * writing, discarding and flushing end normally or with a {@link StorageException}; never another exception, a
 * hang or an out-of-memory error. In a normal test run Jazzer replays the regression corpus under
 * src/test/resources/dev/corral/engine/storage/Qcow2FuzzTestInputs/images (seeds made by qemu-img, plus inputs the
 * fuzzer found); {@code JAZZER_FUZZ=1} fuzzes for new ones.
 */
class Qcow2FuzzTest {

    @FuzzTest(maxDuration = "30s")
    void images(byte[] image) throws IOException {
        Path file = Files.createTempFile("corral-fuzz", ".qcow2");
        try {
            Files.write(file, image);
            exercise(file, true);
            exercise(file, false);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void exercise(Path file, boolean readOnly) {
        try (Qcow2Image disk = Qcow2Image.open(file, readOnly, Backing.none())) {
            long size = disk.size();
            ByteBuffer buffer = ByteBuffer.allocate(4096);
            for (long offset : new long[] {0, size / 3, size / 2, Math.max(0, size - 4096)}) {
                buffer.clear().limit((int) Math.min(4096, size - offset));
                disk.read(offset, buffer);
                if (!readOnly) {
                    buffer.flip();
                    disk.write(offset, buffer);
                    disk.discard(offset, Math.min(size - offset, 70_000));
                }
            }
            disk.flush();
        } catch (StorageException expected) {
            // A refused or corrupt image is the right answer to bad input.
        }
    }
}
