package dev.corral.engine.devices.virtio;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.Random;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.HostBridge;
import dev.corral.engine.devices.pci.PciBus;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.machine.RecordingInterruptController;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random guest accesses of every width to everything PCI puts on the buses, with virtio devices behind it: the
 * configuration ports, ECAM, and the BARs (common configuration, notify, ISR, device configuration, MSI-X). No
 * access may make a device throw (the buses would count it as a fault), whatever state the writes drive the
 * devices into.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a hang guard, not a speed assertion
class PciRandomAccessTest {

    private static final int[] MMIO_SIZES = {1, 2, 4, 8};
    private static final int[] PORT_SIZES = {1, 2, 4};

    @Test
    void randomAccessesNeverMakeADeviceFault() {
        for (long seed = 1; seed <= 12; seed++) {
            var random = new Random(seed * 0x9e37_79b9_7f4a_7c15L);
            try (var memory = GuestMemory.allocate(4 << 20)) {
                var pci = new PciBus(PciBus.Layout.PC, new RecordingInterruptController());
                var ports = new PortIoBus();
                var mmio = new MmioBus();
                ports.register(PciBus.MECHANISM1_PORT, PciBus.MECHANISM1_LENGTH, "pci-config", pci.mechanism1());
                mmio.register(PciBus.Layout.PC.ecamBase(), PciBus.ECAM_BUS_SIZE, "pci-ecam", pci.ecam());
                mmio.register(PciBus.Layout.PC.windowBase(), PciBus.Layout.PC.windowSize(), "pci-window", pci.window());
                pci.attach(0, new HostBridge());
                try (var rng = new VirtioPciDevice(new VirtioRng(new SecureRandom()), "random-rng", memory, Dma.WriteObserver.NONE,
                        (a, d) -> { });
                        var blk = new VirtioPciDevice(new VirtioBlk(new RamDisk(1 << 20, seed % 2 == 0), "r"), "random-blk", memory,
                                Dma.WriteObserver.NONE, null)) {
                    pci.attach(1, rng);
                    pci.attach(2, blk);
                    for (int slot = 1; slot <= 2; slot++) { // decode and mastering on, so the BARs are reachable
                        ports.write(0xcf8, 4, 0x8000_0000 | slot << 11 | 0x04);
                        ports.write(0xcfc, 2, 0x0006);
                    }
                    long[] hot = {0xc000_0000L, 0xc000_1000L, 0xc000_2000L, 0xc000_3000L, 0xc000_4000L, 0xc000_5000L, 0xc000_6000L,
                            0xc000_7000L, 0xc000_8000L, 0xc000_8800L};
                    for (int i = 0; i < 30_000; i++) {
                        int kind = random.nextInt(10);
                        if (kind < 2) {
                            int size = PORT_SIZES[random.nextInt(3)];
                            int port = 0xcf8 + random.nextInt(8);
                            if (random.nextBoolean()) {
                                ports.read(port, size);
                            } else {
                                // Mostly well-formed CONFIG_ADDRESS values, for slots 0-3.
                                int value = port == 0xcf8 && size == 4 && random.nextInt(4) != 0
                                        ? 0x8000_0000 | random.nextInt(4) << 11 | random.nextInt(256)
                                        : random.nextInt();
                                ports.write(port, size, value);
                            }
                        } else {
                            int size = MMIO_SIZES[random.nextInt(4)];
                            long address = kind < 4
                                    ? PciBus.Layout.PC.ecamBase() + (random.nextInt(4) << 15) + random.nextInt(4096)
                                    : hot[random.nextInt(hot.length)] + random.nextInt(0x60);
                            if (random.nextBoolean()) {
                                mmio.read(address, size);
                            } else {
                                mmio.write(address, size, random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(16));
                            }
                        }
                    }
                    assertThat(mmio.counters().totalFaults()).as("MMIO faults with seed %d: %s", seed, mmio.counters().lastFault()).isZero();
                    assertThat(ports.counters().totalFaults()).as("port faults with seed %d: %s", seed, ports.counters().lastFault()).isZero();
                }
            }
        }
    }
}
