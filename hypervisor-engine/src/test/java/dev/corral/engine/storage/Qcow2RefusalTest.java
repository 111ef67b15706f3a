package dev.corral.engine.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image is untrusted input: what Corral does not support, and what is corrupt, is refused with a
 * {@link StorageException} that says which, before anything is read from the guest's point of view.
 */
class Qcow2RefusalTest {

    @TempDir
    Path dir;

    private Path qemuImage(String name, String options) {
        Path image = dir.resolve(name);
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", options, image.toString(), "4M");
        return image;
    }

    /** A valid 4 MiB image with data in its first clusters, made by Corral. */
    private Path dataImage() throws StorageException {
        Path image = dir.resolve("data.qcow2");
        Qcow2Image.create(image, 4 << 20);
        try (Qcow2Image disk = Qcow2Image.open(image, false, Backing.none())) {
            disk.write(0, ByteBuffer.wrap(new byte[200_000]).put(0, (byte) 1));
        }
        return image;
    }

    private static void patch(Path image, long offset, ByteBuffer bytes) throws IOException {
        try (var channel = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(bytes, offset);
        }
    }

    private static long readLong(Path image, long offset) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(image)).getLong((int) offset);
    }

    private static void assertRefused(Path image, boolean readOnly, String message) {
        assertThatThrownBy(() -> Qcow2Image.open(image, readOnly, Backing.none()).close())
                .isInstanceOf(StorageException.class).hasMessageContaining(message);
    }

    @Test
    void unsupportedFeaturesAreRefusedByName() throws Exception {
        assertRefused(qemuImage("l2.qcow2", "extended_l2=on"), true, "extended L2 entries");
        assertRefused(qemuImage("ext.qcow2", "data_file=" + dir.resolve("data.raw")), true, "external data file");
        Path raw = Files.write(dir.resolve("text.raw"), "corral ".repeat(150_000).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Path zstd = dir.resolve("zstd.qcow2");
        QemuImg.ok("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", "compression_type=zstd", raw.toString(),
                zstd.toString());
        try (Qcow2Image disk = Qcow2Image.open(zstd, true, Backing.none())) {
            assertThatThrownBy(() -> disk.read(0, ByteBuffer.allocate(512)))
                    .isInstanceOf(StorageException.class).hasMessageContaining("zstd-compressed clusters are not supported");
        }
        Path encrypted = dataImage();
        patch(encrypted, 32, ByteBuffer.allocate(4).putInt(0, 2));
        assertRefused(encrypted, true, "encrypted");
    }

    @Test
    void corruptUnknownAndDirtyImagesAreRefused() throws Exception {
        Path image = dataImage();
        patch(image, 72, ByteBuffer.allocate(8).putLong(0, 1L << 40));
        assertRefused(image, true, "incompatible features 0x10000000000");
        patch(image, 72, ByteBuffer.allocate(8).putLong(0, Qcow2Header.CORRUPT));
        assertRefused(image, true, "marked corrupt");
        patch(image, 72, ByteBuffer.allocate(8).putLong(0, Qcow2Header.DIRTY));
        assertRefused(image, false, "dirty");
        Qcow2Image.open(image, true, Backing.none()).close();
        patch(image, 4, ByteBuffer.allocate(4).putInt(0, 1));
        assertRefused(image, true, "version 1 is not supported");
    }

    @Test
    void writingToAnImageWithInternalSnapshotsIsRefusedReadingIsNot() throws Exception {
        Path image = dataImage();
        QemuImg.ok("qemu-img", "snapshot", "-c", "before", image.toString());
        assertRefused(image, false, "internal snapshots");
        try (Qcow2Image disk = Qcow2Image.open(image, true, Backing.none())) {
            ByteBuffer first = ByteBuffer.allocate(1);
            disk.read(0, first);
            assertThat(first.get(0)).isEqualTo((byte) 1);
        }
    }

    @Test
    void headerFieldsOutsideTheFileOrAbsurdAreRefused() throws Exception {
        long fileLength = Files.size(dataImage());
        Files.delete(dir.resolve("data.qcow2"));
        Object[][] patches = {
            {24L, Long.MAX_VALUE, "virtual size"},
            {24L, 1L << 60, "virtual size"},
            {40L, fileLength + (1 << 16), "L1 table"},
            {40L, 12_345L, "L1 table"},
            {48L, 1L << 50, "refcount table"},
            {48L, 0L, "refcount table"},
            {8L, 70_000L, "backing file name"},
        };
        for (Object[] p : patches) {
            Path image = dataImage();
            patch(image, (long) p[0], ByteBuffer.allocate(8).putLong(0, (long) p[1]));
            assertRefused(image, true, (String) p[2]);
            Files.delete(image);
        }
        Path image = dataImage();
        patch(image, 36, ByteBuffer.allocate(4).putInt(0, -1));
        assertRefused(image, true, "L1 table");
        Files.delete(image);
        image = dataImage();
        patch(image, 20, ByteBuffer.allocate(4).putInt(0, 40));
        assertRefused(image, true, "cluster size");
        Files.delete(image);
        image = dataImage();
        patch(image, 100, ByteBuffer.allocate(4).putInt(0, 1 << 20));
        assertRefused(image, true, "header length");
    }

    @Test
    void tableEntriesPointingOutsideTheFileOrIntoMetadataAreRefused() throws Exception {
        Path image = dataImage();
        long l1 = readLong(image, 40);
        long l2 = readLong(image, l1) & Qcow2Mapping.OFFSET_MASK;
        // An L2 entry pointing at the L1 table: reading it would hand the guest the image's own metadata.
        patch(image, l2, ByteBuffer.allocate(8).putLong(0, l1 | Qcow2Mapping.COPIED));
        try (Qcow2Image disk = Qcow2Image.open(image, true, Backing.none())) {
            assertThatThrownBy(() -> disk.read(0, ByteBuffer.allocate(512)))
                    .isInstanceOf(StorageException.class).hasMessageContaining("not a data cluster inside the file");
        }
        assertRefused(image, false, "not a data cluster inside the file");
        patch(image, l2, ByteBuffer.allocate(8).putLong(0, (1L << 40) | Qcow2Mapping.COPIED));
        assertRefused(image, false, "not a data cluster inside the file");
        patch(image, l1, ByteBuffer.allocate(8).putLong(0, 1L << 45));
        assertRefused(image, true, "L1 entry 0");
        // Two L1 entries sharing one L2 table.
        patch(image, 36, ByteBuffer.allocate(4).putInt(0, 2));
        patch(image, l1, ByteBuffer.allocate(16).putLong(0, l2 | Qcow2Mapping.COPIED).putLong(8, l2 | Qcow2Mapping.COPIED));
        assertRefused(image, true, "share cluster");
        long table = readLong(image, 48);
        patch(image, table, ByteBuffer.allocate(8).putLong(0, 123));
        assertRefused(image, true, "refcount table entry 0");
    }

    @Test
    void aClusterReferencedButNotCountedIsRefusedForWriting() throws Exception {
        Path image = dataImage();
        long table = readLong(image, 48);
        long block = readLong(image, table);
        long l1 = readLong(image, 40);
        long l2 = readLong(image, l1) & Qcow2Mapping.OFFSET_MASK;
        long data = readLong(image, l2) & Qcow2Mapping.OFFSET_MASK;
        patch(image, block + (data >>> 16) * 2, ByteBuffer.allocate(2));
        assertRefused(image, false, "has refcount 0");
        Qcow2Image.open(image, true, Backing.none()).close();
    }

    @Test
    void backingFilesNamedInsideAnImageAreFollowedOnlyWhereAllowed() throws Exception {
        Path base = Files.write(dir.resolve("base.raw"), new byte[1 << 20]);
        Path overlay = dir.resolve("overlay.qcow2");
        Qcow2Image.createOverlay(overlay, base, ImageFormat.RAW, 1 << 20);
        assertThatThrownBy(() -> Qcow2Image.open(overlay, true, Backing.none()))
                .isInstanceOf(StorageException.class).hasMessageContaining("names a backing file");
        Path elsewhere = Files.createDirectory(dir.resolve("tenant"));
        Path escaping = elsewhere.resolve("escape.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "../base.raw", "-F", "raw", escaping.toString(), "1M");
        assertThatThrownBy(() -> Qcow2Image.open(escaping, true, Backing.within(elsewhere)))
                .isInstanceOf(StorageException.class).hasMessageContaining("is outside");
        Qcow2Image.open(escaping, true, Backing.within(dir)).close();
        Path unformatted = elsewhere.resolve("unformatted.qcow2");
        Files.copy(escaping, unformatted);
        byte[] bytes = Files.readAllBytes(unformatted);
        for (int i = 0; i < 4096; i++) {
            if (ByteBuffer.wrap(bytes).getInt(i) == Qcow2Header.EXT_BACKING_FORMAT) {
                patch(unformatted, i, ByteBuffer.allocate(4).putInt(0, 0x12345678));
            }
        }
        assertThatThrownBy(() -> Qcow2Image.open(unformatted, true, Backing.within(dir)))
                .isInstanceOf(StorageException.class).hasMessageContaining("never guessed");
        assertThatThrownBy(() -> Qcow2Image.open(dataImage(), true, Backing.file(base, ImageFormat.RAW)))
                .isInstanceOf(StorageException.class).hasMessageContaining("has no backing file");
    }

    @Test
    void aLoopInTheBackingChainIsRefused() throws Exception {
        Path a = dir.resolve("a.qcow2");
        Path b = dir.resolve("b.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "b.qcow2", "-F", "qcow2", a.toString(), "1M");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "a.qcow2", "-F", "qcow2", b.toString(), "1M");
        assertThatThrownBy(() -> Qcow2Image.open(a, true, Backing.within(dir)))
                .isInstanceOf(StorageException.class).hasMessageContaining("loop");
        Path self = dir.resolve("self.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "self.qcow2", "-F", "qcow2", self.toString(), "1M");
        assertThatThrownBy(() -> Qcow2Image.open(self, true, Backing.within(dir)))
                .isInstanceOf(StorageException.class).hasMessageContaining("loop");
    }

    @Test
    void accessesOutsideTheDiskAndWritesToReadOnlyImagesAreRefused() throws Exception {
        Path image = dataImage();
        try (Qcow2Image disk = Qcow2Image.open(image, true, Backing.none())) {
            assertThatThrownBy(() -> disk.read((4 << 20) - 10, ByteBuffer.allocate(11)))
                    .isInstanceOf(StorageException.class).hasMessageContaining("outside the disk");
            assertThatThrownBy(() -> disk.read(-1, ByteBuffer.allocate(1))).isInstanceOf(StorageException.class);
            assertThatThrownBy(() -> disk.write(0, ByteBuffer.allocate(1)))
                    .isInstanceOf(StorageException.class).hasMessageContaining("read-only");
            assertThatThrownBy(() -> disk.discard(0, 512)).isInstanceOf(StorageException.class);
        }
        try (Qcow2Image disk = Qcow2Image.open(image, false, Backing.none())) {
            assertThatThrownBy(() -> disk.discard(4 << 20, 1)).isInstanceOf(StorageException.class);
            assertThatThrownBy(() -> disk.write(Long.MAX_VALUE, ByteBuffer.allocate(2))).isInstanceOf(StorageException.class);
        }
        assertThatThrownBy(() -> Qcow2Image.create(image, 1 << 20))
                .isInstanceOf(StorageException.class).hasMessageContaining("already exists");
        assertThatThrownBy(() -> Qcow2Image.create(dir.resolve("huge.qcow2"), Long.MAX_VALUE))
                .isInstanceOf(StorageException.class).hasMessageContaining("too large");
    }
}
