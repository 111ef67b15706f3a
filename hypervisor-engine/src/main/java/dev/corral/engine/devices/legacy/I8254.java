package dev.corral.engine.devices.legacy;

import java.util.Objects;
import java.util.function.LongSupplier;

import dev.corral.engine.machine.BytePortIoDevice;
import dev.corral.engine.machine.InterruptLine;

/**
 * The Intel 8254 programmable interval timer, as wired on a PC: three 16-bit down counters clocked at
 * 1.193182 MHz, at ports 0x40-0x42, with the control word register at 0x43. Counter 0's output drives ISA IRQ 0;
 * counter 1 once refreshed DRAM and is left alone; counter 2's gate and output are bits 0 and 5 of port 0x61
 * ({@link SystemControlPort}). Counters 0 and 1 have their gate tied high.
 *
 * <p>No thread ticks the counters. Time comes from a nanosecond clock (System::nanoTime in production): a
 * counter remembers when it started counting and computes its count and output from the time elapsed. The
 * one thing that must happen without a guest access, counter 0's rising output edges, happens when the VMM calls
 * {@link #advanceTo}; {@link #nextDeadlineNanos} says when that next has to be, so a halted vCPU can sleep until
 * then. Edges the VMM was late for are merged into one, as the interrupt controller's single request bit would.
 *
 * <p>Modes, by the datasheet: 0 interrupt on terminal count, 1 hardware-retriggerable one-shot, 2 rate
 * generator, 3 square wave, 4 software-triggered strobe, 5 hardware-triggered strobe (6 and 7 are 2 and 3).
 * Binary and BCD counting; LSB, MSB, and LSB-then-MSB access; the counter latch and read-back commands and the
 * status byte. Simplifications a guest cannot observe in practice: a written count starts counting at once
 * (not on the next clock edge, so mode 0's output rises after N clocks, not N + 1); a new count written in
 * mode 2 or 3 restarts the period at once instead of at the end of the current one (as QEMU does); the counters start
 * unprogrammed (no BIOS ran to set counter 0 to 18.2 Hz): nothing interrupts until the guest programs a mode.
 *
 * <p>Thread-safe: the vCPU thread accesses the ports and advances time; another thread may ask for the deadline.
 */
public final class I8254 implements BytePortIoDevice {

    public static final int BASE = 0x40;
    public static final int LENGTH = 4;
    public static final int IRQ = 0;
    /** The input clock of every counter, in Hz (a third of the 14.31818 MHz NTSC colour-burst crystal). */
    public static final long FREQUENCY_HZ = 1_193_182;

    static final int COUNTERS = 3;
    // Port offsets.
    static final int COUNTER_0 = 0, COUNTER_1 = 1, COUNTER_2 = 2, CONTROL = 3;

    // Control word: SC1-SC0 (bits 7-6) select the counter, 3 is read-back; RW1-RW0 (bits 5-4); M2-M0 (3-1); BCD (0).
    static final int SELECT_READ_BACK = 3;
    static final int RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_LSB_MSB = 3;
    // Read-back command: bit 5 clear latches the counts, bit 4 clear latches the statuses, bits 3-1 pick counters 2-0.
    static final int READ_BACK_NO_COUNT = 0x20, READ_BACK_NO_STATUS = 0x10;
    // Status byte: OUTPUT, NULL COUNT, then the counter's RW, mode and BCD bits as programmed.
    static final int STATUS_OUTPUT = 0x80, STATUS_NULL_COUNT = 0x40;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final InterruptLine irq0;
    private final LongSupplier nanoClock;
    private final Counter[] counters = {new Counter(true), new Counter(true), new Counter(false)};
    private long lastAdvance; // counter 0's elapsed clocks when edges were last delivered

    /** {@code nanoClock} is monotonic, like System::nanoTime. */
    public I8254(InterruptLine irq0, LongSupplier nanoClock) {
        this.irq0 = Objects.requireNonNull(irq0, "irq0");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    @Override
    public synchronized int readByte(int offset) {
        long now = nanoClock.getAsLong();
        advanceTo(now);
        return switch (offset) {
            case COUNTER_0, COUNTER_1, COUNTER_2 -> counters[offset].read(now);
            default -> 0xff; // the control word register is write-only
        };
    }

    @Override
    public synchronized void writeByte(int offset, int value) {
        long now = nanoClock.getAsLong();
        advanceTo(now);
        switch (offset) {
            case COUNTER_0, COUNTER_1, COUNTER_2 -> counters[offset].writeCount(value, now);
            default -> control(value, now);
        }
        if (offset == COUNTER_0 || offset == CONTROL) {
            // Counter 0 may have been reprogrammed: its output takes its new level and edge detection restarts.
            lastAdvance = counters[0].elapsed(now);
            irq0.set(counters[0].output(now));
        }
    }

    /**
     * Delivers counter 0's output edges up to {@code nanos}: if its output rose since the last call, the IRQ 0
     * line sees one low-to-high transition; then it takes the output's current level.
     */
    public synchronized void advanceTo(long nanos) {
        var c0 = counters[0];
        long elapsed = c0.elapsed(nanos);
        if (c0.roseBetween(lastAdvance, elapsed)) {
            irq0.lower();
            irq0.raise();
        }
        lastAdvance = Math.max(lastAdvance, elapsed);
        irq0.set(c0.output(nanos));
    }

    /** When counter 0's output next rises, on the clock given at construction; {@link Long#MAX_VALUE} if never. */
    public synchronized long nextDeadlineNanos() {
        return counters[0].nextRisingEdgeNanos(lastAdvance);
    }

    /** Counter 2's gate input (port 0x61 bit 0). */
    public synchronized void setGate2(boolean high) {
        counters[COUNTER_2].setGate(high, nanoClock.getAsLong());
    }

    public synchronized boolean gate2() {
        return counters[COUNTER_2].gate;
    }

    /** Counter 2's output (port 0x61 bit 5). */
    public synchronized boolean output2() {
        return counters[COUNTER_2].output(nanoClock.getAsLong());
    }

    private void control(int value, long now) {
        int select = value >>> 6;
        if (select == SELECT_READ_BACK) {
            for (int i = 0; i < COUNTERS; i++) {
                if ((value & (2 << i)) != 0) {
                    if ((value & READ_BACK_NO_STATUS) == 0) {
                        counters[i].latchStatus(now);
                    }
                    if ((value & READ_BACK_NO_COUNT) == 0) {
                        counters[i].latchCount(now);
                    }
                }
            }
            return;
        }
        int access = (value >>> 4) & 3;
        if (access == RW_LATCH) {
            counters[select].latchCount(now);
        } else {
            counters[select].program(access, (value >>> 1) & 7, (value & 1) != 0);
        }
    }

    /** Whole input clocks in {@code nanos} (>= 0), rounded down; exact for any non-negative long. */
    static long clocksIn(long nanos) {
        return nanos / NANOS_PER_SECOND * FREQUENCY_HZ + nanos % NANOS_PER_SECOND * FREQUENCY_HZ / NANOS_PER_SECOND;
    }

    /** The shortest time holding {@code clocks} whole input clocks: the inverse of {@link #clocksIn}, rounded up. */
    static long nanosFor(long clocks) {
        long rest = clocks % FREQUENCY_HZ * NANOS_PER_SECOND;
        return clocks / FREQUENCY_HZ * NANOS_PER_SECOND + (rest + FREQUENCY_HZ - 1) / FREQUENCY_HZ;
    }

    /** One of the three counters: its programming, its count as written, and when it started counting. */
    private static final class Counter {
        private int access = RW_LSB_MSB;
        private int mode;
        private boolean bcd;
        private int initial;          // the count as last written, binary; 0 stands for 65536 (10000 in BCD)
        private boolean nullCount = true;
        private boolean gate;

        // Time: counting started at `since` (nanos) having already counted `held` clocks; frozen while the gate stops it.
        private boolean started;      // a count was written (and, in modes 1 and 5, the gate triggered it)
        private boolean frozen;
        private long since;
        private long held;

        // The byte protocol for LSB-then-MSB access.
        private boolean writeMsbNext;
        private int writtenLsb;
        private boolean readMsbNext;
        private int latchedCount = -1; // -1: no count latched
        private boolean latchedMsbNext;
        private int latchedStatus = -1;

        Counter(boolean gate) {
            this.gate = gate;
        }

        void program(int access, int mode, boolean bcd) {
            this.access = access;
            this.mode = mode > 5 ? mode - 4 : mode; // 110 and 111 are modes 2 and 3
            this.bcd = bcd;
            nullCount = true;
            started = false;
            held = 0;
            writeMsbNext = false;
            readMsbNext = false;
            latchedCount = -1;
            latchedStatus = -1;
        }

        void writeCount(int value, long now) {
            switch (access) {
                case RW_LSB -> load(value, now);
                case RW_MSB -> load(value << 8, now);
                default -> {
                    if (!writeMsbNext) {
                        writtenLsb = value;
                        writeMsbNext = true;
                        if (mode == 0) {
                            // Writing the first byte stops a mode-0 count: OUT goes low at once, no clock needed.
                            started = false;
                        }
                    } else {
                        writeMsbNext = false;
                        load(writtenLsb | value << 8, now);
                    }
                }
            }
        }

        private void load(int raw, long now) {
            initial = bcd ? fromBcd(raw) : raw;
            nullCount = false;
            if (mode == 1 || mode == 5) {
                return; // armed: the count starts on a rising gate edge
            }
            start(now);
        }

        private void start(long now) {
            started = true;
            since = now;
            held = 0;
            frozen = !gate && mode != 1 && mode != 5;
        }

        void setGate(boolean high, long now) {
            if (high == gate) {
                return;
            }
            gate = high;
            if (high) {
                switch (mode) {
                    case 1, 5 -> {
                        if (!nullCount) {
                            start(now); // trigger (or retrigger)
                        }
                    }
                    case 2, 3 -> {
                        if (started) {
                            start(now); // the gate's rising edge reloads the count
                        }
                    }
                    default -> {
                        if (started && frozen) {
                            since = now;
                            frozen = false;
                        }
                    }
                }
            } else if (started && mode != 1 && mode != 5 && !frozen) {
                held = elapsed(now);
                frozen = true;
            }
        }

        /** Clocks counted since the count was loaded. */
        long elapsed(long now) {
            if (!started || frozen || now < since) {
                return started ? held : 0;
            }
            return held + clocksIn(now - since);
        }

        /** The effective initial count: 1..65536 (1..10000 in BCD). */
        private long period() {
            return initial == 0 ? (bcd ? 10_000 : 65_536) : initial;
        }

        boolean output(long now) {
            if (!started) {
                return mode != 0; // after its control word, mode 0's OUT is low and every other mode's high
            }
            long n = period();
            long c = elapsed(now);
            return switch (mode) {
                case 0, 1 -> c >= n;
                case 2 -> frozen || c % n != n - 1;
                case 3 -> frozen || c % n < (n + 1) / 2;
                default -> c != n; // 4, 5: one clock low at terminal count
            };
        }

        /** Whether OUT had a rising edge at some clock in (from, to]. */
        boolean roseBetween(long from, long to) {
            if (!started || to <= from) {
                return false;
            }
            long n = period();
            return switch (mode) {
                case 0, 1 -> from < n && to >= n;
                case 2, 3 -> to / n > from / n;
                default -> from < n + 1 && to >= n + 1;
            };
        }

        long nextRisingEdgeNanos(long after) {
            if (!started || frozen) {
                return Long.MAX_VALUE;
            }
            long n = period();
            long edge = switch (mode) {
                case 0, 1 -> after < n ? n : -1;
                case 2, 3 -> (after / n + 1) * n;
                default -> after < n + 1 ? n + 1 : -1;
            };
            return edge < 0 ? Long.MAX_VALUE : since + nanosFor(edge - held);
        }

        int count(long now) {
            if (!started) {
                return bcd ? toBcd(initial) : initial;
            }
            long n = period();
            long c = elapsed(now);
            long modulus = bcd ? 10_000 : 65_536;
            long value = switch (mode) {
                case 2 -> n - c % n;
                case 3 -> (n - 2 * c % n) % modulus; // counts down by two, twice per period
                default -> Math.floorMod(n - c, modulus); // 0, 1, 4, 5 wrap around after terminal count
            };
            value %= modulus;
            return bcd ? toBcd((int) value) : (int) value;
        }

        void latchCount(long now) {
            if (latchedCount < 0) { // a second latch before the first is read is ignored
                latchedCount = count(now);
                latchedMsbNext = false;
            }
        }

        void latchStatus(long now) {
            if (latchedStatus < 0) {
                latchedStatus = (output(now) ? STATUS_OUTPUT : 0) | (nullCount ? STATUS_NULL_COUNT : 0)
                        | access << 4 | mode << 1 | (bcd ? 1 : 0);
            }
        }

        int read(long now) {
            if (latchedStatus >= 0) {
                int status = latchedStatus;
                latchedStatus = -1;
                return status;
            }
            if (latchedCount >= 0) {
                int value = latchedCount;
                boolean msb = access == RW_MSB || access == RW_LSB_MSB && latchedMsbNext;
                if (access == RW_LSB_MSB && !latchedMsbNext) {
                    latchedMsbNext = true;
                } else {
                    latchedCount = -1;
                }
                return msb ? value >>> 8 & 0xff : value & 0xff;
            }
            int value = count(now);
            return switch (access) {
                case RW_LSB -> value & 0xff;
                case RW_MSB -> value >>> 8 & 0xff;
                default -> {
                    boolean msb = readMsbNext;
                    readMsbNext = !readMsbNext;
                    yield msb ? value >>> 8 & 0xff : value & 0xff;
                }
            };
        }

        private static int fromBcd(int raw) {
            return (raw >>> 12 & 0xf) % 10 * 1000 + (raw >>> 8 & 0xf) % 10 * 100 + (raw >>> 4 & 0xf) % 10 * 10 + (raw & 0xf) % 10;
        }

        private static int toBcd(int value) {
            return value / 1000 % 10 << 12 | value / 100 % 10 << 8 | value / 10 % 10 << 4 | value % 10;
        }
    }
}
