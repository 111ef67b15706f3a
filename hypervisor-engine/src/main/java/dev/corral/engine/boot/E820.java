package dev.corral.engine.boot;

import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.memory.GuestMemory;

/** The BIOS e820 memory map a Linux guest reads from its zero page (or from hvm_start_info under PVH). */
public final class E820 {

    public static final int RAM = 1;
    public static final int RESERVED = 2;

    /** One range: {@code [address, address + size)} of {@code type}. */
    public record Entry(long address, long size, int type) {
    }

    private E820() {
    }

    /**
     * The map of a machine whose RAM is the guest memory's regions: all of it usable, except from the last KiB of
     * base memory (the extended BIOS data area, where the MP table lives) up to 1 MiB (the BIOS area with the ACPI
     * tables, which must stay where they are: the FACS is used while the guest runs). The local APIC and IOAPIC
     * pages are not listed, as on QEMU's and Firecracker's machines: Linux reserves them itself from the MADT.
     */
    public static List<Entry> of(GuestMemory memory) {
        return of(memory, List.of());
    }

    /**
     * The same map with {@code reserved} ranges outside RAM added (a PCI host bridge's ECAM, which Linux trusts the
     * MCFG for once it finds it reserved here), everything in address order. A reserved range overlapping RAM or
     * another is a VMM bug.
     */
    public static List<Entry> of(GuestMemory memory, List<Entry> reserved) {
        var entries = new ArrayList<>(ram(memory));
        for (var r : reserved) {
            if (r.type() != RESERVED || r.size() <= 0) {
                throw new IllegalArgumentException("an added e820 range is a reserved one of some size, not " + r);
            }
            for (var e : entries) {
                if (r.address() < e.address() + e.size() && e.address() < r.address() + r.size()) {
                    throw new IllegalArgumentException("the reserved range " + r + " overlaps " + e);
                }
            }
            entries.add(r);
        }
        entries.sort(java.util.Comparator.comparingLong(Entry::address));
        return entries;
    }

    private static List<Entry> ram(GuestMemory memory) {
        var entries = new ArrayList<Entry>();
        for (var region : memory.regions()) {
            long start = region.guestAddress();
            long end = start + region.size();
            if (start < Layout.EBDA_START) {
                entries.add(new Entry(start, Math.min(end, Layout.EBDA_START) - start, RAM));
                // The EBDA (with the MP table, which may run past 640 KiB for many vCPUs), video memory and BIOS area.
                entries.add(new Entry(Layout.EBDA_START, Layout.HIGH_MEMORY - Layout.EBDA_START, RESERVED));
                start = Layout.HIGH_MEMORY;
            }
            if (end > start) {
                entries.add(new Entry(start, end - start, RAM));
            }
        }
        return entries;
    }
}
