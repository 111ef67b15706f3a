package dev.corral.engine.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawImageTest {

    @TempDir
    Path dir;

    /** The file's allocated 512-byte blocks (stat %b), to see holes punched. */
    private static long allocatedBlocks(Path file) {
        return Long.parseLong(QemuImg.ok("stat", "-c", "%b", file.toString()).trim());
    }

    @Test
    void aRawImageIsItsFileByteForByte() throws Exception {
        Path file = dir.resolve("disk.raw");
        Workload workload = new Workload(1, new byte[4 << 20], 4096);
        try (RawImage disk = RawImage.create(file, 4 << 20)) {
            assertThat(disk.size()).isEqualTo(4 << 20);
            workload.run(disk, 300);
            workload.assertWhole(disk);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(workload.model());
    }

    @Test
    void discardPunchesAHoleThatReadsAsZeros() throws Exception {
        Path file = dir.resolve("disk.raw");
        byte[] ones = new byte[1 << 20];
        Arrays.fill(ones, (byte) 1);
        try (RawImage disk = RawImage.create(file, 2 << 20)) {
            disk.write(0, ByteBuffer.wrap(ones));
            disk.write(1 << 20, ByteBuffer.wrap(ones));
            disk.flush();
            long before = allocatedBlocks(file);
            disk.discard(4096, (1 << 20) + 100);
            disk.flush();
            assertThat(allocatedBlocks(file)).as("the hole gave the space back").isLessThan(before - 1500);
            ByteBuffer all = ByteBuffer.allocate(2 << 20);
            disk.read(0, all);
            byte[] expected = new byte[2 << 20];
            Arrays.fill(expected, (byte) 1);
            Arrays.fill(expected, 4096, 4096 + (1 << 20) + 100, (byte) 0);
            assertThat(all.array()).isEqualTo(expected);
        }
        assertThat(Files.size(file)).isEqualTo(2 << 20);
    }

    @Test
    void aReadOnlyImageRefusesWritesAndAccessesOutsideTheDiskAreRefused() throws Exception {
        Path file = Files.write(dir.resolve("disk.raw"), new byte[8192]);
        try (RawImage disk = RawImage.open(file, true)) {
            assertThat(disk.readOnly()).isTrue();
            assertThatThrownBy(() -> disk.write(0, ByteBuffer.allocate(1)))
                    .isInstanceOf(StorageException.class).hasMessageContaining("read-only");
            assertThatThrownBy(() -> disk.discard(0, 1)).isInstanceOf(StorageException.class);
            assertThatThrownBy(() -> disk.read(8000, ByteBuffer.allocate(200)))
                    .isInstanceOf(StorageException.class).hasMessageContaining("outside the disk");
            assertThatThrownBy(() -> disk.read(Long.MAX_VALUE, ByteBuffer.allocate(2))).isInstanceOf(StorageException.class);
        }
        assertThatThrownBy(() -> RawImage.create(file, 1)).isInstanceOf(StorageException.class);
    }

    @Test
    void anInterruptedWorkerDoesNotTakeTheDiskAwayFromTheOthers() throws Exception {
        Path file = dir.resolve("disk.raw");
        try (RawImage disk = RawImage.create(file, 1 << 20)) {
            Thread.currentThread().interrupt();
            disk.write(0, ByteBuffer.wrap(new byte[] {7}));
            assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();
            ByteBuffer one = ByteBuffer.allocate(1);
            disk.read(0, one);
            assertThat(one.get(0)).isEqualTo((byte) 7);
        }
    }
}
