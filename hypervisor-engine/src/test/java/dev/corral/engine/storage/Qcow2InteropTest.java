package dev.corral.engine.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Corral's qcow2 against QEMU's: images qemu-img wrote read right, images Corral wrote pass qemu-img check and compare. */
class Qcow2InteropTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    /** 4 MiB of mixed content: random bytes, zeros, and runs that compress. */
    private static byte[] content(long seed, int size) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] bytes = new byte[size];
        for (int at = 0; at < size; at += 48 * 1024) {
            int n = Math.min(48 * 1024, size - at);
            switch (random.nextInt(3)) {
                case 0 -> {
                    byte[] chunk = new byte[n];
                    random.nextBytes(chunk);
                    System.arraycopy(chunk, 0, bytes, at, n);
                }
                case 1 -> Arrays.fill(bytes, at, at + n, (byte) random.nextInt(256));
                default -> {
                }
            }
        }
        return bytes;
    }

    private static byte[] readAll(BlockImage disk) throws StorageException {
        ByteBuffer all = ByteBuffer.allocate((int) disk.size());
        disk.read(0, all);
        return all.array();
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @ParameterizedTest(name = "cluster {0}, {1}, compressed {2}")
    @CsvSource({"512,1.1,false", "4096,0.10,false", "65536,1.1,false", "65536,0.10,true", "65536,1.1,true",
                "2097152,1.1,false"})
    void readsImagesQemuImgWrote(int clusterSize, String compat, boolean compressed) throws Exception {
        byte[] content = content(clusterSize, 4 * MIB + 512);
        Path raw = Files.write(dir.resolve("source.raw"), content);
        Path image = dir.resolve("image.qcow2");
        QemuImg.ok("qemu-img", "convert", compressed ? "-c" : "-q", "-f", "raw", "-O", "qcow2", "-o",
                "cluster_size=" + clusterSize + ",compat=" + compat, raw.toString(), image.toString());
        try (Qcow2Image disk = Qcow2Image.open(image, true, Backing.none())) {
            assertThat(disk.version()).isEqualTo(compat.equals("0.10") ? 2 : 3);
            assertThat(readAll(disk)).isEqualTo(content);
            SplittableRandom random = new SplittableRandom(7);
            for (int i = 0; i < 200; i++) {
                int offset = random.nextInt(content.length);
                int length = random.nextInt(Math.min(200_000, content.length - offset) + 1);
                ByteBuffer piece = ByteBuffer.allocate(length);
                disk.read(offset, piece);
                assertThat(piece.array()).isEqualTo(Arrays.copyOfRange(content, offset, offset + length));
            }
        }
    }

    @Test
    void readsZeroClustersDiscardsAndABackingChainQemuWrote() throws Exception {
        Path base = Files.write(dir.resolve("base.raw"), content(1, 6 * MIB));
        Path middle = dir.resolve("middle.qcow2");
        Path top = dir.resolve("top.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", middle.toString(), "8M");
        QemuImg.io(middle, "qcow2", "write -P 0x11 100k 300k", "write -z 1M 256k", "discard 2M 128k");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-b", "middle.qcow2", "-F", "qcow2", top.toString(), "8M");
        QemuImg.io(top, "qcow2", "write -P 0x22 200k 64k", "write -z 3M 64k", "write -P 0x33 7M 100k");
        Path expected = dir.resolve("expected.raw");
        QemuImg.ok("qemu-img", "convert", "-f", "qcow2", "-O", "raw", top.toString(), expected.toString());
        try (Qcow2Image disk = Qcow2Image.open(top, true, Backing.within(dir))) {
            assertThat(readAll(disk)).isEqualTo(Files.readAllBytes(expected));
        }
    }

    @Test
    void imagesCorralWritesPassQemuImgCheckAndCompare() throws Exception {
        Path image = dir.resolve("disk.qcow2");
        Qcow2Image.create(image, 24 * MIB);
        Workload workload = new Workload(42, new byte[24 * MIB], 1 << Qcow2Image.CLUSTER_BITS);
        try (Qcow2Image disk = Qcow2Image.open(image, false, Backing.none())) {
            workload.run(disk, 400);
            workload.assertWhole(disk);
        }
        assertThat(QemuImg.check(image, false)).contains("No errors were found");
        QemuImg.compare(workload.writeRaw(dir.resolve("model.raw")), "raw", image, "qcow2");
        try (Qcow2Image reopened = Qcow2Image.open(image, false, Backing.none())) {
            workload.assertWhole(reopened);
            new Workload(43, workload.model(), 1 << Qcow2Image.CLUSTER_BITS).run(reopened, 200);
        }
        QemuImg.check(image, false);
        QemuImg.compare(workload.writeRaw(dir.resolve("model.raw")), "raw", image, "qcow2");
    }

    @Test
    void anOverlayReadsItsBaseWritesItselfAndLeavesTheBaseByteIdentical() throws Exception {
        byte[] baseContent = content(3, 5 * MIB + 3 * 512);
        Path base = Files.write(dir.resolve("base.raw"), baseContent);
        String before = sha256(base);
        Path overlay = dir.resolve("vm.qcow2");
        Qcow2Image.createOverlay(overlay, base, ImageFormat.RAW, 8 * MIB);
        byte[] model = Arrays.copyOf(baseContent, 8 * MIB);
        Workload workload = new Workload(5, model, 1 << Qcow2Image.CLUSTER_BITS);
        try (Qcow2Image disk = Qcow2Image.open(overlay, false, Backing.file(base, ImageFormat.RAW))) {
            workload.assertWhole(disk);
            workload.run(disk, 300);
        }
        assertThat(sha256(base)).isEqualTo(before);
        QemuImg.check(overlay, false);
        QemuImg.compare(workload.writeRaw(dir.resolve("model.raw")), "raw", overlay, "qcow2");
        try (Qcow2Image disk = Qcow2Image.open(overlay, true, Backing.within(dir))) {
            workload.assertWhole(disk);
        }
    }

    @Test
    void anOverlayOnAQcow2BaseWithCompressedClusters() throws Exception {
        byte[] baseContent = content(9, 4 * MIB);
        Path raw = Files.write(dir.resolve("source.raw"), baseContent);
        Path base = dir.resolve("base.qcow2");
        QemuImg.ok("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), base.toString());
        String before = sha256(base);
        Path overlay = dir.resolve("vm.qcow2");
        Qcow2Image.createOverlay(overlay, base, ImageFormat.QCOW2, 4 * MIB);
        Workload workload = new Workload(11, baseContent.clone(), 1 << Qcow2Image.CLUSTER_BITS);
        try (Qcow2Image disk = Qcow2Image.open(overlay, false, Backing.file(base, ImageFormat.QCOW2))) {
            workload.run(disk, 200);
        }
        assertThat(sha256(base)).isEqualTo(before);
        QemuImg.check(overlay, false);
        QemuImg.compare(workload.writeRaw(dir.resolve("model.raw")), "raw", overlay, "qcow2");
    }

    @Test
    void writingOverCompressedClustersCopiesAndFreesThem() throws Exception {
        byte[] content = content(29, 4 * MIB);
        Path raw = Files.write(dir.resolve("source.raw"), content);
        Path image = dir.resolve("compressed.qcow2");
        QemuImg.ok("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), image.toString());
        assertThat(QemuImg.check(image, false)).doesNotContain(" 0.00% compressed clusters");
        Workload workload = new Workload(31, content, 1 << 16);
        try (Qcow2Image disk = Qcow2Image.open(image, false, Backing.none())) {
            workload.run(disk, 300);
        }
        assertThat(QemuImg.check(image, false)).contains("No errors were found");
        QemuImg.compare(workload.writeRaw(dir.resolve("model.raw")), "raw", image, "qcow2");
    }

    @Test
    void writingToQemuImagesWithSmallClustersGrowsTheRefcountTable() throws Exception {
        Path image = dir.resolve("small.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512,refcount_bits=16", image.toString(), "24M");
        long tableBefore = ByteBuffer.wrap(Files.readAllBytes(image), 48, 8).getLong();
        Workload workload = new Workload(13, new byte[24 * MIB], 512);
        try (Qcow2Image disk = Qcow2Image.open(image, false, Backing.none())) {
            workload.run(disk, 300);
            byte[] fill = new byte[MIB];
            Arrays.fill(fill, (byte) 0x5a);
            for (int at = 0; at < 20 * MIB; at += MIB) {
                disk.write(at, ByteBuffer.wrap(fill));
                System.arraycopy(fill, 0, workload.model(), at, MIB);
            }
            workload.run(disk, 100);
        }
        long tableAfter = ByteBuffer.wrap(Files.readAllBytes(image), 48, 8).getLong();
        assertThat(tableAfter).as("the refcount table moved: it grew").isNotEqualTo(tableBefore);
        QemuImg.check(image, false);
        QemuImg.compare(workload.writeRaw(dir.resolve("model.raw")), "raw", image, "qcow2");
    }

    @ParameterizedTest(name = "refcount_bits={0}")
    @CsvSource({"1", "8", "64"})
    void writesImagesWithOtherRefcountWidths(int refcountBits) throws Exception {
        Path image = dir.resolve("refcounts.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=4096,refcount_bits=" + refcountBits,
                image.toString(), "8M");
        Workload workload = new Workload(refcountBits, new byte[8 * MIB], 4096);
        try (Qcow2Image disk = Qcow2Image.open(image, false, Backing.none())) {
            workload.run(disk, 300);
        }
        QemuImg.check(image, false);
        QemuImg.compare(workload.writeRaw(dir.resolve("model.raw")), "raw", image, "qcow2");
    }

    @Test
    void aVersion2OverlayDiscardsByWritingZeros() throws Exception {
        Path base = Files.write(dir.resolve("base.raw"), content(17, 4 * MIB));
        Path overlay = dir.resolve("v2.qcow2");
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=0.10", "-b", base.toString(), "-F", "raw",
                overlay.toString(), "4M");
        Workload workload = new Workload(19, Files.readAllBytes(base), 1 << 16);
        try (Qcow2Image disk = Qcow2Image.open(overlay, false, Backing.file(base, ImageFormat.RAW))) {
            assertThat(disk.version()).isEqualTo(2);
            workload.run(disk, 300);
        }
        QemuImg.check(overlay, false);
        QemuImg.compare(workload.writeRaw(dir.resolve("model.raw")), "raw", overlay, "qcow2");
    }

    @Test
    void discardedClustersAreFreedAndReusedAndHideTheBase() throws Exception {
        Path base = Files.write(dir.resolve("base.raw"), content(23, 4 * MIB));
        Path overlay = dir.resolve("vm.qcow2");
        Qcow2Image.createOverlay(overlay, base, ImageFormat.RAW, 4 * MIB);
        byte[] ones = new byte[MIB];
        Arrays.fill(ones, (byte) 1);
        long grown;
        try (Qcow2Image disk = Qcow2Image.open(overlay, false, Backing.file(base, ImageFormat.RAW))) {
            disk.write(0, ByteBuffer.wrap(ones));
            disk.flush();
            grown = Files.size(overlay);
            disk.discard(0, MIB);
            disk.flush();
            ByteBuffer read = ByteBuffer.allocate(MIB);
            disk.read(0, read);
            assertThat(read.array()).as("discarded clusters read as zeros, not as the base").isEqualTo(new byte[MIB]);
            disk.write(2 * MIB, ByteBuffer.wrap(ones));
            disk.flush();
        }
        assertThat(Files.size(overlay)).as("the freed clusters were reused").isEqualTo(grown);
        assertThat(QemuImg.check(overlay, false)).contains("No errors were found");
    }

    @Test
    void writesFromManyThreadsAllArrive() throws Exception {
        Path image = dir.resolve("threads.qcow2");
        Qcow2Image.create(image, 16 * MIB);
        byte[] model = new byte[16 * MIB];
        try (Qcow2Image disk = Qcow2Image.open(image, false, Backing.none())) {
            Thread[] threads = new Thread[4];
            for (int t = 0; t < threads.length; t++) {
                int worker = t;
                threads[t] = new Thread(() -> {
                    SplittableRandom random = new SplittableRandom(worker);
                    for (int i = 0; i < 200; i++) {
                        // Each worker owns every fourth 4 KiB block: disjoint, but sharing clusters and L2 tables.
                        int block = (random.nextInt(16 * MIB / 4096 / 4) * 4 + worker);
                        byte[] data = new byte[4096];
                        random.nextBytes(data);
                        try {
                            disk.write(block * 4096L, ByteBuffer.wrap(data));
                        } catch (StorageException e) {
                            throw new AssertionError(e);
                        }
                        synchronized (model) {
                            System.arraycopy(data, 0, model, block * 4096, 4096);
                        }
                    }
                });
                threads[t].start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            disk.flush();
            assertThat(readAll(disk)).isEqualTo(model);
        }
        QemuImg.check(image, false);
        QemuImg.compare(Files.write(dir.resolve("model.raw"), model), "raw", image, "qcow2");
    }
}
