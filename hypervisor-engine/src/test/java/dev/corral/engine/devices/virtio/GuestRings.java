package dev.corral.engine.devices.virtio;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.TestFunction;
import dev.corral.engine.memory.GuestMemory;

/**
 * A driver's side of one split virtqueue in real guest memory, for tests: the descriptor table at {@link #TABLE},
 * the available ring at {@link #AVAIL}, the used ring at {@link #USED}, buffers from {@link #BUFFERS} on. Writes
 * what a driver writes, hostile or not, and reads what the device published.
 */
final class GuestRings {

    static final long TABLE = 0x10000, AVAIL = 0x20000, USED = 0x30000, BUFFERS = 0x40000;
    static final int NEXT = 1, WRITE = 2, INDIRECT = 4;

    final GuestMemory memory;
    final int size;
    private int availIndex;

    GuestRings(GuestMemory memory, int size) {
        this.memory = memory;
        this.size = size;
    }

    /** A DMA master with bus mastering on, over {@code memory}. */
    static Dma dma(GuestMemory memory) {
        var master = new TestFunction();
        master.configWrite(0x04, 2, 0x0006);
        return new Dma(memory, master, Dma.WriteObserver.NONE);
    }

    void descriptor(long table, int index, long address, long length, int flags, int next) {
        long d = table + 16L * index;
        memory.writeLong(d, address);
        memory.writeInt(d + 8, (int) length);
        memory.writeShort(d + 12, (short) flags);
        memory.writeShort(d + 14, (short) next);
    }

    void descriptor(int index, long address, long length, int flags, int next) {
        descriptor(TABLE, index, address, length, flags, next);
    }

    /** Makes the chain at {@code head} available and publishes the new index. */
    void offer(int head) {
        memory.writeShort(AVAIL + 4 + 2L * (availIndex % size), (short) head);
        availIndex = (availIndex + 1) & 0xffff;
        memory.writeShort(AVAIL + 2, (short) availIndex);
    }

    /** Sets the available index outright, as a lying driver would. */
    void availIndex(int index) {
        availIndex = index & 0xffff;
        memory.writeShort(AVAIL + 2, (short) availIndex);
    }

    void availFlags(int flags) {
        memory.writeShort(AVAIL, (short) flags);
    }

    /** EVENT_IDX: the used index after which the driver wants an interrupt. */
    void usedEvent(int index) {
        memory.writeShort(AVAIL + 4 + 2L * size, (short) index);
    }

    /** EVENT_IDX: the available index after which the device wants a notification. */
    int availEvent() {
        return memory.readShort(USED + 4 + 8L * size) & 0xffff;
    }

    int usedIndex() {
        return memory.readShort(USED + 2) & 0xffff;
    }

    /** The used element {@code i}: its head id and length written. */
    long[] used(int i) {
        long e = USED + 4 + 8L * (i % size);
        return new long[] {memory.readInt(e) & 0xffffffffL, memory.readInt(e + 4) & 0xffffffffL};
    }

    Virtqueue open(Dma dma, long features, long maxChainBytes) throws Exception {
        return Virtqueue.open(dma, size, TABLE, AVAIL, USED, features, maxChainBytes);
    }
}
