package dev.corral.engine.devices.acpi;

import java.util.Objects;
import java.util.function.LongSupplier;

import dev.corral.engine.machine.DeviceException;
import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.InterruptLine;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.machine.PortIoDevice;
import dev.corral.engine.machine.TscClock;

/**
 * The ACPI fixed hardware of a full (not hardware-reduced) ACPI PC, as ACPI 6.3 chapter 4 "ACPI Hardware
 * Specification" describes it, in one block of I/O ports at {@link #BASE}:
 * <pre>
 * offset  register                                  FADT field
 * 0x00    PM1_STS  (16 bits, write 1 to clear)      PM1a_EVT_BLK, PM1_EVT_LEN 4
 * 0x02    PM1_EN   (16 bits)
 * 0x04    PM1_CNT  (16 bits)                        PM1a_CNT_BLK, PM1_CNT_LEN 2
 * 0x06    reserved (reads 0)
 * 0x08    PM_TMR   (32 bits, read-only)             PM_TMR_BLK, PM_TMR_LEN 4, TMR_VAL_EXT
 * 0x0c    GPE0_STS (16 bits, write 1 to clear)      GPE0_BLK, GPE0_BLK_LEN 4
 * 0x0e    GPE0_EN  (16 bits)
 * 0x10    RESET    (8 bits, write-only)             RESET_REG, RESET_VALUE {@link #RESET_VALUE}
 * </pre>
 * Fixed events (4.8.3.1): the power-button press from the host ({@link #pressPowerButton}) sets PWRBTN_STS; the
 * timer sets TMR_STS each time bit 31 of PM_TMR changes (every 2^31 ticks, 10 minutes); WAK_STS is set when the
 * machine comes back from a sleep request (at once: see below). GBL_STS, SLPBTN_STS and RTC_STS have no source
 * here (no firmware, no sleep button, no RTC wake) and read 0; their enables still stick, as ACPICA checks that the
 * global lock's and the RTC's do. The SCI is level-triggered, active high: asserted while any enabled fixed event's
 * status bit (or an enabled general-purpose event's) is set. SCI_EN reads 1 always: with no SMI_CMD in the FADT the
 * machine is in ACPI mode from reset and cannot leave it.
 *
 * <p>PM1_CNT (4.8.3.2.1): writing SLP_EN with SLP_TYP = {@link #S5_SLEEP_TYPE} is soft-off, and calls the
 * power-off callback. Other sleep types are refused: the machine does not sleep, sets WAK_STS as if woken at once
 * (so an OS polling for it resumes), and the write fails with a {@link DeviceException} saying so, which the bus
 * counts. The DSDT offers only \_S5, so a guest that follows it never gets here.
 *
 * <p>The timer counts at 3.579545 MHz from the host's monotonic clock, starting at 0 when the device is made. The
 * GPE block has no event sources yet (PCI hot plug will bring some); its enables stick.
 *
 * <p>Registers may be read and written 1, 2 or 4 bytes at a time at any offset; a wide access covers the
 * registers it overlaps, and a multi-byte read of PM_TMR sees one instant. Callbacks run on the writing vCPU
 * thread and should only ask the VM to stop. Thread-safe: the host presses the button from its own thread.
 */
public final class FixedHardware implements PortIoDevice {

    /** Where the block sits: Intel's ICH chipsets' usual PMBASE, clear of every legacy device. */
    public static final int BASE = 0x600;
    public static final int LENGTH = 0x11;
    public static final int PM1A_EVT_BLK = BASE, PM1A_CNT_BLK = BASE + 0x04, PM_TMR_BLK = BASE + 0x08;
    public static final int GPE0_BLK = BASE + 0x0c, GPE0_BLK_LEN = 4, RESET_REG = BASE + 0x10;
    /** The byte whose write to RESET_REG resets the machine. */
    public static final int RESET_VALUE = 0x01;
    /** The SLP_TYP value that means S5, soft-off; the DSDT's \_S5 package carries it. */
    public static final int S5_SLEEP_TYPE = 5;
    /** The PC's SCI: ISA IRQ 9. */
    public static final int SCI_IRQ = 9;
    /** The ACPI PM timer's frequency (4.8.3.3). */
    public static final long TIMER_HZ = 3_579_545;

    // Register offsets.
    static final int PM1_STS = 0x00, PM1_EN = 0x02, PM1_CNT = 0x04, PM_TMR = 0x08, GPE0_STS = 0x0c, GPE0_EN = 0x0e, RESET = 0x10;

    // PM1_STS and PM1_EN bits (4.8.3.1.1, 4.8.3.1.2): an event's enable is at its status bit's position.
    static final int TMR = 1, BM_STS = 1 << 4, GBL = 1 << 5, PWRBTN = 1 << 8, SLPBTN = 1 << 9, RTC = 1 << 10, WAK_STS = 1 << 15;
    static final int STATUS_BITS = TMR | BM_STS | GBL | PWRBTN | SLPBTN | RTC | WAK_STS;
    static final int ENABLE_BITS = TMR | GBL | PWRBTN | SLPBTN | RTC;

    // PM1_CNT bits (4.8.3.2.1).
    static final int SCI_EN = 1, BM_RLD = 1 << 1, GBL_RLS = 1 << 2, SLP_TYP_SHIFT = 10, SLP_TYP = 7 << SLP_TYP_SHIFT, SLP_EN = 1 << 13;

    /** TMR_STS is set when bit 31 of the 32-bit counter changes. */
    static final int TIMER_STATUS_BIT = 31;

    private final InterruptLine sci;
    private final TscClock timer;
    private final Runnable powerOff;
    private final Runnable reset;

    // Guarded by this.
    private int status;                // PM1_STS bits other than TMR_STS, which is derived from the counter
    private long timerPeriodCleared;   // the counter's bit-31 period when TMR_STS was last cleared
    private int enable;
    private int control = SCI_EN;
    private int gpeStatus;
    private int gpeEnable;

    /**
     * {@code sci} is the SCI's line; {@code nanoClock} is monotonic (System::nanoTime); {@code powerOff} runs when
     * the guest enters S5 and {@code reset} when it writes the reset value, both on the vCPU thread.
     */
    public FixedHardware(InterruptLine sci, LongSupplier nanoClock, Runnable powerOff, Runnable reset) {
        this.sci = Objects.requireNonNull(sci, "sci");
        this.timer = new TscClock(Objects.requireNonNull(nanoClock, "nanoClock"), TIMER_HZ);
        this.powerOff = Objects.requireNonNull(powerOff, "powerOff");
        this.reset = Objects.requireNonNull(reset, "reset");
    }

    /** Creates the device with its SCI on {@link #SCI_IRQ} of {@code interrupts} and registers it at {@link #BASE}. */
    public static FixedHardware attach(PortIoBus bus, InterruptController interrupts, LongSupplier nanoClock, Runnable powerOff,
            Runnable reset) {
        var device = new FixedHardware(new InterruptLine(interrupts, SCI_IRQ), nanoClock, powerOff, reset);
        bus.register(BASE, LENGTH, "acpi-pm", device);
        return device;
    }

    /**
     * The host presses the power button (4.8.2.2.1.1): PWRBTN_STS is set, and the SCI raised if the OS enabled
     * the event. Pressing again before the OS cleared the status changes nothing.
     */
    public synchronized void pressPowerButton() {
        status |= PWRBTN;
        updateSci(timer.now());
    }

    /**
     * When the timer will next set TMR_STS and so raise the SCI, in the clock's nanoseconds; Long.MAX_VALUE if
     * that cannot happen now (TMR_EN clear, or TMR_STS already set). A device has no thread of its own: the VM's
     * loop must call {@link #poll} by then for the SCI to come on time (TMR_STS itself is always exact when read).
     * Linux never sets TMR_EN: it reads the counter.
     */
    public synchronized long nextTimerEventNanos() {
        long ticks = timer.now();
        if ((enable & TMR) == 0 || timerStatus(ticks)) {
            return Long.MAX_VALUE;
        }
        return timer.hostNanosAt((timerPeriodCleared + 1) << TIMER_STATUS_BIT);
    }

    /** Brings the SCI up to date with the timer (other events update it when they happen). */
    public synchronized void poll() {
        updateSci(timer.now());
    }

    @Override
    public synchronized int read(int offset, int size) {
        long ticks = timer.now();
        int value = 0;
        for (int i = size - 1; i >= 0; i--) {
            value = (value << 8) | readByte(offset + i, ticks);
        }
        return value;
    }

    @Override
    public synchronized void write(int offset, int size, int value) {
        long ticks = timer.now();
        try {
            for (int i = 0; i < size; i++) {
                writeByte(offset + i, (value >>> (8 * i)) & 0xff, ticks);
            }
        } finally {
            updateSci(ticks);
        }
    }

    private int readByte(int offset, long ticks) {
        int register = switch (offset & ~1) {
            case PM1_STS -> status | (timerStatus(ticks) ? TMR : 0);
            case PM1_EN -> enable;
            case PM1_CNT -> control;            // SLP_EN and GBL_RLS are write-only and never stored
            case PM_TMR, PM_TMR + 2 -> (int) (ticks >>> (8 * ((offset & ~1) - PM_TMR)));
            case GPE0_STS -> gpeStatus;
            case GPE0_EN -> gpeEnable;
            default -> 0;                       // the reserved word and the write-only reset register
        };
        return (register >>> (8 * (offset & 1))) & 0xff;
    }

    private void writeByte(int offset, int value, long ticks) {
        int shift = 8 * (offset & 1);
        int bits = value << shift;
        int mask = 0xff << shift;
        switch (offset & ~1) {
            case PM1_STS -> {
                if ((bits & TMR) != 0) {
                    timerPeriodCleared = ticks >>> TIMER_STATUS_BIT;
                }
                status &= ~(bits & STATUS_BITS);
            }
            case PM1_EN -> enable = (enable & ~mask) | (bits & ENABLE_BITS);
            case PM1_CNT -> writeControl(bits, mask);
            case GPE0_STS -> gpeStatus &= ~bits;
            case GPE0_EN -> gpeEnable = (gpeEnable & ~mask) | bits;
            case RESET -> {
                if (value == RESET_VALUE) {
                    reset.run();
                }
            }
            default -> { } // the timer is read-only; the reserved word ignores writes
        }
    }

    private void writeControl(int bits, int mask) {
        // SCI_EN stays set; GBL_RLS would hand the global lock to firmware, and there is none to hand it to.
        control = (control & ~(mask & (BM_RLD | SLP_TYP))) | (bits & (BM_RLD | SLP_TYP));
        if ((bits & SLP_EN) == 0) {
            return;
        }
        int sleepType = (control & SLP_TYP) >>> SLP_TYP_SHIFT;
        if (sleepType == S5_SLEEP_TYPE) {
            powerOff.run();
            return;
        }
        status |= WAK_STS;
        throw new DeviceException("the guest asked for sleep type " + sleepType + " (PM1_CNT.SLP_TYP); only soft-off, type "
                + S5_SLEEP_TYPE + ", is supported: the machine stays awake and reports a wake at once");
    }

    /** Whether bit 31 of the counter changed since TMR_STS was last cleared. */
    private boolean timerStatus(long ticks) {
        return ticks >>> TIMER_STATUS_BIT != timerPeriodCleared;
    }

    private void updateSci(long ticks) {
        int pm1 = status | (timerStatus(ticks) ? TMR : 0);
        boolean pending = (pm1 & enable & ENABLE_BITS) != 0 || (gpeStatus & gpeEnable) != 0;
        sci.set((control & SCI_EN) != 0 && pending);
    }
}
