package dev.corral.engine.devices.legacy;

import java.util.Objects;

import dev.corral.engine.machine.PortIoDevice;

/**
 * A port test guests write to in order to end the VM with a status, compatible with QEMU's
 * {@code isa-debug-exit}: two ports at 0x501. Any write of any size ends the VM with exit code
 * {@code (value << 1) | 1} (computed in 32 bits), so a guest's status is always odd and can never be confused
 * with 0, the VMM's own success. A guest that writes 0 exits with 1; one that writes 0x10 exits with 33.
 * Reads give all-ones: there is nothing to read.
 *
 * <p>The callback runs on the vCPU thread during the write; it should only ask the VM to stop.
 */
public final class DebugExit implements PortIoDevice {

    public static final int BASE = 0x501;
    public static final int LENGTH = 2;

    /** Ends the VM with the given exit code. */
    @FunctionalInterface
    public interface ExitHandler {
        void exit(int code);
    }

    private final ExitHandler handler;

    public DebugExit(ExitHandler handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
    }

    /** The exit code a written value stands for. */
    public static int exitCode(int value) {
        return (value << 1) | 1;
    }

    @Override
    public int read(int offset, int size) {
        return -1;
    }

    @Override
    public void write(int offset, int size, int value) {
        handler.exit(exitCode(value));
    }
}
