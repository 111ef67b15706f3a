package dev.corral.engine.devices.virtio;

import static dev.corral.engine.devices.virtio.GuestRings.AVAIL;
import static dev.corral.engine.devices.virtio.GuestRings.BUFFERS;
import static dev.corral.engine.devices.virtio.GuestRings.NEXT;
import static dev.corral.engine.devices.virtio.GuestRings.TABLE;
import static dev.corral.engine.devices.virtio.GuestRings.USED;
import static dev.corral.engine.devices.virtio.GuestRings.WRITE;
import static dev.corral.engine.devices.virtio.VirtioDriver.await;
import static dev.corral.engine.devices.virtio.VirtioPciDevice.ACKNOWLEDGE;
import static dev.corral.engine.devices.virtio.VirtioPciDevice.DRIVER;
import static dev.corral.engine.devices.virtio.VirtioPciDevice.DRIVER_OK;
import static dev.corral.engine.devices.virtio.VirtioPciDevice.FEATURES_OK;
import static dev.corral.engine.devices.virtio.VirtioPciDevice.F_VERSION_1;
import static dev.corral.engine.devices.virtio.VirtioPciDevice.NEEDS_RESET;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.MsiSink;
import dev.corral.engine.devices.pci.PciBus;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.RecordingInterruptController;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The virtio-pci transport driven as a Linux driver drives it, and as a broken one would. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a guard against a device that hangs (a loop check gone wrong), not a speed assertion
class VirtioPciDeviceTest {

    private static final int SLOT = 2;
    private static final int IRQ = 5; // slot 2, INTA#: link C

    private final GuestMemory memory = GuestMemory.allocate(4 << 20);
    private final RecordingInterruptController pic = new RecordingInterruptController();
    private final MmioBus mmio = new MmioBus();
    private final RamDisk disk = new RamDisk(1 << 20, false);
    private final List<String> messages = new ArrayList<>();
    private final GuestRings rings = new GuestRings(memory, 8);
    private VirtioPciDevice device;

    private final List<Long> dmaWrites = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Runnable onAvailEvent = () -> { };

    private VirtioDriver attach(MsiSink msi) {
        var bus = new PciBus(PciBus.Layout.PC, pic);
        mmio.register(VirtioDriver.ECAM, PciBus.ECAM_BUS_SIZE, "pci-ecam", bus.ecam());
        mmio.register(PciBus.Layout.PC.windowBase(), PciBus.Layout.PC.windowSize(), "pci-window", bus.window());
        device = new VirtioPciDevice(new VirtioBlk(disk, "disk0"), "test-vm virtio-blk 00:02.0", memory,
                (address, length) -> {
                    dmaWrites.add(address);
                    if (address == USED + 4 + 8 * 8) {
                        onAvailEvent.run();
                    }
                }, msi);
        bus.attach(SLOT, device);
        for (int i = 0; i < disk.bytes.length; i++) {
            disk.bytes[i] = (byte) (i >>> 9);
        }
        return new VirtioDriver(mmio, SLOT);
    }

    @AfterEach
    void close() {
        if (device != null) {
            device.close();
        }
        memory.close();
    }

    /** A read of sector {@code sector} into BUFFERS + 0x1000, as descriptors 0-2. */
    private void readRequest(int first, long sector) {
        long header = BUFFERS + 0x100L * first;
        memory.writeInt(header, VirtioBlk.T_IN);
        memory.writeLong(header + 8, sector);
        rings.descriptor(first, header, 16, NEXT, first + 1);
        rings.descriptor(first + 1, BUFFERS + 0x1000 + 512L * first, 512, NEXT | WRITE, first + 2);
        rings.descriptor(first + 2, header + 0x80, 1, WRITE, 0);
        rings.offer(first);
    }

    private VirtioDriver running(MsiSink msi, long features) {
        var driver = attach(msi);
        assertThat(driver.negotiate(features)).isTrue();
        driver.queue(0, 8, TABLE, AVAIL, USED);
        driver.driverOk();
        return driver;
    }

    @Test
    void theDeviceIsModernVirtioWithItsRegionsBehindVendorCapabilities() {
        var driver = attach(null);
        assertThat(driver.config(0x00, 4)).isEqualTo(0x1042_1af4);
        assertThat(driver.config(0x08, 1)).isEqualTo(1); // revision 1: not transitional
        assertThat(driver.config(0x2c, 4)).isEqualTo(0x1100_1af4);
        assertThat(driver.config(0x10, 4) & 0xf).isEqualTo(0b0100); // 64-bit memory BAR
        assertThat(driver.capabilities.keySet()).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
        assertThat(driver.regions.get(1)).isEqualTo(0xc000_0000L);
        assertThat(driver.regions.get(2)).isEqualTo(0xc000_3000L);
        assertThat(driver.notifyMultiplier).isEqualTo(4);
        assertThat(driver.config(driver.capabilities.get(1) + 12, 4)).isEqualTo(0x38); // common cfg length
        assertThat(driver.common(VirtioPciDevice.NUM_QUEUES, 2)).isEqualTo(1);
        assertThat(driver.deviceConfig(0, 8)).isEqualTo(2048); // capacity in sectors
        assertThat(driver.deviceConfig(0x0c, 4)).isEqualTo(VirtioBlk.SEG_MAX);
        assertThat(driver.config(0x3c, 1)).isEqualTo(IRQ);
    }

    @Test
    void featuresOkDoesNotStickWithoutVersion1OrWithABitNotOffered() {
        var driver = attach(null);
        long offered = driver.deviceFeatures();
        assertThat(offered).isEqualTo(F_VERSION_1 | Virtqueue.F_INDIRECT_DESC | Virtqueue.F_EVENT_IDX | new VirtioBlk(disk, "").features());
        assertThat(driver.negotiate(offered & ~F_VERSION_1)).isFalse();
        assertThat(driver.status()).isEqualTo(ACKNOWLEDGE | DRIVER);
        assertThat(driver.negotiate(F_VERSION_1 | 1L << 40)).isFalse();
        assertThat(driver.negotiate(F_VERSION_1 | VirtioBlk.F_RO)).isFalse(); // RO is not offered for a writable disk
        assertThat(driver.negotiate(F_VERSION_1 | VirtioBlk.F_FLUSH)).isTrue();
        // Once FEATURES_OK is set, the driver's features are frozen.
        driver.common(VirtioPciDevice.DRIVER_FEATURE_SELECT, 4, 0);
        driver.common(VirtioPciDevice.DRIVER_FEATURE, 4, 0);
        assertThat(driver.common(VirtioPciDevice.DRIVER_FEATURE, 4)).isEqualTo(VirtioBlk.F_FLUSH);
        // The driver cannot clear a status bit but by a reset, nor set DEVICE_NEEDS_RESET.
        driver.status(ACKNOWLEDGE | NEEDS_RESET);
        assertThat(driver.status()).isEqualTo(ACKNOWLEDGE | DRIVER | FEATURES_OK);
    }

    @Test
    void driverOkWithoutFeaturesOkNeedsAReset() {
        var driver = attach(null);
        driver.status(ACKNOWLEDGE | DRIVER);
        driver.driverOk();
        assertThat(driver.status() & NEEDS_RESET).isEqualTo(NEEDS_RESET);
        assertThat(device.failure()).contains("FEATURES_OK");
    }

    @Test
    void aReadRequestIsServedOffTheVcpuThreadAndInterruptsThroughIntx() {
        var driver = running(null, F_VERSION_1 | Virtqueue.F_INDIRECT_DESC);
        readRequest(0, 7);
        driver.notify(0);
        await(() -> rings.usedIndex() == 1);
        await(() -> pic.isHigh(IRQ));
        assertThat(rings.used(0)).containsExactly(0, 513);
        assertThat(memory.readByte(BUFFERS + 0x80)).isZero(); // status OK
        assertThat(memory.readByte(BUFFERS + 0x1000 + 100)).isEqualTo((byte) 7);
        assertThat(driver.config(0x06, 2) & 0x08).isEqualTo(0x08); // PCI status: interrupt pending
        assertThat(driver.isr()).isEqualTo(1);
        assertThat(pic.isHigh(IRQ)).isFalse(); // reading the ISR deasserts
        assertThat(driver.isr()).isZero();
        assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName)).contains("test-vm virtio-blk 00:02.0");
    }

    @Test
    void theDataIsWrittenFirstThenTheStatusThenTheUsedElementThenTheUsedIndex() {
        var driver = running(null, F_VERSION_1 | Virtqueue.F_EVENT_IDX);
        await(() -> !dmaWrites.isEmpty()); // the worker's first look at the empty queue publishes avail_event
        assertThat(dmaWrites).containsExactly(USED + 4 + 8 * 8);
        dmaWrites.clear();
        readRequest(0, 2);
        driver.notify(0);
        await(() -> rings.usedIndex() == 1 && dmaWrites.size() == 6);
        // The order the device wrote guest memory in: what a driver polling the used index may rely on.
        assertThat(dmaWrites).containsExactly(BUFFERS + 0x1000, BUFFERS + 0x80, USED + 4, USED + 8, USED + 2, USED + 4 + 8 * 8);
    }

    @Test
    void aBufferMadeAvailableWhileTheDevicePublishesAvailEventIsNotMissed() {
        var driver = running(null, F_VERSION_1 | Virtqueue.F_EVENT_IDX);
        await(() -> !dmaWrites.isEmpty());
        // The race EVENT_IDX has: the driver adds a buffer just before the device's new avail_event lands, reads the
        // old one, and so does not notify. The device must look again after publishing, or the buffer waits forever.
        onAvailEvent = () -> {
            onAvailEvent = () -> { };
            readRequest(3, 4);
        };
        readRequest(0, 1);
        driver.notify(0);
        await(() -> rings.usedIndex() == 2);
        assertThat(rings.used(1)[0]).isEqualTo(3);
    }

    @Test
    void queueRegistersAreFrozenOnceEnabledAndAbsentQueuesReadZero() {
        var driver = attach(null);
        driver.negotiate(F_VERSION_1);
        driver.queue(0, 8, TABLE, AVAIL, USED);
        driver.common(VirtioPciDevice.QUEUE_SIZE, 2, 4);
        driver.common(VirtioPciDevice.QUEUE_DESC, 4, 0x5000);
        assertThat(driver.common(VirtioPciDevice.QUEUE_SIZE, 2)).isEqualTo(8);
        assertThat(driver.common(VirtioPciDevice.QUEUE_DESC, 8)).isEqualTo(TABLE);
        assertThat(driver.common(VirtioPciDevice.QUEUE_DRIVER, 8)).isEqualTo(AVAIL);
        driver.common(VirtioPciDevice.QUEUE_SELECT, 2, 1);
        assertThat(driver.common(VirtioPciDevice.QUEUE_SIZE, 2)).isZero();
        assertThat(driver.common(VirtioPciDevice.QUEUE_ENABLE, 2)).isZero();
        driver.common(VirtioPciDevice.QUEUE_SELECT, 2, 0);
        assertThat(driver.common(VirtioPciDevice.QUEUE_ENABLE, 2)).isEqualTo(1);
        assertThat(driver.common(VirtioPciDevice.QUEUE_MSIX_VECTOR, 2)).isEqualTo(0xffff); // no MSI-X here
        driver.common(VirtioPciDevice.QUEUE_MSIX_VECTOR, 2, 0);
        assertThat(driver.common(VirtioPciDevice.QUEUE_MSIX_VECTOR, 2)).isEqualTo(0xffff);
    }

    @Test
    void aBrokenChainMakesTheDeviceNeedAResetAndAResetBringsItBack() {
        var driver = running(null, F_VERSION_1);
        rings.descriptor(0, BUFFERS, 16, NEXT, 1);
        rings.descriptor(1, BUFFERS, 16, NEXT, 0); // a loop
        rings.offer(0);
        driver.notify(0);
        await(() -> (driver.status() & NEEDS_RESET) != 0);
        assertThat(device.failure()).contains("loops");
        await(() -> pic.isHigh(IRQ));
        assertThat(driver.isr()).isEqualTo(2); // a configuration change interrupt
        readRequest(2, 0);
        driver.notify(0); // nothing is served any more
        assertThat(rings.usedIndex()).isZero();

        driver.status(0);
        await(() -> driver.status() == 0);
        assertThat(driver.common(VirtioPciDevice.QUEUE_ENABLE, 2)).isZero();
        assertThat(driver.common(VirtioPciDevice.QUEUE_DESC, 8)).isZero();
        // The driver starts over with fresh rings; the device serves again.
        memory.slice(TABLE, 0x30000).fill((byte) 0);
        var fresh = new GuestRings(memory, 8);
        assertThat(driver.negotiate(F_VERSION_1)).isTrue();
        driver.queue(0, 8, TABLE, AVAIL, USED);
        driver.driverOk();
        long header = BUFFERS;
        memory.writeInt(header, VirtioBlk.T_IN);
        memory.writeLong(header + 8, 3);
        fresh.descriptor(0, header, 16, NEXT, 1);
        fresh.descriptor(1, BUFFERS + 0x1000, 513, WRITE, 0);
        fresh.offer(0);
        driver.notify(0);
        await(() -> fresh.usedIndex() == 1);
        assertThat(memory.readByte(BUFFERS + 0x1000)).isEqualTo((byte) 3);
    }

    @Test
    void aDeviceWithBusMasteringOffCannotDmaAndSaysWhy() {
        var driver = running(null, F_VERSION_1);
        driver.config(0x04, 2, 0x0002);
        readRequest(0, 0);
        driver.notify(0);
        await(() -> (driver.status() & NEEDS_RESET) != 0);
        assertThat(device.failure()).contains("bus mastering");
    }

    @Test
    void aRingOutsideRamNeedsAResetAndSetsMasterAbort() {
        var driver = attach(null);
        driver.negotiate(F_VERSION_1);
        driver.queue(0, 8, TABLE, AVAIL, 0x7fff_f000L);
        driver.driverOk();
        await(() -> (driver.status() & NEEDS_RESET) != 0);
        assertThat(device.failure()).contains("not RAM");
        assertThat(driver.config(0x06, 2) & 0x2000).isEqualTo(0x2000); // Received Master Abort
    }

    @Test
    void aBadQueueSizeNeedsAResetWhenTheQueueIsOpened() {
        var driver = attach(null);
        driver.negotiate(F_VERSION_1);
        driver.queue(0, 6, TABLE, AVAIL, USED);
        driver.driverOk();
        await(() -> (driver.status() & NEEDS_RESET) != 0);
        assertThat(device.failure()).contains("power of two");
    }

    @Test
    void withMsixQueueAndConfigurationInterruptsAreMessages() {
        var driver = attach((address, data) -> {
            synchronized (messages) {
                messages.add(Long.toHexString(address) + "=" + Integer.toHexString(data));
            }
        });
        assertThat(device.msix()).isNotNull();
        int cap = device.msix().capabilityOffset();
        assertThat(driver.config(cap + 2, 2)).isEqualTo(1); // two vectors: the queue and configuration changes
        long table = (driver.config(0x18, 4) & 0xfffffff0L);
        for (int v = 0; v < 2; v++) {
            mmio.write(table + 16L * v, 4, 0xfee0_0000L);
            mmio.write(table + 16L * v + 8, 4, 0x40 + v);
            mmio.write(table + 16L * v + 12, 4, 0);
        }
        driver.config(cap + 2, 2, 0x8000);
        assertThat(driver.negotiate(F_VERSION_1)).isTrue();
        driver.common(VirtioPciDevice.CONFIG_MSIX_VECTOR, 2, 1);
        driver.common(VirtioPciDevice.QUEUE_SELECT, 2, 0);
        driver.common(VirtioPciDevice.QUEUE_MSIX_VECTOR, 2, 7); // beyond the table: refused
        assertThat(driver.common(VirtioPciDevice.QUEUE_MSIX_VECTOR, 2)).isEqualTo(0xffff);
        driver.common(VirtioPciDevice.QUEUE_MSIX_VECTOR, 2, 0);
        driver.queue(0, 8, TABLE, AVAIL, USED);
        driver.driverOk();
        readRequest(0, 1);
        driver.notify(0);
        await(() -> {
            synchronized (messages) {
                return messages.size() == 1;
            }
        });
        assertThat(messages).containsExactly("fee00000=40");
        assertThat(pic.changes()).isEmpty(); // no INTx with MSI-X enabled
        rings.offer(16); // a head outside the table: the configuration vector says so
        driver.notify(0);
        await(() -> {
            synchronized (messages) {
                return messages.size() == 2;
            }
        });
        assertThat(messages).containsExactly("fee00000=40", "fee00000=41");
    }

    @Test
    void thePciConfigurationAccessCapabilityReachesTheSameRegisters() {
        var driver = attach(null);
        int cap = driver.capabilities.get(VirtioPciDevice.CAP_PCI_CFG);
        driver.config(cap + 4, 1, 0); // BAR 0
        driver.config(cap + 8, 4, VirtioPciDevice.NUM_QUEUES);
        driver.config(cap + 12, 4, 2);
        assertThat(driver.config(cap + 16, 4) & 0xffff).isEqualTo(1);
        driver.config(cap + 8, 4, VirtioPciDevice.DEVICE_STATUS);
        driver.config(cap + 12, 4, 1);
        driver.config(cap + 16, 4, ACKNOWLEDGE);
        assertThat(driver.status()).isEqualTo(ACKNOWLEDGE);
        driver.config(cap + 8, 4, 0x3001); // misaligned for its width: ignored
        driver.config(cap + 12, 4, 2);
        assertThat(driver.config(cap + 16, 4)).isEqualTo(ACKNOWLEDGE);
    }

    @Test
    void closingStopsTheWorkerThread() {
        var driver = running(null, F_VERSION_1);
        readRequest(0, 1);
        driver.notify(0);
        await(() -> rings.usedIndex() == 1);
        device.close();
        assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName)).doesNotContain("test-vm virtio-blk 00:02.0");
        driver.status(0);
        assertThat(driver.status()).isZero(); // no worker: the reset is immediate
        driver.negotiate(F_VERSION_1);
        driver.queue(0, 8, TABLE, AVAIL, USED);
        driver.driverOk(); // a closed device starts no new worker
        assertThat(Thread.getAllStackTraces().keySet().stream().map(Thread::getName)).doesNotContain("test-vm virtio-blk 00:02.0");
    }
}
