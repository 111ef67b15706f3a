package dev.corral.engine.boot.acpi;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The machine the ACPI tables describe, as the VM is built: its processors, its interrupt controllers, where its
 * ACPI fixed hardware answers, its devices and its PCI host bridge. {@link AcpiTables} turns it into tables;
 * nothing here is probed.
 *
 * @param apicIds    the local APIC id of each vCPU, the boot processor first; vCPU {@code i} is ACPI processor
 *                   UID {@code i}. 1-255 of them, distinct, each 0-0xfffffffe.
 * @param apics      the local APICs and the IOAPIC, if the machine has them. Empty: the PICs only, and no MADT
 *                   (a kernel on a CPU without the APIC feature ignores the MADT anyway, and one with it must not
 *                   be told of controllers that are not there).
 * @param pm         the ACPI fixed hardware's registers
 * @param isaDevices legacy devices at fixed ports, under {@code \_SB}
 * @param devices    further device objects for {@code \_SB}, in this order after the ISA ones and the PCI host bridge
 * @param tables     further complete tables to list in the XSDT, each with its header and checksum
 * @param pci        the PCI host bridge, if the machine has PCI: {@code \_SB.PCI0} with its ECAM reserved, and the MCFG.
 *                   Its INTx links are ISA IRQs on a machine with only the PICs (not one an ISA device or the SCI
 *                   has: PCI's are level-triggered) and GSIs past the ISA ones on a machine with an IOAPIC (an ISA
 *                   pin of the IOAPIC is edge-triggered, active high, where no override says otherwise)
 */
public record Platform(List<Integer> apicIds, Optional<InterruptControllers> apics, PmRegisters pm, List<IsaDevice> isaDevices,
        List<Aml.Term> devices, List<byte[]> tables, Optional<PciHostBridge> pci) {

    public static final int MAX_PROCESSORS = 255;
    static final int ISA_IRQS = 16, CASCADE_IRQ = 2;

    public Platform {
        apicIds = List.copyOf(apicIds);
        Objects.requireNonNull(apics, "apics");
        Objects.requireNonNull(pm, "pm");
        isaDevices = List.copyOf(isaDevices);
        devices = List.copyOf(devices);
        tables = tables.stream().map(byte[]::clone).toList();
        if (apicIds.isEmpty() || apicIds.size() > MAX_PROCESSORS) {
            throw new IllegalArgumentException("a machine has 1-" + MAX_PROCESSORS + " processors, not " + apicIds.size());
        }
        if (apicIds.stream().distinct().count() != apicIds.size()) {
            throw new IllegalArgumentException("two processors share a local APIC id: " + apicIds);
        }
        for (int id : apicIds) {
            if (id == -1) { // ids are unsigned; 0xffffffff is x2APIC's broadcast
                throw new IllegalArgumentException("a local APIC id is 0-0xfffffffe, not " + Integer.toUnsignedString(id));
            }
        }
        for (byte[] t : tables) {
            if (t.length < SystemTable.HEADER_SIZE) {
                throw new IllegalArgumentException("an extra table of " + t.length + " bytes has no room for its header");
            }
        }
        Objects.requireNonNull(pci, "pci");
        if (pci.isPresent()) {
            checkPciInterrupts(pci.get(), apics, pm, isaDevices);
        }
    }

    /** A machine without PCI. */
    public Platform(List<Integer> apicIds, Optional<InterruptControllers> apics, PmRegisters pm, List<IsaDevice> isaDevices,
            List<Aml.Term> devices, List<byte[]> tables) {
        this(apicIds, apics, pm, isaDevices, devices, tables, Optional.empty());
    }

    private static void checkPciInterrupts(PciHostBridge pci, Optional<InterruptControllers> apics, PmRegisters pm, List<IsaDevice> isa) {
        for (int gsi : pci.linkGsis()) {
            if (apics.isPresent()) {
                var io = apics.get();
                if (gsi < ISA_IRQS || gsi >= io.gsiBase() + io.pins()) {
                    throw new IllegalArgumentException("with an IOAPIC, PCI INTx goes to its pins past the ISA interrupts, GSI "
                            + ISA_IRQS + "-" + (io.gsiBase() + io.pins() - 1) + ", not GSI " + gsi
                            + " (an ISA pin is edge-triggered, active high)");
                }
            } else if (gsi >= ISA_IRQS || gsi == CASCADE_IRQ || gsi == pm.sciIrq()
                    || isa.stream().anyMatch(d -> d.irqs().contains(gsi))) {
                throw new IllegalArgumentException("on the PICs, PCI INTx takes ISA IRQs no other device has (it is level-triggered),"
                        + " below " + ISA_IRQS + " and not the cascade (2), the SCI or an ISA device's, not IRQ " + gsi);
            }
        }
    }

    /**
     * The PC every Corral VM is: {@code vcpus} processors with local APIC ids 0..vcpus-1, COM1, the i8042 and the
     * RTC; the APICs if {@code apics}.
     */
    public static Platform pc(int vcpus, boolean apics, PmRegisters pm) {
        if (vcpus < 1 || vcpus > MAX_PROCESSORS) {
            throw new IllegalArgumentException("a machine has 1-" + MAX_PROCESSORS + " processors, not " + vcpus);
        }
        var ids = IntStream.range(0, vcpus).boxed().toList();
        return new Platform(ids, apics ? Optional.of(InterruptControllers.pc()) : Optional.empty(), pm,
                List.of(IsaDevice.com1(), IsaDevice.ps2Keyboard(), IsaDevice.rtc()), List.of(), List.of());
    }

    /** This platform with {@code device} added under {@code \_SB}. */
    public Platform withDevice(Aml.Term device) {
        var more = new ArrayList<>(devices);
        more.add(device);
        return new Platform(apicIds, apics, pm, isaDevices, more, tables, pci);
    }

    /** This platform with {@code table} added to the XSDT. */
    public Platform withTable(byte[] table) {
        var more = new ArrayList<>(tables);
        more.add(table);
        return new Platform(apicIds, apics, pm, isaDevices, devices, more, pci);
    }

    /** This platform with PCI behind {@code bridge}. */
    public Platform withPciHostBridge(PciHostBridge bridge) {
        return new Platform(apicIds, apics, pm, isaDevices, devices, tables, Optional.of(bridge));
    }

    /**
     * The local APICs (all at one address) and one IOAPIC, with the ISA interrupts that do not reach the IOAPIC
     * pin of their own number, or not edge-triggered active-high.
     *
     * @param localApicAddress the local APICs' MMIO base (0xfee00000)
     * @param ioApicId         the IOAPIC's id (its own namespace, apart from local APIC ids)
     * @param ioApicAddress    its MMIO base (0xfec00000)
     * @param gsiBase          the global system interrupt its pin 0 is
     * @param pins             its redirection entries (24 on the 82093AA)
     * @param overrides        ISA interrupt source overrides
     * @param nmiLint          the local APIC input (LINT0 or LINT1) the NMI is wired to on every processor
     */
    public record InterruptControllers(long localApicAddress, int ioApicId, long ioApicAddress, int gsiBase, int pins,
            List<IrqOverride> overrides, int nmiLint) {

        public static final long LOCAL_APIC = 0xfee00000L;
        public static final long IO_APIC = 0xfec00000L;

        public InterruptControllers {
            overrides = List.copyOf(overrides);
            if (ioApicId < 0 || ioApicId > 0xff) {
                throw new IllegalArgumentException("an IOAPIC id is 0-255, not " + ioApicId);
            }
            if (nmiLint != 0 && nmiLint != 1) {
                throw new IllegalArgumentException("the NMI comes in on LINT0 or LINT1, not LINT" + nmiLint);
            }
            if (pins < 1 || pins > 240 || gsiBase < 0) {
                throw new IllegalArgumentException("an IOAPIC has 1-240 pins from a GSI of 0 or more, not " + pins + " from " + gsiBase);
            }
        }

        /**
         * A PC's: one IOAPIC, id 0, at GSI 0 with 24 pins; the PIT's IRQ 0 on pin 2 (where the 8259's cascade
         * input was), edge-triggered; the SCI's IRQ 9 level-triggered, active high; NMI on LINT1.
         */
        public static InterruptControllers pc() {
            return new InterruptControllers(LOCAL_APIC, 0, IO_APIC, 0, 24,
                    List.of(new IrqOverride(0, 2, IrqOverride.ACTIVE_HIGH | IrqOverride.EDGE),
                            new IrqOverride(PmRegisters.PC_SCI_IRQ, PmRegisters.PC_SCI_IRQ, IrqOverride.ACTIVE_HIGH | IrqOverride.LEVEL)),
                    1);
        }
    }

    /**
     * An ISA interrupt source override (MADT entry type 2): ISA IRQ {@code source} is global system interrupt
     * {@code gsi}, with the MPS INTI {@code flags} (polarity in bits 1-0, trigger mode in bits 3-2).
     */
    public record IrqOverride(int source, int gsi, int flags) {
        public static final int ACTIVE_HIGH = 0b01, ACTIVE_LOW = 0b11;
        public static final int EDGE = 0b01 << 2, LEVEL = 0b11 << 2;

        public IrqOverride {
            if (source < 0 || source > 15 || gsi < 0 || (flags & ~0xf) != 0) {
                throw new IllegalArgumentException("an ISA override maps IRQ 0-15 to a GSI with 4 bits of flags, not " + source + " -> " + gsi
                        + " flags 0x" + Integer.toHexString(flags));
            }
        }
    }

    /**
     * The ACPI fixed hardware's register blocks, all in I/O space (ACPI 6.3, 4.8 "ACPI Hardware Model").
     *
     * @param pm1aEvent       PM1a_EVT_BLK: PM1_STS then PM1_EN, two bytes each
     * @param pm1aControl     PM1a_CNT_BLK: PM1_CNT, two bytes
     * @param timer           PM_TMR_BLK: four bytes, 32 bits counting (TMR_VAL_EXT)
     * @param gpe0            GPE0_BLK: GPE0_STS then GPE0_EN, {@code gpe0Length / 2} bytes each; 0 for none
     * @param gpe0Length      its length in bytes, even; 0 for none
     * @param reset           the RESET_REG port, written one byte wide
     * @param resetValue      the byte that resets the machine
     * @param sciIrq          the ISA IRQ the SCI is wired to
     * @param s5SleepType     the SLP_TYP value that selects soft-off (S5)
     */
    public record PmRegisters(int pm1aEvent, int pm1aControl, int timer, int gpe0, int gpe0Length, int reset, int resetValue,
            int sciIrq, int s5SleepType) {

        public static final int PC_SCI_IRQ = 9;
        static final int PM1_EVT_LEN = 4, PM1_CNT_LEN = 2, PM_TMR_LEN = 4;

        public PmRegisters {
            for (int port : new int[] {pm1aEvent, pm1aControl, timer, reset}) {
                if (port <= 0 || port > 0xfffc) {
                    throw new IllegalArgumentException("an ACPI register block is at an I/O port in 1-0xfffc, not 0x" + Integer.toHexString(port));
                }
            }
            if (gpe0Length < 0 || gpe0Length % 2 != 0 || gpe0Length > 0xfe || (gpe0Length == 0) != (gpe0 == 0)) {
                throw new IllegalArgumentException("a GPE0 block has an even length of 2-254 bytes at a port, or is absent: 0x"
                        + Integer.toHexString(gpe0) + " length " + gpe0Length);
            }
            if (resetValue < 0 || resetValue > 0xff || sciIrq < 0 || sciIrq > 15 || s5SleepType < 0 || s5SleepType > 7) {
                throw new IllegalArgumentException("reset value " + resetValue + ", SCI IRQ " + sciIrq + " or S5 sleep type " + s5SleepType
                        + " out of range (a byte, an ISA IRQ, 3 bits)");
            }
        }
    }

    /**
     * A legacy device at fixed resources, for {@code \_SB}: its ACPI name, its PNP id, its {@code _UID} (or -1 for
     * none), its I/O port ranges and its ISA IRQs.
     */
    public record IsaDevice(String name, String pnpId, int uid, List<PortRange> ports, List<Integer> irqs) {

        public IsaDevice {
            Aml.nameString(name); // refuses a bad name now, not when the tables are built
            Aml.eisaIdValue(pnpId);
            ports = List.copyOf(ports);
            irqs = List.copyOf(irqs);
        }

        /** COM1: a 16550A at 0x3f8, IRQ 4. */
        public static IsaDevice com1() {
            return new IsaDevice("COM1", "PNP0501", 1, List.of(new PortRange(0x3f8, 8)), List.of(4));
        }

        /** The i8042 seen as its keyboard port: data at 0x60, command/status at 0x64, IRQ 1 (no mouse behind it). */
        public static IsaDevice ps2Keyboard() {
            return new IsaDevice("PS2K", "PNP0303", -1, List.of(new PortRange(0x60, 1), new PortRange(0x64, 1)), List.of(1));
        }

        /** The CMOS RTC: index and data at 0x70-0x71, IRQ 8. */
        public static IsaDevice rtc() {
            return new IsaDevice("RTC", "PNP0B00", -1, List.of(new PortRange(0x70, 2)), List.of(8));
        }
    }

    /** {@code length} I/O ports from {@code base}. */
    public record PortRange(int base, int length) {
    }
}
