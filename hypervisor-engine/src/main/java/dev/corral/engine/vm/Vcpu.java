package dev.corral.engine.vm;

import dev.corral.engine.cpu.CpuStats;

/**
 * One virtual CPU as its vCPU loop drives it, whichever backend runs it (the software CPU, or KVM). Only its own vCPU
 * thread calls it, except {@link #kick}.
 */
interface Vcpu {

    /**
     * Runs until an exit. A backend that counts instructions (the software CPU) returns after about {@code budget}
     * of them; one that does not (KVM) returns by {@code deadlineNanos} on the VM's clock if it was told to watch it
     * ({@link Long#MAX_VALUE}: no deadline), so that a timer the VM emulates in Java is not starved by a busy guest.
     */
    Exit run(long budget, long deadlineNanos);

    /** Whether an external interrupt can be taken now (RFLAGS.IF set, no interrupt shadow). */
    boolean interruptible();

    /** Delivers external interrupt {@code vector} through the guest's IDT before the next instruction. */
    void injectInterrupt(int vector);

    /**
     * An interrupt waits but the CPU cannot take it yet: return from {@link #run} as soon as it can. The software CPU
     * looks between slices anyway; KVM sets {@code request_interrupt_window}.
     */
    default void requestInterruptWindow() {
    }

    /** The value for the IN of the last {@link Exit.PortIo} exit with {@code in} set; call before the next run. */
    void completePortIn(int value);

    /**
     * INIT from this vCPU's local APIC (where the VMM has the APICs: the software CPU): the processor's INIT state,
     * then wait for a STARTUP. Backends whose interrupt controllers are in the kernel never get this.
     */
    default void init() {
        throw new UnsupportedOperationException("this vCPU backend's local APIC is not the VMM's");
    }

    /**
     * Guest instructions this vCPU has executed, where the backend counts them (the software CPU); -1 where it does
     * not (KVM). Read by any thread; exact once the vCPU's thread has ended.
     */
    default long instructionsRetired() {
        return -1;
    }

    /** The software CPU's tiers and translation cache so far (approximate while it runs); null for other backends. */
    default CpuStats cpuStats() {
        return null;
    }

    /** STARTUP with {@code vector}: false (ignored) unless the vCPU waits for one. See {@link #init()}. */
    default boolean startup(int vector) {
        throw new UnsupportedOperationException("this vCPU backend's local APIC is not the VMM's");
    }

    /** The value for the last {@link Exit.Mmio} read; call before the next run. Only backends that exit on MMIO have those. */
    default void completeMmioRead(long value) {
        throw new IllegalStateException("this vCPU backend completes MMIO reads itself");
    }

    /**
     * Any thread: makes a {@link #run} in progress return soon, or the next one return at once, so that the loop looks
     * at stop and pause requests and pending interrupts. The software CPU returns within a slice anyway.
     */
    default void kick() {
    }

    /** Called on the vCPU's thread before its first {@link #run}: the thread {@link #kick} must reach. */
    default void attachThread() {
    }

    /** Called on the vCPU's thread after its last {@link #run}; a kick from then on only sets flags. */
    default void detachThread() {
    }

    /** Why {@link #run} returned. */
    sealed interface Exit {
        /** The budget was spent, or the vCPU was kicked: nothing to do but check for interrupts and requests. */
        record BudgetSpent() implements Exit {}

        /** HLT: the CPU sleeps until an interrupt it can take. */
        record Halt() implements Exit {}

        /** An IN or OUT of {@code size} bytes (1, 2 or 4) at {@code port}; {@code value} is what an OUT wrote. */
        record PortIo(boolean in, int port, int size, int value) implements Exit {}

        /**
         * A read or write of {@code size} bytes (1, 2, 4 or 8) at guest-physical {@code address}, outside RAM;
         * {@code value} is what a write wrote. The software CPU goes to the MMIO bus itself and never returns this.
         */
        record Mmio(boolean write, long address, int size, long value) implements Exit {}

        /** A triple fault: the CPU is dead and the VM is over. */
        record Shutdown(String reason) implements Exit {}

        /** The guest asked the platform to reset (KVM's system event): the VM ends as a reset (its agent boots it again). */
        record Reset() implements Exit {}

        /** The backend cannot run this guest any further (KVM could not emulate an instruction, could not enter). */
        record Failed(String reason) implements Exit {}
    }
}
