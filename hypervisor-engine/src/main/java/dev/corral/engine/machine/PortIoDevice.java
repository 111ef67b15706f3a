package dev.corral.engine.machine;

/**
 * A device on the x86 I/O port bus. It sees only the offset into the range it was registered with, never the
 * port number, so the same device works at any base (COM1 or COM2). Sizes are 1, 2 or 4 bytes and the access
 * lies wholly inside the device's range; values are zero-extended. Methods are called from vCPU threads.
 */
public interface PortIoDevice {

    int read(int offset, int size);

    void write(int offset, int size, int value);
}
