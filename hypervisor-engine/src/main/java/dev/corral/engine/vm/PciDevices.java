package dev.corral.engine.vm;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.corral.engine.boot.acpi.PciHostBridge;
import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.HostBridge;
import dev.corral.engine.devices.pci.MsiSink;
import dev.corral.engine.devices.pci.PciBus;
import dev.corral.engine.devices.virtio.VirtioBlk;
import dev.corral.engine.devices.virtio.VirtioNet;
import dev.corral.engine.devices.virtio.VirtioPciDevice;
import dev.corral.engine.devices.virtio.VirtioRng;
import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.memory.GuestMemory;

/**
 * The PC's PCI side: bus 0 with the host bridge at 00:00.0, virtio-rng at 00:01.0, the VM's disks as virtio-blk
 * from 00:02.0 on (vda, vdb, ... in slot order) and its NICs as virtio-net from 00:0a.0 on (eth0, ... in slot order;
 * after the slots of the most disks a VM may have, so a device's slot does not depend on how many of the other kind
 * there are); slots from 00:10.0 up are left for other devices. Configuration
 * mechanism #1 at ports 0xcf8-0xcff, ECAM for bus 0 at 0xb0000000 (1 MiB), BARs in 0xc0000000-0xfebfffff. INTx links
 * A-D go where the machine's layout says: on a machine with only the PICs ({@link PciBus.Layout#PC}) ISA IRQ 10, 11,
 * 5, 14 (rng: 11, disks 0-3: 5, 14, 10, 11), which Linux makes level-triggered in the ELCR; with an I/O APIC
 * ({@link PciBus.Layout#PC_IOAPIC}) GSI 16-19, I/O APIC pins to be wired active low ({@link #IOAPIC_ACTIVE_LOW_PINS}).
 * The firmware tables describe the same bridge ({@link #hostBridge}: the DSDT's PCI0 with its _PRT, and the MCFG).
 *
 * <p>Guest RAM must stay below the ECAM base: a VM whose RAM reaches it gets no PCI devices (with disks asked
 * for, it is refused) and no PCI host bridge in its tables, until the machine splits RAM around the PCI hole.
 */
final class PciDevices implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PciDevices.class.getName());

    static final int RNG_SLOT = 1, FIRST_DISK_SLOT = 2, FIRST_NIC_SLOT = FIRST_DISK_SLOT + VmConfig.MAX_DISKS;
    /** The I/O APIC pins {@link PciBus.Layout#PC_IOAPIC}'s links reach, wired active low as PCI INTx is. */
    static final int IOAPIC_ACTIVE_LOW_PINS = 0xf << 16;

    private final PciBus bus;
    private final List<VirtioPciDevice> virtio;

    private PciDevices(PciBus bus, List<VirtioPciDevice> virtio) {
        this.bus = bus;
        this.virtio = virtio;
    }

    /** Whether a machine with this RAM has PCI in {@code layout}: its RAM ends below the ECAM. */
    static boolean hasPci(GuestMemory memory, PciBus.Layout layout) {
        return ramTop(memory) <= layout.ecamBase();
    }

    /** The host bridge of {@code layout} as the firmware tables describe it: bus 0, its ECAM, window and INTx links. */
    static PciHostBridge hostBridge(PciBus.Layout layout) {
        return PciHostBridge.bus0(layout.ecamBase(), layout.windowBase(), layout.windowSize(),
                Arrays.stream(layout.linkIrqs()).boxed().toList());
    }

    /**
     * Builds the bus in {@code layout} and its devices for {@code config} and puts them on the machine's buses.
     * {@code interrupts} takes INTx (the PIC, or an IOAPIC); {@code msi} gets MSI-X messages, or is null for a
     * machine without local APICs (then the devices offer no MSI-X); {@code dmaWrites} hears of every device write
     * into guest RAM.
     */
    static PciDevices attach(VmConfig config, PciBus.Layout layout, PortIoBus ports, MmioBus mmio, InterruptController interrupts,
            GuestMemory memory, MsiSink msi, Dma.WriteObserver dmaWrites) {
        long ramTop = ramTop(memory);
        if (!hasPci(memory, layout)) {
            if (!config.disks().isEmpty() || !config.nics().isEmpty()) {
                throw new VmException("VM " + config.name() + ": " + (ramTop >> 20) + " MiB of RAM reach the PCI hole at 0x"
                        + Long.toHexString(layout.ecamBase()) + ", so its disks and NICs could not be reached; give it at most "
                        + (layout.ecamBase() >> 20) + " MiB");
            }
            LOG.log(System.Logger.Level.WARNING, "VM " + config.name() + ": RAM reaches the PCI hole; no PCI devices");
            return new PciDevices(null, List.of());
        }
        var bus = new PciBus(layout, interrupts);
        var virtio = new ArrayList<VirtioPciDevice>();
        bus.attach(0, new HostBridge());
        var rng = new VirtioPciDevice(new VirtioRng(new SecureRandom()), threadName(config, "virtio-rng", RNG_SLOT), memory, dmaWrites, msi);
        bus.attach(RNG_SLOT, rng);
        virtio.add(rng);
        for (int i = 0; i < config.disks().size(); i++) {
            var disk = config.disks().get(i);
            int slot = FIRST_DISK_SLOT + i;
            var blk = new VirtioPciDevice(new VirtioBlk(disk.image(), disk.serial()), threadName(config, "virtio-blk", slot), memory,
                    dmaWrites, msi);
            bus.attach(slot, blk);
            virtio.add(blk);
        }
        for (int i = 0; i < config.nics().size(); i++) {
            var nic = config.nics().get(i);
            int slot = FIRST_NIC_SLOT + i;
            String name = threadName(config, "virtio-net", slot);
            var net = new VirtioPciDevice(new VirtioNet(nic.backend(), nic.macBytes(), name), name, memory, dmaWrites, msi);
            bus.attach(slot, net);
            virtio.add(net);
        }
        ports.register(PciBus.MECHANISM1_PORT, PciBus.MECHANISM1_LENGTH, "pci-config", bus.mechanism1());
        mmio.register(layout.ecamBase(), PciBus.ECAM_BUS_SIZE, "pci-ecam", bus.ecam());
        mmio.register(layout.windowBase(), layout.windowSize(), "pci-window", bus.window());
        return new PciDevices(bus, List.copyOf(virtio));
    }

    /** The bus, or null if the VM has no PCI (its RAM reaches the hole). */
    PciBus bus() {
        return bus;
    }

    List<VirtioPciDevice> virtio() {
        return virtio;
    }

    /** Stops every device's worker, waiting for requests in flight: call before guest memory is unmapped. */
    @Override
    public void close() {
        for (var device : virtio) {
            device.close();
        }
    }

    private static long ramTop(GuestMemory memory) {
        return memory.regions().stream().mapToLong(r -> r.guestAddress() + r.size()).max().orElse(0);
    }

    private static String threadName(VmConfig config, String device, int slot) {
        return "vm-" + config.name() + "-" + device + "-00:" + String.format("%02x", slot) + ".0";
    }
}
