package dev.corral.engine.cpu;

/**
 * Why {@link Cpu#run} returned. The state is always consistent at an instruction boundary: for a fault,
 * {@code rip} points at the faulting instruction and nothing of it was committed; for a syscall,
 * {@code rip} points after the SYSCALL instruction (RCX and R11 are set as the hardware sets them).
 */
public sealed interface CpuExit {

    /** The instruction budget given to {@code run} was spent. */
    record BudgetSpent() implements CpuExit {}

    /** SYSCALL executed; the caller emulates it and calls {@code run} again. */
    record Syscall() implements CpuExit {}

    /** HLT executed. */
    record Halt() implements CpuExit {}

    /**
     * An exception the guest raised: vector 0 #DE, 3 #BP (INT3, rip after it), 6 #UD, 12 #SS (a
     * non-canonical stack address), 13 #GP, 14 #PF,
     * 16 #MF, 19 #XM. {@code address} is the faulting linear address for #PF, 0 otherwise.
     */
    record Fault(int vector, long errorCode, long address, String detail) implements CpuExit {
        public static final int DE = 0, BP = 3, UD = 6, NM = 7, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, XM = 19;
    }
}
