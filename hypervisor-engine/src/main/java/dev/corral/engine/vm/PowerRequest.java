package dev.corral.engine.vm;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The guest's request to end the VM, latched by the device that received it (the debug-exit port, the i8042's
 * reset line, the ACPI fixed hardware's sleep control and reset register) while the vCPU thread was inside a port
 * write, and acted on by the vCPU loop once the write returns. The first request wins: a guest that writes twice
 * cannot change its outcome.
 */
final class PowerRequest {

    private final AtomicReference<VirtualMachine.Outcome> request = new AtomicReference<>();

    /**
     * The debug-exit device reports {@code (value << 1) | 1}, QEMU's exit status; the outcome carries what the
     * guest wrote (its low 31 bits), so a guest writing 0 powers off with code 0.
     */
    void debugExit(int exitStatus) {
        request.compareAndSet(null, new VirtualMachine.Outcome.PoweredOff(exitStatus >>> 1));
    }

    /** Soft-off (ACPI S5): the guest shut down and powered off; code 0. */
    void powerOff() {
        request.compareAndSet(null, new VirtualMachine.Outcome.PoweredOff(0));
    }

    /** A reset through the i8042 or the ACPI reset register: with no firmware to reboot into, the VM ends. */
    void reset() {
        request.compareAndSet(null, new VirtualMachine.Outcome.Reset());
    }

    /** The outcome the guest asked for, or null. */
    VirtualMachine.Outcome requested() {
        return request.get();
    }
}
