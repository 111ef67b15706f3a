package dev.corral.engine.vm;

/**
 * One virtual CPU as the vCPU loop drives it, whichever backend runs it (the software CPU now, KVM later). Only
 * its own vCPU thread calls it.
 */
interface Vcpu {

    /** Runs until an exit, or for at most about {@code budget} instructions where the backend counts them. */
    Exit run(long budget);

    /** Whether an external interrupt can be taken now (RFLAGS.IF set, no interrupt shadow). */
    boolean interruptible();

    /** Delivers external interrupt {@code vector} through the guest's IDT before the next instruction. */
    void injectInterrupt(int vector);

    /** The value for the IN of the last {@link Exit.PortIo} exit with {@code in} set; call before the next run. */
    void completePortIn(int value);

    /** Why {@link #run} returned. */
    sealed interface Exit {
        /** The budget was spent: nothing to do but check for interrupts and stop requests. */
        record BudgetSpent() implements Exit {}

        /** HLT: the CPU sleeps until an interrupt it can take. */
        record Halt() implements Exit {}

        /** An IN or OUT of {@code size} bytes (1, 2 or 4) at {@code port}; {@code value} is what an OUT wrote. */
        record PortIo(boolean in, int port, int size, int value) implements Exit {}

        /** A triple fault: the CPU is dead and the VM is over. */
        record Shutdown(String reason) implements Exit {}
    }
}
