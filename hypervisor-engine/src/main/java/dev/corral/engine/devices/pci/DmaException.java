package dev.corral.engine.devices.pci;

/**
 * A function's DMA could not be made: the guest gave it an address outside RAM, or turned its bus mastering off,
 * or the VM's memory is already gone. The device turns it into its own error state (virtio: DEVICE_NEEDS_RESET);
 * it never leaves the device.
 */
public class DmaException extends Exception {
    public DmaException(String message) {
        super(message);
    }
}
