package dev.corral.engine.devices.pci;

/**
 * One memory base address register (PCI Local Bus 3.0, 6.2.5.1): a naturally aligned window of {@code size} bytes
 * (a power of two) whose address the guest may move. Writing all-ones and reading back gives the size, because the
 * address bits below the size are hard-wired to zero; the low four bits say memory, 32- or 64-bit, prefetchable.
 * A 64-bit BAR takes two register slots, the upper dword in the second.
 *
 * <p>Not thread-safe: {@link PciFunction} guards it.
 */
public final class Bar {

    /** How wide the address is. I/O BARs are not modelled: no device here needs port I/O. */
    public enum Kind { MEMORY32, MEMORY64 }

    private static final int TYPE_64 = 0b100, PREFETCHABLE = 0b1000;

    private final int index;
    private final Kind kind;
    private final long size;
    private final boolean prefetchable;
    private long address;

    Bar(int index, Kind kind, long size, boolean prefetchable) {
        if (size < 16 || Long.bitCount(size) != 1 || (kind == Kind.MEMORY32 && size > 1L << 31)) {
            throw new IllegalArgumentException("a " + kind + " BAR is a power of two of at least 16 bytes"
                    + (kind == Kind.MEMORY32 ? " and at most 2 GiB" : "") + ", not " + size);
        }
        int slots = kind == Kind.MEMORY64 ? 2 : 1;
        if (index < 0 || index + slots > 6) {
            throw new IllegalArgumentException("a type 0 header has BARs 0-5; a " + kind + " BAR cannot start at " + index);
        }
        this.index = index;
        this.kind = kind;
        this.size = size;
        this.prefetchable = prefetchable;
    }

    public int index() {
        return index;
    }

    public Kind kind() {
        return kind;
    }

    public long size() {
        return size;
    }

    /** Where the BAR points now (meaningful only while the function decodes memory). */
    public long address() {
        return address;
    }

    /** Register slots taken: 2 for a 64-bit BAR. */
    int slots() {
        return kind == Kind.MEMORY64 ? 2 : 1;
    }

    void place(long at) {
        address = at & ~(size - 1);
    }

    /** The register's value: {@code upper} for the second dword of a 64-bit BAR. */
    int read(boolean upper) {
        if (upper) {
            return (int) (address >>> 32);
        }
        return (int) (address & 0xfffffff0L) | (kind == Kind.MEMORY64 ? TYPE_64 : 0) | (prefetchable ? PREFETCHABLE : 0);
    }

    /** A guest's dword write: the address takes the bits above the size; the type bits are read-only. */
    void write(boolean upper, int value) {
        long v = value & 0xffffffffL;
        long next = upper ? (v << 32) | (address & 0xffffffffL) : (address & 0xffffffff00000000L) | (v & 0xfffffff0L);
        address = next & ~(size - 1) & (kind == Kind.MEMORY32 ? 0xffffffffL : -1L);
    }

    boolean contains(long at, int length) {
        return Long.compareUnsigned(at, address) >= 0 && Long.compareUnsigned(at - address, size - length) <= 0;
    }

    @Override
    public String toString() {
        return "BAR" + index + " (" + kind + ", " + size + " bytes at 0x" + Long.toHexString(address) + ")";
    }
}
