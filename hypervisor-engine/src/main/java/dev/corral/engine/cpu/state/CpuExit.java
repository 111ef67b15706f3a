package dev.corral.engine.cpu.state;

/**
 * Why {@link Cpu#run} returned. The state is always consistent at an instruction boundary: for a fault,
 * {@code rip} points at the faulting instruction and nothing of it was committed; for a syscall,
 * {@code rip} points after the SYSCALL instruction (RCX and R11 are set as the hardware sets them).
 *
 * <p>A user-mode CPU returns BudgetSpent, Syscall, Halt and Fault; a system CPU ({@link Cpu#system})
 * delivers faults and system calls through the guest's own IDT and MSRs and returns BudgetSpent, Halt,
 * PortIo and Shutdown.
 */
public sealed interface CpuExit {

    /** The instruction budget given to {@code run} was spent. */
    record BudgetSpent() implements CpuExit {}

    /** SYSCALL executed; the caller emulates it and calls {@code run} again. */
    record Syscall() implements CpuExit {}

    /** HLT executed; {@code rip} is after it. */
    record Halt() implements CpuExit {}

    /**
     * A system CPU executed IN or OUT ({@code size} 1, 2 or 4 bytes); {@code rip} is already past it.
     * OUT: complete, {@code value} is what was written. IN: {@code value} is 0; the caller passes the
     * port's value to {@link Cpu#completePortIn} before the next {@code run}, which puts it into
     * AL/AX/EAX (until then the register holds all ones, an unclaimed port's value).
     */
    record PortIo(boolean in, int port, int size, int value) implements CpuExit {}

    /** A system CPU triple-faulted (a fault while delivering #DF): the machine is over. */
    record Shutdown(String reason) implements CpuExit {}

    /**
     * An exception the guest raised: vector 0 #DE, 3 #BP (INT3, rip after it), 6 #UD, 12 #SS (a
     * non-canonical stack address), 13 #GP, 14 #PF,
     * 16 #MF, 19 #XM. {@code address} is the faulting linear address for #PF, 0 otherwise.
     */
    record Fault(int vector, long errorCode, long address, String detail) implements CpuExit {
        public static final int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10,
                NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;
    }
}
