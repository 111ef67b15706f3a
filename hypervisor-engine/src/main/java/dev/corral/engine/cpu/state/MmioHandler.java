package dev.corral.engine.cpu.state;

/**
 * Where a system CPU sends loads and stores to guest-physical addresses outside RAM (device registers,
 * or nothing at all). Lives in this package so that the CPU does not depend on the machine model.
 * Accesses arrive whole (1, 2, 4 or 8 bytes), except one that straddles a page, which arrives a byte at
 * a time. An implementation must not throw for any address: unclaimed reads return all ones.
 */
public interface MmioHandler {

    /** Reads {@code size} bytes (1, 2, 4 or 8) at {@code physicalAddress}; the value in the low bits. */
    long read(long physicalAddress, int size);

    /** Writes the low {@code size} bytes of {@code value} at {@code physicalAddress}. */
    void write(long physicalAddress, int size, long value);
}
