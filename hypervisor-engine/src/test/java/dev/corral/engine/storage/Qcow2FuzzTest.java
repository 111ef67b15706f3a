package dev.corral.engine.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Test;

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
        // tmpfs where there is one: every flush is an fdatasync, and thousands of images go through here.
        Path shm = Path.of("/dev/shm");
        Path file = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempFile(shm, "corral-fuzz", ".qcow2")
                : Files.createTempFile("corral-fuzz", ".qcow2");
        try {
            Files.write(file, image);
            exercise(file, true);
            exercise(file, false);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * The same property in every normal run beyond the corpus: each seed image with a few random bytes changed
     * (mostly in its metadata: the header cluster and the tables), seeded, thousands of times.
     */
    @Test
    void mutatedImagesFailOnlyWithStorageException() throws IOException {
        Path seeds = Path.of("src/test/resources/dev/corral/engine/storage/Qcow2FuzzTestInputs/images");
        List<byte[]> images = new ArrayList<>();
        try (var files = Files.list(seeds)) {
            for (Path seed : files.sorted().toList()) {
                images.add(Files.readAllBytes(seed));
            }
        }
        assertThat(images).hasSizeGreaterThan(3);
        SplittableRandom random = new SplittableRandom(1234);
        for (int i = 0; i < 2000; i++) {
            byte[] image = images.get(random.nextInt(images.size())).clone();
            int changes = 1 + random.nextInt(4);
            for (int c = 0; c < changes; c++) {
                // Metadata lives in the first few KiB of these 512-byte-cluster seeds.
                int at = random.nextInt(random.nextBoolean() ? Math.min(image.length, 2048) : image.length);
                image[at] = switch (random.nextInt(3)) {
                    case 0 -> (byte) random.nextInt(256);
                    case 1 -> (byte) (image[at] ^ (1 << random.nextInt(8)));
                    default -> (byte) (random.nextBoolean() ? 0 : 0xff);
                };
            }
            if (random.nextInt(10) == 0) {
                image = Arrays.copyOf(image, random.nextInt(image.length + 1));
            }
            images(image);
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
