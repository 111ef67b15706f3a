package dev.corral.engine.machine;

import java.util.List;

/**
 * The x86 I/O port space, 0x0-0xffff: IN/OUT exits are dispatched here to the device owning the port, with
 * the offset into its range.
 *
 * <p>Nothing an access does is fatal to the VM. A port nobody claimed reads as all-ones (what a floating ISA
 * bus returns, and what Linux's probes expect from an absent chip) and swallows writes; each such access is
 * counted per port. A device that throws a {@link RuntimeException} (a {@link DeviceException} it raised on
 * purpose, or a bug of its own) has it counted and remembered; the read then gives all-ones and the write is
 * dropped. {@link Error}s are not caught: an out-of-memory host must not limp on.
 */
public final class PortIoBus {

    /** One past the highest port. */
    public static final int PORTS = 0x10000;

    private final AddressRanges<PortIoDevice> ranges = new AddressRanges<>("port I/O", PORTS);
    private final AccessCounters counters = new AccessCounters();

    /** Gives ports [base, base + length) to {@code device}; throws {@link BusException} on overlap. */
    public void register(int base, int length, String name, PortIoDevice device) {
        ranges.add(base, length, name, device);
    }

    /** Returns the value read, zero-extended from {@code size} bytes (1, 2 or 4). */
    public int read(int port, int size) {
        checkSize(size);
        var range = ranges.find(port, size);
        if (range == null) {
            counters.unclaimed(port, false);
            return allOnes(size);
        }
        try {
            return range.device().read(port - (int) range.base(), size) & allOnes(size);
        } catch (RuntimeException e) {
            counters.fault(new DeviceFault(range.name(), port, false, e));
            return allOnes(size);
        }
    }

    /** Writes the low {@code size} bytes (1, 2 or 4) of {@code value}. */
    public void write(int port, int size, int value) {
        checkSize(size);
        var range = ranges.find(port, size);
        if (range == null) {
            counters.unclaimed(port, true);
            return;
        }
        try {
            range.device().write(port - (int) range.base(), size, value & allOnes(size));
        } catch (RuntimeException e) {
            counters.fault(new DeviceFault(range.name(), port, true, e));
        }
    }

    public BusCounters counters() {
        return counters.snapshot();
    }

    /** What is registered where, lowest port first, e.g. {@code uart at 0x3f8-0x3ff}. */
    public List<String> claimed() {
        return ranges.all().stream().map(Object::toString).toList();
    }

    private static int allOnes(int size) {
        return size == 4 ? -1 : (1 << (8 * size)) - 1;
    }

    private static void checkSize(int size) {
        // The access size comes from the CPU backend, not from the guest: a wrong one is a VMM bug.
        if (size != 1 && size != 2 && size != 4) {
            throw new IllegalArgumentException("a port access is 1, 2 or 4 bytes wide, not " + size);
        }
    }
}
