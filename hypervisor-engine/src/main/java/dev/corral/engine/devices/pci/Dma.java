package dev.corral.engine.devices.pci;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

import dev.corral.engine.memory.GuestMemory;
import dev.corral.engine.memory.GuestMemoryException;

/**
 * A PCI function's view of guest RAM as a bus master: every access is bounds-checked by {@link GuestMemory},
 * refused while the guest has bus mastering off, and reported as a {@link DmaException} (with Received Master
 * Abort set in the function's status register when the address is not RAM) instead of an unchecked exception.
 * Writes are reported to a {@link WriteObserver} first, so a software CPU can drop code it translated from the
 * pages a device overwrites. Once the VM's memory is unmapped, an access throws IllegalStateException (as
 * {@link GuestMemory} does): workers are stopped before that, and treat it as the end of the VM.
 *
 * <p>Thread-safe as {@link GuestMemory} is: device workers use it concurrently with vCPU threads.
 */
public final class Dma {

    /**
     * Told about every range a device is about to write in guest RAM, on the device's worker thread. It must be
     * thread-safe and must not block.
     */
    @FunctionalInterface
    public interface WriteObserver {
        WriteObserver NONE = (address, length) -> { };

        void written(long address, long length);
    }

    private final GuestMemory memory;
    private final PciFunction master;
    private final WriteObserver observer;

    public Dma(GuestMemory memory, PciFunction master, WriteObserver observer) {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.master = Objects.requireNonNull(master, "master");
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /** Checks that [address, address + length) is RAM and the function may master the bus. */
    public void check(long address, long length) throws DmaException {
        window(address, length);
    }

    public short readShort(long address) throws DmaException {
        mayMaster(address);
        try {
            return memory.readShort(address);
        } catch (GuestMemoryException e) {
            throw abort(address, 2);
        }
    }

    public int readInt(long address) throws DmaException {
        mayMaster(address);
        try {
            return memory.readInt(address);
        } catch (GuestMemoryException e) {
            throw abort(address, 4);
        }
    }

    public long readLong(long address) throws DmaException {
        mayMaster(address);
        try {
            return memory.readLong(address);
        } catch (GuestMemoryException e) {
            throw abort(address, 8);
        }
    }

    public void writeShort(long address, short value) throws DmaException {
        mayMaster(address);
        try {
            observer.written(address, 2);
            memory.writeShort(address, value);
        } catch (GuestMemoryException e) {
            throw abort(address, 2);
        }
    }

    public void writeInt(long address, int value) throws DmaException {
        mayMaster(address);
        try {
            observer.written(address, 4);
            memory.writeInt(address, value);
        } catch (GuestMemoryException e) {
            throw abort(address, 4);
        }
    }

    public void read(long address, byte[] destination, int offset, int length) throws DmaException {
        window(address, length).get(0, destination, offset, length);
    }

    public void write(long address, byte[] source, int offset, int length) throws DmaException {
        writeWindow(address, length).put(0, source, offset, length);
    }

    /** Guest RAM at [address, address + length) as a read-only buffer, without copying (little-endian). */
    public ByteBuffer readWindow(long address, int length) throws DmaException {
        return window(address, length).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Guest RAM at [address, address + length) to fill, without copying; the observer hears of it now. */
    public ByteBuffer writeWindow(long address, int length) throws DmaException {
        var buffer = window(address, length);
        observer.written(address, length);
        return buffer;
    }

    private ByteBuffer window(long address, long length) throws DmaException {
        mayMaster(address);
        if (length < 0 || length > Integer.MAX_VALUE) {
            throw new DmaException("a DMA of " + length + " bytes at 0x" + Long.toHexString(address) + " is not possible");
        }
        try {
            return memory.slice(address, length).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        } catch (GuestMemoryException e) {
            throw abort(address, length);
        }
    }

    private void mayMaster(long address) throws DmaException {
        if (!master.busMaster()) {
            throw new DmaException("the guest has bus mastering off, so the device may not access memory at 0x"
                    + Long.toHexString(address));
        }
    }

    private DmaException abort(long address, long length) {
        master.masterAbort();
        return new DmaException("the guest pointed the device at [0x" + Long.toHexString(address) + ", +" + length
                + "), which is not RAM");
    }
}
