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
