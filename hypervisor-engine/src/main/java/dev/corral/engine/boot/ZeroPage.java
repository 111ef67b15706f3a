package dev.corral.engine.boot;

import java.util.List;

import dev.corral.engine.memory.GuestMemory;

/**
 * Writes {@code struct boot_params} (the "zero page", arch/x86/include/uapi/asm/bootparam.h): the setup header as
 * the image carries it, amended by the loader, the e820 map, and the ACPI RSDP's address (0 for none).
 */
final class ZeroPage {

    static final int SIZE = 4096;
    /** __u8 e820_entries at 0x1e8; struct boot_e820_entry e820_table[128] at 0x2d0 (20 bytes each: addr, size, type). */
    static final int E820_ENTRIES = 0x1e8;
    static final int E820_TABLE = 0x2d0;
    static final int E820_MAX = 128;
    /** The setup header in boot_params spans 0x1f1..0x290 (struct setup_header ends where edd_mbr_sig_buffer starts). */
    static final int HEADER_LIMIT = 0x290;
    static final int TYPE_OF_LOADER = 0x210;
    static final int LOADFLAGS = 0x211;
    static final int RAMDISK_IMAGE = 0x218;
    static final int RAMDISK_SIZE = 0x21c;
    static final int HEAP_END_PTR = 0x224;
    static final int CMD_LINE_PTR = 0x228;
    static final int EXT_RAMDISK_IMAGE = 0x0c0;
    static final int EXT_RAMDISK_SIZE = 0x0c4;
    static final int EXT_CMD_LINE_PTR = 0x0c8;
    /** __u64 acpi_rsdp_addr at 0x070, from boot protocol 2.14; older kernels find the RSDP by scanning the BIOS area. */
    static final int ACPI_RSDP_ADDR = 0x070;
    static final int RSDP_ADDR_VERSION = 0x020e;

    private static final int CAN_USE_HEAP = 0x80;
    /** "Undefined" boot loader: not one of the registered ids. */
    private static final int LOADER_UNDEFINED = 0xff;

    private ZeroPage() {
    }

    static void write(GuestMemory memory, long at, byte[] image, SetupHeader header, long cmdline, long initrd, long initrdSize,
            List<E820.Entry> e820, long acpiRsdp) {
        if (e820.size() > E820_MAX) {
            throw new IllegalArgumentException("an e820 map of " + e820.size() + " entries does not fit the zero page (" + E820_MAX + ")");
        }
        byte[] page = new byte[SIZE];
        int end = Math.min(Math.min(header.headerEnd(), HEADER_LIMIT), image.length);
        System.arraycopy(image, SetupHeader.OFFSET, page, SetupHeader.OFFSET, end - SetupHeader.OFFSET);
        memory.write(at, page);
        memory.writeByte(at + TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        memory.writeByte(at + LOADFLAGS, (byte) (header.loadFlags() | CAN_USE_HEAP));
        memory.writeShort(at + HEAP_END_PTR, (short) 0xfe00);
        memory.writeInt(at + CMD_LINE_PTR, (int) cmdline);
        memory.writeInt(at + EXT_CMD_LINE_PTR, (int) (cmdline >>> 32));
        memory.writeInt(at + RAMDISK_IMAGE, (int) initrd);
        memory.writeInt(at + EXT_RAMDISK_IMAGE, (int) (initrd >>> 32));
        memory.writeInt(at + RAMDISK_SIZE, (int) initrdSize);
        memory.writeInt(at + EXT_RAMDISK_SIZE, (int) (initrdSize >>> 32));
        if (header.version() >= RSDP_ADDR_VERSION) {
            memory.writeLong(at + ACPI_RSDP_ADDR, acpiRsdp);
        }
        memory.writeByte(at + E820_ENTRIES, (byte) e820.size());
        for (int i = 0; i < e820.size(); i++) {
            var e = e820.get(i);
            long entry = at + E820_TABLE + 20L * i;
            memory.writeLong(entry, e.address());
            memory.writeLong(entry + 8, e.size());
            memory.writeInt(entry + 16, e.type());
        }
    }
}
