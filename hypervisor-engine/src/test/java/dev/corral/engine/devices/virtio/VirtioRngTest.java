package dev.corral.engine.devices.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.List;

import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;

class VirtioRngTest {

    /** A SecureRandom whose bytes the test knows: SHA1PRNG seeded before first use is deterministic. */
    private static SecureRandom seeded() throws Exception {
        var random = SecureRandom.getInstance("SHA1PRNG");
        random.setSeed(42);
        return random;
    }

    @Test
    void everyWritableBufferIsFilledFromTheHostsSecureRandom() throws Exception {
        try (var memory = GuestMemory.allocate(1 << 20)) {
            var dma = GuestRings.dma(memory);
            var rng = new VirtioRng(seeded());
            var chain = new DescriptorChain(0, List.of(new DescriptorChain.Segment(0x1000, 8)),
                    List.of(new DescriptorChain.Segment(0x2000, 20), new DescriptorChain.Segment(0x3000, 44)));
            assertThat(rng.handle(0, chain, dma)).isEqualTo(64);
            var expected = new byte[64];
            seeded().nextBytes(expected);
            var got = new byte[64];
            byte[] first = new byte[20];
            byte[] second = new byte[44];
            memory.read(0x2000, first);
            memory.read(0x3000, second);
            System.arraycopy(first, 0, got, 0, 20);
            System.arraycopy(second, 0, got, 20, 44);
            assertThat(got).isEqualTo(expected);
            assertThat(memory.readLong(0x1000)).isZero(); // the readable buffer is left alone
        }
    }

    @Test
    void aHugeRequestGetsAtMostMaxRequestBytes() throws Exception {
        try (var memory = GuestMemory.allocate(1 << 20)) {
            var rng = new VirtioRng(new SecureRandom());
            var chain = new DescriptorChain(0, List.of(), List.of(new DescriptorChain.Segment(0, 1 << 20)));
            assertThat(rng.handle(0, chain, GuestRings.dma(memory))).isEqualTo(VirtioRng.MAX_REQUEST);
            assertThat(new VirtioRng(new SecureRandom()).handle(0, new DescriptorChain(0, List.of(), List.of()), GuestRings.dma(memory)))
                    .isZero();
        }
    }
}
