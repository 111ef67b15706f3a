package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.state.CpuState;

/**
 * How a case ended, natively or in the software CPU: {@code vector} is 3 for the final int3 (rip after
 * it), another exception vector for a fault (rip at the faulting instruction), {@link #SYSCALL} (rip after
 * it, RCX and R11 set by the instruction), {@link #TIMEOUT} when it
 * did not end, {@link #BROKEN} when the software CPU broke its contract (threw, or stopped for another
 * reason); {@code detail} says more.
 */
record Outcome(int vector, long rip, CpuState state, byte[] data, long faultAddress, String detail) {

    static final int BP = 3, UD = 6, PF = 14;
    static final int TIMEOUT = 255;
    /** SYSCALL: the software CPU's Syscall exit; natively the harness's seccomp trap. */
    static final int SYSCALL = 256;
    static final int BROKEN = -1;

    boolean completed() {
        return vector == BP;
    }
}
