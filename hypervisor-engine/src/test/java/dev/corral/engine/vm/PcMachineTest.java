package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.corral.engine.boot.Layout;
import dev.corral.engine.devices.acpi.FixedHardware;
import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.TickerImage;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;

/** The machine as built for a VM: its firmware tables describe the PCI it has, and its chipset starts as firmware leaves it. */
class PcMachineTest {

    private static PcMachine build(long memoryBytes) {
        var config = new VmConfig("pc", 1, memoryBytes, TickerImage.bytes(), null, "", false);
        // The software CPU's machine: local APICs and an IOAPIC, which the MADT describes.
        return PcMachine.build(config, ConsoleBuffer.of(64), System::nanoTime, () -> { }, null, true);
    }

    @Test
    void aVmWithPciHasItsHostBridgeAndMcfgInItsTablesAndTheEcamReserved() {
        try (var machine = build(64L << 20)) {
            var tables = tables(machine.memory);
            assertThat(tables).containsKeys("FACP", "MCFG", "APIC");
            String dsdt = new String(tables.get("DSDT"), StandardCharsets.ISO_8859_1);
            assertThat(dsdt).contains("PCI0", "_PRT", "_OSC", "ECAM");
            assertThat(machine.pci.bus()).isNotNull();
            assertThat(e820Types(machine.memory)).containsEntry(0xb000_0000L, 2);
            assertThat(machine.chipset.pic().elcr()).as("the SCI level-triggered, as firmware leaves it")
                    .isEqualTo(1 << FixedHardware.SCI_IRQ);
        }
    }

    @Test
    void aVmWhoseRamReachesThePciHoleHasNoHostBridgeNoMcfgAndNothingReserved() {
        try (var machine = build(3L << 30)) {
            var tables = tables(machine.memory);
            assertThat(tables).containsKey("FACP").doesNotContainKey("MCFG");
            assertThat(new String(tables.get("DSDT"), StandardCharsets.ISO_8859_1)).doesNotContain("PCI0").doesNotContain("_PRT");
            assertThat(machine.pci.bus()).isNull();
            assertThat(e820Types(machine.memory)).doesNotContainKey(0xb000_0000L);
        }
    }

    /** The tables the XSDT lists and the DSDT, found from the RSDP as an OS finds them (the zero page says where). */
    private static Map<String, byte[]> tables(GuestMemory memory) {
        long rsdp = memory.readLong(Layout.ZERO_PAGE + 0x70);
        long xsdt = memory.readLong(rsdp + 24);
        var found = new LinkedHashMap<String, byte[]>();
        for (long at = xsdt + 36; at < xsdt + memory.readInt(xsdt + 4); at += 8) {
            long table = memory.readLong(at);
            found.put(signature(memory, table), read(memory, table));
        }
        byte[] fadt = found.get("FACP");
        long dsdt = java.nio.ByteBuffer.wrap(fadt).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(140); // X_DSDT
        found.put(signature(memory, dsdt), read(memory, dsdt));
        return found;
    }

    private static String signature(GuestMemory memory, long table) {
        byte[] sig = new byte[4];
        memory.read(table, sig);
        return new String(sig, StandardCharsets.US_ASCII);
    }

    private static byte[] read(GuestMemory memory, long table) {
        byte[] bytes = new byte[memory.readInt(table + 4)];
        memory.read(table, bytes);
        return bytes;
    }

    /** The zero page's e820 map: start address to type. */
    private static Map<Long, Integer> e820Types(GuestMemory memory) {
        var map = new LinkedHashMap<Long, Integer>();
        int entries = memory.readByte(Layout.ZERO_PAGE + 0x1e8);
        for (int i = 0; i < entries; i++) {
            long at = Layout.ZERO_PAGE + 0x2d0 + 20L * i;
            map.put(memory.readLong(at), memory.readInt(at + 16));
        }
        return map;
    }
}
