package dev.corral.engine.devices.legacy;

/**
 * Where a guest's console output goes. Called on the vCPU thread for every byte the guest transmits, so an
 * implementation must be quick and must not block on a slow reader.
 */
@FunctionalInterface
public interface ConsoleSink {

    void write(byte b);

    default void write(byte[] bytes, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        for (int i = offset; i < offset + length; i++) {
            write(bytes[i]);
        }
    }
}
