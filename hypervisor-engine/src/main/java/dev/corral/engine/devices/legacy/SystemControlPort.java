package dev.corral.engine.devices.legacy;

import java.util.Objects;
import java.util.function.LongSupplier;

import dev.corral.engine.machine.BytePortIoDevice;

/**
 * The PC/AT's system control port B at 0x61 (the "NMI status and control register" of later chipsets). Bit 0 is
 * the gate of the 8254's counter 2, bit 1 enables the speaker (there is none: accepted and read back), bits 2-3
 * would enable parity and I/O channel check NMIs (accepted, never raised). Reads also return bit 4, the refresh
 * request toggle that flips every 15.085 us (old delay loops count its flips), and bit 5, counter 2's output
 * (Linux's TSC calibration waits on it). Bits 6-7, the NMI sources, always read 0.
 */
public final class SystemControlPort implements BytePortIoDevice {

    public static final int PORT = 0x61;

    static final int TIMER2_GATE = 0x01, SPEAKER_DATA = 0x02, WRITABLE = 0x0f;
    static final int REFRESH_TOGGLE = 0x10, TIMER2_OUTPUT = 0x20;
    /** The DRAM refresh period the toggle follows: 18 cycles of the 1.193182 MHz PIT clock. */
    static final long REFRESH_PERIOD_NANOS = 15_085;

    private final I8254 pit;
    private final LongSupplier nanoClock;
    private int control;

    public SystemControlPort(I8254 pit, LongSupplier nanoClock) {
        this.pit = Objects.requireNonNull(pit, "pit");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    @Override
    public synchronized int readByte(int offset) {
        boolean refresh = (nanoClock.getAsLong() / REFRESH_PERIOD_NANOS & 1) != 0;
        return control | (refresh ? REFRESH_TOGGLE : 0) | (pit.output2() ? TIMER2_OUTPUT : 0);
    }

    @Override
    public synchronized void writeByte(int offset, int value) {
        control = value & WRITABLE;
        pit.setGate2((value & TIMER2_GATE) != 0);
    }
}
