package dev.corral.engine.boot.acpi;

import java.util.ArrayList;
import java.util.List;

/**
 * The PCI host bridge of PCI segment 0 as firmware describes it to the OS (ACPI 6.3, 6.1, 6.2.13 "_PRT"; PCI
 * Firmware Specification 3.2, 4.1.2 "MCFG" and 4.5 "_OSC"): buses 0 to {@code lastBus}, configured through mechanism
 * #1 at ports 0xcf8-0xcff and through ECAM at {@code ecamBase} (1 MiB per bus), forwarding the memory window of
 * {@code windowSize} bytes at {@code windowBase} and every I/O port but the configuration ones, with its four INTx
 * links A-D wired to the global system interrupts {@code linkGsis}. Function {@code pin} (0-3 for INTA-D) of
 * {@code slot} is on link {@code (slot + pin) mod 4}, the swizzle every PCI slot has.
 *
 * <p>Under {@code \_SB}:
 * <pre>
 * Device (PCI0) {
 *     Name (_HID, EisaId ("PNP0A08"))   a PCI Express root: its extended configuration space is reached through ECAM
 *     Name (_CID, EisaId ("PNP0A03"))   and a PCI host bridge: what Linux's root bridge driver matches (its only id)
 *                                       and what an OS that knows only PCI binds
 *     Name (_SEG, 0)  Name (_BBN, 0)  Name (_UID, 0)
 *     Name (_CRS, ResourceTemplate () {
 *         WordBusNumber 0-lastBus
 *         IO 0xcf8, 8                   the configuration ports: the bridge's own, not forwarded
 *         WordIO 0x0000-0x0cf7, WordIO 0x0d00-0xffff
 *         DWordMemory the window })
 *     Method (_OSC, 4, Serialized) {    the OS gets every PCI Express feature it asks for: no firmware keeps any
 *         CreateDWordField (Arg3, 0, CDW1)
 *         If (LEqual (Arg0, ToUUID ("33db4d5b-1ff7-401c-9657-7441c03dd766"))) {
 *             If (LNotEqual (Arg1, 1)) { Or (CDW1, 0x08, CDW1) }   unrecognized revision
 *         } Else { Or (CDW1, 0x04, CDW1) }                        unrecognized UUID
 *         Return (Arg3) }
 *     Name (_PRT, Package () { Package () { 0xSSSSFFFF, pin, 0, gsi }, ... })   INTA-D of all 32 slots
 * }
 * Device (ECAM) {
 *     Name (_HID, EisaId ("PNP0C02"))  Name (_UID, 1)  Name (_CRS, ResourceTemplate () { Memory32Fixed ECAM }) }
 * </pre>
 * and the MCFG table. A _PRT entry naming no link device gives the GSI itself; the OS takes it as level-triggered,
 * active low, as PCI INTx is. The ECAM is reserved as a motherboard resource, as the PCI Firmware Specification
 * requires (Linux trusts an MCFG whose range it finds there or in the e820 map, which the loader also reserves it in).
 *
 * @param ecamBase   where ECAM for bus 0 starts, 1 MiB aligned, below 4 GiB with all of its buses
 * @param lastBus    the last bus number below the bridge (0-255)
 * @param windowBase the memory window's base, below 4 GiB
 * @param windowSize its size
 * @param linkGsis   the GSIs of links A, B, C and D
 */
public record PciHostBridge(long ecamBase, int lastBus, long windowBase, long windowSize, List<Integer> linkGsis) {

    public static final String HID = "PNP0A08", CID = "PNP0A03";
    public static final String OSC_UUID = "33db4d5b-1ff7-401c-9657-7441c03dd766";
    public static final int CONFIG_PORT = 0xcf8, CONFIG_PORTS = 8;
    public static final long ECAM_BUS_SIZE = 1L << 20;
    public static final int SLOTS = 32, PINS = 4;
    static final String NAME = "PCI0", ECAM_NAME = "ECAM";
    /** The ECAM's motherboard resource device; the fixed hardware's is UID 0 (Dsdt). */
    static final int ECAM_UID = 1;
    /** _OSC's first capabilities dword, error bits (PCI Firmware Specification 3.2, table 4-4). */
    static final int OSC_UNRECOGNIZED_UUID = 0x04, OSC_UNRECOGNIZED_REVISION = 0x08;
    static final int OSC_REVISION = 1;
    static final String MCFG_SIGNATURE = "MCFG";
    static final int MCFG_REVISION = 1, MCFG_RESERVED = 8, MCFG_ENTRY_SIZE = 16;

    public PciHostBridge {
        linkGsis = List.copyOf(linkGsis);
        if (lastBus < 0 || lastBus > 0xff) {
            throw new IllegalArgumentException("a host bridge's buses are 0 to 0-255, not 0 to " + lastBus);
        }
        if (ecamBase <= 0 || ecamBase % ECAM_BUS_SIZE != 0 || ecamBase + (lastBus + 1) * ECAM_BUS_SIZE > 1L << 32) {
            throw new IllegalArgumentException(String.format("ECAM starts 1 MiB aligned and lies below 4 GiB, not at 0x%x for %d buses",
                    ecamBase, lastBus + 1));
        }
        if (windowBase <= 0 || windowSize <= 0 || windowBase + windowSize > 1L << 32) {
            throw new IllegalArgumentException(String.format("the memory window lies below 4 GiB, not 0x%x bytes at 0x%x", windowSize,
                    windowBase));
        }
        if (windowBase < ecamEnd(ecamBase, lastBus) && ecamBase < windowBase + windowSize) {
            throw new IllegalArgumentException("the memory window overlaps ECAM");
        }
        if (linkGsis.size() != PINS || linkGsis.stream().anyMatch(gsi -> gsi < 0)) {
            throw new IllegalArgumentException("a host bridge has four INTx links on GSIs of 0 or more, not " + linkGsis);
        }
    }

    /** The PC's bridge: bus 0 only. */
    public static PciHostBridge bus0(long ecamBase, long windowBase, long windowSize, List<Integer> linkGsis) {
        return new PciHostBridge(ecamBase, 0, windowBase, windowSize, linkGsis);
    }

    /** The ECAM bytes: 1 MiB per bus. */
    public long ecamSize() {
        return (lastBus + 1) * ECAM_BUS_SIZE;
    }

    /** The GSI that INTx pin {@code pin} (0-3: INTA-D) of a function in {@code slot} (0-31) reaches. */
    public int gsi(int slot, int pin) {
        if (slot < 0 || slot >= SLOTS || pin < 0 || pin >= PINS) {
            throw new IllegalArgumentException("PCI has slots 0-31 with pins INTA-INTD (0-3), not slot " + slot + " pin " + pin);
        }
        return linkGsis.get((slot + pin) % PINS);
    }

    /** {@code Device (PCI0)}, for {@code \_SB}. */
    Aml.Term device() {
        var crs = new ResourceTemplate()
                .wordBusNumber(0, lastBus)
                .io(CONFIG_PORT, CONFIG_PORTS)
                .wordIo(0, CONFIG_PORT - 1)
                .wordIo(CONFIG_PORT + CONFIG_PORTS, 0xffff)
                .dwordMemory(windowBase, windowBase + windowSize - 1);
        return Aml.device(NAME, List.of(
                Aml.name("_HID", Aml.eisaId(HID)),
                Aml.name("_CID", Aml.eisaId(CID)),
                Aml.name("_SEG", Aml.integer(0)),
                Aml.name("_BBN", Aml.integer(0)),
                Aml.name("_UID", Aml.integer(0)),
                Aml.name("_CRS", crs.toBuffer()),
                osc(),
                Aml.name("_PRT", routingTable())));
    }

    /**
     * The Operating System Capabilities method for the PCI host bridge UUID: revision 1, and the OS may control
     * every feature it asks for (the control dword comes back as it went in, so it is granted); another UUID or
     * revision is refused in the first dword, as the specification says.
     */
    private static Aml.Term osc() {
        var cdw1 = Aml.reference("CDW1");
        return Aml.method("_OSC", 4, true, List.of(
                Aml.createDWordField(Aml.arg(3), Aml.integer(0), "CDW1"),
                Aml.ifElse(Aml.lEqual(Aml.arg(0), Aml.uuid(OSC_UUID)),
                        List.of(Aml.ifElse(Aml.lNot(Aml.lEqual(Aml.arg(1), Aml.integer(OSC_REVISION))),
                                List.of(Aml.or(cdw1, Aml.integer(OSC_UNRECOGNIZED_REVISION), cdw1)), List.of())),
                        List.of(Aml.or(cdw1, Aml.integer(OSC_UNRECOGNIZED_UUID), cdw1))),
                Aml.returnValue(Aml.arg(3))));
    }

    /** _PRT: for every slot and pin, {address 0xSSSSFFFF (any function of the slot), pin, no link device, its GSI}. */
    private Aml.Term routingTable() {
        var entries = new ArrayList<Aml.Term>();
        for (int slot = 0; slot < SLOTS; slot++) {
            for (int pin = 0; pin < PINS; pin++) {
                long address = (long) slot << 16 | 0xffff;
                entries.add(Aml.pkg(Aml.integer(address), Aml.integer(pin), Aml.integer(0), Aml.integer(gsi(slot, pin))));
            }
        }
        return Aml.pkg(entries);
    }

    /** {@code Device (ECAM)}: the ECAM reserved as a motherboard resource. */
    Aml.Term ecamReservation() {
        return Aml.device(ECAM_NAME, List.of(
                Aml.name("_HID", Aml.eisaId(Dsdt.MOTHERBOARD_RESOURCES)),
                Aml.name("_UID", Aml.integer(ECAM_UID)),
                Aml.name("_CRS", new ResourceTemplate().memory32Fixed(ecamBase, ecamSize()).toBuffer())));
    }

    /**
     * The PCI Express memory-mapped configuration space base address description table (PCI Firmware Specification
     * 3.2, 4.1.2): eight reserved bytes, then one allocation: base address, segment 0, first and last bus.
     */
    byte[] mcfg() {
        var t = SystemTable.start(SystemTable.HEADER_SIZE + MCFG_RESERVED + MCFG_ENTRY_SIZE);
        t.putLong(0);
        t.putLong(ecamBase).putShort((short) 0).put((byte) 0).put((byte) lastBus).putInt(0);
        return SystemTable.seal(t, MCFG_SIGNATURE, MCFG_REVISION);
    }

    private static long ecamEnd(long base, int lastBus) {
        return base + (lastBus + 1) * ECAM_BUS_SIZE;
    }
}
