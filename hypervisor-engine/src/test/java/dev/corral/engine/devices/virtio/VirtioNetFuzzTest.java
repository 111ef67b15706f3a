package dev.corral.engine.devices.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.corral.engine.memory.GuestMemory;

/**
 * A Jazzer target for virtio-net's two request handlers: whatever buffers a driver hands the transmit or the receive
 * queue, the device sends a frame, drops it and counts it, fills a buffer or returns it empty, or refuses the chain
 * with a {@link VirtqueueException}; never another exception. In a normal test run Jazzer replays the regression
 * corpus under src/test/resources/dev/corral/engine/devices/virtio/VirtioNetFuzzTestInputs/frames; {@code JAZZER_FUZZ=1}
 * fuzzes for new inputs.
 *
 * <p>Input: byte 0 bit 0 picks the queue (0 receive, 1 transmit); byte 1 is the number of buffers (at most 8), then
 * per buffer a flag byte (bit 0: device-writable) and a little-endian 16-bit length; then, for the receive queue, a
 * little-endian 16-bit length of the frame waiting; the buffers are laid out back to back from
 * {@link GuestRings#BUFFERS} and filled with whatever follows, and the waiting frame is that too.
 */
class VirtioNetFuzzTest {

    private static final long MIB = 1 << 20;
    private static final byte[] MAC = {2, 0, 0, 0, 0, 1};

    @FuzzTest(maxDuration = "30s")
    void frames(byte[] input) throws Exception {
        var in = ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN);
        int queue = in.hasRemaining() ? in.get() & 1 : 0;
        int buffers = in.hasRemaining() ? Math.min(8, in.get() & 0xff) : 0;
        var readable = new ArrayList<DescriptorChain.Segment>();
        var writable = new ArrayList<DescriptorChain.Segment>();
        long address = GuestRings.BUFFERS;
        for (int i = 0; i < buffers && in.remaining() >= 3; i++) {
            boolean write = (in.get() & 1) != 0;
            int length = in.getShort() & 0xffff;
            (write ? writable : readable).add(new DescriptorChain.Segment(address, length));
            address += length;
        }
        int frameLength = queue == VirtioNet.RX && in.remaining() >= 2 ? in.getShort() & 0xffff : 0;
        byte[] rest = Arrays.copyOfRange(input, in.position(), input.length);
        var backend = new QueueBackend();
        backend.close(); // the device's receiving thread ends at once: the test hands it frames itself
        var net = new VirtioNet(backend, MAC, "fuzz-net");
        try (var memory = GuestMemory.allocate(MIB)) {
            var dma = GuestRings.dma(memory);
            memory.write(GuestRings.BUFFERS, Arrays.copyOf(rest, (int) Math.min(rest.length, MIB - GuestRings.BUFFERS)));
            net.activate(VirtioNet.F_MAC | VirtioNet.F_STATUS);
            var chain = new DescriptorChain(0, readable, writable);
            if (queue == VirtioNet.TX) {
                try {
                    assertThat(net.handle(VirtioNet.TX, chain, dma)).isZero();
                    assertThat(backend.sent.size() + net.txDropped()).isEqualTo(1); // closed backend: refused, and counted
                } catch (VirtqueueException e) {
                    assertThat(!chain.writable().isEmpty() || chain.readableBytes() < VirtioNet.HEADER_SIZE).isTrue();
                }
            } else {
                var frame = Arrays.copyOf(rest, frameLength);
                assertThat(net.enqueue(frame)).isTrue();
                try {
                    int written = net.handle(VirtioNet.RX, chain, dma);
                    if (written == 0) {
                        assertThat(chain.writableBytes()).isLessThan(VirtioNet.HEADER_SIZE + (long) frameLength);
                        assertThat(net.rxDropped()).isEqualTo(1);
                    } else {
                        assertThat(written).isEqualTo(VirtioNet.HEADER_SIZE + frameLength);
                        assertThat((long) written).isLessThanOrEqualTo(chain.writableBytes());
                    }
                } catch (VirtqueueException e) {
                    assertThat(chain.readable()).isNotEmpty();
                }
            }
        } finally {
            net.close();
        }
    }
}
