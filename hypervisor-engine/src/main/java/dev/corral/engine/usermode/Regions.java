package dev.corral.engine.usermode;

import java.util.Map;
import java.util.TreeMap;

/**
 * The mapped ranges of an address space (what Linux calls VMAs): page-aligned {@code [start, end)} with
 * protection bits. Pages inside a region are materialized lazily, zero-filled, on first touch.
 */
final class Regions {

    private record Region(long start, long end, int prot) {}

    private final TreeMap<Long, Region> byStart = new TreeMap<>();

    Regions copy() {
        Regions c = new Regions();
        c.byStart.putAll(byStart);
        return c;
    }

    /** Protection of the region holding {@code address}, or -1 if unmapped. */
    int protAt(long address) {
        Map.Entry<Long, Region> e = byStart.floorEntry(address);
        if (e == null || e.getValue().end <= address) {
            return -1;
        }
        return e.getValue().prot;
    }

    void map(long start, long end, int prot) {
        unmap(start, end);
        byStart.put(start, new Region(start, end, prot));
    }

    void unmap(long start, long end) {
        Map.Entry<Long, Region> e = byStart.lowerEntry(start);
        long from = e != null && e.getValue().end > start ? e.getKey() : start;
        for (Region r : byStart.subMap(from, true, end, false).values().toArray(Region[]::new)) {
            byStart.remove(r.start);
            if (r.start < start) {
                byStart.put(r.start, new Region(r.start, start, r.prot));
            }
            if (r.end > end) {
                byStart.put(end, new Region(end, r.end, r.prot));
            }
        }
    }

    /** True if every byte of {@code [start, end)} is in some region. */
    boolean covers(long start, long end) {
        long at = start;
        while (at < end) {
            Map.Entry<Long, Region> e = byStart.floorEntry(at);
            if (e == null || e.getValue().end <= at) {
                return false;
            }
            at = e.getValue().end;
        }
        return true;
    }

    /**
     * The highest free, page-aligned range of {@code length} bytes that ends at or below {@code ceiling}
     * and starts at or above {@code floor}, or -1.
     */
    long findFree(long length, long floor, long ceiling) {
        long end = ceiling;
        for (Region r : byStart.descendingMap().values()) {
            if (r.start >= end) {
                continue;
            }
            if (r.end <= end - length && end - length >= floor) {
                return end - length;
            }
            end = Math.min(end, r.start);
        }
        return end - length >= floor ? end - length : -1;
    }
}
