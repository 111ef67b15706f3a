package dev.corral.engine.machine;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * One VM's time stamp counter, as the guest sees it through RDTSC and the local APIC's TSC-deadline timer: an
 * invariant counter at a fixed {@link #frequencyHz()} derived from the host's monotonic clock, so it never stops,
 * never changes rate and never goes backwards, and guests can trust it without calibrating it (the frequency is
 * in CPUID leaves 0x15/0x16). It counts from zero when the VM is built; a vCPU's writes to IA32_TSC become an
 * offset that vCPU keeps, not a change here, so every reader shares one timeline.
 *
 * <p>Conversions are exact integer arithmetic with no overflow for any count a VM lives to see (centuries).
 */
public final class TscClock {

    /** 1 GHz: one tick a nanosecond, a frequency every guest formats and scales without rounding. */
    public static final long DEFAULT_FREQUENCY_HZ = 1_000_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final LongSupplier nanoClock;
    private final long frequencyHz;
    private final long baseNanos;

    /** {@code nanoClock} is monotonic (System::nanoTime); the counter reads 0 now. */
    public TscClock(LongSupplier nanoClock, long frequencyHz) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        if (frequencyHz < 1_000_000 || frequencyHz > 9_000_000_000L) { // above 9 GHz, rest * multiplier could overflow
            throw new IllegalArgumentException("a TSC frequency of " + frequencyHz + " Hz is not in 1 MHz-9 GHz");
        }
        this.frequencyHz = frequencyHz;
        this.baseNanos = nanoClock.getAsLong();
    }

    public TscClock(LongSupplier nanoClock) {
        this(nanoClock, DEFAULT_FREQUENCY_HZ);
    }

    public long frequencyHz() {
        return frequencyHz;
    }

    /** The counter now (before any vCPU's offset). */
    public long now() {
        return ticks(nanoClock.getAsLong() - baseNanos);
    }

    /** The host's monotonic nanoseconds now, the time base deadlines are expressed in. */
    public long hostNanos() {
        return nanoClock.getAsLong();
    }

    /** The host monotonic time at which the counter (before offsets) reaches {@code count}; rounds up. */
    public long hostNanosAt(long count) {
        return baseNanos + nanos(count);
    }

    /** Ticks in {@code nanos} nanoseconds (rounded down). */
    public long ticks(long nanos) {
        return scale(nanos, frequencyHz, NANOS_PER_SECOND, false);
    }

    /** Nanoseconds for {@code ticks} ticks (rounded up, so a deadline is never early). */
    public long nanos(long ticks) {
        return scale(ticks, NANOS_PER_SECOND, frequencyHz, true);
    }

    private static long scale(long value, long multiplier, long divisor, boolean roundUp) {
        if (multiplier == divisor) {
            return value;
        }
        long whole = value / divisor;
        long rest = value % divisor;
        long partial = Math.multiplyExact(rest, multiplier);
        long result = Math.addExact(Math.multiplyExact(whole, multiplier), partial / divisor);
        return roundUp && partial % divisor > 0 ? result + 1 : result;
    }
}
