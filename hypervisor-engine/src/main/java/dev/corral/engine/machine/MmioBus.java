package dev.corral.engine.machine;

import java.util.List;

/**
 * Guest-physical addresses that are not RAM: exits on them are dispatched here to the device owning the
 * address, with the offset into its range.
 *
 * <p>Same rules as {@link PortIoBus}: an unclaimed address reads as all-ones and swallows writes, counted per
 * address; a device's {@link RuntimeException} is counted and remembered and the access then behaves as
 * unclaimed; {@link Error}s propagate.
 */
public final class MmioBus {

    private final AddressRanges<MmioDevice> ranges = new AddressRanges<>("MMIO", Long.MAX_VALUE);
    private final AccessCounters counters = new AccessCounters();

    /** Gives [base, base + length) to {@code device}; throws {@link BusException} on overlap. */
    public void register(long base, long length, String name, MmioDevice device) {
        ranges.add(base, length, name, device);
    }

    /** Returns the value read, zero-extended from {@code size} bytes (1, 2, 4 or 8). */
    public long read(long address, int size) {
        checkSize(size);
        var range = ranges.find(address, size);
        if (range == null) {
            counters.unclaimed(address, false);
            return allOnes(size);
        }
        try {
            return range.device().read(address - range.base(), size) & allOnes(size);
        } catch (RuntimeException e) {
            counters.fault(new DeviceFault(range.name(), address, false, e));
            return allOnes(size);
        }
    }

    /** Writes the low {@code size} bytes (1, 2, 4 or 8) of {@code value}. */
    public void write(long address, int size, long value) {
        checkSize(size);
        var range = ranges.find(address, size);
        if (range == null) {
            counters.unclaimed(address, true);
            return;
        }
        try {
            range.device().write(address - range.base(), size, value & allOnes(size));
        } catch (RuntimeException e) {
            counters.fault(new DeviceFault(range.name(), address, true, e));
        }
    }

    public BusCounters counters() {
        return counters.snapshot();
    }

    /** What is registered where, lowest address first. */
    public List<String> claimed() {
        return ranges.all().stream().map(Object::toString).toList();
    }

    private static long allOnes(int size) {
        return size == 8 ? -1L : (1L << (8 * size)) - 1;
    }

    private static void checkSize(int size) {
        // The access size comes from the CPU backend, not from the guest: a wrong one is a VMM bug.
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("an MMIO access is 1, 2, 4 or 8 bytes wide, not " + size);
        }
    }
}
