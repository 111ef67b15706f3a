package dev.corral.engine.devices.virtio;

import static dev.corral.engine.devices.virtio.VirtioDriver.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.PciBus;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.RecordingInterruptController;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * virtio-net driven through the PCI transport as a driver drives it, over an in-memory backend: frames the driver
 * sends reach the backend without their header, frames from the backend land in the driver's receive buffers after
 * one, wait for buffers when there are none, and a buffer too small drops only its frame. A driver that breaks the
 * rules breaks the device, never the VM.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a guard against a device that hangs, not a speed assertion
class VirtioNetTest {

    private static final int SLOT = 3;
    private static final int SIZE = 8;
    private static final byte[] MAC = {0x02, (byte) 0xc0, (byte) 0xff, (byte) 0xee, 0x00, 0x01};
    private static final long FEATURES = VirtioPciDevice.F_VERSION_1 | VirtioNet.F_MAC | VirtioNet.F_STATUS;
    private static final long RX_BUFFERS = 0x200000, TX_BUFFERS = 0x300000;

    private final GuestMemory memory = GuestMemory.allocate(4 << 20);
    private final MmioBus mmio = new MmioBus();
    private final QueueBackend backend = new QueueBackend();
    private final VirtioNet net = new VirtioNet(backend, MAC, "test-vm-virtio-net-00:03.0");
    private final VirtioPciDevice device;
    private final VirtioDriver driver;
    private final Ring rx = new Ring(memory, 0x100000, SIZE);
    private final Ring tx = new Ring(memory, 0x110000, SIZE);

    /** A driver's side of one split queue: table at base, available ring at base + 0x1000, used ring at base + 0x2000. */
    static final class Ring {
        final GuestMemory memory;
        final long table, avail, used;
        final int size;
        int availIndex;

        Ring(GuestMemory memory, long base, int size) {
            this.memory = memory;
            this.table = base;
            this.avail = base + 0x1000;
            this.used = base + 0x2000;
            this.size = size;
        }

        void descriptor(int index, long address, long length, int flags, int next) {
            long d = table + 16L * index;
            memory.writeLong(d, address);
            memory.writeInt(d + 8, (int) length);
            memory.writeShort(d + 12, (short) flags);
            memory.writeShort(d + 14, (short) next);
        }

        void offer(int head) {
            memory.writeShort(avail + 4 + 2L * (availIndex % size), (short) head);
            availIndex = (availIndex + 1) & 0xffff;
            memory.writeShort(avail + 2, (short) availIndex);
        }

        int usedIndex() {
            return memory.readShort(used + 2) & 0xffff;
        }

        long[] used(int i) {
            long e = used + 4 + 8L * (i % size);
            return new long[] {memory.readInt(e) & 0xffffffffL, memory.readInt(e + 4) & 0xffffffffL};
        }

        int availEvent() {
            return memory.readShort(used + 4 + 8L * size) & 0xffff;
        }
    }

    VirtioNetTest() {
        var bus = new PciBus(PciBus.Layout.PC, new RecordingInterruptController());
        mmio.register(VirtioDriver.ECAM, PciBus.ECAM_BUS_SIZE, "pci-ecam", bus.ecam());
        mmio.register(PciBus.Layout.PC.windowBase(), PciBus.Layout.PC.windowSize(), "pci-window", bus.window());
        device = new VirtioPciDevice(net, "test-vm-virtio-net-00:03.0", memory, Dma.WriteObserver.NONE, null);
        bus.attach(SLOT, device);
        driver = new VirtioDriver(mmio, SLOT);
    }

    @AfterEach
    void close() {
        device.close();
        backend.close();
        memory.close();
    }

    private void start(long features) {
        assertThat(driver.negotiate(features)).isTrue();
        driver.queue(VirtioNet.RX, SIZE, rx.table, rx.avail, rx.used);
        driver.queue(VirtioNet.TX, SIZE, tx.table, tx.avail, tx.used);
        driver.driverOk();
    }

    /** Offers receive buffer {@code index} of {@code length} bytes at RX_BUFFERS + index * 64 KiB. */
    private void receiveBuffer(int index, int length) {
        rx.descriptor(index, RX_BUFFERS + 0x10000L * index, length, GuestRings.WRITE, 0);
        rx.offer(index);
    }

    private static byte[] frame(int length, int seed) {
        var f = new byte[length];
        for (int i = 0; i < length; i++) {
            f[i] = (byte) (i * 31 + seed);
        }
        return f;
    }

    private byte[] bytesAt(long address, int length) {
        var b = new byte[length];
        memory.read(address, b);
        return b;
    }

    private void awaitNeedsReset() {
        await(() -> (driver.status() & VirtioPciDevice.NEEDS_RESET) != 0);
    }

    @Test
    void theDeviceIsAModernNetworkControllerWithItsMacAndALinkThatIsUp() {
        assertThat(driver.config(0x00, 4)).isEqualTo(0x1041_1af4);
        assertThat(driver.config(0x08, 4) >>> 8).isEqualTo(0x020000);
        assertThat(driver.common(VirtioPciDevice.NUM_QUEUES, 2)).isEqualTo(2);
        assertThat(driver.deviceFeatures()).isEqualTo(FEATURES | Virtqueue.F_INDIRECT_DESC | Virtqueue.F_EVENT_IDX);
        var mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            mac[i] = (byte) driver.deviceConfig(i, 1);
        }
        assertThat(mac).isEqualTo(MAC);
        assertThat(driver.deviceConfig(6, 2)).isEqualTo(1); // VIRTIO_NET_S_LINK_UP
    }

    @Test
    void aFrameTheDriverSendsReachesTheBackendWithoutItsHeader() throws Exception {
        start(FEATURES);
        var f = frame(1000, 7);
        memory.write(TX_BUFFERS, new byte[12]);
        memory.write(TX_BUFFERS + 0x1000, Arrays.copyOfRange(f, 0, 300));
        memory.write(TX_BUFFERS + 0x2000, Arrays.copyOfRange(f, 300, 1000));
        tx.descriptor(0, TX_BUFFERS, 12, GuestRings.NEXT, 1);
        tx.descriptor(1, TX_BUFFERS + 0x1000, 300, GuestRings.NEXT, 2);
        tx.descriptor(2, TX_BUFFERS + 0x2000, 700, 0, 0);
        tx.offer(0);
        driver.notify(VirtioNet.TX);
        await(() -> tx.usedIndex() == 1);
        assertThat(backend.sent.poll()).isEqualTo(f);
        assertThat(tx.used(0)).containsExactly(0, 0);
        assertThat(net.txFrames()).isEqualTo(1);
        // The used transmit buffer interrupts (INTx without MSI-X), just after the worker publishes it: wait for it.
        await(() -> (driver.isr() & 1) == 1);
    }

    @Test
    void aFrameFromTheBackendLandsInTheNextReceiveBufferAfterItsHeader() {
        start(FEATURES);
        receiveBuffer(0, 1526);
        receiveBuffer(1, 1526);
        driver.notify(VirtioNet.RX);
        var f = frame(1514, 3);
        backend.toGuest.add(f);
        await(() -> rx.usedIndex() == 1);
        assertThat(rx.used(0)).containsExactly(0, 12 + 1514);
        var header = bytesAt(RX_BUFFERS, 12);
        assertThat(header).isEqualTo(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}); // num_buffers = 1
        assertThat(bytesAt(RX_BUFFERS + 12, 1514)).isEqualTo(f);
        await(() -> (driver.isr() & 1) == 1); // raised just after the used index
        var g = frame(60, 9);
        backend.toGuest.add(g);
        await(() -> rx.usedIndex() == 2);
        assertThat(rx.used(1)).containsExactly(1, 12 + 60);
        assertThat(bytesAt(RX_BUFFERS + 0x10000 + 12, 60)).isEqualTo(g);
        assertThat(net.rxFrames()).isEqualTo(2);
        assertThat(net.rxDropped()).isZero();
    }

    @Test
    void aFrameSpreadOverSeveralWritableBuffersIsWrittenAcrossThem() {
        start(FEATURES);
        rx.descriptor(0, RX_BUFFERS, 10, GuestRings.WRITE | GuestRings.NEXT, 1); // the header does not fit the first one
        rx.descriptor(1, RX_BUFFERS + 0x1000, 100, GuestRings.WRITE, 0);
        rx.offer(0);
        var f = frame(98, 1);
        backend.toGuest.add(f);
        await(() -> rx.usedIndex() == 1);
        assertThat(rx.used(0)).containsExactly(0, 110);
        var all = new byte[110];
        System.arraycopy(bytesAt(RX_BUFFERS, 10), 0, all, 0, 10);
        System.arraycopy(bytesAt(RX_BUFFERS + 0x1000, 100), 0, all, 10, 100);
        assertThat(all[10]).isEqualTo((byte) 1);
        assertThat(Arrays.copyOfRange(all, 12, 110)).isEqualTo(f);
    }

    @Test
    void framesWaitForTheDriversBuffersAndArriveInOrderOnceItOffersThem() throws Exception {
        start(FEATURES | Virtqueue.F_EVENT_IDX);
        receiveBuffer(0, 2048);
        backend.toGuest.add(frame(99, 9));
        await(() -> rx.usedIndex() == 1);
        assertThat(rx.availEvent()).isZero(); // the device had nothing more to give: it asked for no notification
        for (int i = 1; i <= 3; i++) {
            backend.toGuest.add(frame(100 + i, i));
        }
        // With frames waiting and no buffers the device asks to be notified of the next buffer (avail_event = 1), and
        // keeps the frames.
        await(() -> net.pendingFrames() == 3 && rx.availEvent() == 1);
        Thread.sleep(100);
        assertThat(rx.usedIndex()).isEqualTo(1);
        assertThat(net.rxDropped()).isZero();
        for (int i = 1; i <= 3; i++) {
            receiveBuffer(i, 2048);
        }
        driver.notify(VirtioNet.RX);
        await(() -> rx.usedIndex() == 4);
        for (int i = 1; i <= 3; i++) {
            assertThat(rx.used(i)).containsExactly(i, 12 + 100 + i);
            assertThat(bytesAt(RX_BUFFERS + 0x10000L * i + 12, 100 + i)).isEqualTo(frame(100 + i, i));
        }
        assertThat(net.rxDropped()).isZero();
    }

    @Test
    void aBufferTooSmallForItsFrameDropsThatFrameOnlyAndCountsIt() {
        start(FEATURES);
        receiveBuffer(0, 12 + 99);
        receiveBuffer(1, 2048);
        backend.toGuest.add(frame(100, 1));
        backend.toGuest.add(frame(50, 2));
        await(() -> rx.usedIndex() == 2);
        assertThat(rx.used(0)).containsExactly(0, 0);
        assertThat(rx.used(1)).containsExactly(1, 12 + 50);
        assertThat(bytesAt(RX_BUFFERS + 0x10000 + 12, 50)).isEqualTo(frame(50, 2));
        assertThat(net.rxDropped()).isEqualTo(1);
        assertThat(driver.status() & VirtioPciDevice.NEEDS_RESET).isZero();
    }

    @Test
    void aBackendFasterThanTheDriverIsReadOnlyAsFastAsTheDeviceHasRoom() throws Exception {
        start(FEATURES);
        for (int i = 0; i < 500; i++) {
            backend.toGuest.add(frame(64, i));
        }
        // The device takes what its pending queue holds, and leaves the rest in the host's queue: nothing is lost.
        await(() -> backend.toGuest.size() <= 500 - VirtioNet.PENDING);
        Thread.sleep(300);
        assertThat(backend.toGuest.size()).isBetween(500 - VirtioNet.PENDING - 1, 500 - VirtioNet.PENDING);
        assertThat(net.rxDropped()).isZero();
        int delivered = 0;
        while (delivered < 500) {
            for (int i = 0; i < SIZE; i++) {
                receiveBuffer(i, 128);
            }
            driver.notify(VirtioNet.RX);
            int target = delivered + SIZE;
            await(() -> rx.usedIndex() == target);
            for (int i = 0; i < SIZE && delivered < 500; i++, delivered++) {
                assertThat(bytesAt(RX_BUFFERS + 0x10000L * i + 12, 64)).as("frame " + delivered).isEqualTo(frame(64, delivered));
            }
            if (delivered > 500 - SIZE) {
                break;
            }
        }
        assertThat(net.rxFrames()).isGreaterThanOrEqualTo(496);
    }

    @Test
    void runtsGsoFramesAndFramesTheBackendRefusesAreDroppedAndCounted() throws Exception {
        start(FEATURES);
        memory.write(TX_BUFFERS, new byte[12 + 13]); // 13 bytes: no Ethernet header
        tx.descriptor(0, TX_BUFFERS, 12 + 13, 0, 0);
        var gso = new byte[12 + 60];
        gso[1] = 1; // VIRTIO_NET_HDR_GSO_TCPV4, never negotiated
        memory.write(TX_BUFFERS + 0x1000, gso);
        tx.descriptor(1, TX_BUFFERS + 0x1000, gso.length, 0, 0);
        memory.write(TX_BUFFERS + 0x2000, new byte[12 + 60]);
        tx.descriptor(2, TX_BUFFERS + 0x2000, 12 + 60, 0, 0);
        tx.offer(0);
        tx.offer(1);
        backend.refuse = true;
        tx.offer(2);
        driver.notify(VirtioNet.TX);
        await(() -> tx.usedIndex() == 3);
        assertThat(net.txDropped()).isEqualTo(3);
        assertThat(backend.sent).isEmpty();
        backend.refuse = false;
        tx.offer(2);
        driver.notify(VirtioNet.TX);
        await(() -> tx.usedIndex() == 4);
        assertThat(backend.sent.poll()).hasSize(60);
        assertThat(driver.status() & VirtioPciDevice.NEEDS_RESET).isZero();
    }

    @Test
    void aTransmitChainWithAWritableBufferBreaksTheDeviceNotTheVm() {
        start(FEATURES);
        tx.descriptor(0, TX_BUFFERS, 12 + 60, GuestRings.NEXT, 1);
        tx.descriptor(1, TX_BUFFERS + 0x1000, 16, GuestRings.WRITE, 0);
        tx.offer(0);
        driver.notify(VirtioNet.TX);
        awaitNeedsReset();
        assertThat(device.failure()).contains("device-writable");
        assertThat(backend.sent).isEmpty();
    }

    @Test
    void aTransmitChainShorterThanTheHeaderBreaksTheDevice() {
        start(FEATURES);
        tx.descriptor(0, TX_BUFFERS, 11, 0, 0);
        tx.offer(0);
        driver.notify(VirtioNet.TX);
        awaitNeedsReset();
        assertThat(device.failure()).contains("no whole virtio-net header");
    }

    @Test
    void aTransmitChainLargerThanTheLargestFrameBreaksTheDevice() {
        start(FEATURES);
        tx.descriptor(0, TX_BUFFERS, 12 + VirtioNet.MAX_FRAME + 1, 0, 0);
        tx.offer(0);
        driver.notify(VirtioNet.TX);
        awaitNeedsReset();
        assertThat(device.failure()).contains("holds more than");
        assertThat(backend.sent).isEmpty();
    }

    @Test
    void aReceiveBufferTheDeviceCouldOnlyReadBreaksTheDevice() {
        start(FEATURES);
        rx.descriptor(0, RX_BUFFERS, 2048, 0, 0);
        rx.offer(0);
        backend.toGuest.add(frame(60, 0));
        awaitNeedsReset();
        assertThat(device.failure()).contains("device-readable");
    }

    @Test
    void aResetDropsTheFramesWaitingAndTheDeviceWorksAgainAfterIt() {
        start(FEATURES);
        backend.toGuest.add(frame(60, 1));
        backend.toGuest.add(frame(60, 2));
        await(() -> net.pendingFrames() == 2); // queued, not delivered: no buffers
        driver.status(0);
        await(() -> driver.status() == 0);
        assertThat(net.rxDropped()).isEqualTo(2);
        rx.availIndex = 0;
        memory.writeShort(rx.used + 2, (short) 0);
        start(FEATURES);
        receiveBuffer(0, 2048);
        backend.toGuest.add(frame(70, 3));
        await(() -> rx.usedIndex() == 1);
        assertThat(rx.used(0)).containsExactly(0, 12 + 70);
        assertThat(bytesAt(RX_BUFFERS + 12, 70)).isEqualTo(frame(70, 3));
    }

    @Test
    void closingTheDeviceEndsItsReceivingThreadWithoutClosingTheBackend() {
        start(FEATURES);
        await(() -> receiverAlive());
        device.close();
        assertThat(receiverAlive()).isFalse();
        backend.toGuest.add(frame(60, 0));
        assertThat(backend.toGuest).hasSize(1); // nobody reads it any more; the backend is the caller's to close
    }

    private static boolean receiverAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("test-vm-virtio-net-00:03.0-rx") && t.isAlive());
    }
}
