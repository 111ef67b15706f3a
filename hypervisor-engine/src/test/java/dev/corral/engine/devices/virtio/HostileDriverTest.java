package dev.corral.engine.devices.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;
import dev.corral.engine.devices.pci.PciBus;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.RecordingInterruptController;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded garbage where a driver keeps its rings: descriptor tables, available rings and indirect tables full of
 * random (but often nearly plausible) values. The device must answer each with a chain, a typed error, or a
 * status, never another exception, and its work per notification must stay bounded.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a guard against a device that hangs (a loop check gone wrong), not a speed assertion
class HostileDriverTest {

    private static final long MIB = 1 << 20;
    private static final long ALL = Virtqueue.F_INDIRECT_DESC | Virtqueue.F_EVENT_IDX;

    /** Random descriptors biased towards the interesting: small indexes, addresses in and just outside RAM. */
    static void scribble(GuestMemory memory, GuestRings rings, Random random) {
        long[] tables = {GuestRings.TABLE, GuestRings.BUFFERS + 0x1000, GuestRings.BUFFERS + 0x2000};
        for (long table : tables) {
            for (int i = 0; i < 64; i++) {
                long address = switch (random.nextInt(12)) {
                    case 0 -> random.nextLong();
                    case 1 -> MIB - random.nextInt(64);
                    case 2, 3 -> tables[random.nextInt(tables.length)];
                    default -> GuestRings.BUFFERS + 0x200L * random.nextInt(0x40);
                };
                long length = switch (random.nextInt(12)) {
                    case 0 -> random.nextInt() & 0xffffffffL;
                    case 1, 2 -> 16L * random.nextInt(8);
                    default -> random.nextInt(3) == 0 ? 1 : 512L * random.nextInt(3) + (random.nextBoolean() ? 16 : 0);
                };
                int flags = switch (random.nextInt(12)) {
                    case 0 -> random.nextInt(0x10000);
                    case 1 -> GuestRings.INDIRECT;
                    default -> random.nextInt(4);
                };
                int next = random.nextInt(12) == 0 ? random.nextInt(0x10000) : random.nextInt(rings.size + 1);
                rings.descriptor(table, i, address, length, flags, next);
            }
        }
        for (int i = 0; i < rings.size + 1; i++) {
            memory.writeShort(GuestRings.AVAIL + 4 + 2L * i, (short) (random.nextInt(8) == 0 ? random.nextInt(0x10000) : random.nextInt(rings.size)));
        }
        // Headers for the block device: mostly real types and sectors near the end of the disk.
        for (long at = GuestRings.BUFFERS; at < GuestRings.BUFFERS + 0x8000; at += 0x200) {
            memory.writeInt(at, random.nextInt(3) == 0 ? random.nextInt() : new int[] {0, 1, 4, 8, 11, 13}[random.nextInt(6)]);
            memory.writeLong(at + 8, random.nextInt(3) == 0 ? random.nextLong() : random.nextInt(2100));
        }
        memory.writeShort(GuestRings.AVAIL + 2, (short) (random.nextInt(8) == 0 ? random.nextInt(0x10000) : random.nextInt(rings.size + 1)));
    }

    @Test
    void garbageRingsGiveChainsOrTypedErrorsAndEveryPopIsBounded() throws Exception {
        int chains = 0;
        int errors = 0;
        for (long seed = 1; seed <= 400; seed++) {
            var random = new Random(seed * 0x9e37_79b9_7f4a_7c15L); // spread: Random's first draws from nearby seeds correlate
            try (var memory = GuestMemory.allocate(MIB)) {
                var dma = GuestRings.dma(memory);
                var rings = new GuestRings(memory, 1 << (1 + random.nextInt(5)));
                scribble(memory, rings, random);
                var disk = new RamDisk(2048 * 512, random.nextBoolean());
                var blk = new VirtioBlk(disk, "fuzz");
                blk.activate(-1L);
                long cap = 1 + random.nextInt(1 << 20);
                var q = rings.open(dma, random.nextBoolean() ? ALL : 0, cap);
                // However the driver lies, a queue yields at most its size in chains before it is empty or broken.
                for (int pops = 0; ; pops++) {
                    assertThat(pops).isLessThanOrEqualTo(rings.size);
                    DescriptorChain chain;
                    try {
                        chain = q.pop();
                    } catch (VirtqueueException | DmaException e) {
                        errors++;
                        break;
                    }
                    if (chain == null) {
                        break;
                    }
                    chains++;
                    assertThat(chain.readableBytes() + chain.writableBytes()).isLessThanOrEqualTo(cap);
                    assertThat(chain.readable().size() + chain.writable().size()).isLessThanOrEqualTo(rings.size + Virtqueue.MAX_INDIRECT);
                    for (var s : chain.readable()) {
                        memory.slice(s.address(), s.length()); // inside RAM, or this throws
                    }
                    try {
                        int written = blk.handle(0, chain, dma);
                        assertThat((long) written).isBetween(1L, chain.writableBytes());
                        assertThat(memory.readByte(chain.writableRange(chain.writableBytes() - 1, 1).getFirst().address()))
                                .isBetween((byte) 0, (byte) 2);
                        q.push(chain, written);
                    } catch (VirtqueueException | DmaException e) {
                        errors++;
                        break;
                    }
                }
            }
        }
        // The generator must reach both outcomes, or it tests nothing.
        assertThat(chains).isGreaterThan(100);
        assertThat(errors).isGreaterThan(100);
    }

    @Test
    void aDeviceFedGarbageEndsServingOrNeedingAResetAndNothingEscapesItsWorker() {
        int reset = 0;
        int served = 0;
        for (long seed = 1; seed <= 60; seed++) {
            var random = new Random(seed * 0x9e37_79b9_7f4a_7c15L); // spread: Random's first draws from nearby seeds correlate
            try (var memory = GuestMemory.allocate(MIB)) {
                var pic = new RecordingInterruptController();
                var bus = new PciBus(PciBus.Layout.PC, pic);
                var mmio = new MmioBus();
                mmio.register(VirtioDriver.ECAM, PciBus.ECAM_BUS_SIZE, "pci-ecam", bus.ecam());
                mmio.register(PciBus.Layout.PC.windowBase(), PciBus.Layout.PC.windowSize(), "pci-window", bus.window());
                VirtioDevice type = random.nextBoolean() ? new VirtioBlk(new RamDisk(2048 * 512, false), "fuzz")
                        : new VirtioRng(new java.security.SecureRandom());
                try (var device = new VirtioPciDevice(type, "hostile-" + seed, memory, Dma.WriteObserver.NONE, null)) {
                    bus.attach(3, device);
                    var driver = new VirtioDriver(mmio, 3);
                    var rings = new GuestRings(memory, 8);
                    scribble(memory, rings, random);
                    if (random.nextInt(4) != 0) {
                        rings.availIndex(1 + random.nextInt(2)); // few chains: some batches must be served whole
                    }
                    long features = VirtioPciDevice.F_VERSION_1 | (random.nextBoolean() ? ALL : 0);
                    assertThat(driver.negotiate(features)).isTrue();
                    driver.queue(0, 8, GuestRings.TABLE, GuestRings.AVAIL, GuestRings.USED);
                    driver.driverOk();
                    int avail = memory.readShort(GuestRings.AVAIL + 2) & 0xffff;
                    for (int kick = 0; kick < 3; kick++) {
                        driver.notify(0);
                    }
                    VirtioDriver.await(() -> (driver.status() & VirtioPciDevice.NEEDS_RESET) != 0 || rings.usedIndex() == avail);
                    if ((driver.status() & VirtioPciDevice.NEEDS_RESET) != 0) {
                        reset++;
                        // A typed refusal of the driver's rings, never a device bug.
                        assertThat(device.failure()).doesNotStartWith("the device failed");
                    } else if (avail > 0) {
                        served++;
                    }
                    assertThat(mmio.counters().totalFaults()).isZero();
                    driver.status(0);
                    VirtioDriver.await(() -> driver.status() == 0);
                }
            }
        }
        assertThat(reset).isGreaterThan(10);
        assertThat(served).isGreaterThan(5);
    }

    @Test
    void aNetDeviceFedGarbageOnBothQueuesWithFramesArrivingEndsServingOrNeedingAReset() {
        int reset = 0;
        int served = 0;
        long received = 0;
        long rxTable = GuestRings.BUFFERS + 0x1000, rxAvail = GuestRings.AVAIL + 0x800, rxUsed = GuestRings.USED + 0x800;
        for (long seed = 1; seed <= 150; seed++) {
            var random = new Random(seed * 0x9e37_79b9_7f4a_7c15L); // spread: Random's first draws from nearby seeds correlate
            try (var memory = GuestMemory.allocate(MIB)) {
                var bus = new PciBus(PciBus.Layout.PC, new RecordingInterruptController());
                var mmio = new MmioBus();
                mmio.register(VirtioDriver.ECAM, PciBus.ECAM_BUS_SIZE, "pci-ecam", bus.ecam());
                mmio.register(PciBus.Layout.PC.windowBase(), PciBus.Layout.PC.windowSize(), "pci-window", bus.window());
                var backend = new QueueBackend();
                String name = "hostile-net-" + seed;
                var net = new VirtioNet(backend, new byte[] {2, 0, 0, 0, 0, 1}, name);
                try (var device = new VirtioPciDevice(net, name, memory, Dma.WriteObserver.NONE, null)) {
                    bus.attach(3, device);
                    var driver = new VirtioDriver(mmio, 3);
                    var rings = new GuestRings(memory, 8);
                    scribble(memory, rings, random);
                    if (random.nextInt(4) != 0) {
                        rings.availIndex(1 + random.nextInt(2)); // few chains: some batches must be served whole
                    }
                    // The receive queue walks another of the garbage tables through rings of its own: a copy of the
                    // transmit queue's available ring, and another used ring. Half the time the driver gets the buffers'
                    // direction right (readable to send, writable to receive), so that some batches are served whole.
                    var avail = new byte[6 + 2 * 8];
                    memory.read(GuestRings.AVAIL, avail);
                    memory.write(rxAvail, avail);
                    if (random.nextBoolean()) {
                        for (int i = 0; i < 64; i++) {
                            long tx = GuestRings.TABLE + 16L * i + 12, rx = rxTable + 16L * i + 12;
                            memory.writeShort(tx, (short) (memory.readShort(tx) & ~GuestRings.WRITE));
                            memory.writeShort(rx, (short) (memory.readShort(rx) | GuestRings.WRITE));
                        }
                    }
                    long features = VirtioPciDevice.F_VERSION_1 | VirtioNet.F_MAC | (random.nextBoolean() ? ALL : 0);
                    assertThat(driver.negotiate(features)).isTrue();
                    driver.queue(VirtioNet.RX, 8, rxTable, rxAvail, rxUsed);
                    driver.queue(VirtioNet.TX, 8, GuestRings.TABLE, GuestRings.AVAIL, GuestRings.USED);
                    driver.driverOk();
                    int frames = random.nextInt(5);
                    for (int i = 0; i < frames; i++) {
                        var frame = new byte[14 + random.nextInt(1500)];
                        random.nextBytes(frame);
                        backend.toGuest.add(frame);
                    }
                    int txAvail = memory.readShort(GuestRings.AVAIL + 2) & 0xffff;
                    int rxWanted = Math.min(frames, txAvail);
                    for (int kick = 0; kick < 3; kick++) {
                        driver.notify(VirtioNet.TX);
                        driver.notify(VirtioNet.RX);
                    }
                    // Every frame takes one receive buffer (filled, or returned empty when too small for it).
                    VirtioDriver.await(() -> (driver.status() & VirtioPciDevice.NEEDS_RESET) != 0
                            || (rings.usedIndex() == txAvail && (memory.readShort(rxUsed + 2) & 0xffff) == rxWanted));
                    if ((driver.status() & VirtioPciDevice.NEEDS_RESET) != 0) {
                        reset++;
                        assertThat(device.failure()).doesNotStartWith("the device failed");
                    } else if (txAvail > 0) {
                        served++;
                        assertThat(net.rxFrames() + net.rxDropped()).isEqualTo(rxWanted);
                        received += net.rxFrames() + net.rxDropped();
                    }
                    assertThat(mmio.counters().totalFaults()).isZero();
                    driver.status(0);
                    VirtioDriver.await(() -> driver.status() == 0);
                    backend.close(); // the receiving thread ends now rather than at its next look at the device
                }
                assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals(name + "-rx") && t.isAlive());
            }
        }
        assertThat(reset).isGreaterThan(10);
        assertThat(served).isGreaterThan(5);
        assertThat(received).isGreaterThan(2); // frames met garbage receive buffers, not only transmit ones
    }
}
