package dev.corral.engine.devices.virtio;

import static dev.corral.engine.devices.virtio.VirtioBlk.S_IOERR;
import static dev.corral.engine.devices.virtio.VirtioBlk.S_OK;
import static dev.corral.engine.devices.virtio.VirtioBlk.S_UNSUPP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** virtio-blk requests decoded from guest buffers and served against a disk: every request ends in a status. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a guard against a device that hangs (a loop check gone wrong), not a speed assertion
class VirtioBlkTest {

    private static final long HEADER = 0x1000, STATUS = 0x2000, DATA = 0x10000;
    private static final long ALL = VirtioBlk.F_DISCARD | VirtioBlk.F_WRITE_ZEROES | VirtioBlk.F_FLUSH;

    private final GuestMemory memory = GuestMemory.allocate(4 << 20);
    private final Dma dma = GuestRings.dma(memory);
    private final RamDisk disk = new RamDisk(64 * 512, false);
    private final VirtioBlk blk = new VirtioBlk(disk, "serial-7");

    VirtioBlkTest() {
        blk.activate(ALL);
        for (int i = 0; i < disk.bytes.length; i++) {
            disk.bytes[i] = (byte) (i * 7 + 3);
        }
    }

    @AfterEach
    void close() {
        memory.close();
    }

    private DescriptorChain request(int type, long sector, List<DescriptorChain.Segment> readable, List<DescriptorChain.Segment> writable) {
        memory.writeInt(HEADER, type);
        memory.writeInt(HEADER + 4, 0);
        memory.writeLong(HEADER + 8, sector);
        memory.writeByte(STATUS, (byte) 0x55);
        var r = new ArrayList<DescriptorChain.Segment>();
        r.add(new DescriptorChain.Segment(HEADER, 16));
        r.addAll(readable);
        var w = new ArrayList<>(writable);
        w.add(new DescriptorChain.Segment(STATUS, 1));
        return new DescriptorChain(0, r, w);
    }

    private static DescriptorChain.Segment at(long address, int length) {
        return new DescriptorChain.Segment(address, length);
    }

    private int status() {
        return memory.readByte(STATUS) & 0xff;
    }

    @Test
    void theConfigurationDescribesTheDiskAndItsLimits() {
        assertThat(blk.configRead(0, 4)).isEqualTo(64); // capacity, low dword
        assertThat(blk.configRead(4, 4)).isZero();
        assertThat(blk.configRead(0x08, 4)).isEqualTo(VirtioBlk.SIZE_MAX);
        assertThat(blk.configRead(0x0c, 4)).isEqualTo(VirtioBlk.SEG_MAX);
        assertThat(blk.configRead(0x14, 4)).isEqualTo(512);
        assertThat(blk.configRead(0x24, 4)).isEqualTo(VirtioBlk.MAX_DISCARD_SECTORS);
        assertThat(blk.configRead(0x38, 1)).isEqualTo(1);
        assertThat(blk.features()).isEqualTo(VirtioBlk.F_SIZE_MAX | VirtioBlk.F_SEG_MAX | VirtioBlk.F_BLK_SIZE | VirtioBlk.F_FLUSH
                | VirtioBlk.F_DISCARD | VirtioBlk.F_WRITE_ZEROES);
        assertThat(new VirtioBlk(new RamDisk(4096, true), "ro").features() & (VirtioBlk.F_RO | VirtioBlk.F_DISCARD | VirtioBlk.F_WRITE_ZEROES))
                .isEqualTo(VirtioBlk.F_RO);
    }

    @Test
    void aReadFillsTheBuffersThenTheStatusIsWritten() throws Exception {
        int written = blk.handle(0, request(VirtioBlk.T_IN, 3, List.of(), List.of(at(DATA, 1024), at(DATA + 0x8000, 512))), dma);
        assertThat(status()).isEqualTo(S_OK);
        assertThat(written).isEqualTo(1537);
        var first = new byte[1024];
        memory.read(DATA, first);
        assertThat(first).isEqualTo(Arrays.copyOfRange(disk.bytes, 3 * 512, 5 * 512));
        var second = new byte[512];
        memory.read(DATA + 0x8000, second);
        assertThat(second).isEqualTo(Arrays.copyOfRange(disk.bytes, 5 * 512, 6 * 512));
        assertThat(disk.log()).containsExactly("read 1536+1024", "read 2560+512");
    }

    @Test
    void aWriteTakesTheReadableBuffersAfterTheHeader() throws Exception {
        var data = new byte[1024];
        Arrays.fill(data, (byte) 0xab);
        memory.write(DATA, data);
        int written = blk.handle(0, request(VirtioBlk.T_OUT, 60, List.of(at(DATA, 512), at(DATA + 512, 512)), List.of()), dma);
        assertThat(status()).isEqualTo(S_OK);
        assertThat(written).isEqualTo(1);
        assertThat(Arrays.copyOfRange(disk.bytes, 60 * 512, 62 * 512)).isEqualTo(data);
    }

    @Test
    void theStatusByteIsTheLastWritableByteEvenInsideABiggerBuffer() throws Exception {
        // Header and data and status in one writable buffer after the header: the status is its last byte.
        memory.writeInt(HEADER, VirtioBlk.T_IN);
        memory.writeLong(HEADER + 8, 0);
        var chain = new DescriptorChain(9, List.of(at(HEADER, 16)), List.of(at(DATA, 513)));
        blk.handle(0, chain, dma);
        assertThat(memory.readByte(DATA + 512)).isEqualTo((byte) S_OK);
        assertThat(memory.readByte(DATA)).isEqualTo(disk.bytes[0]);
    }

    @Test
    void requestsPastTheEndOfTheDiskAreIoErrorsNotExceptions() throws Exception {
        for (long sector : new long[] {64, 63 + 1, 65, Long.MAX_VALUE, -1L, Long.MIN_VALUE, (1L << 55)}) {
            blk.handle(0, request(VirtioBlk.T_IN, sector, List.of(), List.of(at(DATA, 512))), dma);
            assertThat(status()).as("read at sector %d", sector).isEqualTo(S_IOERR);
            blk.handle(0, request(VirtioBlk.T_OUT, sector, List.of(at(DATA, 512)), List.of()), dma);
            assertThat(status()).as("write at sector %d", sector).isEqualTo(S_IOERR);
        }
        blk.handle(0, request(VirtioBlk.T_IN, 63, List.of(), List.of(at(DATA, 1024))), dma); // runs one sector over
        assertThat(status()).isEqualTo(S_IOERR);
        blk.handle(0, request(VirtioBlk.T_IN, 63, List.of(), List.of(at(DATA, 512))), dma); // the last sector
        assertThat(status()).isEqualTo(S_OK);
        blk.handle(0, request(VirtioBlk.T_IN, 0, List.of(), List.of(at(DATA, 100))), dma); // not whole sectors
        assertThat(status()).isEqualTo(S_IOERR);
        assertThat(disk.log()).containsExactly("read 32256+512");
    }

    @Test
    void flushGetIdAndUnknownTypes() throws Exception {
        blk.handle(0, request(VirtioBlk.T_FLUSH, 0, List.of(), List.of()), dma);
        assertThat(status()).isEqualTo(S_OK);
        assertThat(disk.log()).containsExactly("flush");

        int written = blk.handle(0, request(VirtioBlk.T_GET_ID, 0, List.of(), List.of(at(DATA, 20))), dma);
        var id = new byte[20];
        memory.read(DATA, id);
        assertThat(new String(id, 0, 8)).isEqualTo("serial-7");
        assertThat(id[8]).isZero();
        assertThat(written).isEqualTo(21);
        assertThat(status()).isEqualTo(S_OK);

        for (int type : new int[] {2, 5, 10, 14, 0x7fff_ffff, -1}) {
            blk.handle(0, request(type, 0, List.of(), List.of(at(DATA, 512))), dma);
            assertThat(status()).as("type %d", type).isEqualTo(S_UNSUPP);
        }
    }

    private List<DescriptorChain.Segment> ranges(long... sectorCountFlags) {
        var b = ByteBuffer.allocate(sectorCountFlags.length / 3 * 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < sectorCountFlags.length; i += 3) {
            b.putLong(sectorCountFlags[i]).putInt((int) sectorCountFlags[i + 1]).putInt((int) sectorCountFlags[i + 2]);
        }
        memory.write(DATA, b.array());
        return List.of(at(DATA, b.capacity()));
    }

    @Test
    void discardAndWriteZeroesLeaveZerosAndCheckEveryRangeFirst() throws Exception {
        blk.handle(0, request(VirtioBlk.T_DISCARD, 0, ranges(2, 2, 0, 10, 1, 0), List.of()), dma);
        assertThat(status()).isEqualTo(S_OK);
        assertThat(disk.log()).containsExactly("discard 1024+1024", "discard 5120+512");
        assertThat(Arrays.copyOfRange(disk.bytes, 1024, 2048)).containsOnly(0);

        blk.handle(0, request(VirtioBlk.T_WRITE_ZEROES, 0, ranges(20, 3, 0, 30, 1, 1), List.of()), dma);
        assertThat(status()).isEqualTo(S_OK);
        assertThat(disk.log()).endsWith("write 10240+1536", "discard 15360+512"); // unmap flag: discarded
        assertThat(Arrays.copyOfRange(disk.bytes, 10240, 11776)).containsOnly(0);

        var before = disk.log().size();
        blk.handle(0, request(VirtioBlk.T_DISCARD, 0, ranges(0, 1, 0, 63, 2, 0), List.of()), dma); // second range overruns
        assertThat(status()).isEqualTo(S_IOERR);
        blk.handle(0, request(VirtioBlk.T_DISCARD, 0, ranges(0, 1, 1), List.of()), dma); // unmap on discard
        assertThat(status()).isEqualTo(S_UNSUPP);
        blk.handle(0, request(VirtioBlk.T_WRITE_ZEROES, 0, ranges(0, 1, 2), List.of()), dma); // unknown flag
        assertThat(status()).isEqualTo(S_UNSUPP);
        blk.handle(0, request(VirtioBlk.T_DISCARD, 0, List.of(at(DATA, 20)), List.of()), dma); // not whole ranges
        assertThat(status()).isEqualTo(S_IOERR);
        blk.handle(0, request(VirtioBlk.T_DISCARD, 0, ranges(-1L, 1, 0), List.of()), dma);
        assertThat(status()).isEqualTo(S_IOERR);
        blk.handle(0, request(VirtioBlk.T_DISCARD, 0, ranges(0, VirtioBlk.MAX_DISCARD_SECTORS + 1L, 0), List.of()), dma);
        assertThat(status()).isEqualTo(S_IOERR);
        assertThat(disk.log()).hasSize(before);

        blk.activate(VirtioBlk.F_FLUSH); // neither negotiated
        blk.handle(0, request(VirtioBlk.T_DISCARD, 0, ranges(0, 1, 0), List.of()), dma);
        assertThat(status()).isEqualTo(S_UNSUPP);
        blk.handle(0, request(VirtioBlk.T_WRITE_ZEROES, 0, ranges(0, 1, 0), List.of()), dma);
        assertThat(status()).isEqualTo(S_UNSUPP);
    }

    @Test
    void aReadOnlyDiskRefusesWritesDiscardsAndZeroes() throws Exception {
        var image = new RamDisk(64 * 512, true);
        var ro = new VirtioBlk(image, "ro");
        ro.activate(ALL);
        ro.handle(0, request(VirtioBlk.T_OUT, 0, List.of(at(DATA, 512)), List.of()), dma);
        assertThat(status()).isEqualTo(S_IOERR);
        ro.handle(0, request(VirtioBlk.T_DISCARD, 0, ranges(0, 1, 0), List.of()), dma);
        assertThat(status()).isEqualTo(S_IOERR);
        ro.handle(0, request(VirtioBlk.T_WRITE_ZEROES, 0, ranges(0, 1, 0), List.of()), dma);
        assertThat(status()).isEqualTo(S_IOERR);
        ro.handle(0, request(VirtioBlk.T_IN, 0, List.of(), List.of(at(DATA, 512))), dma);
        assertThat(status()).isEqualTo(S_OK);
        assertThat(image.log()).containsExactly("read 0+512"); // the device never even tried to write
    }

    @Test
    void aFailingImageIsAnIoError() throws Exception {
        disk.failing = true;
        blk.handle(0, request(VirtioBlk.T_IN, 0, List.of(), List.of(at(DATA, 512))), dma);
        assertThat(status()).isEqualTo(S_IOERR);
        blk.handle(0, request(VirtioBlk.T_FLUSH, 0, List.of(), List.of()), dma);
        assertThat(status()).isEqualTo(S_IOERR);
    }

    @Test
    void aRequestWithoutHeaderOrStatusIsADriverError() {
        memory.writeInt(HEADER, VirtioBlk.T_IN);
        assertThatThrownBy(() -> blk.handle(0, new DescriptorChain(0, List.of(at(HEADER, 16)), List.of()), dma))
                .isInstanceOf(VirtqueueException.class).hasMessageContaining("status");
        assertThatThrownBy(() -> blk.handle(0, new DescriptorChain(0, List.of(at(HEADER, 15)), List.of(at(STATUS, 1))), dma))
                .isInstanceOf(VirtqueueException.class).hasMessageContaining("header of 15 bytes");
        assertThatThrownBy(() -> blk.handle(0, new DescriptorChain(0, List.of(), List.of(at(STATUS, 17))), dma))
                .isInstanceOf(VirtqueueException.class);
    }

    @Test
    void theHeaderMaySpanDescriptors() throws Exception {
        memory.writeInt(HEADER, VirtioBlk.T_IN);
        memory.writeLong(HEADER + 8, 5);
        memory.writeLong(HEADER + 0x100, memory.readLong(HEADER + 8));
        var chain = new DescriptorChain(0, List.of(at(HEADER, 8), at(HEADER + 0x100, 8)), List.of(at(DATA, 512), at(STATUS, 1)));
        blk.handle(0, chain, dma);
        assertThat(status()).isEqualTo(S_OK);
        assertThat(memory.readByte(DATA)).isEqualTo(disk.bytes[5 * 512]);
    }
}
