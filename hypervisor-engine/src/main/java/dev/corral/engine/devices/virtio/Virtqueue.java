package dev.corral.engine.devices.virtio;

import java.lang.invoke.VarHandle;
import java.util.ArrayList;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;

/**
 * A split virtqueue as the device walks it (virtio 1.2, 2.7): the descriptor table, the driver's available ring
 * and the device's used ring, in guest memory the driver owns and may scribble on at any time. Everything read from
 * it is checked before use: ring indexes against the queue size, descriptor indexes against their table, every
 * buffer against guest RAM, chains against loops (no chain visits more descriptors than its table holds), indirect
 * tables against nesting and size, and the chain's total length against the device's cap. A violation is a
 * {@link VirtqueueException}; the queue is then unusable and the device must need a reset.
 *
 * <p>Work per call is bounded: {@link #pop} reads at most {@code size} + {@link #MAX_INDIRECT} descriptors.
 * Memory order: entries are read after the index that published them (acquire), used entries are written before
 * the index that publishes them (release), and the notification decision is made after a full fence.
 *
 * <p>Used by one worker thread at a time.
 */
public final class Virtqueue {

    public static final int MAX_SIZE = 32768;
    /** The most descriptors an indirect table may hold (QEMU's VIRTQUEUE_MAX_SIZE too). */
    public static final int MAX_INDIRECT = 1024;
    public static final long F_INDIRECT_DESC = 1L << 28, F_EVENT_IDX = 1L << 29;
    static final int DESC_NEXT = 1, DESC_WRITE = 2, DESC_INDIRECT = 4;
    static final int AVAIL_NO_INTERRUPT = 1;
    static final int DESCRIPTOR_SIZE = 16;

    private final Dma dma;
    private final int size;
    private final long table;
    private final long avail;
    private final long used;
    private final boolean indirect;
    private final boolean eventIdx;
    private final long maxChainBytes;
    private int lastAvail;
    private int usedIndex;

    private Virtqueue(Dma dma, int size, long table, long avail, long used, long features, long maxChainBytes) {
        this.dma = dma;
        this.size = size;
        this.table = table;
        this.avail = avail;
        this.used = used;
        this.indirect = (features & F_INDIRECT_DESC) != 0;
        this.eventIdx = (features & F_EVENT_IDX) != 0;
        this.maxChainBytes = maxChainBytes;
    }

    /**
     * Opens the queue the driver configured: {@code size} a power of two up to 32768, the table 16-byte aligned,
     * the available ring 2-byte and the used ring 4-byte aligned, all three in guest RAM. {@code features} are the
     * negotiated ones; {@code maxChainBytes} (at most 2^31 - 1) caps one chain's total length.
     */
    public static Virtqueue open(Dma dma, int size, long table, long avail, long used, long features, long maxChainBytes)
            throws VirtqueueException, DmaException {
        if (size < 1 || size > MAX_SIZE || Integer.bitCount(size) != 1) {
            throw new VirtqueueException("a split queue's size is a power of two up to " + MAX_SIZE + ", not " + size);
        }
        if ((table & 15) != 0 || (avail & 1) != 0 || (used & 3) != 0) {
            throw new VirtqueueException("the queue's rings are misaligned: table 0x" + Long.toHexString(table) + ", available 0x"
                    + Long.toHexString(avail) + ", used 0x" + Long.toHexString(used));
        }
        if (maxChainBytes < 1 || maxChainBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a chain cap is 1 to 2^31 - 1 bytes, not " + maxChainBytes);
        }
        dma.check(table, (long) DESCRIPTOR_SIZE * size);
        dma.check(avail, 6 + 2L * size);
        dma.check(used, 6 + 8L * size);
        return new Virtqueue(dma, size, table, avail, used, features, maxChainBytes);
    }

    public int size() {
        return size;
    }

    public boolean eventIdx() {
        return eventIdx;
    }

    /** The used ring's index as the device last published it. */
    public int usedIndex() {
        return usedIndex;
    }

    /** Whether the driver made buffers available that the device has not taken yet. */
    public boolean hasAvailable() throws DmaException {
        return (dma.readShort(avail + 2) & 0xffff) != lastAvail;
    }

    /** The next available chain, validated; null if the driver has made none available. */
    public DescriptorChain pop() throws VirtqueueException, DmaException {
        int availIndex = dma.readShort(avail + 2) & 0xffff;
        int waiting = (availIndex - lastAvail) & 0xffff;
        if (waiting == 0) {
            return null;
        }
        if (waiting > size) {
            throw new VirtqueueException("the driver made " + waiting + " buffers available in a queue of " + size);
        }
        VarHandle.acquireFence(); // the ring entry was written before the index that published it
        int head = dma.readShort(avail + 4 + 2L * (lastAvail & (size - 1))) & 0xffff;
        lastAvail = (lastAvail + 1) & 0xffff;
        return parse(head);
    }

    /** Returns a chain to the driver with {@code written} bytes written into its writable buffers. */
    public void push(DescriptorChain chain, int written) throws DmaException {
        long element = used + 4 + 8L * (usedIndex & (size - 1));
        dma.writeInt(element, chain.head());
        dma.writeInt(element + 4, written);
        VarHandle.releaseFence(); // the data and the element before the index the driver polls
        usedIndex = (usedIndex + 1) & 0xffff;
        dma.writeShort(used + 2, (short) usedIndex);
    }

    /**
     * Whether the driver wants an interrupt for the chains used since the used index was {@code usedBefore}: with
     * EVENT_IDX, if the index moved past the driver's used_event (vring_need_event); without, unless the driver set
     * VIRTQ_AVAIL_F_NO_INTERRUPT.
     */
    public boolean shouldInterrupt(int usedBefore) throws DmaException {
        VarHandle.fullFence(); // our used index store must be visible before we read the driver's suppression state
        if (eventIdx) {
            int event = dma.readShort(avail + 4 + 2L * size) & 0xffff;
            return ((usedIndex - event - 1) & 0xffff) < ((usedIndex - usedBefore) & 0xffff);
        }
        return (dma.readShort(avail) & AVAIL_NO_INTERRUPT) == 0;
    }

    /**
     * With EVENT_IDX: asks the driver to notify when it makes the next buffer available (avail_event = what the
     * device has taken). The caller checks {@link #hasAvailable} afterwards, so a buffer made available in between
     * is not missed.
     */
    public void publishAvailEvent() throws DmaException {
        if (eventIdx) {
            dma.writeShort(used + 4 + 8L * size, (short) lastAvail);
            VarHandle.fullFence();
        }
    }

    private DescriptorChain parse(int head) throws VirtqueueException, DmaException {
        if (head >= size) {
            throw new VirtqueueException("the driver made descriptor " + head + " available in a table of " + size);
        }
        var readable = new ArrayList<DescriptorChain.Segment>();
        var writable = new ArrayList<DescriptorChain.Segment>();
        long base = table;
        int entries = size;
        int index = head;
        int visited = 0;
        boolean inIndirect = false;
        long total = 0;
        while (true) {
            if (++visited > entries) {
                throw new VirtqueueException(inIndirect
                        ? "the chain in an indirect table from descriptor " + head + " loops or outgrows its " + entries + " entries"
                        : "the chain from descriptor " + head + " loops or is longer than the queue's " + size + " descriptors");
            }
            long d = base + (long) DESCRIPTOR_SIZE * index;
            long address = dma.readLong(d);
            long length = dma.readInt(d + 8) & 0xffffffffL;
            int flags = dma.readShort(d + 12) & 0xffff;
            int next = dma.readShort(d + 14) & 0xffff;
            if ((flags & DESC_INDIRECT) != 0) {
                if (!indirect) {
                    throw new VirtqueueException("descriptor " + index + " is indirect, but VIRTIO_F_INDIRECT_DESC was not negotiated");
                }
                if (inIndirect) {
                    throw new VirtqueueException("an indirect table (chain from descriptor " + head + ") points at another indirect table");
                }
                if ((flags & DESC_NEXT) != 0) {
                    throw new VirtqueueException("indirect descriptor " + index + " also has NEXT set");
                }
                if (length == 0 || length % DESCRIPTOR_SIZE != 0 || length / DESCRIPTOR_SIZE > MAX_INDIRECT) {
                    throw new VirtqueueException("an indirect table of " + length + " bytes is not 1-" + MAX_INDIRECT + " whole descriptors");
                }
                dma.check(address, length);
                base = address;
                entries = (int) (length / DESCRIPTOR_SIZE);
                index = 0;
                visited = 0;
                inIndirect = true;
                continue;
            }
            if (length > maxChainBytes - total) {
                throw new VirtqueueException("the chain from descriptor " + head + " holds more than " + maxChainBytes + " bytes");
            }
            total += length;
            dma.check(address, length);
            var segment = new DescriptorChain.Segment(address, (int) length);
            if ((flags & DESC_WRITE) != 0) {
                writable.add(segment);
            } else if (!writable.isEmpty()) {
                throw new VirtqueueException("the chain from descriptor " + head + " has a device-readable buffer after a writable one");
            } else {
                readable.add(segment);
            }
            if ((flags & DESC_NEXT) == 0) {
                return new DescriptorChain(head, readable, writable);
            }
            if (next >= entries) {
                throw new VirtqueueException("descriptor " + index + " links to " + next + ", outside its table of " + entries);
            }
            index = next;
        }
    }
}
