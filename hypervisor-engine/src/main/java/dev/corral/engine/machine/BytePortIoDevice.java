package dev.corral.engine.machine;

/**
 * A device made of 8-bit registers, like every ISA legacy chip. A wider access is split into byte accesses in
 * ascending order, little-endian, as the ISA bus splits a 16-bit cycle on an 8-bit device: each byte keeps its
 * own side effect (reading a 16-bit word at a UART's RBR pops one byte and reads IER).
 */
public interface BytePortIoDevice extends PortIoDevice {

    /** Returns the register's value in the low 8 bits. */
    int readByte(int offset);

    /** {@code value} is 0..255. */
    void writeByte(int offset, int value);

    @Override
    default int read(int offset, int size) {
        int value = 0;
        for (int i = 0; i < size; i++) {
            value |= (readByte(offset + i) & 0xff) << (8 * i);
        }
        return value;
    }

    @Override
    default void write(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            writeByte(offset + i, (value >>> (8 * i)) & 0xff);
        }
    }
}
