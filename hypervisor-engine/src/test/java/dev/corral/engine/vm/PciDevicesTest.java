package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.MsiSink;
import dev.corral.engine.devices.pci.PciBus;
import dev.corral.engine.devices.virtio.RamDisk;
import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.devices.virtio.VirtioNet;
import dev.corral.engine.guests.TickerImage;
import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.machine.RecordingInterruptController;
import dev.corral.engine.memory.GuestMemory;
import dev.corral.engine.net.NetBackend;
import org.junit.jupiter.api.Test;

/** The PC's PCI layout as the machine builds it. */
class PciDevicesTest {

    private static VmConfig config(int disks) {
        var list = Collections.nCopies(disks, new VmConfig.Disk(new RamDisk(1 << 20, false), "d"));
        return new VmConfig("pci", 1, 64L << 20, TickerImage.bytes(), null, "", false, list);
    }

    private static int conf1(PortIoBus ports, int device, int register) {
        ports.write(0xcf8, 4, 0x8000_0000 | device << 11 | register);
        return ports.read(0xcfc, 4);
    }

    @Test
    void theBridgeRngAndDisksSitInTheirSlotsBehindTheStandardWindows() {
        var ports = new PortIoBus();
        var mmio = new MmioBus();
        try (var memory = GuestMemory.allocate(64L << 20);
                var pci = PciDevices.attach(config(2), PciBus.Layout.PC, ports, mmio, new RecordingInterruptController(), memory, null,
                        Dma.WriteObserver.NONE)) {
            assertThat(ports.claimed()).containsExactly("pci-config at 0xcf8-0xcff");
            assertThat(mmio.claimed()).containsExactly("pci-ecam at 0xb0000000-0xb00fffff", "pci-window at 0xc0000000-0xfebfffff");
            assertThat(conf1(ports, 0, 0)).isEqualTo(0x0008_1b36);
            assertThat(conf1(ports, 1, 0)).isEqualTo(0x1044_1af4);
            assertThat(conf1(ports, 2, 0)).isEqualTo(0x1042_1af4);
            assertThat(conf1(ports, 3, 0)).isEqualTo(0x1042_1af4);
            assertThat(conf1(ports, 4, 0)).isEqualTo(-1);
            // INTA# of slots 1, 2, 3: links B, C, D.
            assertThat(conf1(ports, 1, 0x3c) & 0xff).isEqualTo(11);
            assertThat(conf1(ports, 2, 0x3c) & 0xff).isEqualTo(5);
            assertThat(conf1(ports, 3, 0x3c) & 0xff).isEqualTo(14);
            assertThat(pci.virtio()).hasSize(3);
            assertThat(pci.virtio().getFirst().msix()).isNull(); // no MSI sink: INTx only
        }
    }

    @Test
    void withAnMsiSinkEveryVirtioDeviceOffersMsix() {
        try (var memory = GuestMemory.allocate(64L << 20);
                var pci = PciDevices.attach(config(1), PciBus.Layout.PC, new PortIoBus(), new MmioBus(), new RecordingInterruptController(),
                        memory, (address, data) -> { }, Dma.WriteObserver.NONE)) {
            assertThat(pci.virtio()).allMatch(d -> d.msix() != null);
        }
    }

    @Test
    void ramReachingThePciHoleRefusesDisksAndOtherwiseGoesWithoutPci() {
        try (var memory = GuestMemory.allocate(3L << 30)) {
            assertThatThrownBy(() -> PciDevices.attach(config(1), PciBus.Layout.PC, new PortIoBus(), new MmioBus(),
                    new RecordingInterruptController(), memory, null, Dma.WriteObserver.NONE))
                    .isInstanceOf(VmException.class).hasMessageContaining("PCI hole");
            var mmio = new MmioBus();
            var pci = PciDevices.attach(config(0), PciBus.Layout.PC, new PortIoBus(), mmio, new RecordingInterruptController(), memory,
                    null, Dma.WriteObserver.NONE);
            assertThat(pci.bus()).isNull();
            assertThat(mmio.claimed()).isEmpty();
        }
    }

    @Test
    void disksAreCheckedWithTheConfig() {
        assertThatThrownBy(() -> config(9)).isInstanceOf(VmException.class).hasMessageContaining("9 disks");
        assertThatThrownBy(() -> new VmConfig.Disk(new RamDisk(4096, false), "x".repeat(21))).isInstanceOf(VmException.class);
        assertThatThrownBy(() -> new VmConfig.Disk(new RamDisk(4096, false), "tab\there")).isInstanceOf(VmException.class);
        assertThat(new VmConfig("v", 1, 64L << 20, TickerImage.bytes(), null, "", false).disks()).isEmpty();
        assertThat(new VmConfig("v", 1, 64L << 20, TickerImage.bytes(), null, "", false, (List<VmConfig.Disk>) null).disks()).isEqualTo(List.of());
    }

    @Test
    void theFirmwareTablesDescribeTheBridgeAsTheBusWiresItInBothLayouts() {
        for (var layout : List.of(PciBus.Layout.PC, PciBus.Layout.PC_IOAPIC)) {
            var bridge = PciDevices.hostBridge(layout);
            var bus = new PciBus(layout, new RecordingInterruptController());
            for (int slot = 0; slot < PciBus.SLOTS; slot++) {
                for (int pin = 0; pin < 4; pin++) {
                    assertThat(bridge.gsi(slot, pin)).as("slot %d INT%c", slot, 'A' + pin).isEqualTo(bus.irqOf(slot, pin + 1));
                }
            }
            assertThat(bridge.ecamBase()).isEqualTo(layout.ecamBase());
            assertThat(bridge.ecamSize()).isEqualTo(PciBus.ECAM_BUS_SIZE);
            assertThat(bridge.windowBase()).isEqualTo(layout.windowBase());
            assertThat(bridge.windowSize()).isEqualTo(layout.windowSize());
        }
        assertThat(PciDevices.hostBridge(PciBus.Layout.PC).linkGsis()).containsExactly(10, 11, 5, 14);
        assertThat(PciDevices.hostBridge(PciBus.Layout.PC_IOAPIC).linkGsis()).containsExactly(16, 17, 18, 19);
        int activeLow = 0;
        for (int gsi : PciBus.Layout.PC_IOAPIC.linkIrqs()) {
            activeLow |= 1 << gsi;
        }
        assertThat(PciDevices.IOAPIC_ACTIVE_LOW_PINS).isEqualTo(activeLow);
    }

    @Test
    void withAnIoApicTheDevicesInterruptLineRegistersNameGsis16To19() {
        var ports = new PortIoBus();
        var interrupts = new RecordingInterruptController();
        try (var memory = GuestMemory.allocate(64L << 20);
                var pci = PciDevices.attach(config(1), PciBus.Layout.PC_IOAPIC, ports, new MmioBus(), interrupts, memory, null,
                        Dma.WriteObserver.NONE)) {
            assertThat(conf1(ports, 1, 0x3c) & 0xff).isEqualTo(17);
            assertThat(conf1(ports, 2, 0x3c) & 0xff).isEqualTo(18);
        }
    }

    /** A network that carries nothing: what the machine's wiring needs of a backend. */
    private static final class NoNetwork implements NetBackend {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public void send(java.nio.ByteBuffer frame) {
        }

        @Override
        public int receive(java.nio.ByteBuffer buffer) {
            return -1;
        }

        @Override
        public int receive(java.nio.ByteBuffer buffer, long timeoutMillis) {
            return -1;
        }

        @Override
        public void close() {
        }
    }

    private static VmConfig config(int disks, int nics) {
        var list = Collections.nCopies(disks, new VmConfig.Disk(new RamDisk(1 << 20, false), "d"));
        var nicList = new java.util.ArrayList<VmConfig.Nic>();
        for (int i = 0; i < nics; i++) {
            nicList.add(new VmConfig.Nic(new NoNetwork(), "02:c0:ff:ee:00:0" + (i + 1)));
        }
        return new VmConfig("pci", 1, 64L << 20, TickerImage.bytes(), null, "", false, list, VmAccelerator.EMULATED, nicList);
    }

    @Test
    void nicsSitFromSlot0aWhateverTheDisksAndTheOtherDevicesKeepTheirSlots() {
        var ports = new PortIoBus();
        try (var memory = GuestMemory.allocate(64L << 20);
                var pci = PciDevices.attach(config(2, 2), PciBus.Layout.PC, ports, new MmioBus(), new RecordingInterruptController(), memory,
                        null, Dma.WriteObserver.NONE)) {
            assertThat(conf1(ports, 1, 0)).isEqualTo(0x1044_1af4);
            assertThat(conf1(ports, 2, 0)).isEqualTo(0x1042_1af4);
            assertThat(conf1(ports, 3, 0)).isEqualTo(0x1042_1af4);
            assertThat(conf1(ports, 4, 0)).isEqualTo(-1);
            assertThat(conf1(ports, 0x0a, 0)).isEqualTo(0x1041_1af4);
            assertThat(conf1(ports, 0x0a, 0x08) >>> 8).isEqualTo(0x020000); // network controller, Ethernet
            assertThat(conf1(ports, 0x0b, 0)).isEqualTo(0x1041_1af4);
            assertThat(conf1(ports, 0x0c, 0)).isEqualTo(-1);
            assertThat(pci.virtio()).hasSize(5);
            assertThat(pci.virtio().get(3).device()).isInstanceOf(VirtioNet.class);
        }
    }

    @Test
    void aNicIsAnMsixDeviceWhereLocalApicsTakeMessagesAndAnIntxOneBehindAnIrqchipThatTakesNone() {
        // apics: the software CPU's local APICs take MSI-X; an irqchip that is not an MsiSink takes INTx only.
        try (var machine = PcMachine.build(config(0, 1), ConsoleBuffer.of(64), System::nanoTime, () -> { }, null, true)) {
            assertThat(machine.pci.virtio().getLast().device()).isInstanceOf(VirtioNet.class);
            assertThat(machine.pci.virtio().getLast().msix()).isNotNull();
        }
        try (var machine = PcMachine.build(config(0, 1), ConsoleBuffer.of(64), System::nanoTime, () -> { }, new RecordingInterruptController(),
                false)) {
            assertThat(machine.pci.virtio().getLast().device()).isInstanceOf(VirtioNet.class);
            assertThat(machine.pci.virtio().getLast().msix()).isNull();
        }
    }

    /** An irqchip that takes messages too, as KVM's in-kernel one does (KvmInterrupts); KvmMsiIT sends them for real. */
    private static final class MessageTakingIrqchip implements InterruptController, MsiSink {
        final List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void setLevel(int irq, boolean asserted) {
        }

        @Override
        public void send(long address, int data) {
            messages.add(Long.toHexString(address) + "=" + Integer.toHexString(data));
        }
    }

    @Test
    void behindAnIrqchipThatTakesMessagesEveryVirtioDeviceOffersMsixAndItsMessagesGoThere() {
        var irqchip = new MessageTakingIrqchip();
        try (var machine = PcMachine.build(config(1, 1), ConsoleBuffer.of(64), System::nanoTime, () -> { }, irqchip, false)) {
            assertThat(machine.pci.virtio()).allMatch(d -> d.msix() != null);
            var msix = machine.pci.virtio().getFirst().msix();
            int slot = PciDevices.RNG_SLOT, cap = msix.capabilityOffset();
            msix.tableWrite(0, 4, 0xfee0_0000L);
            msix.tableWrite(8, 4, 0x41);
            msix.tableWrite(12, 4, 0);
            machine.ports.write(0xcf8, 4, 0x8000_0000 | slot << 11 | 0x04);
            machine.ports.write(0xcfc, 2, 0x0006); // memory space, bus master: a message is a DMA write
            machine.ports.write(0xcf8, 4, 0x8000_0000 | slot << 11 | (cap + 2) & ~3);
            machine.ports.write(0xcfc + ((cap + 2) & 3), 2, 0x8000); // MSI-X enable
            assertThat(msix.enabled()).isTrue();
            assertThat(msix.fire(0)).isTrue();
            assertThat(msix.pending(0)).isFalse();
            assertThat(irqchip.messages).containsExactly("fee00000=41");
        }
    }

    @Test
    void ramReachingThePciHoleRefusesNics() {
        try (var memory = GuestMemory.allocate(3L << 30)) {
            assertThatThrownBy(() -> PciDevices.attach(config(0, 1), PciBus.Layout.PC, new PortIoBus(), new MmioBus(),
                    new RecordingInterruptController(), memory, null, Dma.WriteObserver.NONE))
                    .isInstanceOf(VmException.class).hasMessageContaining("NICs");
        }
    }
}
