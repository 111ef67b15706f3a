package dev.corral.engine.machine;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The ranges claimed on one bus, kept sorted by base. Registration (at build time, rare) copies the array;
 * lookup (on every exit, from any vCPU thread) reads the current array without a lock.
 */
final class AddressRanges<D> {

    /** A claimed range [base, base + length) and who owns it. */
    record Range<D>(long base, long length, String name, D device) {
        long end() {
            return base + length;
        }

        @Override
        public String toString() {
            return name + " at 0x" + Long.toHexString(base) + "-0x" + Long.toHexString(end() - 1);
        }
    }

    private final String bus;
    private final long limit;
    private volatile Range<D>[] ranges;

    /** {@code limit} is one past the highest address of the bus. */
    @SuppressWarnings("unchecked")
    AddressRanges(String bus, long limit) {
        this.bus = bus;
        this.limit = limit;
        this.ranges = new Range[0];
    }

    synchronized void add(long base, long length, String name, D device) {
        java.util.Objects.requireNonNull(name, "name");
        java.util.Objects.requireNonNull(device, "device");
        if (length <= 0 || base < 0 || base > limit - length) {
            throw new BusException("cannot register " + name + " on the " + bus + " bus: base 0x" + Long.toHexString(base)
                    + " and length " + length + " do not fit in 0x0-0x" + Long.toHexString(limit - 1));
        }
        var added = new Range<>(base, length, name, device);
        for (var r : ranges) {
            if (r.base() < added.end() && added.base() < r.end()) {
                throw new BusException("cannot register " + added + " on the " + bus + " bus: it overlaps " + r);
            }
        }
        var copy = Arrays.copyOf(ranges, ranges.length + 1);
        copy[ranges.length] = added;
        Arrays.sort(copy, Comparator.comparingLong(Range::base));
        ranges = copy;
    }

    /** The range holding every byte of [address, address + size), if one does. */
    Range<D> find(long address, int size) {
        var current = ranges;
        int lo = 0;
        int hi = current.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            var r = current[mid];
            if (address < r.base()) {
                hi = mid - 1;
            } else if (address >= r.end()) {
                lo = mid + 1;
            } else {
                // An access straddling the end of a range belongs to no one device: it is unclaimed.
                return address - r.base() <= r.length() - size ? r : null;
            }
        }
        return null;
    }

    List<Range<D>> all() {
        return List.of(ranges);
    }

}
