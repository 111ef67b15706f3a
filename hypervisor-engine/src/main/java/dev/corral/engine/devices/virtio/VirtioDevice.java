package dev.corral.engine.devices.virtio;

import java.util.function.IntConsumer;

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

    /** {@code size} bytes of {@code config} at {@code offset}, little-endian, as virtio's configuration fields are. */
    static int littleEndian(byte[] config, int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (config[offset + i] & 0xff) << (8 * i);
        }
        return v;
    }

    /** The driver accepted these features and set DRIVER_OK: the device runs with them until reset. */
    default void activate(long negotiated) {
    }

    /**
     * The driver reset the device (or never started it): what the device held for the driver's queues is stale.
     * Called with no request in progress.
     */
    default void reset() {
    }

    /**
     * The transport's doorbell, given once when the transport is built: {@code kick.accept(queue)} wakes the worker
     * for that queue as a driver's notification does (nothing happens while the device is not running). For a device
     * that has something to put into a queue on its own, such as a frame that arrived from the network.
     */
    default void connect(IntConsumer kick) {
    }

    /**
     * Whether the worker should take the queue's next available chain now. A device that fills buffers only when it
     * has something to give (a network device's receive queue) answers false until then, and kicks the queue
     * ({@link #connect}) once it has; the driver's buffers wait in the ring meanwhile. Asked on the worker thread.
     */
    default boolean wantsBuffers(int queue) {
        return true;
    }

    /** The VM is closing: the worker has stopped for good; stop the device's own threads, if it has any. */
    default void close() {
    }

    /**
     * Serves one request and returns how many bytes it wrote into the chain's writable buffers. A request the driver
     * built wrongly beyond what the device type can answer with a status (no room for the status byte, a header cut
     * short) is a {@link VirtqueueException}; a guest address that is not RAM a {@link DmaException}. Either one
     * makes the device need a reset.
     */
    int handle(int queue, DescriptorChain chain, Dma dma) throws VirtqueueException, DmaException;
}
