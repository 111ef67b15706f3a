package dev.corral.engine.boot;

import dev.corral.engine.memory.GuestMemory;

/** The GDT and identity page tables a loader writes before the first instruction runs. */
final class BootTables {

    static final int CODE64 = 0x10;   // __BOOT_CS of the Linux boot protocol
    static final int DATA = 0x18;     // __BOOT_DS
    static final int TSS = 0x20;
    static final int CODE32 = 0x08;   // PVH: any flat 32-bit code segment

    private static final long PRESENT = 1, WRITABLE = 2, HUGE = 1L << 7;
    private static final long TWO_MIB = 2L << 20;

    private BootTables() {
    }

    /** Writes the boot GDT (null, 32-bit code, 64-bit code, data, TSS) and an empty IDT. */
    static void writeGdt(GuestMemory memory) {
        long[] gdt = {0, Segment.code32(CODE32).descriptor(), Segment.code64(CODE64).descriptor(), Segment.data(DATA).descriptor(),
                Segment.tss(TSS).descriptor(), 0};
        for (int i = 0; i < gdt.length; i++) {
            memory.writeLong(Layout.GDT + 8L * i, gdt[i]);
        }
        memory.writeLong(Layout.IDT, 0);
    }

    static int gdtLimit() {
        return 6 * 8 - 1;
    }

    /** Identity-maps the first 4 GiB with 2 MiB pages. */
    static void writeIdentityPageTables(GuestMemory memory) {
        memory.writeLong(Layout.PML4, Layout.PDPT | PRESENT | WRITABLE);
        for (int i = 1; i < 512; i++) {
            memory.writeLong(Layout.PML4 + 8L * i, 0);
        }
        for (int gib = 0; gib < 512; gib++) {
            memory.writeLong(Layout.PDPT + 8L * gib, gib < 4 ? (Layout.PD + 0x1000L * gib) | PRESENT | WRITABLE : 0);
        }
        for (long i = 0; i < 4 * 512; i++) {
            memory.writeLong(Layout.PD + 8 * i, (i * TWO_MIB) | PRESENT | WRITABLE | HUGE);
        }
    }

    static EntryState longModeEntry(long rip, long zeroPage) {
        return new EntryState(rip, Layout.STACK_TOP, zeroPage, 0, 0x2, EntryState.CR0_PE | EntryState.CR0_ET | EntryState.CR0_PG,
                Layout.PML4, EntryState.CR4_PAE, EntryState.EFER_LME | EntryState.EFER_LMA, Layout.GDT, gdtLimit(), Layout.IDT, 7,
                Segment.code64(CODE64), Segment.data(DATA), Segment.tss(TSS));
    }

    static EntryState protectedModeEntry(long eip, long startInfo) {
        return new EntryState(eip, 0, 0, startInfo, 0x2, EntryState.CR0_PE | EntryState.CR0_ET, 0, 0, 0, Layout.GDT, gdtLimit(),
                Layout.IDT, 7, Segment.code32(CODE32), Segment.data(DATA), Segment.tss(TSS));
    }
}
