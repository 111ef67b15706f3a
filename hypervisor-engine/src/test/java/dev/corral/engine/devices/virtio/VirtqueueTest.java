package dev.corral.engine.devices.virtio;

import static dev.corral.engine.devices.virtio.GuestRings.BUFFERS;
import static dev.corral.engine.devices.virtio.GuestRings.INDIRECT;
import static dev.corral.engine.devices.virtio.GuestRings.NEXT;
import static dev.corral.engine.devices.virtio.GuestRings.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The split virtqueue walked as the device walks it: well-formed chains, and each way a driver can break one. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a guard against a device that hangs (a loop check gone wrong), not a speed assertion
class VirtqueueTest {

    private static final long MIB = 1 << 20;
    private static final long ALL = Virtqueue.F_INDIRECT_DESC | Virtqueue.F_EVENT_IDX;

    private final GuestMemory memory = GuestMemory.allocate(MIB);
    private final Dma dma = GuestRings.dma(memory);
    private final GuestRings rings = new GuestRings(memory, 16);

    @AfterEach
    void close() {
        memory.close();
    }

    @Test
    void aChainSplitsIntoReadableThenWritableBuffers() throws Exception {
        var q = rings.open(dma, ALL, 1 << 20);
        rings.descriptor(3, BUFFERS, 16, NEXT, 7);
        rings.descriptor(7, BUFFERS + 0x100, 512, NEXT | WRITE, 1);
        rings.descriptor(1, BUFFERS + 0x400, 1, WRITE, 0);
        assertThat(q.pop()).isNull();
        rings.offer(3);
        var chain = q.pop();
        assertThat(chain.head()).isEqualTo(3);
        assertThat(chain.readable()).containsExactly(new DescriptorChain.Segment(BUFFERS, 16));
        assertThat(chain.writable()).containsExactly(new DescriptorChain.Segment(BUFFERS + 0x100, 512),
                new DescriptorChain.Segment(BUFFERS + 0x400, 1));
        assertThat(chain.writableRange(510, 10)).containsExactly(new DescriptorChain.Segment(BUFFERS + 0x100 + 510, 2),
                new DescriptorChain.Segment(BUFFERS + 0x400, 1));
        assertThat(q.pop()).isNull();

        q.push(chain, 513);
        assertThat(rings.usedIndex()).isEqualTo(1);
        assertThat(rings.used(0)).containsExactly(3, 513);
    }

    @Test
    void anIndirectTableIsFollowedAfterDirectDescriptors() throws Exception {
        var q = rings.open(dma, ALL, 1 << 20);
        long table = BUFFERS + 0x1000;
        rings.descriptor(0, BUFFERS, 16, NEXT, 1);
        rings.descriptor(1, table, 3 * 16, INDIRECT, 0);
        rings.descriptor(table, 0, BUFFERS + 0x100, 100, NEXT, 2);
        rings.descriptor(table, 2, BUFFERS + 0x200, 200, NEXT | WRITE, 1);
        rings.descriptor(table, 1, BUFFERS + 0x300, 1, WRITE, 0);
        rings.offer(0);
        var chain = q.pop();
        assertThat(chain.readableBytes()).isEqualTo(116);
        assertThat(chain.writableBytes()).isEqualTo(201);
        assertThat(chain.writable().getLast().address()).isEqualTo(BUFFERS + 0x300);
    }

    @Test
    void aDescriptorLoopIsAnErrorNotAHang() throws Exception {
        var q = rings.open(dma, ALL, 1 << 20);
        rings.descriptor(0, BUFFERS, 8, NEXT, 1);
        rings.descriptor(1, BUFFERS, 8, NEXT, 0);
        rings.offer(0);
        assertThatThrownBy(q::pop).isInstanceOf(VirtqueueException.class).hasMessageContaining("loops");

        var selfLoop = new GuestRings(memory, 16).open(dma, ALL, 1 << 20);
        rings.descriptor(5, BUFFERS, 8, NEXT, 5);
        rings.offer(5);
        assertThatThrownBy(selfLoop::pop).isInstanceOf(VirtqueueException.class);
    }

    @Test
    void aLoopInsideAnIndirectTableIsAnError() throws Exception {
        var q = rings.open(dma, ALL, 1 << 20);
        long table = BUFFERS + 0x1000;
        rings.descriptor(0, table, 2 * 16, INDIRECT, 0);
        rings.descriptor(table, 0, BUFFERS, 8, NEXT, 1);
        rings.descriptor(table, 1, BUFFERS, 8, NEXT, 0);
        rings.offer(0);
        assertThatThrownBy(q::pop).isInstanceOf(VirtqueueException.class).hasMessageContaining("indirect");
    }

    @Test
    void anAddressOutsideRamIsAnErrorAndNoBufferOfTheChainIsReturned() throws Exception {
        var q = rings.open(dma, ALL, 1 << 20);
        rings.descriptor(0, BUFFERS, 16, NEXT, 1);
        rings.descriptor(1, MIB - 8, 16, WRITE, 0); // runs 8 bytes past the end of RAM
        rings.offer(0);
        assertThatThrownBy(q::pop).isInstanceOf(DmaException.class).hasMessageContaining("not RAM");

        rings.descriptor(2, 0xffff_ffff_ffff_fff0L, 0x20, 0, 0); // wraps around the address space
        rings.offer(2);
        assertThatThrownBy(q::pop).isInstanceOf(DmaException.class);
    }

    @Test
    void indexesOutsideTheirTableAreErrors() throws Exception {
        var q = rings.open(dma, ALL, 1 << 20);
        rings.offer(16); // head outside a 16-entry table
        assertThatThrownBy(q::pop).isInstanceOf(VirtqueueException.class).hasMessageContaining("descriptor 16");
        rings.descriptor(0, BUFFERS, 8, NEXT, 40);
        rings.offer(0);
        assertThatThrownBy(q::pop).isInstanceOf(VirtqueueException.class).hasMessageContaining("links to 40");
    }

    @Test
    void indirectTablesMustBeNegotiatedWholeUnnestedAndLast() throws Exception {
        long table = BUFFERS + 0x1000;
        rings.descriptor(0, table, 32, INDIRECT, 0);
        rings.descriptor(table, 0, table, 32, INDIRECT, 0);
        rings.offer(0);
        assertThatThrownBy(() -> rings.open(dma, 0, 1 << 20).pop()).hasMessageContaining("not negotiated");
        assertThatThrownBy(() -> rings.open(dma, ALL, 1 << 20).pop()).hasMessageContaining("another indirect table");

        rings.descriptor(0, table, 24, INDIRECT, 0);
        assertThatThrownBy(() -> rings.open(dma, ALL, 1 << 20).pop()).hasMessageContaining("whole descriptors");
        rings.descriptor(0, table, 0, INDIRECT, 0);
        assertThatThrownBy(() -> rings.open(dma, ALL, 1 << 20).pop()).hasMessageContaining("whole descriptors");
        rings.descriptor(0, table, 16L * (Virtqueue.MAX_INDIRECT + 1), INDIRECT, 0);
        assertThatThrownBy(() -> rings.open(dma, ALL, 1 << 20).pop()).hasMessageContaining("whole descriptors");
        rings.descriptor(0, table, 32, INDIRECT | NEXT, 1);
        assertThatThrownBy(() -> rings.open(dma, ALL, 1 << 20).pop()).hasMessageContaining("NEXT");
    }

    @Test
    void aChainLongerThanTheDeviceTakesIsAnErrorEvenWhenLengthsOverflow32Bits() throws Exception {
        rings.descriptor(0, BUFFERS, 0xffff_ffffL, NEXT, 1); // 4 GiB - 1 in one descriptor
        rings.descriptor(1, BUFFERS, 2, 0, 0);
        rings.offer(0);
        assertThatThrownBy(() -> rings.open(dma, ALL, Integer.MAX_VALUE).pop()).hasMessageContaining("holds more than");

        rings.descriptor(0, BUFFERS, 600, NEXT, 1);
        rings.descriptor(1, BUFFERS, 600, 0, 0);
        assertThatThrownBy(() -> rings.open(dma, ALL, 1000).pop()).hasMessageContaining("more than 1000 bytes");
        assertThat(rings.open(dma, ALL, 1200).pop().readableBytes()).isEqualTo(1200);
    }

    @Test
    void aReadableBufferAfterAWritableOneIsAnError() throws Exception {
        rings.descriptor(0, BUFFERS, 8, NEXT | WRITE, 1);
        rings.descriptor(1, BUFFERS, 8, 0, 0);
        rings.offer(0);
        assertThatThrownBy(() -> rings.open(dma, ALL, 1 << 20).pop()).hasMessageContaining("readable buffer after a writable");
    }

    @Test
    void aDriverClaimingMoreBuffersThanTheQueueHoldsIsAnError() throws Exception {
        var q = rings.open(dma, ALL, 1 << 20);
        rings.availIndex(17);
        assertThatThrownBy(q::pop).hasMessageContaining("17 buffers available in a queue of 16");
    }

    @Test
    void theQueueItselfIsCheckedWhenOpened() {
        assertThatThrownBy(() -> Virtqueue.open(dma, 12, 0x1000, 0x2000, 0x3000, 0, 4096)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> Virtqueue.open(dma, 0, 0x1000, 0x2000, 0x3000, 0, 4096)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> Virtqueue.open(dma, 16, 0x1008, 0x2000, 0x3000, 0, 4096)).hasMessageContaining("misaligned");
        assertThatThrownBy(() -> Virtqueue.open(dma, 16, 0x1000, 0x2001, 0x3000, 0, 4096)).hasMessageContaining("misaligned");
        assertThatThrownBy(() -> Virtqueue.open(dma, 16, 0x1000, 0x2000, 0x3002, 0, 4096)).hasMessageContaining("misaligned");
        assertThatThrownBy(() -> Virtqueue.open(dma, 256, MIB - 2048, 0x2000, 0x3000, 0, 4096)).isInstanceOf(DmaException.class);
        assertThatThrownBy(() -> Virtqueue.open(dma, 256, 0x1000, 0x2000, MIB - 2048, 0, 4096)).isInstanceOf(DmaException.class);
    }

    @Test
    void withoutEventIdxTheDriverSuppressesInterruptsWithAFlag() throws Exception {
        var q = rings.open(dma, Virtqueue.F_INDIRECT_DESC, 1 << 20);
        rings.descriptor(0, BUFFERS, 8, WRITE, 0);
        rings.offer(0);
        q.push(q.pop(), 8);
        assertThat(q.shouldInterrupt(0)).isTrue();
        rings.availFlags(1);
        assertThat(q.shouldInterrupt(0)).isFalse();
        q.publishAvailEvent(); // no EVENT_IDX: the used ring's avail_event is not written
        assertThat(rings.availEvent()).isZero();
    }

    @Test
    void withEventIdxTheDeviceInterruptsOnlyWhenTheUsedIndexPassesUsedEvent() throws Exception {
        var q = rings.open(dma, ALL, 1 << 20);
        for (int i = 0; i < 4; i++) {
            rings.descriptor(i, BUFFERS + 64L * i, 8, WRITE, 0);
            rings.offer(i);
        }
        rings.usedEvent(2); // the driver wants to hear when entry 2 (the third) is used
        int before = q.usedIndex();
        q.push(q.pop(), 8);
        q.push(q.pop(), 8);
        assertThat(q.shouldInterrupt(before)).isFalse(); // used index 2: entries 0 and 1 only
        before = q.usedIndex();
        q.push(q.pop(), 8);
        assertThat(q.shouldInterrupt(before)).isTrue(); // entry 2 crossed
        before = q.usedIndex();
        q.push(q.pop(), 8);
        assertThat(q.shouldInterrupt(before)).isFalse(); // used_event not moved by the driver since
        rings.availFlags(1); // the flag means nothing under EVENT_IDX
        rings.usedEvent(3);
        assertThat(q.shouldInterrupt(before)).isTrue();

        q.publishAvailEvent();
        assertThat(rings.availEvent()).isEqualTo(4); // notify me when you make entry 4 available
        assertThat(q.hasAvailable()).isFalse();
        rings.offer(0);
        assertThat(q.hasAvailable()).isTrue();
    }

    @Test
    void indexesWrapAt65536() throws Exception {
        var q = rings.open(dma, ALL, 1 << 20);
        rings.descriptor(0, BUFFERS, 8, WRITE, 0);
        for (int i = 0; i < 70_000; i++) {
            rings.offer(0);
            var chain = q.pop();
            q.push(chain, 1);
        }
        assertThat(rings.usedIndex()).isEqualTo(70_000 & 0xffff);
        assertThat(q.pop()).isNull();
    }
}
