package dev.corral.engine.boot;

/**
 * Where the loader puts things in guest-physical memory, below the kernel (as Firecracker and kvmtool do). Every
 * structure is in the first 640 KiB, which {@link E820} reports as RAM, except the MP table in the EBDA and the
 * ACPI tables in the BIOS area, both in the range {@link E820} reserves from the EBDA up to 1 MiB.
 */
public final class Layout {

    /** The boot GDT (4 descriptors) and an empty IDT right after it. */
    public static final long GDT = 0x500;
    public static final long IDT = 0x520;
    /** hvm_start_info and its memory map, for PVH guests. */
    public static final long PVH_INFO = 0x6000;
    public static final long PVH_MEMMAP = 0x6040;
    public static final long PVH_MODLIST = 0x6400;
    /** The zero page (struct boot_params). */
    public static final long ZERO_PAGE = 0x7000;
    /** Initial stack pointer; the stack grows down from just below the page tables. */
    public static final long STACK_TOP = 0x8ff0;
    /** Identity page tables: PML4, PDPT, then four page directories of 2 MiB pages (the first 4 GiB). */
    public static final long PML4 = 0x9000;
    public static final long PDPT = 0xa000;
    public static final long PD = 0xb000;
    public static final long CMDLINE = 0x20000;
    public static final long CMDLINE_MAX = 0x10000;
    /** The extended BIOS data area: the last KiB of base memory. */
    public static final long EBDA_START = 0x9fc00;
    /**
     * The BIOS area, 0xe0000-0xfffff: the ACPI tables, the RSDP first (on a 16-byte boundary, where an OS that is
     * not told its address scans for it).
     */
    public static final long ACPI_TABLES = 0xe0000;
    public static final long BIOS_AREA_END = 0x100000;
    /** Where bzImage kernels load (boot protocol: LOADED_HIGH). */
    public static final long HIGH_MEMORY = 0x100000;

    private Layout() {
    }
}
