package dev.corral.engine.vm;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The guest's request to end the VM, latched by the device that received it (the debug-exit port, the i8042's
 * reset line) while the vCPU thread was inside a port write, and acted on by the vCPU loop once the write returns.
 * The first request wins: a guest that writes twice cannot change its outcome.
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

    /** A reset through the i8042: with no firmware to reboot into, the VM powers off with code 0. */
    void reset() {
        request.compareAndSet(null, new VirtualMachine.Outcome.PoweredOff(0));
    }

    /** The outcome the guest asked for, or null. */
    VirtualMachine.Outcome requested() {
        return request.get();
    }
}
