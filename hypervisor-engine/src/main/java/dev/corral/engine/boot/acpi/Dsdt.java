package dev.corral.engine.boot.acpi;

import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.boot.acpi.Aml.Term;

/**
 * The Differentiated System Description Table: a definition block of revision 2 (64-bit integers) holding
 * <pre>
 * Name (\_S5, Package () { S5, S5, 0, 0 })     soft-off through PM1a_CNT's SLP_TYP (the only sleep state)
 * Scope (\_SB) {
 *     Device (C000) { Name (_HID, "ACPI0007") Name (_UID, 0) }  one processor device per vCPU, _UID = MADT UID
 *     Device (PMIO) { Name (_HID, EisaId ("PNP0C02")) ... }     the fixed hardware's ports, reserved
 *     Device (COM1) { Name (_HID, EisaId ("PNP0501")) Name (_UID, 1) Name (_CRS, ResourceTemplate () {...}) }
 *     ...the other ISA devices
 *     Device (PCI0) {...}  Device (ECAM) {...}                    the PCI host bridge, if any ({@link PciHostBridge})
 *     ...then any further devices
 * }
 * </pre>
 * Linux finds its CPUs and interrupt controllers in the MADT; the processor devices let its ACPI processor driver
 * bind each CPU (idle states: C1 only, as the FADT says).
 */
final class Dsdt {

    static final String SIGNATURE = "DSDT";
    static final int REVISION = 2;
    static final String PROCESSOR_HID = "ACPI0007";
    static final String MOTHERBOARD_RESOURCES = "PNP0C02";

    private Dsdt() {
    }

    static byte[] build(Platform platform) {
        var pm = platform.pm();
        var sb = new ArrayList<Term>();
        for (int uid = 0; uid < platform.apicIds().size(); uid++) {
            sb.add(Aml.device(String.format("C%03X", uid), List.of(
                    Aml.name("_HID", Aml.string(PROCESSOR_HID)),
                    Aml.name("_UID", Aml.integer(uid)))));
        }
        sb.add(Aml.device("PMIO", List.of(
                Aml.name("_HID", Aml.eisaId(MOTHERBOARD_RESOURCES)),
                Aml.name("_UID", Aml.integer(0)),
                Aml.name("_CRS", fixedHardwareResources(pm).toBuffer()))));
        for (var device : platform.isaDevices()) {
            var body = new ArrayList<Term>();
            body.add(Aml.name("_HID", Aml.eisaId(device.pnpId())));
            if (device.uid() >= 0) {
                body.add(Aml.name("_UID", Aml.integer(device.uid())));
            }
            var crs = new ResourceTemplate();
            device.ports().forEach(r -> crs.io(r.base(), r.length()));
            device.irqs().forEach(crs::irq);
            body.add(Aml.name("_CRS", crs.toBuffer()));
            sb.add(Aml.device(device.name(), body));
        }
        platform.pci().ifPresent(pci -> {
            sb.add(pci.device());
            sb.add(pci.ecamReservation());
        });
        sb.addAll(platform.devices());
        var aml = Aml.sequence(List.of(
                Aml.name("\\_S5", Aml.pkg(Aml.integer(pm.s5SleepType()), Aml.integer(pm.s5SleepType()), Aml.integer(0), Aml.integer(0))),
                Aml.scope("\\_SB", sb)));
        return SystemTable.of(SIGNATURE, REVISION, aml.bytes());
    }

    /** Every port of the fixed hardware, so no other device (nor a PCI BAR) is given them. */
    private static ResourceTemplate fixedHardwareResources(Platform.PmRegisters pm) {
        var crs = new ResourceTemplate()
                .io(pm.pm1aEvent(), Platform.PmRegisters.PM1_EVT_LEN)
                .io(pm.pm1aControl(), Platform.PmRegisters.PM1_CNT_LEN)
                .io(pm.timer(), Platform.PmRegisters.PM_TMR_LEN);
        if (pm.gpe0Length() > 0) {
            crs.io(pm.gpe0(), pm.gpe0Length());
        }
        return crs.io(pm.reset(), 1);
    }
}
