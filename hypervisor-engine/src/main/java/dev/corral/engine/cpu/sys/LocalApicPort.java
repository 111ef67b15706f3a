package dev.corral.engine.cpu.sys;

/**
 * What a system CPU asks of its local APIC: the registers the APIC owns that the CPU reaches through instructions
 * rather than through memory (the xAPIC MMIO page at 0xfee00000 goes through the {@link MmioHandler} like any
 * device). The machine implements it over its LocalApic; this package knows no device.
 *
 * <p>Threading: called only on the vCPU's own thread, while it executes RDMSR, WRMSR or MOV CR8 (never concurrently
 * for one vCPU). An implementation that shares state with other threads (IPIs arriving from other vCPUs) guards it
 * itself.
 *
 * <p>A refusal ({@link Refused}: a reserved or read-only x2APIC register, x2APIC mode not enabled, a reserved
 * IA32_APIC_BASE bit) becomes #GP(0) in the guest at the instruction, with nothing of it committed.
 */
public interface LocalApicPort {

    /** The MSRs a local APIC owns: IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC registers. */
    int MSR_APIC_BASE = 0x1b, MSR_TSC_DEADLINE = 0x6e0, MSR_X2APIC_FIRST = 0x800, MSR_X2APIC_LAST = 0x8ff;

    /** IA32_APIC_BASE of a machine without a local APIC: the default base, globally enabled, the bootstrap processor. */
    long NO_APIC_BASE = 0xfee00000L | (1L << 11) | (1L << 8);

    /** Whether {@code msr} is one of the MSRs a local APIC owns. */
    static boolean owns(int msr) {
        return msr == MSR_APIC_BASE || msr == MSR_TSC_DEADLINE || (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
    }

    /**
     * RDMSR of {@link #MSR_APIC_BASE}, {@link #MSR_TSC_DEADLINE} or an x2APIC register. IA32_TSC_DEADLINE is on the
     * VM's {@code TscClock} timeline: the CPU adds this vCPU's TSC offset to what is returned.
     */
    long readMsr(int msr) throws Refused;

    /**
     * WRMSR of one of those MSRs. A write to IA32_TSC_DEADLINE arrives on the VM's {@code TscClock} timeline (the CPU
     * subtracted this vCPU's TSC offset; 0 still disarms the timer).
     */
    void writeMsr(int msr, long value) throws Refused;

    /** MOV from CR8: the task-priority class, TPR bits 7:4, as a value 0-15. */
    int taskPriorityClass();

    /** MOV to CR8 with {@code priorityClass} in 0-15 (the CPU refused anything wider): TPR = priorityClass &lt;&lt; 4. */
    void setTaskPriorityClass(int priorityClass);

    /** The APIC would not take the access; the CPU raises #GP(0). The message says why, for the log. */
    final class Refused extends Exception {
        public Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * A machine without a local APIC, as before there was one: IA32_APIC_BASE reads {@link #NO_APIC_BASE} and
     * ignores writes, the other APIC MSRs are #GP, CR8 is a register that keeps what is written.
     */
    static LocalApicPort none() {
        return new LocalApicPort() {
            private int cr8;

            @Override
            public long readMsr(int msr) throws Refused {
                if (msr == MSR_APIC_BASE) {
                    return NO_APIC_BASE;
                }
                throw new Refused("RDMSR 0x" + Integer.toHexString(msr) + ": this machine has no local APIC");
            }

            @Override
            public void writeMsr(int msr, long value) throws Refused {
                if (msr != MSR_APIC_BASE) {
                    throw new Refused("WRMSR 0x" + Integer.toHexString(msr) + ": this machine has no local APIC");
                }
            }

            @Override
            public int taskPriorityClass() {
                return cr8;
            }

            @Override
            public void setTaskPriorityClass(int priorityClass) {
                cr8 = priorityClass;
            }
        };
    }
}
