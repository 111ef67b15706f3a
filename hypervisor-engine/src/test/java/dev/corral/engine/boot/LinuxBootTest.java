package dev.corral.engine.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import dev.corral.engine.boot.acpi.AcpiTables;
import dev.corral.engine.boot.acpi.PciHostBridge;
import dev.corral.engine.boot.acpi.Platform;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;

class LinuxBootTest {

    private static final long MIB = 1 << 20;

    @Test
    void aBzImageLoadsAtOneMibWithItsZeroPageCommandLineInitrdAndE820() {
        byte[] image = Images.bzImage(64 * 1024);
        byte[] initrd = new byte[300_000];
        initrd[0] = 0x42;
        try (var memory = GuestMemory.allocate(64 * MIB)) {
            var plan = LinuxBoot.load(memory, image, initrd, "console=ttyS0 reboot=k");
            byte[] kernel = new byte[64 * 1024];
            memory.read(Layout.HIGH_MEMORY, kernel);
            assertThat(kernel).isEqualTo(java.util.Arrays.copyOfRange(image, 5 * 512, image.length));

            long zp = Layout.ZERO_PAGE;
            assertThat(memory.readInt(zp + 0x202)).isEqualTo(0x53726448);
            assertThat(memory.readByte(zp + 0x210)).isEqualTo((byte) 0xff);
            assertThat(memory.readByte(zp + 0x211) & 0x81).isEqualTo(0x81);
            assertThat(cString(memory, memory.readInt(zp + 0x228))).isEqualTo("console=ttyS0 reboot=k");
            long initrdAt = Integer.toUnsignedLong(memory.readInt(zp + 0x218));
            assertThat(initrdAt).isEqualTo(plan.initrdAddress()).isEqualTo((64 * MIB - 300_000) & -4096L);
            assertThat(memory.readInt(zp + 0x21c)).isEqualTo(300_000);
            assertThat(memory.readByte(initrdAt)).isEqualTo((byte) 0x42);

            assertThat(memory.readByte(zp + 0x1e8)).isEqualTo((byte) 3);
            assertThat(e820(memory, 0)).containsExactly(0L, 0x9fc00L, 1L);
            assertThat(e820(memory, 1)).containsExactly(0x9fc00L, 0x100000L - 0x9fc00L, 2L);
            assertThat(e820(memory, 2)).containsExactly(MIB, 63 * MIB, 1L);

            var entry = plan.entry();
            assertThat(entry.rip()).isEqualTo(0x100200);
            assertThat(entry.rsi()).isEqualTo(Layout.ZERO_PAGE);
            assertThat(entry.longMode()).isTrue();
            assertThat(entry.cs().selector()).isEqualTo(0x10);
            assertThat(entry.data().selector()).isEqualTo(0x18);
            assertThat(memory.readLong(Layout.GDT + 0x10)).isEqualTo(0x00af9b000000ffffL);
            assertThat(memory.readLong(Layout.GDT + 0x18)).isEqualTo(0x00cf93000000ffffL);
            for (long address : new long[] {0, 0x100200, 0x3fffffffL, 0xc0001234L, 0xfffff000L}) {
                assertThat(translate(memory, entry.cr3(), address)).as("identity mapping of 0x%x", address).isEqualTo(address);
            }
        }
    }

    @Test
    void withAPlatformTheAcpiTablesGoInTheReservedBiosAreaAndTheZeroPageSaysWhere() {
        var pm = new Platform.PmRegisters(0x600, 0x604, 0x608, 0x60c, 4, 0x610, 1, 9, 5);
        byte[] initrd = new byte[300_000];
        try (var memory = GuestMemory.allocate(64 * MIB)) {
            var plan = LinuxBoot.load(memory, Images.bzImage(64 * 1024), initrd, "console=ttyS0", Platform.pc(2, true, pm));
            long rsdp = memory.readLong(Layout.ZERO_PAGE + 0x70);
            assertThat(rsdp).isEqualTo(0xe0000);
            byte[] signature = new byte[8];
            memory.read(rsdp, signature);
            assertThat(new String(signature, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("RSD PTR ");
            long end = AcpiTables.build(Platform.pc(2, true, pm), Layout.ACPI_TABLES).end();
            byte[] written = new byte[(int) (end - rsdp)];
            memory.read(rsdp, written);
            assertThat(written).isEqualTo(AcpiTables.build(Platform.pc(2, true, pm), Layout.ACPI_TABLES).bytes());

            // The e820 map keeps the tables out of the guest's RAM: one reserved entry holds them, no RAM entry touches them.
            int entries = memory.readByte(Layout.ZERO_PAGE + 0x1e8);
            boolean reserved = false;
            for (int i = 0; i < entries; i++) {
                long[] e = e820(memory, i);
                boolean overlaps = e[0] < end && rsdp < e[0] + e[1];
                if (e[2] == E820.RAM) {
                    assertThat(overlaps).as("RAM entry %d", i).isFalse();
                } else if (e[0] <= rsdp && end <= e[0] + e[1]) {
                    reserved = e[2] == E820.RESERVED;
                }
            }
            assertThat(reserved).isTrue();
            // Nor do they overlap what else the loader placed.
            assertThat(Layout.ZERO_PAGE + 4096).isLessThanOrEqualTo(rsdp);
            assertThat(Layout.CMDLINE + Layout.CMDLINE_MAX).isLessThanOrEqualTo(rsdp);
            assertThat(end).isLessThanOrEqualTo(Layout.BIOS_AREA_END).isLessThanOrEqualTo(plan.kernelAddress());
            assertThat(plan.initrdAddress()).isGreaterThan(end);

            // With APICs the MP table is in the EBDA too, naming the same IOAPIC id as the MADT (0).
            byte[] mp = new byte[4];
            memory.read(Layout.EBDA_START, mp);
            assertThat(new String(mp, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("_MP_");
            long config = Integer.toUnsignedLong(memory.readInt(Layout.EBDA_START + 4));
            long ioApicEntry = config + 44 + 2 * 20 + 8;
            assertThat(memory.readByte(ioApicEntry)).isEqualTo((byte) 2);
            assertThat(memory.readByte(ioApicEntry + 1)).isEqualTo((byte) 0);
            assertThat(config + memory.readShort(config + 4)).isLessThanOrEqualTo(rsdp);
        }
    }

    @Test
    void withPciTheE820MapReservesTheEcamAfterRamAndOnlyIt() {
        var pm = new Platform.PmRegisters(0x600, 0x604, 0x608, 0x60c, 4, 0x610, 1, 9, 5);
        var pci = PciHostBridge.bus0(0xb000_0000L, 0xc000_0000L, 0x3ec0_0000L, List.of(10, 11, 5, 14));
        try (var memory = GuestMemory.allocate(64 * MIB)) {
            LinuxBoot.load(memory, Images.bzImage(4096), null, "", Platform.pc(1, false, pm).withPciHostBridge(pci));
            assertThat(memory.readByte(Layout.ZERO_PAGE + 0x1e8)).isEqualTo((byte) 4);
            assertThat(e820(memory, 2)).containsExactly(MIB, 63 * MIB, 1L);
            assertThat(e820(memory, 3)).as("Linux trusts the MCFG once its range is reserved here").containsExactly(0xb000_0000L, MIB, 2L);
        }
        try (var memory = GuestMemory.allocate(64 * MIB)) {
            LinuxBoot.load(memory, Images.bzImage(4096), null, "", Platform.pc(1, false, pm));
            assertThat(memory.readByte(Layout.ZERO_PAGE + 0x1e8)).as("no PCI, nothing reserved past RAM").isEqualTo((byte) 3);
        }
        try (var memory = GuestMemory.allocate(64 * MIB)) {
            assertThatThrownBy(() -> E820.of(memory, List.of(new E820.Entry(32 * MIB, MIB, E820.RESERVED))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        }
    }

    @Test
    void twoHundredFiftyFiveProcessorsGetAcpiTablesButNoMpTable() {
        var pm = new Platform.PmRegisters(0x600, 0x604, 0x608, 0x60c, 4, 0x610, 1, 9, 5);
        try (var memory = GuestMemory.allocate(64 * MIB)) {
            LinuxBoot.load(memory, Images.bzImage(4096), null, "", Platform.pc(255, true, pm));
            assertThat(memory.readLong(Layout.ZERO_PAGE + 0x70)).isEqualTo(0xe0000);
            assertThat(memory.readInt(Layout.EBDA_START)).as("the MP table holds 254 processors at most").isZero();
        }
    }

    @Test
    void withoutAPlatformOrWithOnlyThePicsThereIsNoMpTableAndWithoutOneNoRsdp() {
        var pm = new Platform.PmRegisters(0x600, 0x604, 0x608, 0x60c, 4, 0x610, 1, 9, 5);
        try (var memory = GuestMemory.allocate(64 * MIB)) {
            LinuxBoot.load(memory, Images.bzImage(4096), null, "", Platform.pc(1, false, pm));
            assertThat(memory.readLong(Layout.ZERO_PAGE + 0x70)).isEqualTo(0xe0000);
            assertThat(memory.readInt(Layout.EBDA_START)).as("no MP table: it would name an IOAPIC").isZero();
        }
        try (var memory = GuestMemory.allocate(64 * MIB)) {
            LinuxBoot.load(memory, Images.bzImage(4096), null, "");
            assertThat(memory.readLong(Layout.ZERO_PAGE + 0x70)).isZero();
            assertThat(memory.readLong(Layout.ACPI_TABLES)).isZero();
        }
    }

    @Test
    void aKernelOlderThanBootProtocol214FindsTheRsdpInTheBiosAreaNotInItsZeroPage() {
        var pm = new Platform.PmRegisters(0x600, 0x604, 0x608, 0x60c, 4, 0x610, 1, 9, 5);
        byte[] image = Images.bzImage(4096);
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).putShort(0x206, (short) 0x020d);
        try (var memory = GuestMemory.allocate(64 * MIB)) {
            LinuxBoot.load(memory, image, null, "", Platform.pc(1, false, pm));
            assertThat(memory.readLong(Layout.ZERO_PAGE + 0x70)).as("padding before 2.14").isZero();
            assertThat(memory.readLong(Layout.ACPI_TABLES)).as("\"RSD PTR \", where a scan of 0xe0000-0xfffff finds it")
                    .isEqualTo(0x2052545020445352L);
        }
    }

    @Test
    void truncatedOrForeignImagesAreTypedErrorsThatSayWhy() {
        byte[] good = Images.bzImage(4096);
        assertThatThrownBy(() -> SetupHeader.parse(new byte[100])).isInstanceOf(KernelImageException.class).hasMessageContaining("too short");
        assertThatThrownBy(() -> SetupHeader.parse(java.util.Arrays.copyOf(good, 1500)))
                .isInstanceOf(KernelImageException.class).hasMessageContaining("truncated bzImage");
        byte[] elf = good.clone();
        elf[0x202] = 'X';
        assertThatThrownBy(() -> SetupHeader.parse(elf)).hasMessageContaining("\"HdrS\"");
        byte[] old = good.clone();
        ByteBuffer.wrap(old).order(ByteOrder.LITTLE_ENDIAN).putShort(0x206, (short) 0x0204);
        assertThatThrownBy(() -> SetupHeader.parse(old)).hasMessage("boot protocol 2.04 is too old: a 64-bit entry needs 2.12 or later");
        byte[] no64 = good.clone();
        no64[0x236] = 0;
        assertThatThrownBy(() -> SetupHeader.parse(no64)).hasMessageContaining("no 64-bit entry point");
    }

    @Test
    void whatDoesNotFitIsRefusedBeforeAnythingIsWritten() {
        try (var memory = GuestMemory.allocate(4 * MIB)) {
            assertThatThrownBy(() -> LinuxBoot.load(memory, Images.bzImage(4096), new byte[3 * (int) MIB], ""))
                    .isInstanceOf(KernelImageException.class).hasMessageContaining("give the VM more memory");
            assertThatThrownBy(() -> LinuxBoot.load(memory, Images.bzImage(4096), null, "x".repeat(3000)))
                    .hasMessage("the command line is 3000 bytes; this kernel takes at most 2048");
        }
        try (var tiny = GuestMemory.allocate(MIB)) {
            assertThatThrownBy(() -> LinuxBoot.load(tiny, Images.bzImage(4096), null, ""))
                    .isInstanceOf(KernelImageException.class).hasMessageContaining("MiB below 4 GiB");
        }
    }

    @Test
    void anElfWithAPvhNoteBootsIn32BitProtectedModeWithHvmStartInfo() {
        byte[] code = {(byte) 0xf4};
        try (var memory = GuestMemory.allocate(32 * MIB)) {
            var plan = PvhBoot.load(memory, Images.elf(0x200000, code, 0x3000, 0x200000), new byte[8192], "console=ttyS0");
            var entry = plan.entry();
            assertThat(entry.longMode()).isFalse();
            assertThat(entry.rip()).isEqualTo(0x200000);
            assertThat(entry.rbx()).isEqualTo(Layout.PVH_INFO);
            assertThat(entry.cr0() & EntryState.CR0_PG).isZero();
            assertThat(entry.cs().db()).isTrue();
            assertThat(memory.readByte(0x200000)).isEqualTo((byte) 0xf4);
            long info = Layout.PVH_INFO;
            assertThat(memory.readInt(info)).isEqualTo(0x336ec578);
            assertThat(memory.readInt(info + 12)).isEqualTo(1);
            assertThat(cString(memory, memory.readLong(info + 24))).isEqualTo("console=ttyS0");
            long module = memory.readLong(info + 16);
            assertThat(memory.readLong(module)).isEqualTo(plan.initrdAddress());
            assertThat(memory.readLong(module + 8)).isEqualTo(8192);
            assertThat(memory.readInt(info + 48)).isEqualTo(3);
            assertThat(memory.readLong(memory.readLong(info + 40) + 24 * 2 + 8)).isEqualTo(31 * MIB);
        }
    }

    @Test
    void anElfWithoutAPvhNoteOrWithBrokenHeadersIsRefused() {
        try (var memory = GuestMemory.allocate(32 * MIB)) {
            assertThatThrownBy(() -> PvhBoot.load(memory, Images.elf(0x200000, new byte[16], 0, -1), null, ""))
                    .isInstanceOf(KernelImageException.class).hasMessageContaining("no PVH entry note");
            byte[] elf = Images.elf(0x200000, new byte[16], 0, 0x200000);
            assertThatThrownBy(() -> PvhBoot.load(memory, java.util.Arrays.copyOf(elf, 0x1004), null, ""))
                    .isInstanceOf(KernelImageException.class).hasMessageContaining("truncated ELF file");
            assertThatThrownBy(() -> PvhBoot.load(memory, Images.elf(0x2000, new byte[16], 0, 0x2000), null, ""))
                    .isInstanceOf(KernelImageException.class).hasMessageContaining("outside the guest's memory above 1 MiB");
            assertThatThrownBy(() -> PvhBoot.load(memory, Images.elf(0x200000, new byte[16], 0, 0x300000), null, ""))
                    .hasMessageContaining("is outside the loaded kernel");
        }
    }

    static String cString(GuestMemory memory, long at) {
        var s = new StringBuilder();
        for (byte b; (b = memory.readByte(at)) != 0; at++) {
            s.append((char) b);
        }
        return s.toString();
    }

    private static long[] e820(GuestMemory memory, int i) {
        long at = Layout.ZERO_PAGE + 0x2d0 + 20L * i;
        return new long[] {memory.readLong(at), memory.readLong(at + 8), memory.readInt(at + 16)};
    }

    /** Walks the 4-level page tables as the MMU does (2 MiB pages at the directory level). */
    static long translate(GuestMemory memory, long cr3, long virtual) {
        long pml4e = memory.readLong(cr3 + 8 * ((virtual >>> 39) & 511));
        assertThat(pml4e & 1).isEqualTo(1);
        long pdpte = memory.readLong((pml4e & 0xffffffffff000L) + 8 * ((virtual >>> 30) & 511));
        assertThat(pdpte & 1).isEqualTo(1);
        long pde = memory.readLong((pdpte & 0xffffffffff000L) + 8 * ((virtual >>> 21) & 511));
        assertThat(pde & 0x81).isEqualTo(0x81);
        return (pde & 0xfffffffe00000L) | (virtual & 0x1fffff);
    }
}
