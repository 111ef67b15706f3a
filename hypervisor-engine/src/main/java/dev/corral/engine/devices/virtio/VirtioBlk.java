package dev.corral.engine.devices.virtio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;
import dev.corral.engine.storage.BlockImage;
import dev.corral.engine.storage.StorageException;

/**
 * A virtio block device (virtio 1.2, 5.2) over a {@link BlockImage}, whatever its format: one request queue of 256
 * entries; reads, writes, flush (VIRTIO_BLK_F_FLUSH), GET_ID, discard and write-zeroes (VIRTIO_BLK_F_DISCARD and
 * _WRITE_ZEROES, for writable images), read-only images offered as VIRTIO_BLK_F_RO; 512-byte logical blocks, at
 * most {@link #SEG_MAX} data buffers of {@link #SIZE_MAX} bytes each.
 *
 * <p>Every request gets a status, never an exception: a sector range past the end of the disk (or one whose end
 * overflows), a length that is not whole sectors, a write to a read-only disk or a failing image is
 * VIRTIO_BLK_S_IOERR; an unknown type, an unnegotiated command or an unknown flag is VIRTIO_BLK_S_UNSUPP. The data
 * is transferred first, then the status byte, and only then does the transport publish the used entry. Only a
 * request without room for its header or status is a driver error ({@link VirtqueueException}).
 */
public final class VirtioBlk implements VirtioDevice {

    public static final int TYPE = 2;
    public static final int QUEUE_SIZE = 256;
    public static final int SECTOR = 512;
    /** Data buffers per request: the queue's size less the header and status descriptors. */
    public static final int SEG_MAX = QUEUE_SIZE - 2;
    public static final int SIZE_MAX = 1 << 20;
    public static final int MAX_DISCARD_SECTORS = 1 << 22, MAX_WRITE_ZEROES_SECTORS = 1 << 16, MAX_RANGES = 16;
    /** Discard granularity, in sectors: a page. */
    public static final int DISCARD_ALIGNMENT = 8;
    public static final int ID_BYTES = 20;

    public static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13;
    public static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    public static final long F_SIZE_MAX = 1L << 1, F_SEG_MAX = 1L << 2, F_RO = 1L << 5, F_BLK_SIZE = 1L << 6, F_FLUSH = 1L << 9;
    public static final long F_DISCARD = 1L << 13, F_WRITE_ZEROES = 1L << 14;
    static final int UNMAP = 1;
    static final int CONFIG_SIZE = 0x3c;

    private final BlockImage image;
    private final byte[] id;
    private final long capacity;
    private final byte[] config = new byte[CONFIG_SIZE];
    private volatile long negotiated;

    /** A disk over {@code image}; {@code serial} (at most 20 ASCII bytes) is what GET_ID answers (/sys/block/vda/serial). */
    public VirtioBlk(BlockImage image, String serial) {
        this.image = Objects.requireNonNull(image, "image");
        this.id = serial.getBytes(StandardCharsets.US_ASCII);
        if (id.length > ID_BYTES) {
            throw new IllegalArgumentException("a virtio-blk serial is at most " + ID_BYTES + " bytes, not \"" + serial + "\"");
        }
        this.capacity = image.size() / SECTOR;
        var c = ByteBuffer.wrap(config).order(ByteOrder.LITTLE_ENDIAN);
        c.putLong(0x00, capacity);
        c.putInt(0x08, SIZE_MAX);
        c.putInt(0x0c, SEG_MAX);
        c.putInt(0x14, SECTOR);
        c.putInt(0x24, MAX_DISCARD_SECTORS);
        c.putInt(0x28, MAX_RANGES);
        c.putInt(0x2c, DISCARD_ALIGNMENT);
        c.putInt(0x30, MAX_WRITE_ZEROES_SECTORS);
        c.putInt(0x34, MAX_RANGES);
        c.put(0x38, (byte) 1); // write-zeroes with the unmap flag discards
    }

    @Override
    public int type() {
        return TYPE;
    }

    @Override
    public String name() {
        return "virtio-blk";
    }

    @Override
    public int pciClass() {
        return 0x018000; // mass storage, other
    }

    @Override
    public long features() {
        long f = F_SIZE_MAX | F_SEG_MAX | F_BLK_SIZE | F_FLUSH;
        return image.readOnly() ? f | F_RO : f | F_DISCARD | F_WRITE_ZEROES;
    }

    @Override
    public int queues() {
        return 1;
    }

    @Override
    public int maxQueueSize() {
        return QUEUE_SIZE;
    }

    @Override
    public long maxChainBytes() {
        return (long) SEG_MAX * SIZE_MAX + BlkRequest.HEADER_SIZE + 1;
    }

    @Override
    public int configSize() {
        return CONFIG_SIZE;
    }

    @Override
    public int configRead(int offset, int size) {
        return VirtioDevice.littleEndian(config, offset, size);
    }

    @Override
    public void activate(long features) {
        negotiated = features;
    }

    /** The disk's size in 512-byte sectors. */
    public long capacity() {
        return capacity;
    }

    @Override
    public int handle(int queue, DescriptorChain chain, Dma dma) throws VirtqueueException, DmaException {
        var request = BlkRequest.decode(chain, dma);
        long[] written = {0};
        int status = execute(request, dma, written);
        chain.write(dma, request.statusAt(), new byte[] {(byte) status});
        return (int) (written[0] + 1);
    }

    private int execute(BlkRequest r, Dma dma, long[] written) throws DmaException {
        try {
            return switch (r.type()) {
                case T_IN -> read(r, dma, written);
                case T_OUT -> write(r, dma);
                case T_FLUSH -> {
                    image.flush();
                    yield S_OK;
                }
                case T_GET_ID -> {
                    var answer = new byte[(int) Math.min(ID_BYTES, r.outBytes())];
                    System.arraycopy(id, 0, answer, 0, Math.min(id.length, answer.length));
                    written[0] = write(dma, r, answer);
                    yield S_OK;
                }
                case T_DISCARD -> (negotiated & F_DISCARD) == 0 ? S_UNSUPP : ranges(r, dma, false);
                case T_WRITE_ZEROES -> (negotiated & F_WRITE_ZEROES) == 0 ? S_UNSUPP : ranges(r, dma, true);
                default -> S_UNSUPP;
            };
        } catch (StorageException e) {
            return S_IOERR;
        }
    }

    private int read(BlkRequest r, Dma dma, long[] written) throws DmaException, StorageException {
        if (!inDisk(r.sector(), r.outBytes())) {
            return S_IOERR;
        }
        long offset = r.sector() * SECTOR;
        for (var s : r.out()) {
            image.read(offset, dma.writeWindow(s.address(), s.length()));
            offset += s.length();
            written[0] += s.length();
        }
        return S_OK;
    }

    private int write(BlkRequest r, Dma dma) throws DmaException, StorageException {
        if (image.readOnly() || !inDisk(r.sector(), r.inBytes())) {
            return S_IOERR;
        }
        long offset = r.sector() * SECTOR;
        for (var s : r.in()) {
            image.write(offset, dma.readWindow(s.address(), s.length()));
            offset += s.length();
        }
        return S_OK;
    }

    /** Discard or write-zeroes: the readable data is an array of {le64 sector, le32 num_sectors, le32 flags}. */
    private int ranges(BlkRequest r, Dma dma, boolean zeroes) throws DmaException, StorageException {
        if (image.readOnly() || r.inBytes() == 0 || r.inBytes() % 16 != 0 || r.inBytes() / 16 > MAX_RANGES) {
            return S_IOERR;
        }
        var bytes = new byte[(int) r.inBytes()];
        int at = 0;
        for (var s : r.in()) {
            dma.read(s.address(), bytes, at, s.length());
            at += s.length();
        }
        var ranges = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        // Check every range before touching the disk, so a bad one leaves the others undone too.
        for (int i = 0; i < bytes.length; i += 16) {
            long sector = ranges.getLong(i);
            long sectors = ranges.getInt(i + 8) & 0xffffffffL;
            int flags = ranges.getInt(i + 12);
            if ((flags & ~UNMAP) != 0 || (!zeroes && flags != 0)) {
                return S_UNSUPP;
            }
            if (sectors > (zeroes ? MAX_WRITE_ZEROES_SECTORS : MAX_DISCARD_SECTORS) || !inDisk(sector, sectors * SECTOR)) {
                return S_IOERR;
            }
        }
        for (int i = 0; i < bytes.length; i += 16) {
            long offset = ranges.getLong(i) * SECTOR;
            long length = (ranges.getInt(i + 8) & 0xffffffffL) * SECTOR;
            if (!zeroes || (ranges.getInt(i + 12) & UNMAP) != 0) {
                image.discard(offset, length); // reads of a discarded range return zeros: that is write-zeroes too
            } else {
                writeZeroes(offset, length);
            }
        }
        return S_OK;
    }

    private void writeZeroes(long offset, long length) throws StorageException {
        var zeros = ByteBuffer.allocate((int) Math.min(length, 64 * 1024));
        for (long done = 0; done < length; ) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), length - done));
            image.write(offset + done, zeros);
            done += zeros.limit();
        }
    }

    /** Whether {@code bytes} from {@code sector} (unsigned) are whole sectors inside the disk. */
    private boolean inDisk(long sector, long bytes) {
        return bytes % SECTOR == 0 && Long.compareUnsigned(sector, capacity) <= 0 && bytes / SECTOR <= capacity - sector;
    }

    private static int write(Dma dma, BlkRequest r, byte[] data) throws DmaException {
        int done = 0;
        for (var s : r.out()) {
            int n = Math.min(s.length(), data.length - done);
            if (n <= 0) {
                break;
            }
            dma.write(s.address(), data, done, n);
            done += n;
        }
        return done;
    }
}
