package dev.corral.engine.boot.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.corral.engine.memory.GuestMemory;

/**
 * A VM's ACPI tables, generated from its {@link Platform} and laid out from one guest-physical address: the RSDP
 * first (16-byte aligned, so a scan of the BIOS area finds it), then the XSDT, FADT, FACS (64-byte aligned),
 * DSDT, the MADT if the machine has APICs, the MCFG if it has PCI, and any extra tables. The RSDP (revision 2)
 * points at the XSDT only; the XSDT lists the FADT, the MADT, the MCFG and the extras; the FADT points at the FACS
 * and the DSDT.
 *
 * @param base   where the first byte (the RSDP) goes
 * @param bytes  everything, to be copied to {@code base}
 * @param tables each table's guest-physical address, by signature (RSDP as {@code "RSD PTR "}); extras by their own
 *               signature
 */
public record AcpiTables(long base, byte[] bytes, Map<String, Long> tables) {

    static final String RSDP_SIGNATURE = "RSD PTR ";
    static final int RSDP_REVISION = 2;
    static final int RSDP_SIZE = 36;
    static final int RSDP_V1_SIZE = 20;
    static final int XSDT_REVISION = 1;
    static final int FACS_SIZE = 64;
    static final int FACS_VERSION = 2;

    public AcpiTables {
        bytes = bytes.clone();
        tables = Map.copyOf(tables);
    }

    /** A copy of everything, as it goes to {@link #base}. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The RSDP's address: what boot_params.acpi_rsdp_addr carries. */
    public long rsdp() {
        return base;
    }

    public long end() {
        return base + bytes.length;
    }

    /** Copies the tables into guest memory at {@link #base}. */
    public void writeTo(GuestMemory memory) {
        memory.write(base, bytes);
    }

    /** Builds the tables for {@code platform} at {@code base} (16-byte aligned, below 4 GiB: the FADT's 32-bit fields). */
    public static AcpiTables build(Platform platform, long base) {
        if (base % 16 != 0 || base < 0 || base >= 1L << 32) {
            throw new IllegalArgumentException("ACPI tables start 16-byte aligned below 4 GiB, not at 0x" + Long.toHexString(base));
        }
        var layout = new Allocator(base);
        long rsdp = layout.reserve(RSDP_SIZE, 16);
        byte[] dsdt = Dsdt.build(platform);
        byte[] madt = platform.apics().map(apics -> Madt.build(platform.apicIds(), apics)).orElse(null);
        var extras = new ArrayList<byte[]>();
        platform.pci().ifPresent(pci -> extras.add(pci.mcfg()));
        extras.addAll(platform.tables());
        int xsdtEntries = 1 + (madt == null ? 0 : 1) + extras.size();
        long xsdt = layout.reserve(SystemTable.HEADER_SIZE + 8 * xsdtEntries, 8);
        long fadtAt = layout.reserve(Fadt.LENGTH, 8);
        long facs = layout.reserve(FACS_SIZE, 64);
        long dsdtAt = layout.reserve(dsdt.length, 8);
        layout.put("DSDT", dsdtAt, dsdt);
        layout.put("FACS", facs, facs());
        byte[] fadt = Fadt.build(platform.pm(), facs, dsdtAt);
        layout.put(Fadt.SIGNATURE, fadtAt, fadt);
        var entries = new ArrayList<Long>();
        entries.add(fadtAt);
        if (madt != null) {
            long at = layout.reserve(madt.length, 8);
            layout.put(Madt.SIGNATURE, at, madt);
            entries.add(at);
        }
        for (byte[] extra : extras) {
            long at = layout.reserve(extra.length, 8);
            layout.put(new String(extra, 0, 4, StandardCharsets.US_ASCII), at, extra);
            entries.add(at);
        }
        layout.put("XSDT", xsdt, xsdt(entries));
        layout.put(RSDP_SIGNATURE, rsdp, rsdp(xsdt));
        return new AcpiTables(base, layout.bytes(), layout.addresses);
    }

    /** The Root System Description Pointer, revision 2 (5.2.5.3): no RSDT (its address is 0), the XSDT's address. */
    static byte[] rsdp(long xsdt) {
        var t = ByteBuffer.allocate(RSDP_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        t.put(SystemTable.ascii(RSDP_SIGNATURE, 8)).put((byte) 0).put(SystemTable.ascii(SystemTable.OEM_ID, 6)).put((byte) RSDP_REVISION);
        t.putInt(0).putInt(RSDP_SIZE).putLong(xsdt).put((byte) 0).put(new byte[3]);
        byte[] bytes = t.array();
        bytes[8] = SystemTable.checksum(bytes, 0, RSDP_V1_SIZE);   // the ACPI 1.0 part
        bytes[32] = SystemTable.checksum(bytes, 0, RSDP_SIZE);     // the whole structure
        return bytes;
    }

    /** The Extended System Description Table (5.2.8): 64-bit addresses of the other tables. */
    static byte[] xsdt(List<Long> entries) {
        var t = SystemTable.start(SystemTable.HEADER_SIZE + 8 * entries.size());
        entries.forEach(t::putLong);
        return SystemTable.seal(t, "XSDT", XSDT_REVISION);
    }

    /**
     * The Firmware ACPI Control Structure (5.2.10): no checksum, no waking vector (nothing sleeps but S5), the
     * global lock free and never contended by firmware (there is none).
     */
    static byte[] facs() {
        var t = ByteBuffer.allocate(FACS_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        t.put(SystemTable.ascii("FACS", 4)).putInt(FACS_SIZE);
        t.putInt(0);          // hardware signature: the hardware never changes across a "sleep"
        t.putInt(0);          // firmware waking vector
        t.putInt(0);          // global lock
        t.putInt(0);          // flags: no S4BIOS, no 64-bit wake
        t.putLong(0);         // X firmware waking vector
        t.put((byte) FACS_VERSION);
        return t.array();
    }

    /** Addresses handed out upward from a base, each aligned; and the bytes placed at them. */
    private static final class Allocator {
        private final long base;
        private long next;
        private final Map<String, Long> addresses = new LinkedHashMap<>();
        private final Map<Long, byte[]> contents = new LinkedHashMap<>();

        Allocator(long base) {
            this.base = base;
            this.next = base;
        }

        long reserve(int size, int alignment) {
            long at = (next + alignment - 1) & -alignment;
            next = at + size;
            return at;
        }

        void put(String name, long at, byte[] bytes) {
            if (addresses.putIfAbsent(name, at) != null) {
                throw new IllegalArgumentException("two ACPI tables have the signature " + name);
            }
            contents.put(at, bytes);
        }

        byte[] bytes() {
            byte[] all = new byte[(int) (next - base)];
            contents.forEach((at, b) -> System.arraycopy(b, 0, all, (int) (at - base), b.length));
            return all;
        }
    }
}
