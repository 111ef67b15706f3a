package dev.corral.engine.boot.acpi;

import java.util.List;

/**
 * The Multiple APIC Description Table, revision 5 (ACPI 6.3, 5.2.12): the local APIC address and PC-AT
 * compatibility flag, then one entry per processor (a Processor Local APIC entry, or a Processor Local x2APIC entry
 * where the APIC id or UID does not fit a byte), the IOAPIC, the ISA interrupt source overrides, and the NMI on
 * every processor's LINT pin (the local APIC form, and the x2APIC form too if any processor has an x2APIC entry).
 */
final class Madt {

    static final String SIGNATURE = "APIC";
    static final int REVISION = 5;
    static final int PCAT_COMPAT = 1;          // the machine also has dual 8259s, which the OS must mask
    static final int LOCAL_APIC = 0, IO_APIC = 1, SOURCE_OVERRIDE = 2, LOCAL_APIC_NMI = 4, LOCAL_X2APIC = 9, LOCAL_X2APIC_NMI = 0x0a;
    static final int LOCAL_APIC_SIZE = 8, IO_APIC_SIZE = 12, SOURCE_OVERRIDE_SIZE = 10, LOCAL_APIC_NMI_SIZE = 6;
    static final int LOCAL_X2APIC_SIZE = 16, LOCAL_X2APIC_NMI_SIZE = 12;
    static final int ENABLED = 1;
    static final int ALL_PROCESSORS_UID = 0xff;
    static final int ISA_BUS = 0;

    private Madt() {
    }

    static byte[] build(List<Integer> apicIds, Platform.InterruptControllers apics) {
        int x2apics = 0;
        for (int uid = 0; uid < apicIds.size(); uid++) {
            if (needsX2apic(apicIds.get(uid), uid)) {
                x2apics++;
            }
        }
        int length = SystemTable.HEADER_SIZE + 8 + (apicIds.size() - x2apics) * LOCAL_APIC_SIZE + x2apics * LOCAL_X2APIC_SIZE
                + IO_APIC_SIZE + apics.overrides().size() * SOURCE_OVERRIDE_SIZE + LOCAL_APIC_NMI_SIZE
                + (x2apics > 0 ? LOCAL_X2APIC_NMI_SIZE : 0);
        var t = SystemTable.start(length);
        t.putInt((int) apics.localApicAddress());
        t.putInt(PCAT_COMPAT);
        for (int uid = 0; uid < apicIds.size(); uid++) {
            int id = apicIds.get(uid);
            if (needsX2apic(id, uid)) {
                t.put((byte) LOCAL_X2APIC).put((byte) LOCAL_X2APIC_SIZE).putShort((short) 0).putInt(id).putInt(ENABLED).putInt(uid);
            } else {
                t.put((byte) LOCAL_APIC).put((byte) LOCAL_APIC_SIZE).put((byte) uid).put((byte) id).putInt(ENABLED);
            }
        }
        t.put((byte) IO_APIC).put((byte) IO_APIC_SIZE).put((byte) apics.ioApicId()).put((byte) 0)
                .putInt((int) apics.ioApicAddress()).putInt(apics.gsiBase());
        for (var o : apics.overrides()) {
            t.put((byte) SOURCE_OVERRIDE).put((byte) SOURCE_OVERRIDE_SIZE).put((byte) ISA_BUS).put((byte) o.source())
                    .putInt(o.gsi()).putShort((short) o.flags());
        }
        // Flags 0: the NMI's polarity and trigger conform to the bus (active high, edge), as on every PC.
        t.put((byte) LOCAL_APIC_NMI).put((byte) LOCAL_APIC_NMI_SIZE).put((byte) ALL_PROCESSORS_UID).putShort((short) 0)
                .put((byte) apics.nmiLint());
        if (x2apics > 0) {
            t.put((byte) LOCAL_X2APIC_NMI).put((byte) LOCAL_X2APIC_NMI_SIZE).putShort((short) 0).putInt(-1)
                    .put((byte) apics.nmiLint()).put(new byte[3]);
        }
        return SystemTable.seal(t, SIGNATURE, REVISION);
    }

    /** An APIC id or processor UID of 255 or more only fits the x2APIC entry (255 is xAPIC's broadcast id). */
    static boolean needsX2apic(int apicId, int uid) {
        return Integer.compareUnsigned(apicId, 0xff) >= 0 || uid >= 0xff;
    }
}
