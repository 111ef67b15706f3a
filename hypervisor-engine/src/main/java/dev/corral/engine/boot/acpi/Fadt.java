package dev.corral.engine.boot.acpi;

/**
 * The Fixed ACPI Description Table, revision 6 (ACPI 6.3, 5.2.9; 276 bytes, minor version 3): a full ACPI platform,
 * not hardware-reduced, whose fixed hardware is {@link Platform.PmRegisters}. ACPI is always on (SMI_CMD is 0, so
 * the OS never switches modes and SCI_EN reads 1 from the start); the power button is the fixed-feature one; there
 * is no sleep button; the reset register is in I/O space; the IA-PC boot flags say an 8042 and legacy devices are
 * there but no VGA. Both the 32-bit block addresses and their X_ Generic Address forms are filled in, equal, as
 * ACPICA checks that they agree.
 */
final class Fadt {

    static final String SIGNATURE = "FACP";
    static final int REVISION = 6;
    static final int MINOR_VERSION = 3;
    static final int LENGTH = 276;

    // Flags (5.2.9, Table 5-34).
    static final int WBINVD = 1, PROC_C1 = 1 << 2, PWR_BUTTON = 1 << 4, SLP_BUTTON = 1 << 5, FIX_RTC = 1 << 6;
    static final int TMR_VAL_EXT = 1 << 8, RESET_REG_SUP = 1 << 10, HW_REDUCED_ACPI = 1 << 20;
    // IA-PC boot architecture flags (5.2.9.3).
    static final int LEGACY_DEVICES = 1, I8042 = 1 << 1, VGA_NOT_PRESENT = 1 << 2;
    /** C2/C3 latencies above 100 and 1000 microseconds say the states are not supported: C1 (HLT) only. */
    static final int NO_C2_LATENCY = 101, NO_C3_LATENCY = 1001;
    /** The CMOS register holding the century (the PC convention, where our RTC keeps it). */
    static final int CENTURY_CMOS_INDEX = 0x32;

    private Fadt() {
    }

    static byte[] build(Platform.PmRegisters pm, long facs, long dsdt) {
        if (facs >= 1L << 32 || dsdt >= 1L << 32) {
            throw new IllegalArgumentException("the FACS and DSDT go below 4 GiB, where the FADT's 32-bit fields reach them");
        }
        var t = SystemTable.start(LENGTH);
        t.putInt((int) facs);                      // 36 FIRMWARE_CTRL
        t.putInt((int) dsdt);                      // 40 DSDT
        t.put((byte) 0);                           // 44 reserved (INT_MODEL in ACPI 1.0)
        t.put((byte) 0);                           // 45 Preferred_PM_Profile: unspecified
        t.putShort((short) pm.sciIrq());           // 46 SCI_INT
        t.putInt(0);                               // 48 SMI_CMD: none, ACPI is always enabled
        t.put((byte) 0).put((byte) 0);             // 52 ACPI_ENABLE, ACPI_DISABLE
        t.put((byte) 0).put((byte) 0);             // 54 S4BIOS_REQ, PSTATE_CNT
        t.putInt(pm.pm1aEvent());                  // 56 PM1a_EVT_BLK
        t.putInt(0);                               // 60 PM1b_EVT_BLK
        t.putInt(pm.pm1aControl());                // 64 PM1a_CNT_BLK
        t.putInt(0);                               // 68 PM1b_CNT_BLK
        t.putInt(0);                               // 72 PM2_CNT_BLK
        t.putInt(pm.timer());                      // 76 PM_TMR_BLK
        t.putInt(pm.gpe0());                       // 80 GPE0_BLK
        t.putInt(0);                               // 84 GPE1_BLK
        t.put((byte) Platform.PmRegisters.PM1_EVT_LEN);   // 88
        t.put((byte) Platform.PmRegisters.PM1_CNT_LEN);   // 89
        t.put((byte) 0);                                    // 90 PM2_CNT_LEN
        t.put((byte) Platform.PmRegisters.PM_TMR_LEN);    // 91
        t.put((byte) pm.gpe0Length());                      // 92 GPE0_BLK_LEN
        t.put((byte) 0).put((byte) 0);             // 93 GPE1_BLK_LEN, GPE1_BASE
        t.put((byte) 0);                           // 95 CST_CNT: no _CST notifications
        t.putShort((short) NO_C2_LATENCY);         // 96 P_LVL2_LAT
        t.putShort((short) NO_C3_LATENCY);         // 98 P_LVL3_LAT
        t.putShort((short) 0).putShort((short) 0); // 100 FLUSH_SIZE, FLUSH_STRIDE
        t.put((byte) 0).put((byte) 0);             // 104 DUTY_OFFSET, DUTY_WIDTH: no throttling
        t.put((byte) 0).put((byte) 0);             // 106 DAY_ALRM, MON_ALRM: no RTC date alarms
        t.put((byte) CENTURY_CMOS_INDEX);          // 108 CENTURY
        t.putShort((short) (LEGACY_DEVICES | I8042 | VGA_NOT_PRESENT)); // 109 IAPC_BOOT_ARCH
        t.put((byte) 0);                           // 111 reserved
        t.putInt(WBINVD | PROC_C1 | SLP_BUTTON | FIX_RTC | TMR_VAL_EXT | RESET_REG_SUP); // 112 Flags: PWR_BUTTON clear
        SystemTable.ioAddress(t, pm.reset(), 8, 1); // 116 RESET_REG
        t.put((byte) pm.resetValue());             // 128 RESET_VALUE
        t.putShort((short) 0);                     // 129 ARM_BOOT_ARCH
        t.put((byte) MINOR_VERSION);               // 131 FADT Minor Version
        t.putLong(0);                              // 132 X_FIRMWARE_CTRL: zero, as FIRMWARE_CTRL is set
        t.putLong(dsdt);                           // 140 X_DSDT
        SystemTable.ioAddress(t, pm.pm1aEvent(), 8 * Platform.PmRegisters.PM1_EVT_LEN, 2);   // 148 X_PM1a_EVT_BLK
        SystemTable.noAddress(t);                                                              // 160 X_PM1b_EVT_BLK
        SystemTable.ioAddress(t, pm.pm1aControl(), 8 * Platform.PmRegisters.PM1_CNT_LEN, 2); // 172 X_PM1a_CNT_BLK
        SystemTable.noAddress(t);                                                              // 184 X_PM1b_CNT_BLK
        SystemTable.noAddress(t);                                                              // 196 X_PM2_CNT_BLK
        SystemTable.ioAddress(t, pm.timer(), 8 * Platform.PmRegisters.PM_TMR_LEN, 4);        // 208 X_PM_TMR_BLK
        if (pm.gpe0Length() > 0) {
            SystemTable.ioAddress(t, pm.gpe0(), 8 * pm.gpe0Length(), 1);                       // 220 X_GPE0_BLK
        } else {
            SystemTable.noAddress(t);
        }
        SystemTable.noAddress(t);                  // 232 X_GPE1_BLK
        SystemTable.noAddress(t);                  // 244 SLEEP_CONTROL_REG: hardware-reduced platforms only
        SystemTable.noAddress(t);                  // 256 SLEEP_STATUS_REG
        t.putLong(0);                              // 268 Hypervisor Vendor Identity: none claimed
        return SystemTable.seal(t, SIGNATURE, REVISION);
    }
}
