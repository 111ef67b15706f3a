package dev.corral.engine.cpu.sys;

import dev.corral.engine.machine.TscClock;

/**
 * One vCPU's view of the VM's {@link TscClock}: RDTSC reads the clock plus this vCPU's offset. The guest moves the
 * offset, never the clock: WRMSR IA32_TSC sets the counter to a value (the difference also goes into
 * IA32_TSC_ADJUST, as the SDM specifies), WRMSR IA32_TSC_ADJUST adds its change to the counter. A vCPU that never
 * writes either reads the shared timeline, so all vCPUs agree to the tick and Linux's TSC synchronisation checks
 * find no warp. Owned by the vCPU's thread.
 */
public final class TimeStampCounter {

    private final TscClock clock;
    private long offset;
    private long adjust;

    public TimeStampCounter(TscClock clock) {
        this.clock = clock;
    }

    TscClock clock() {
        return clock;
    }

    /** RDTSC: invariant, counting at the clock's frequency from 0 when the VM was built, plus the offset. */
    public long read() {
        return clock.now() + offset;
    }

    /** WRMSR IA32_TSC. */
    public void write(long value) {
        long delta = value - read();
        offset += delta;
        adjust += delta;
    }

    /** RDMSR IA32_TSC_ADJUST. */
    long adjust() {
        return adjust;
    }

    /** WRMSR IA32_TSC_ADJUST: the counter moves by the change. */
    void writeAdjust(long value) {
        offset += value - adjust;
        adjust = value;
    }

    /** This vCPU's counter value for a count on the clock's own timeline (IA32_TSC_DEADLINE as the APIC keeps it). */
    public long fromClock(long count) {
        return count + offset;
    }

    /** The clock's count for a value of this vCPU's counter. */
    public long toClock(long value) {
        return value - offset;
    }
}
