package dev.corral.engine.devices.apic;

import java.util.Objects;
import java.util.function.LongSupplier;

import dev.corral.engine.machine.TscClock;

/**
 * The local APIC timer (Intel SDM vol. 3A, 10.5.4): a 32-bit down counter clocked at the bus frequency through
 * the divide configuration register, in one-shot or periodic mode; or, in TSC-deadline mode (10.5.4.1), a
 * comparison of the processor's TSC with IA32_TSC_DEADLINE. The mode itself is in the LVT timer entry, which the
 * {@link LocalApic} owns and reports here; whether an expiry interrupts (the mask, the vector) is also the APIC's.
 *
 * <p>Counting is arithmetic on the host's monotonic clock ({@link TscClock#hostNanos}): the counter remembers when
 * it was loaded, and its count and expiries follow from the time elapsed. Not thread-safe: the owning APIC's lock
 * guards it.
 */
public final class ApicTimer {

    /** 1 GHz, the bus clock of KVM's and QEMU's APIC timers: CPUID 0x15's crystal clock should say the same. */
    public static final long DEFAULT_FREQUENCY_HZ = 1_000_000_000L;
    static final int ONE_SHOT = 0, PERIODIC = 1, TSC_DEADLINE = 2; // LVT timer bits 18:17
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final TscClock tsc;
    private final LongSupplier tscOffset;
    private final long frequency;

    private int mode;
    private int divide;           // the divide configuration register, bits 3, 1 and 0
    private long initial;         // the initial-count register, 0 to 2^32 - 1
    private boolean running;      // counting (one-shot until its expiry, periodic until stopped)
    private long start;           // host nanos at which the count was loaded
    private long expiries;        // expiries since start already reported
    private long deadline;        // IA32_TSC_DEADLINE, 0 when disarmed

    /**
     * @param tsc         the VM's TSC; its host clock is the timer's too
     * @param tscOffset   this vCPU's TSC offset (its TSC = {@code tsc.now()} + offset), read on the vCPU's thread
     * @param frequencyHz the bus clock the counter divides, 1 MHz-4 GHz
     */
    public ApicTimer(TscClock tsc, LongSupplier tscOffset, long frequencyHz) {
        if (frequencyHz < 1_000_000 || frequencyHz > 4_000_000_000L) {
            throw new IllegalArgumentException("an APIC timer clock of " + frequencyHz + " Hz is not in 1 MHz-4 GHz");
        }
        this.tsc = Objects.requireNonNull(tsc, "tsc");
        this.tscOffset = Objects.requireNonNull(tscOffset, "tscOffset");
        this.frequency = frequencyHz;
    }

    /** The host's monotonic time now, the time base of {@link LocalApic#advanceTo}. */
    long now() {
        return tsc.hostNanos();
    }

    /** Power-up and INIT: stopped, divide by 2, counts and deadline zero. */
    void reset() {
        mode = ONE_SHOT;
        divide = 0;
        initial = 0;
        running = false;
        deadline = 0;
    }

    /** A write to the LVT timer entry set the mode (11b, reserved, counts one-shot): any change disarms the timer. */
    void setMode(int newMode) {
        newMode = newMode == 3 ? ONE_SHOT : newMode;
        if (newMode != mode) {
            running = false;
            deadline = 0;
            mode = newMode;
        }
    }

    int mode() {
        return mode;
    }

    long initialCount() {
        return initial;
    }

    /** Loading a count starts it from the top; 0 stops the timer; TSC-deadline mode ignores the register. */
    void writeInitialCount(long count, long now) {
        if (mode == TSC_DEADLINE) {
            return;
        }
        initial = count;
        running = count != 0;
        start = now;
        expiries = 0;
    }

    int divide() {
        return divide;
    }

    /** A new divisor applies from now on: the count stays where it is and goes on at the new rate. */
    void writeDivide(int value, long now) {
        if (running && mode != TSC_DEADLINE) {
            long count = currentCount(now);
            divide = value;
            start = now - nanosAfter(0, (initial - count) * divisor());
            expiries = 0;
        } else {
            divide = value;
        }
    }

    private int divisor() {
        int code = divide & 3 | divide >>> 1 & 4;
        return code == 7 ? 1 : 2 << code; // 000 divides by 2, ..., 110 by 128, 111 by 1
    }

    private long periodClocks() {
        return initial * divisor();
    }

    /** The current-count register: counting down from the initial count; 0 when stopped, expired or in TSC-deadline mode. */
    long currentCount(long now) {
        if (!running || mode == TSC_DEADLINE) {
            return 0;
        }
        long elapsed = clocksSinceStart(now);
        if (mode == PERIODIC) {
            elapsed %= periodClocks();
        } else if (elapsed >= periodClocks()) {
            return 0;
        }
        return initial - elapsed / divisor();
    }

    /** IA32_TSC_DEADLINE as RDMSR sees it: 0 outside TSC-deadline mode and once the deadline has fired. */
    long tscDeadline() {
        return mode == TSC_DEADLINE ? deadline : 0;
    }

    /** WRMSR IA32_TSC_DEADLINE: arms (or, with 0, disarms) the timer; ignored outside TSC-deadline mode. */
    void writeTscDeadline(long value) {
        if (mode == TSC_DEADLINE) {
            deadline = value;
        }
    }

    /** When the next expiry is due, on the host's monotonic clock: Long.MAX_VALUE if none, possibly in the past. */
    long nextExpiryNanos() {
        if (mode == TSC_DEADLINE) {
            return deadline == 0 ? Long.MAX_VALUE : deadlineNanos();
        }
        return running ? nanosAfter(start, (expiries + 1) * periodClocks()) : Long.MAX_VALUE;
    }

    /**
     * Whether the timer expired since the last call, up to {@code now}: expiries the caller was late for count as
     * one. A one-shot count stops at zero; a TSC deadline disarms itself and clears the MSR when it fires.
     */
    boolean expireBy(long now) {
        if (mode == TSC_DEADLINE) {
            if (deadline != 0 && now >= deadlineNanos()) {
                deadline = 0;
                return true;
            }
            return false;
        }
        if (!running) {
            return false;
        }
        long total = clocksSinceStart(now) / periodClocks();
        if (total <= expiries) {
            return false;
        }
        expiries = total;
        running = mode == PERIODIC;
        return true;
    }

    private long clocksSinceStart(long now) {
        long nanos = now - start;
        return nanos <= 0 ? 0 : nanos / NANOS_PER_SECOND * frequency + nanos % NANOS_PER_SECOND * frequency / NANOS_PER_SECOND;
    }

    /** The host time {@code clocks} bus clocks after {@code from}, rounded up; Long.MAX_VALUE beyond the clock's range. */
    private long nanosAfter(long from, long clocks) {
        try {
            long nanos = Math.addExact(Math.multiplyExact(clocks / frequency, NANOS_PER_SECOND),
                    (clocks % frequency * NANOS_PER_SECOND + frequency - 1) / frequency);
            return Math.addExact(from, nanos);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** When the vCPU's TSC reaches the deadline, in host nanos: Long.MIN_VALUE if it already has. */
    private long deadlineNanos() {
        long offset = tscOffset.getAsLong(); // guest TSC = VM's TSC + offset; both count unsigned
        if (Long.compareUnsigned(deadline, offset) <= 0) {
            return Long.MIN_VALUE;
        }
        long count = deadline - offset; // the deadline on the VM's TSC
        if (count < 0) {
            return Long.MAX_VALUE; // beyond 2^63 ticks: never
        }
        try {
            return Math.addExact(tsc.hostNanosAt(0), tsc.nanos(count));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE; // centuries away
        }
    }
}
