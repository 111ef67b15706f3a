package dev.corral.engine.devices.virtio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;

/**
 * A virtio-blk request as decoded from its chain (virtio 1.2, 5.2.6): the 16-byte header the driver wrote (type,
 * reserved, sector), the data buffers (device-readable after the header for writes, discards and write-zeroes;
 * device-writable before the status byte for reads and GET_ID) and where the one-byte status goes: the last
 * writable byte. Decoding checks only the shape every request shares; whether the type, sector and lengths make
 * sense is {@link VirtioBlk}'s to answer with a status.
 *
 * @param type       VIRTIO_BLK_T_*
 * @param sector     the header's sector, unsigned, in 512-byte units
 * @param in         the buffers the device reads (after the header)
 * @param inBytes    their total length
 * @param out        the buffers the device fills (before the status byte)
 * @param outBytes   their total length
 * @param statusAt   offset of the status byte in the chain's writable bytes
 */
public record BlkRequest(int type, long sector, List<DescriptorChain.Segment> in, long inBytes, List<DescriptorChain.Segment> out,
        long outBytes, long statusAt) {

    public static final int HEADER_SIZE = 16;

    public static BlkRequest decode(DescriptorChain chain, Dma dma) throws VirtqueueException, DmaException {
        long readable = chain.readableBytes();
        long writable = chain.writableBytes();
        if (writable < 1) {
            throw new VirtqueueException("a block request from descriptor " + chain.head() + " has no writable byte for its status");
        }
        if (readable < HEADER_SIZE) {
            throw new VirtqueueException("a block request from descriptor " + chain.head() + " has a header of " + readable
                    + " bytes, not " + HEADER_SIZE);
        }
        var header = new byte[HEADER_SIZE];
        chain.read(dma, 0, header);
        var h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        long inBytes = readable - HEADER_SIZE;
        long outBytes = writable - 1;
        return new BlkRequest(h.getInt(0), h.getLong(8), chain.readableRange(HEADER_SIZE, inBytes), inBytes,
                chain.writableRange(0, outBytes), outBytes, outBytes);
    }
}
