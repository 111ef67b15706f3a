package dev.corral.engine.vm;

import java.time.Clock;
import java.util.function.LongSupplier;

import dev.corral.engine.boot.KernelImageException;
import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.devices.legacy.Chipset;
import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.devices.legacy.LegacyDevices;
import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.memory.GuestMemory;
import dev.corral.engine.memory.GuestMemoryException;
import dev.corral.engine.sys.SysException;

/**
 * The PC one VM is, for the software CPU: guest RAM with the kernel loaded, the port bus with the chipset (PICs,
 * PIT) and the legacy devices (COM1, i8042, RTC, debug-exit if asked for), PCI with virtio devices ({@link PciDevices}:
 * configuration ports, ECAM and BAR window), and an MMIO bus on which every other address outside RAM reads all-ones
 * and ignores writes, counted. Owns the guest memory.
 */
final class PcMachine implements AutoCloseable {

    final GuestMemory memory;
    final PortIoBus ports;
    final MmioBus mmio;
    final Chipset chipset;
    final LegacyDevices legacy;
    final LinuxBoot.Plan plan;
    final PowerRequest power;
    final PciDevices pci;

    private PcMachine(GuestMemory memory, PortIoBus ports, MmioBus mmio, Chipset chipset, LegacyDevices legacy, LinuxBoot.Plan plan,
            PowerRequest power, PciDevices pci) {
        this.memory = memory;
        this.ports = ports;
        this.mmio = mmio;
        this.chipset = chipset;
        this.legacy = legacy;
        this.plan = plan;
        this.power = power;
        this.pci = pci;
    }

    /**
     * Builds the machine and loads the kernel. {@code clock} is monotonic nanoseconds; {@code wake} runs when an
     * interrupt becomes pending and must not block.
     */
    static PcMachine build(VmConfig config, ConsoleSink console, LongSupplier clock, Runnable wake) {
        GuestMemory memory;
        try {
            memory = GuestMemory.allocate(config.memoryBytes());
        } catch (SysException e) {
            throw new VmException("VM " + config.name() + ": cannot map " + (config.memoryBytes() >> 20) + " MiB of guest memory: "
                    + e.getMessage(), e);
        }
        try {
            var plan = LinuxBoot.load(memory, config.kernel(), config.initrd(), config.cmdline());
            var power = new PowerRequest();
            var ports = new PortIoBus();
            var chipset = Chipset.attach(ports, clock, wake);
            var legacy = LegacyDevices.attach(ports, chipset.pic(),
                    new LegacyDevices.Config(console, Clock.systemUTC(), power::reset, power::debugExit, config.debugExit()));
            var mmio = new MmioBus();
            var pci = PciDevices.attach(config, ports, mmio, chipset.pic(), memory, null, Dma.WriteObserver.NONE);
            return new PcMachine(memory, ports, mmio, chipset, legacy, plan, power, pci);
        } catch (KernelImageException | GuestMemoryException e) {
            memory.close();
            throw new VmException("VM " + config.name() + ": cannot boot its kernel: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    @Override
    public void close() {
        pci.close(); // device workers stop before the memory they DMA to is unmapped
        memory.close();
    }
}
