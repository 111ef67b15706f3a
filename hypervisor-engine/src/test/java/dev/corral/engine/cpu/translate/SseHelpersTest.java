package dev.corral.engine.cpu.translate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The word-at-a-time forms translated code uses for PCMPEQB and PMOVMSKB against the byte-by-byte definition, on
 * seeded values biased to equal bytes, zero bytes and bytes with the top bit set (where a carry would show).
 */
class SseHelpersTest {

    @Test
    void equalBytesAndByteSignsAgreeWithTheirBytewiseDefinitions() {
        long seed = Long.getLong("translator.seed", 20261206L);
        Random rnd = new Random(seed);
        for (int n = 0; n < 200_000; n++) {
            long a = rnd.nextLong();
            long b = a;
            for (int k = 0; k < 8; k++) { // each byte: equal, zero, 0x80, 0xff or random, independently
                int pick = rnd.nextInt(5);
                long byteB = pick == 0 ? (a >>> (8 * k)) & 0xff : pick == 1 ? 0 : pick == 2 ? 0x80 : pick == 3 ? 0xff
                        : rnd.nextInt(256);
                b = (b & ~(0xffL << (8 * k))) | byteB << (8 * k);
            }
            long equal = 0;
            for (int k = 0; k < 8; k++) {
                if (((a >>> (8 * k)) & 0xff) == ((b >>> (8 * k)) & 0xff)) {
                    equal |= 0xffL << (8 * k);
                }
            }
            assertThat(Translator.equalBytes(a, b)).as("seed %d: %x vs %x", seed, a, b).isEqualTo(equal);
            long signs = 0;
            for (int k = 0; k < 8; k++) {
                signs |= ((a >>> (8 * k + 7)) & 1) << k;
                signs |= ((b >>> (8 * k + 7)) & 1) << (k + 8);
            }
            assertThat(Translator.byteSigns(a, b)).as("seed %d: %x, %x", seed, a, b).isEqualTo(signs);
        }
    }
}
