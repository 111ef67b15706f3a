package dev.corral.engine.machine;

/** A device threw while handling a guest access; the bus absorbed it. Kept for diagnosis. */
public record DeviceFault(String device, long address, boolean write, RuntimeException cause) {

    @Override
    public String toString() {
        return device + " failed a " + (write ? "write" : "read") + " at 0x" + Long.toHexString(address) + ": " + cause;
    }
}
