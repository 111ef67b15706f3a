package dev.corral.engine.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.sys.Libc;

/**
 * A guest's RAM: one anonymous mapping per region (MAP_NORESERVE, so untouched guest memory costs the host
 * nothing), each at a guest-physical address. Every access is bounds-checked against the regions: guest addresses
 * are untrusted input. Accesses are little-endian and may be unaligned, as on x86. Closing unmaps everything.
 */
public final class GuestMemory implements AutoCloseable {

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A region of guest RAM: where it starts in guest-physical space, and the host mapping behind it. */
    public record Region(long guestAddress, MemorySegment host) {
        public long size() {
            return host.byteSize();
        }

        boolean contains(long gpa, long length) {
            return gpa >= guestAddress && length >= 0 && gpa - guestAddress <= size() - length;
        }
    }

    /** Where a region goes and how big it is. */
    public record Layout(long guestAddress, long size) {
    }

    private final List<Region> regions;
    private final Arena arena;

    private GuestMemory(List<Region> regions, Arena arena) {
        this.regions = List.copyOf(regions);
        this.arena = arena;
    }

    /** RAM of {@code size} bytes at guest-physical address 0. */
    public static GuestMemory allocate(long size) {
        return allocate(List.of(new Layout(0, size)));
    }

    /** RAM at the given guest-physical ranges (which must not overlap), e.g. below and above the 32-bit PCI hole. */
    public static GuestMemory allocate(List<Layout> layout) {
        var sorted = layout.stream().sorted(java.util.Comparator.comparingLong(Layout::guestAddress)).toList();
        for (int i = 0; i < sorted.size(); i++) {
            var l = sorted.get(i);
            if (l.size() <= 0 || l.size() % 4096 != 0 || l.guestAddress() % 4096 != 0) {
                throw new IllegalArgumentException("guest RAM regions are page-aligned and non-empty: " + l);
            }
            if (i > 0 && sorted.get(i - 1).guestAddress() + sorted.get(i - 1).size() > l.guestAddress()) {
                throw new IllegalArgumentException("guest RAM regions overlap: " + sorted.get(i - 1) + " and " + l);
            }
        }
        // A shared arena owns the mappings: closing it unmaps them, and makes every later access through these segments
        // (from any thread) fail with an exception instead of touching unmapped memory. The software CPU's TLB holds raw
        // host addresses of pages, so a VM closes its memory only after its vCPU threads have ended.
        var arena = Arena.ofShared();
        var regions = new ArrayList<Region>();
        try {
            for (var l : sorted) {
                // SAFETY: the mapping is exactly l.size() bytes; the arena unmaps it once, when it closes.
                regions.add(new Region(l.guestAddress(), Libc.mmapAnonymous(l.size(), true).reinterpret(arena, Libc::munmap)));
            }
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        return new GuestMemory(regions, arena);
    }

    public List<Region> regions() {
        return regions;
    }

    /** Total bytes of RAM. */
    public long size() {
        return regions.stream().mapToLong(Region::size).sum();
    }

    /**
     * The host memory behind {@code [gpa, gpa + length)}; the range must lie within one region. Devices use it for
     * zero-copy access to buffers the guest hands them.
     */
    public MemorySegment slice(long gpa, long length) {
        for (Region r : regions) {
            if (r.contains(gpa, length)) {
                return r.host().asSlice(gpa - r.guestAddress(), length);
            }
        }
        throw new GuestMemoryException("guest-physical access [0x" + Long.toHexString(gpa) + ", +" + length
                + ") is outside guest RAM");
    }

    public byte readByte(long gpa) {
        return slice(gpa, 1).get(ValueLayout.JAVA_BYTE, 0);
    }

    public short readShort(long gpa) {
        return slice(gpa, 2).get(SHORT, 0);
    }

    public int readInt(long gpa) {
        return slice(gpa, 4).get(INT, 0);
    }

    public long readLong(long gpa) {
        return slice(gpa, 8).get(LONG, 0);
    }

    public void writeByte(long gpa, byte value) {
        slice(gpa, 1).set(ValueLayout.JAVA_BYTE, 0, value);
    }

    public void writeShort(long gpa, short value) {
        slice(gpa, 2).set(SHORT, 0, value);
    }

    public void writeInt(long gpa, int value) {
        slice(gpa, 4).set(INT, 0, value);
    }

    public void writeLong(long gpa, long value) {
        slice(gpa, 8).set(LONG, 0, value);
    }

    public void read(long gpa, byte[] destination) {
        MemorySegment.copy(slice(gpa, destination.length), ValueLayout.JAVA_BYTE, 0, destination, 0, destination.length);
    }

    public void write(long gpa, byte[] source) {
        MemorySegment.copy(source, 0, slice(gpa, source.length), ValueLayout.JAVA_BYTE, 0, source.length);
    }

    /** Unmaps the guest's RAM. Safe to call twice; any access afterwards fails with IllegalStateException. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
