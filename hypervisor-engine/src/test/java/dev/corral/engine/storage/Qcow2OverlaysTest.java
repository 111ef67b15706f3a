package dev.corral.engine.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hundred VMs of one image share one base: each overlay holds only what its VM wrote. */
class Qcow2OverlaysTest {

    @TempDir
    Path dir;

    @Test
    void aHundredOverlaysOfOneBaseStaySmall() throws Exception {
        byte[] baseContent = new byte[32 << 20];
        new SplittableRandom(1).nextBytes(baseContent);
        Path base = Files.write(dir.resolve("debian.raw"), baseContent);
        List<Long> sizes = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(2);
        for (int vm = 0; vm < 100; vm++) {
            Path overlay = dir.resolve("vm-" + vm + ".qcow2");
            Qcow2Image.createOverlay(overlay, base, ImageFormat.RAW, 64L << 20);
            try (Qcow2Image disk = Qcow2Image.open(overlay, false, Backing.file(base, ImageFormat.RAW))) {
                // What a boot writes: a few scattered 4 KiB blocks (logs, the journal, /etc) and one 256 KiB file.
                for (int i = 0; i < 8; i++) {
                    disk.write(random.nextLong(64L << 20) & ~4095L, ByteBuffer.wrap(new byte[4096]).put(0, (byte) vm));
                }
                disk.write(random.nextLong(60L << 20) & ~4095L, ByteBuffer.allocate(256 << 10));
                ByteBuffer first = ByteBuffer.allocate(16);
                disk.read(0, first);
            }
            sizes.add(Files.size(overlay));
        }
        assertThat(Files.readAllBytes(base)).isEqualTo(baseContent);
        for (int vm = 0; vm < 100; vm += 9) {
            QemuImg.check(dir.resolve("vm-" + vm + ".qcow2"), false);
        }
        long total = sizes.stream().mapToLong(Long::longValue).sum();
        long largest = sizes.stream().mapToLong(Long::longValue).max().orElseThrow();
        System.out.printf("100 overlays of a %d MiB base: largest %d KiB, all together %d KiB%n",
                baseContent.length >> 20, largest >> 10, total >> 10);
        // Eight 64 KiB clusters, at most six for the 256 KiB file, an L2 table or two, and the four header clusters.
        assertThat(largest).isLessThanOrEqualTo(20L * 65536);
        assertThat(total).as("a hundred full copies would take %d KiB", 100L * baseContent.length >> 10)
                .isLessThan(100L * baseContent.length / 20);
    }
}
