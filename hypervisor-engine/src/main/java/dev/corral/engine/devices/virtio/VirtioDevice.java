package dev.corral.engine.devices.virtio;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;

/**
 * What makes a virtio device a block device or an entropy source: its type, feature bits, queues, configuration
 * space and request handling. The {@link VirtioPciDevice} transport does the rest (feature negotiation, status,
 * queues, notifications, interrupts, the worker thread) and calls {@link #handle} for every chain the driver makes
 * available, on the device's worker thread, one at a time.
 */
public interface VirtioDevice {

    /** The virtio device ID (2 block, 4 entropy source); the PCI device ID is 0x1040 plus it. */
    int type();

    /** Short name for threads and messages, e.g. {@code virtio-blk}. */
    String name();

    /** The PCI class code: base class, subclass, programming interface. */
    int pciClass();

    /** Device-type feature bits offered (bits 0-23); the transport adds VERSION_1, INDIRECT_DESC and EVENT_IDX. */
    long features();

    /** How many virtqueues. */
    int queues();

    /** The largest size each queue offers (a power of two); the driver may choose a smaller one. */
    int maxQueueSize();

    /** The most bytes one chain may hold, readable and writable together: longer is a driver error. */
    long maxChainBytes();

    /** Bytes of device-specific configuration. */
    int configSize();

    /** Reads {@code size} bytes at {@code offset} of the device-specific configuration (inside it). */
    int configRead(int offset, int size);

    /** The driver accepted these features and set DRIVER_OK: the device runs with them until reset. */
    default void activate(long negotiated) {
    }

    /**
     * Serves one request and returns how many bytes it wrote into the chain's writable buffers. A request the driver
     * built wrongly beyond what the device type can answer with a status (no room for the status byte, a header cut
     * short) is a {@link VirtqueueException}; a guest address that is not RAM a {@link DmaException}. Either one
     * makes the device need a reset.
     */
    int handle(int queue, DescriptorChain chain, Dma dma) throws VirtqueueException, DmaException;
}
