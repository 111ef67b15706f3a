package dev.corral.engine.machine;

/**
 * A device on the memory-mapped I/O bus. It sees only the offset into its range. Sizes are 1, 2, 4 or 8 bytes
 * and the access lies wholly inside the range; values are zero-extended. Methods are called from vCPU threads.
 */
public interface MmioDevice {

    long read(long offset, int size);

    void write(long offset, int size, long value);
}
