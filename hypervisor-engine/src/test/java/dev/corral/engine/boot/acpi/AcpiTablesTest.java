package dev.corral.engine.boot.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The generated tables as ACPICA sees them: each one, found by following the pointers from the RSDP as an OS does,
 * sums to zero, disassembles with {@code iasl -d} without an error or warning, and says what the platform put in.
 */
class AcpiTablesTest {

    static final long BASE = 0xe0000;
    static final Platform.PmRegisters PM = new Platform.PmRegisters(0x600, 0x604, 0x608, 0x60c, 4, 0x610, 0x01, 9, 5);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 8})
    void aPcWithApicsDisassemblesCleanlyAndCarriesItsProcessorsControllersAndDevices(int vcpus) throws Exception {
        var tables = AcpiTables.build(Platform.pc(vcpus, true, PM), BASE);
        var found = follow(tables);
        assertThat(found).containsOnlyKeys("XSDT", "FACP", "FACS", "DSDT", "APIC");

        String fadt = disassemble("FACP", found.get("FACP"));
        assertThat(field(fadt, "Revision")).isEqualTo("06");
        assertThat(field(fadt, "FADT Minor Revision")).isEqualTo("03");
        assertThat(field(fadt, "SCI Interrupt")).isEqualTo("0009");
        assertThat(field(fadt, "SMI Command Port")).isEqualTo("00000000");
        assertThat(field(fadt, "PM1A Event Block Address")).isEqualTo("00000600");
        assertThat(field(fadt, "PM1A Control Block Address")).isEqualTo("00000604");
        assertThat(field(fadt, "PM Timer Block Address")).isEqualTo("00000608");
        assertThat(field(fadt, "GPE0 Block Address")).isEqualTo("0000060C");
        assertThat(field(fadt, "PM1 Event Block Length")).isEqualTo("04");
        assertThat(field(fadt, "PM1 Control Block Length")).isEqualTo("02");
        assertThat(field(fadt, "PM Timer Block Length")).isEqualTo("04");
        assertThat(field(fadt, "GPE0 Block Length")).isEqualTo("04");
        assertThat(field(fadt, "RTC Century Index")).isEqualTo("32");
        assertThat(field(fadt, "Control Method Power Button (V1)")).as("the fixed-feature power button").isEqualTo("0");
        assertThat(field(fadt, "Control Method Sleep Button (V1)")).as("no sleep button").isEqualTo("1");
        assertThat(field(fadt, "32-bit PM Timer (V1)")).isEqualTo("1");
        assertThat(field(fadt, "Reset Register Supported (V2)")).isEqualTo("1");
        assertThat(field(fadt, "Hardware Reduced (V5)")).isEqualTo("0");
        assertThat(field(fadt, "8042 Present on ports 60/64 (V2)")).isEqualTo("1");
        assertThat(field(fadt, "Legacy Devices Supported (V2)")).isEqualTo("1");
        assertThat(field(fadt, "Value to cause reset")).isEqualTo("01");
        assertThat(fields(fadt, "Address")).as("RESET_REG, X_PM1a_EVT, X_PM1a_CNT, X_PM_TMR, X_GPE0 and the absent blocks")
                .containsExactly("0000000000000610", "0000000000000600", "0000000000000000", "0000000000000604", "0000000000000000",
                        "0000000000000000", "0000000000000608", "000000000000060C", "0000000000000000", "0000000000000000",
                        "0000000000000000");
        assertThat(fields(fadt, "Space ID")).startsWith("01 [SystemIO]", "01 [SystemIO]");
        assertThat(Long.parseLong(field(fadt, "FACS Address"), 16)).isEqualTo(tables.tables().get("FACS"));
        assertThat(fields(fadt, "DSDT Address")).allSatisfy(a -> assertThat(Long.parseLong(a, 16)).isEqualTo(tables.tables().get("DSDT")));

        String madt = disassemble("APIC", found.get("APIC"));
        assertThat(field(madt, "Local Apic Address")).isEqualTo("FEE00000");
        assertThat(field(madt, "PC-AT Compatibility")).isEqualTo("1");
        assertThat(fields(madt, "Subtable Type").stream().filter(t -> t.contains("[Processor Local APIC]"))).hasSize(vcpus);
        var ids = new ArrayList<String>();
        for (int i = 0; i < vcpus; i++) {
            ids.add(String.format("%02X", i));
        }
        assertThat(fields(madt, "Local Apic ID")).containsExactlyElementsOf(ids);
        assertThat(fields(madt, "Processor Enabled")).hasSize(vcpus).containsOnly("1");
        assertThat(field(madt, "I/O Apic ID")).isEqualTo("00");
        assertThat(fields(madt, "Address")).containsExactly("FEC00000");
        assertThat(fields(madt, "Source")).containsExactly("00", "09");
        assertThat(fields(madt, "Interrupt")).containsExactly("00000000", "00000002", "00000009");
        assertThat(fields(madt, "Trigger Mode")).as("IRQ0 edge, the SCI level, the NMI conforming").containsExactly("1", "3", "0");
        assertThat(fields(madt, "Polarity")).containsExactly("1", "1", "0");
        assertThat(field(madt, "Interrupt Input LINT")).isEqualTo("01");

        String dsdt = disassemble("DSDT", found.get("DSDT"));
        assertThat(dsdt).contains("DefinitionBlock (\"\", \"DSDT\", 2, \"CORRAL\", \"CORRALVM\", 0x00000001)");
        assertThat(dsdt.replaceAll("\\s+", " ")).contains("Name (\\_S5, Package (0x04) // _S5_: S5 System State { 0x05, 0x05, Zero, Zero })");
        for (int i = 0; i < vcpus; i++) {
            assertThat(dsdt).contains(String.format("Device (C%03X)", i));
        }
        assertThat(dsdt).doesNotContain(String.format("Device (C%03X)", vcpus));
        assertThat(count(dsdt, "\"ACPI0007\"")).isEqualTo(vcpus);
        String flat = dsdt.replaceAll("\\s+", " ");
        assertThat(flat).contains("Device (COM1) { Name (_HID, EisaId (\"PNP0501\")")
                .contains("IO (Decode16, 0x03F8, // Range Minimum 0x03F8, // Range Maximum 0x01, // Alignment 0x08, // Length )"
                        + " IRQNoFlags () {4}")
                .contains("Device (PS2K) { Name (_HID, EisaId (\"PNP0303\")")
                .contains("0x0064, // Range Minimum").contains("IRQNoFlags () {1}")
                .contains("Device (RTC) { Name (_HID, EisaId (\"PNP0B00\")").contains("IRQNoFlags () {8}")
                .contains("Device (PMIO) { Name (_HID, EisaId (\"PNP0C02\")").contains("0x0610, // Range Minimum");

        String facs = disassemble("FACS", found.get("FACS"));
        assertThat(field(facs, "Length")).isEqualTo("00000040");
        assertThat(field(facs, "Version")).isEqualTo("02");

        String xsdt = disassemble("XSDT", found.get("XSDT"));
        assertThat(fields(xsdt, "ACPI Table Address +\\d+")).containsExactly(
                String.format("%016X", tables.tables().get("FACP")), String.format("%016X", tables.tables().get("APIC")));
    }

    @Test
    void aMachineWithOnlyThePicsHasNoMadt() throws Exception {
        var tables = AcpiTables.build(Platform.pc(1, false, PM), BASE);
        var found = follow(tables);
        assertThat(found).containsOnlyKeys("XSDT", "FACP", "FACS", "DSDT");
        assertThat(fields(disassemble("XSDT", found.get("XSDT")), "ACPI Table Address +\\d+")).hasSize(1);
        assertThat(disassemble("DSDT", found.get("DSDT"))).contains("Device (C000)").doesNotContain("Device (C001)");
    }

    @Test
    void anApicIdAbove254GetsAnX2apicEntryAndTheX2apicNmi() throws Exception {
        var platform = new Platform(List.of(0, 1, 300), Optional.of(Platform.InterruptControllers.pc()), PM,
                List.of(Platform.IsaDevice.com1()), List.of(), List.of());
        String madt = disassemble("APIC", follow(AcpiTables.build(platform, BASE)).get("APIC"));
        assertThat(fields(madt, "Subtable Type")).containsExactly("00 [Processor Local APIC]", "00 [Processor Local APIC]",
                "09 [Processor Local x2APIC]", "01 [I/O APIC]", "02 [Interrupt Source Override]", "02 [Interrupt Source Override]",
                "04 [Local APIC NMI]", "0A [Local x2APIC NMI]");
        assertThat(field(madt, "Processor x2Apic ID")).isEqualTo("0000012C");
        assertThat(field(madt, "Processor UID")).isEqualTo("00000002");
    }

    @Test
    void extraDevicesAndTablesJoinTheDsdtAndXsdt() throws Exception {
        var hostBridge = Aml.device("PCI0", List.of(Aml.name("_HID", Aml.eisaId("PNP0A08")), Aml.name("_CID", Aml.eisaId("PNP0A03"))));
        var mcfgBody = ByteBuffer.allocate(8 + 16).order(ByteOrder.LITTLE_ENDIAN);
        mcfgBody.putLong(0).putLong(0xb0000000L).putShort((short) 0).put((byte) 0).put((byte) 0xff).putInt(0);
        byte[] mcfg = SystemTable.of("MCFG", 1, mcfgBody.array());
        var platform = Platform.pc(2, true, PM).withDevice(hostBridge).withTable(mcfg);
        var tables = AcpiTables.build(platform, BASE);
        var found = follow(tables);
        assertThat(found).containsKey("MCFG");
        assertThat(field(disassemble("MCFG", found.get("MCFG")), "Base Address")).isEqualTo("00000000B0000000");
        assertThat(disassemble("DSDT", found.get("DSDT")).replaceAll("\\s+", " "))
                .contains("Device (RTC) {").contains("Device (PCI0) { Name (_HID, EisaId (\"PNP0A08\")");
    }

    /** The PC's PCI: links A-D on ISA IRQs 10, 11, 5, 14 with only the PICs, on GSIs 16-19 with an IOAPIC. */
    static PciHostBridge bridge(boolean ioApic) {
        return PciHostBridge.bus0(0xb000_0000L, 0xc000_0000L, 0x3ec0_0000L, ioApic ? List.of(16, 17, 18, 19) : List.of(10, 11, 5, 14));
    }

    static Platform withPci(boolean ioApic) {
        return Platform.pc(ioApic ? 2 : 1, ioApic, PM).withPciHostBridge(bridge(ioApic));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aPciHostBridgeIsDescribedInTheDsdtAndItsEcamInTheMcfg(boolean ioApic) throws Exception {
        var tables = AcpiTables.build(withPci(ioApic), BASE);
        var found = follow(tables);
        assertThat(found).containsKey("MCFG");
        var listed = new ArrayList<String>(List.of(String.format("%016X", tables.tables().get("FACP"))));
        if (ioApic) {
            listed.add(String.format("%016X", tables.tables().get("APIC")));
        }
        listed.add(String.format("%016X", tables.tables().get("MCFG")));
        assertThat(fields(disassemble("XSDT", found.get("XSDT")), "ACPI Table Address +\\d+")).containsExactlyElementsOf(listed);

        String mcfg = disassemble("MCFG", found.get("MCFG"));
        assertThat(field(mcfg, "Base Address")).isEqualTo("00000000B0000000");
        assertThat(field(mcfg, "Segment Group Number")).isEqualTo("0000");
        assertThat(field(mcfg, "Start Bus Number")).isEqualTo("00");
        assertThat(field(mcfg, "End Bus Number")).isEqualTo("00");
        assertThat(found.get("MCFG")).hasSize(60);

        String dsdt = disassemble("DSDT", found.get("DSDT")).replaceAll("\\s+", " ");
        assertThat(dsdt).contains("Device (PCI0) { Name (_HID, EisaId (\"PNP0A08\") /* PCI Express Bus */)",
                "Name (_CID, EisaId (\"PNP0A03\") /* PCI Bus */)", "Name (_SEG, Zero)", "Name (_BBN, Zero)",
                "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, // Granularity 0x0000, // Range Minimum"
                        + " 0x0000, // Range Maximum 0x0000, // Translation Offset 0x0001, // Length",
                "IO (Decode16, 0x0CF8, // Range Minimum 0x0CF8, // Range Maximum 0x01, // Alignment 0x08, // Length )",
                "WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, // Granularity 0x0000, // Range Minimum"
                        + " 0x0CF7, // Range Maximum 0x0000, // Translation Offset 0x0CF8, // Length",
                "0x0D00, // Range Minimum 0xFFFF, // Range Maximum 0x0000, // Translation Offset 0xF300, // Length",
                "DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0x00000000, // Granularity"
                        + " 0xC0000000, // Range Minimum 0xFEBFFFFF, // Range Maximum 0x00000000, // Translation Offset"
                        + " 0x3EC00000, // Length",
                "Method (_OSC, 4, Serialized)",
                "If ((Arg0 == ToUUID (\"33db4d5b-1ff7-401c-9657-7441c03dd766\") /* PCI Host Bridge Device */))",
                "Name (_PRT, Package (0x80)",
                "Device (ECAM) { Name (_HID, EisaId (\"PNP0C02\") /* PNP Motherboard Resources */) // _HID: Hardware ID Name (_UID, One)",
                "Memory32Fixed (ReadWrite, 0xB0000000, // Address Base 0x00100000, // Address Length )");
        if (ioApic) {
            // GSIs 16-19 need no override: the MADT still has only the PIT's and the SCI's.
            assertThat(fields(disassemble("APIC", found.get("APIC")), "Source")).containsExactly("00", "09");
        }
    }

    /**
     * The reference compiler, given the disassembly of the DSDT, makes the same bytes: every term is encoded as iasl
     * encodes it (lengths, shortest integers, package counts, the resource descriptors, the _OSC method).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void iaslCompilesTheDisassembledDsdtBackToTheSameBytes(boolean ioApic) throws Exception {
        byte[] dsdt = follow(AcpiTables.build(withPci(ioApic), BASE)).get("DSDT");
        byte[] compiled = Acpica.compile(dir, "roundtrip", disassemble("DSDT", dsdt));
        assertThat(java.util.Arrays.copyOfRange(compiled, SystemTable.HEADER_SIZE, compiled.length))
                .isEqualTo(java.util.Arrays.copyOfRange(dsdt, SystemTable.HEADER_SIZE, dsdt.length));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void acpicaEvaluatesTheBridgesRoutingOfEverySlotAndItsResources(boolean ioApic) throws Exception {
        var found = follow(AcpiTables.build(withPci(ioApic), BASE));
        var run = Acpica.execute(dir, loadable(found), "Evaluate \\_SB.PCI0._PRT");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertNoAcpicaComplaint(run.output());
        var values = new ArrayList<Long>();
        var m = Pattern.compile("\\[Integer\\] = ([0-9A-F]+)").matcher(run.output());
        while (m.find()) {
            values.add(Long.parseLong(m.group(1), 16));
        }
        assertThat(run.output()).contains("[Package] Contains 128 Elements:");
        assertThat(values).hasSize(128 * 4);
        int[] links = ioApic ? new int[] {16, 17, 18, 19} : new int[] {10, 11, 5, 14};
        for (int slot = 0; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                int at = 4 * (4 * slot + pin);
                // Any function of the slot, INTx pin, no link device (0): the last value is the GSI, after the swizzle.
                assertThat(values.subList(at, at + 4)).as("slot %d INT%c", slot, 'A' + pin)
                        .containsExactly((long) slot << 16 | 0xffff, (long) pin, 0L, (long) links[(slot + pin) % 4]);
            }
        }

        run = Acpica.execute(dir, loadable(found), "Evaluate \\_SB.PCI0._CRS; Evaluate \\_SB.ECAM._CRS; Evaluate \\_SB.PCI0._SEG;"
                + " Evaluate \\_SB.PCI0._UID; Evaluate \\_SB.PCI0._BBN");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertNoAcpicaComplaint(run.output());
        assertThat(run.output()).contains("[Buffer] Length 54", "88 0D 00 02 0C 00 00 00 00 00 00 00 00 00 01 00",
                "86 09 00 01 00 00 00 B0 00 00 10 00 79 00");
    }

    @Test
    void theOscGrantsThePciHostBridgeUuidWhatTheOsAsksAndRefusesOtherUuidsAndRevisions() throws Exception {
        var found = follow(AcpiTables.build(withPci(true), BASE));
        String pciUuid = "(5b 4d db 33 f7 1f 1c 40 96 57 74 41 c0 3d d7 66)";
        String otherUuid = "(5b 4d db 33 f7 1f 1c 40 96 57 74 41 c0 3d d7 67)";
        // Linux's query (bit 0 of the first dword) asking for control of everything in 6.1: PCIe native hotplug, PME,
        // AER, the capability structure, LTR (0x3d); then revision 2; then another UUID.
        var run = Acpica.execute(dir, loadable(found),
                "Evaluate \\_SB.PCI0._OSC " + pciUuid + " 1 3 (01 00 00 00 1f 01 00 00 3d 00 00 00);"
                        + " Evaluate \\_SB.PCI0._OSC " + pciUuid + " 2 3 (00 00 00 00 1f 01 00 00 3d 00 00 00);"
                        + " Evaluate \\_SB.PCI0._OSC " + otherUuid + " 1 3 (00 00 00 00 1f 01 00 00 3d 00 00 00)");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertNoAcpicaComplaint(run.output());
        var returned = Pattern.compile("\\[Buffer\\] Length 0C = +0000: ([0-9A-F ]+?) +//").matcher(run.output());
        var buffers = new ArrayList<String>();
        while (returned.find()) {
            buffers.add(returned.group(1));
        }
        assertThat(buffers).containsExactly("01 00 00 00 1F 01 00 00 3D 00 00 00", "08 00 00 00 1F 01 00 00 3D 00 00 00",
                "04 00 00 00 1F 01 00 00 3D 00 00 00");
    }

    @Test
    void pciInterruptsMustSuitTheMachinesInterruptControllers() {
        assertThatThrownBy(() -> Platform.pc(1, false, PM).withPciHostBridge(bridge(true))).hasMessageContaining("on the PICs")
                .hasMessageContaining("not IRQ 16");
        assertThatThrownBy(() -> Platform.pc(1, true, PM).withPciHostBridge(bridge(false))).hasMessageContaining("with an IOAPIC")
                .hasMessageContaining("not GSI 10");
        assertThatThrownBy(() -> Platform.pc(1, true, PM).withPciHostBridge(PciHostBridge.bus0(0xb000_0000L, 0xc000_0000L, 0x1000,
                List.of(16, 17, 18, 24)))).hasMessageContaining("GSI 16-23");
        for (int taken : new int[] {2, 4, 1, 8, 9}) { // the cascade, COM1, the keyboard, the RTC, the SCI
            assertThatThrownBy(() -> Platform.pc(1, false, PM).withPciHostBridge(PciHostBridge.bus0(0xb000_0000L, 0xc000_0000L, 0x1000,
                    List.of(10, 11, 5, taken)))).as("IRQ %d", taken).hasMessageContaining("not IRQ " + taken);
        }
        assertThatThrownBy(() -> PciHostBridge.bus0(0xb008_0000L, 0xc000_0000L, 0x1000, List.of(10, 11, 5, 14)))
                .hasMessageContaining("1 MiB aligned");
        assertThatThrownBy(() -> PciHostBridge.bus0(0xb000_0000L, 0xb000_0000L, 0x1000, List.of(10, 11, 5, 14)))
                .hasMessageContaining("overlaps ECAM");
        assertThatThrownBy(() -> PciHostBridge.bus0(0xb000_0000L, 0xf000_0000L, 0x2000_0000L, List.of(10, 11, 5, 14)))
                .hasMessageContaining("below 4 GiB");
        assertThatThrownBy(() -> PciHostBridge.bus0(0xb000_0000L, 0xc000_0000L, 0x1000, List.of(10, 11, 5)))
                .hasMessageContaining("four INTx links");
        assertThatThrownBy(() -> bridge(false).gsi(32, 0)).hasMessageContaining("slots 0-31");
    }

    private static Map<String, byte[]> loadable(Map<String, byte[]> found) {
        var load = new LinkedHashMap<String, byte[]>();
        for (String name : List.of("FACP", "DSDT", "APIC", "MCFG", "FACS")) {
            if (found.containsKey(name)) {
                load.put(name, found.get(name));
            }
        }
        return load;
    }

    private static void assertNoAcpicaComplaint(String output) {
        assertThat(output).doesNotContain("ACPI Error").doesNotContain("ACPI Exception").doesNotContain("ACPI Warning")
                .doesNotContain("failed");
    }

    @Test
    void acpicaLoadsTheNamespaceAndEvaluatesS5AndTheSerialPortsResources() throws Exception {
        var tables = AcpiTables.build(Platform.pc(2, true, PM), BASE);
        var found = follow(tables);
        var load = new LinkedHashMap<String, byte[]>();
        for (String name : List.of("FACP", "DSDT", "APIC", "FACS")) {
            load.put(name, found.get(name));
        }
        var run = Acpica.execute(dir, load, "Evaluate \\_S5; Evaluate \\_SB.COM1._CRS; Namespace");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("1 ACPI AML tables successfully acquired and loaded")
                .contains("Initialized GPE 00 to 0F [_GPE] 2 regs on interrupt 0x9 (SCI)")
                .containsPattern("\\[Integer\\] = 0+5\\s+\\[Integer\\] = 0+5\\s+\\[Integer\\] = 0+\\s+\\[Integer\\] = 0+")
                .contains("47 01 F8 03 F8 03 01 08 22 10 00 79")
                .doesNotContain("ACPI Error").doesNotContain("ACPI Exception").doesNotContain("ACPI Warning");
    }

    @Test
    void twoHundredFiftyFiveProcessorsFitTheBiosArea() {
        var tables = AcpiTables.build(Platform.pc(255, true, PM), BASE);
        assertThat(tables.end()).isLessThanOrEqualTo(0x100000);
        follow(tables);
    }

    @Test
    void impossiblePlatformsAreRefusedWithReasons() {
        assertThatThrownBy(() -> Platform.pc(0, true, PM)).hasMessageContaining("1-255 processors");
        assertThatThrownBy(() -> Platform.pc(256, true, PM)).hasMessageContaining("1-255 processors");
        assertThatThrownBy(() -> new Platform(List.of(1, 1), Optional.empty(), PM, List.of(), List.of(), List.of()))
                .hasMessageContaining("share a local APIC id");
        assertThatThrownBy(() -> new Platform(List.of(-1), Optional.empty(), PM, List.of(), List.of(), List.of()))
                .hasMessageContaining("0-0xfffffffe");
        assertThatThrownBy(() -> new Platform.PmRegisters(0x600, 0x604, 0x608, 0x60c, 3, 0x610, 1, 9, 5)).hasMessageContaining("even length");
        assertThatThrownBy(() -> new Platform.PmRegisters(0x600, 0x604, 0x608, 0x60c, 4, 0x610, 1, 9, 8)).hasMessageContaining("3 bits");
        assertThatThrownBy(() -> new Platform.IsaDevice("com1", "PNP0501", 1, List.of(), List.of())).hasMessageContaining("name segment");
        assertThatThrownBy(() -> AcpiTables.build(Platform.pc(1, false, PM), 0xe0008)).hasMessageContaining("16-byte aligned");
    }

    /**
     * Finds the tables as an OS does: the RSDP at the base, its checksums, the XSDT it points at, the tables the
     * XSDT lists, and the FACS and DSDT the FADT points at. Every table's bytes must sum to zero.
     */
    static Map<String, byte[]> follow(AcpiTables tables) {
        var found = new LinkedHashMap<String, byte[]>();
        byte[] rsdp = slice(tables, tables.rsdp(), 36);
        assertThat(new String(rsdp, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("RSD PTR ");
        assertThat(sum(rsdp, 20)).as("RSDP checksum over the ACPI 1.0 part").isZero();
        assertThat(sum(rsdp, 36)).as("RSDP extended checksum").isZero();
        assertThat(rsdp[15]).as("RSDP revision").isEqualTo((byte) 2);
        assertThat(le(rsdp).getInt(16)).as("no RSDT").isZero();
        assertThat(le(rsdp).getInt(20)).isEqualTo(36);
        byte[] xsdt = table(tables, le(rsdp).getLong(24), "XSDT");
        found.put("XSDT", xsdt);
        for (int at = 36; at < xsdt.length; at += 8) {
            byte[] t = table(tables, le(xsdt).getLong(at), null);
            found.put(new String(t, 0, 4, StandardCharsets.US_ASCII), t);
        }
        byte[] fadt = found.get("FACP");
        assertThat(fadt).as("the XSDT lists the FADT").isNotNull();
        long facs = Integer.toUnsignedLong(le(fadt).getInt(36));
        assertThat(facs % 64).as("the FACS is 64-byte aligned").isZero();
        found.put("FACS", slice(tables, facs, 64));
        assertThat(new String(found.get("FACS"), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("FACS");
        found.put("DSDT", table(tables, le(fadt).getLong(140), "DSDT"));
        return found;
    }

    private static byte[] table(AcpiTables tables, long at, String signature) {
        int length = le(slice(tables, at, 8)).getInt(4);
        byte[] t = slice(tables, at, length);
        if (signature != null) {
            assertThat(new String(t, 0, 4, StandardCharsets.US_ASCII)).isEqualTo(signature);
        }
        assertThat(sum(t, t.length)).as("checksum of %s", new String(t, 0, 4, StandardCharsets.US_ASCII)).isZero();
        return t;
    }

    private static byte[] slice(AcpiTables tables, long at, int length) {
        assertThat(at).isGreaterThanOrEqualTo(tables.base());
        assertThat(at + length).isLessThanOrEqualTo(tables.end());
        return java.util.Arrays.copyOfRange(tables.bytes(), (int) (at - tables.base()), (int) (at - tables.base()) + length);
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int sum(byte[] bytes, int length) {
        int s = 0;
        for (int i = 0; i < length; i++) {
            s += bytes[i];
        }
        return s & 0xff;
    }

    /** Runs iasl -d and checks it had nothing to complain about; returns the disassembly. */
    private String disassemble(String name, byte[] table) throws Exception {
        var result = Acpica.disassemble(dir, name, table);
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).doesNotContainIgnoringCase("error").doesNotContainIgnoringCase("warning");
        assertThat(result.disassembly()).isNotEmpty().doesNotContain("Incorrect").doesNotContainIgnoringCase("invalid");
        return result.disassembly();
    }

    /** The first value iasl printed for {@code name} ("[off dec len]  Name : value"). */
    private static String field(String dsl, String name) {
        var all = fields(dsl, Pattern.quote(name));
        assertThat(all).as("field %s in\n%s", name, dsl).isNotEmpty();
        return all.getFirst();
    }

    /** Every value iasl printed for fields whose name matches {@code regex}, in order. */
    private static List<String> fields(String dsl, String regex) {
        var m = Pattern.compile("(?m)^(?:\\[[^]]*\\])?\\s+" + regex + " : (.+?)\\s*$").matcher(dsl);
        var values = new ArrayList<String>();
        while (m.find()) {
            values.add(m.group(1));
        }
        return values;
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
