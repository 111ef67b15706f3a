package dev.corral.engine.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;

import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

/**
 * The loader's LZ4 block decoder against lz4-java (a test-only oracle): what its compressors write, the decoder reads
 * back exactly; a damaged block is a {@link KernelImageException} or some output within its bounds, never another
 * exception. Seeded ({@code -Dcorral.lz4.seed=N} to explore); DebianKernelIT checks a real kernel against Debian's lz4.
 */
class KernelPayloadTest {

    private static final long SEED = Long.getLong("corral.lz4.seed", 2026_12_07L);

    /** Data as compressible as code: runs, repeats near and far, and noise. */
    private static byte[] sample(Random random, int size) {
        byte[] data = new byte[size];
        int at = 0;
        while (at < size) {
            int n = Math.min(size - at, 1 + random.nextInt(random.nextInt(8) == 0 ? 5000 : 40));
            switch (random.nextInt(4)) {
                case 0 -> java.util.Arrays.fill(data, at, at + n, (byte) random.nextInt(256));
                case 1 -> {
                    for (int k = 0; k < n; k++) {
                        data[at + k] = (byte) random.nextInt(256);
                    }
                }
                default -> {
                    int back = at == 0 ? 0 : 1 + random.nextInt(Math.min(at, random.nextBoolean() ? 16 : 65535));
                    for (int k = 0; k < n; k++) {
                        data[at + k] = at == 0 ? 0 : data[at + k - back];
                    }
                }
            }
            at += n;
        }
        return data;
    }

    @Test
    void whatLz4JavaCompressesTheDecoderReadsBackExactly() {
        var random = new Random(SEED);
        var factory = LZ4Factory.safeInstance();
        for (int i = 0; i < 300; i++) {
            byte[] data = sample(random, random.nextInt(i < 10 ? 16 : 200_000));
            var compressor = random.nextBoolean() ? factory.fastCompressor() : factory.highCompressor();
            byte[] block = compressor.compress(data);
            byte[] out = new byte[data.length + 7];
            int end = KernelPayload.lz4Block(block, 0, block.length, out, 3, 3 + data.length);
            assertThat(end).as("case %d", i).isEqualTo(3 + data.length);
            assertThat(java.util.Arrays.copyOfRange(out, 3, end)).as("case %d", i).isEqualTo(data);
        }
    }

    @Test
    void aDamagedBlockIsATypedErrorOrBoundedOutputNeverACrash() {
        var random = new Random(SEED + 1);
        var compressor = LZ4Factory.safeInstance().fastCompressor();
        int refused = 0;
        for (int i = 0; i < 2_000; i++) {
            byte[] data = sample(random, 1 + random.nextInt(20_000));
            byte[] block = compressor.compress(data);
            if (random.nextBoolean()) {
                block = java.util.Arrays.copyOf(block, random.nextInt(block.length) + 1);
            } else {
                for (int n = 1 + random.nextInt(6); n > 0; n--) {
                    block[random.nextInt(block.length)] = (byte) random.nextInt(256);
                }
            }
            byte[] out = new byte[data.length];
            try {
                int end = KernelPayload.lz4Block(block, 0, block.length, out, 0, out.length);
                assertThat(end).isBetween(0, out.length);
            } catch (KernelImageException expected) {
                assertThat(expected).hasMessageStartingWith("the bzImage's LZ4 payload is corrupt: ");
                refused++;
            }
        }
        assertThat(refused).isGreaterThan(500);
    }

    @Test
    void aMatchBeforeTheStartOfTheOutputOrPastItsEndIsRefused() {
        // token 0x10: one literal 'a', then a match at offset 2 (only 1 byte written): before the start
        assertThatThrownBy(() -> KernelPayload.lz4Block(new byte[] {0x10, 'a', 2, 0, 0x00, 'b'}, 0, 6, new byte[64], 0, 64))
                .isInstanceOf(KernelImageException.class).hasMessageContaining("2 bytes back, 1 are written");
        // one literal, then a match of 4 + 15 + 200 bytes into an output of 16
        assertThatThrownBy(() -> KernelPayload.lz4Block(new byte[] {0x1f, 'a', 1, 0, (byte) 200, 0x10, 'b'}, 0, 7, new byte[16], 0, 16))
                .isInstanceOf(KernelImageException.class).hasMessageContaining("a match runs past the kernel's size");
        // an overlapping match repeats what it has just written: "a" then 5 more from 1 back, then literal "b"
        byte[] out = new byte[7];
        assertThat(KernelPayload.lz4Block(new byte[] {0x11, 'a', 1, 0, 0x10, 'b'}, 0, 6, out, 0, 7)).isEqualTo(7);
        assertThat(new String(out, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("aaaaaab");
    }
}
