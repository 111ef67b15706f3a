package dev.corral.engine.devices.virtio;

/**
 * The driver broke a virtqueue or request rule the device cannot work around: a descriptor loop, an index outside
 * the table, a chain longer than allowed, an indirect table inside an indirect table, a request without its
 * header or status byte. The device answers by setting DEVICE_NEEDS_RESET and processing nothing more until the
 * driver resets it; the message says what the driver did.
 */
public class VirtqueueException extends Exception {
    public VirtqueueException(String message) {
        super(message);
    }
}
