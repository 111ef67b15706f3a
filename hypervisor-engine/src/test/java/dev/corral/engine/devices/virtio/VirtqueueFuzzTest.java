package dev.corral.engine.devices.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.corral.engine.devices.pci.DmaException;
import dev.corral.engine.memory.GuestMemory;

/**
 * Jazzer targets for the two decoders a guest feeds: the split virtqueue walker and the virtio-blk request decoder.
 * Whatever the bytes, each ends with chains, statuses or typed errors ({@link VirtqueueException},
 * {@link DmaException}); never another exception, never more work than the queue's bounds allow. In a normal test
 * run Jazzer replays the regression corpus under src/test/resources/dev/corral/engine/devices/virtio/
 * VirtqueueFuzzTestInputs/{chains,requests}; {@code JAZZER_FUZZ=1} fuzzes for new inputs.
 *
 * <p>Input of {@link #chains}: byte 0 holds the negotiated features (bit 0 INDIRECT_DESC, bit 1 EVENT_IDX) and
 * the queue size (bits 2-3: 2, 4, 8 or 16 entries); then the descriptor table (16 bytes an entry), then the
 * available ring (flags, idx, the ring, used_event); whatever follows lands at {@link GuestRings#BUFFERS}, where
 * indirect tables and buffers may point. Missing bytes are zeros.
 *
 * <p>Input of {@link #requests}: byte 0 bit 0 makes the disk read-only, bit 1 negotiates discard and write-zeroes;
 * byte 1 is the number of buffers (at most 8), then per buffer a flag byte (bit 0: device-writable) and a
 * little-endian 16-bit length; the buffers are laid out back to back from {@link GuestRings#BUFFERS} and filled with
 * whatever follows (the request header first).
 */
class VirtqueueFuzzTest {

    private static final long MIB = 1 << 20;

    @FuzzTest(maxDuration = "30s")
    void chains(byte[] input) throws Exception {
        try (var memory = GuestMemory.allocate(MIB)) {
            var dma = GuestRings.dma(memory);
            int control = input.length > 0 ? input[0] & 0xff : 0;
            int size = 2 << ((control >>> 2) & 3);
            long features = ((control & 1) != 0 ? Virtqueue.F_INDIRECT_DESC : 0) | ((control & 2) != 0 ? Virtqueue.F_EVENT_IDX : 0);
            int at = 1;
            at = copy(memory, input, at, GuestRings.TABLE, 16 * size);
            at = copy(memory, input, at, GuestRings.AVAIL, 6 + 2 * size);
            copy(memory, input, at, GuestRings.BUFFERS, input.length - at);
            var rings = new GuestRings(memory, size);
            var q = rings.open(dma, features, 1 << 20);
            for (int pops = 0; pops <= size; pops++) {
                DescriptorChain chain;
                try {
                    chain = q.pop();
                } catch (VirtqueueException | DmaException e) {
                    return;
                }
                if (chain == null) {
                    return;
                }
                assertThat(chain.readable().size() + chain.writable().size()).isLessThanOrEqualTo(size + Virtqueue.MAX_INDIRECT);
                assertThat(chain.readableBytes() + chain.writableBytes()).isLessThanOrEqualTo(1 << 20);
                q.push(chain, (int) chain.writableBytes());
                q.shouldInterrupt(0);
                q.publishAvailEvent();
            }
            throw new AssertionError("a queue of " + size + " gave more than " + size + " chains without being refilled");
        }
    }

    @FuzzTest(maxDuration = "30s")
    void requests(byte[] input) throws Exception {
        var in = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
        int control = in.hasRemaining() ? in.get() & 0xff : 0;
        int buffers = in.hasRemaining() ? Math.min(8, in.get() & 0xff) : 0;
        var readable = new ArrayList<DescriptorChain.Segment>();
        var writable = new ArrayList<DescriptorChain.Segment>();
        long address = GuestRings.BUFFERS;
        for (int i = 0; i < buffers && in.remaining() >= 3; i++) {
            boolean write = (in.get() & 1) != 0;
            int length = in.getShort() & 0xffff;
            var segment = new DescriptorChain.Segment(address, length);
            (write ? writable : readable).add(segment);
            address += length;
        }
        try (var memory = GuestMemory.allocate(MIB)) {
            var dma = GuestRings.dma(memory);
            copy(memory, input, in.position(), GuestRings.BUFFERS, input.length - in.position());
            var disk = new RamDisk(64 * 512, (control & 1) != 0);
            var blk = new VirtioBlk(disk, "fuzz");
            blk.activate((control & 2) != 0 ? VirtioBlk.F_DISCARD | VirtioBlk.F_WRITE_ZEROES : 0);
            var chain = new DescriptorChain(0, readable, writable);
            try {
                int written = blk.handle(0, chain, dma);
                assertThat((long) written).isBetween(1L, chain.writableBytes());
                var last = chain.writableRange(chain.writableBytes() - 1, 1);
                assertThat(memory.readByte(last.getFirst().address())).isBetween((byte) 0, (byte) 2);
                if ((control & 1) != 0) {
                    assertThat(disk.log()).allMatch(op -> op.startsWith("read") || op.equals("flush"));
                }
            } catch (VirtqueueException e) {
                // No header or no status byte: the only requests the device refuses outright.
                assertThat(chain.readableBytes() < BlkRequest.HEADER_SIZE || chain.writableBytes() < 1).isTrue();
            }
        }
    }

    private static int copy(GuestMemory memory, byte[] input, int from, long to, int length) {
        int n = Math.max(0, Math.min(length, input.length - from));
        if (n > 0) {
            memory.write(to, java.util.Arrays.copyOfRange(input, from, from + n));
        }
        return from + n;
    }
}
