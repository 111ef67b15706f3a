package dev.corral.engine.vm;

import java.time.Clock;
import java.util.function.LongSupplier;

import dev.corral.engine.boot.KernelImageException;
import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.boot.acpi.Platform;
import dev.corral.engine.devices.acpi.FixedHardware;
import dev.corral.engine.devices.legacy.Chipset;
import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.devices.legacy.LegacyDevices;
import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.PciBus;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.memory.GuestMemory;
import dev.corral.engine.memory.GuestMemoryException;
import dev.corral.engine.sys.SysException;

/**
 * The PC one VM is, for the software CPU: guest RAM with the kernel and the ACPI tables loaded, the port bus with
 * the chipset (PICs, PIT), the legacy devices (COM1, i8042, RTC, debug-exit if asked for) and the ACPI fixed
 * hardware (power button, soft-off, PM timer, reset register; SCI on IRQ 9), PCI with virtio devices
 * ({@link PciDevices}: configuration ports, ECAM and BAR window), and an MMIO bus on which every other address
 * outside RAM reads all-ones and ignores writes, counted. Owns the guest memory.
 */
final class PcMachine implements AutoCloseable {

    final GuestMemory memory;
    final PortIoBus ports;
    final MmioBus mmio;
    final Chipset chipset;
    final LegacyDevices legacy;
    final FixedHardware acpi;
    final LinuxBoot.Plan plan;
    final PowerRequest power;
    final PciDevices pci;

    private PcMachine(GuestMemory memory, PortIoBus ports, MmioBus mmio, Chipset chipset, LegacyDevices legacy, FixedHardware acpi,
            LinuxBoot.Plan plan, PowerRequest power, PciDevices pci) {
        this.memory = memory;
        this.ports = ports;
        this.mmio = mmio;
        this.chipset = chipset;
        this.legacy = legacy;
        this.acpi = acpi;
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
            var plan = LinuxBoot.load(memory, config.kernel(), config.initrd(), config.cmdline(), acpiPlatform(memory));
            var power = new PowerRequest();
            var ports = new PortIoBus();
            var chipset = Chipset.attach(ports, clock, wake);
            var legacy = LegacyDevices.attach(ports, chipset.pic(),
                    new LegacyDevices.Config(console, Clock.systemUTC(), power::reset, power::debugExit, config.debugExit()));
            var acpi = FixedHardware.attach(ports, chipset.pic(), clock, power::powerOff, power::reset);
            chipset.pic().setElcr(1 << FixedHardware.SCI_IRQ); // as firmware leaves it: the SCI level-triggered
            var mmio = new MmioBus();
            var pci = PciDevices.attach(config, PCI_LAYOUT, ports, mmio, chipset.pic(), memory, null, Dma.WriteObserver.NONE);
            return new PcMachine(memory, ports, mmio, chipset, legacy, acpi, plan, power, pci);
        } catch (KernelImageException | GuestMemoryException e) {
            memory.close();
            throw new VmException("VM " + config.name() + ": cannot boot its kernel: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /**
     * Where PCI INTx goes: ISA IRQs 10, 11, 5, 14 on the PICs. With the I/O APIC wired in: {@link
     * PciBus.Layout#PC_IOAPIC} (GSI 16-19, I/O APIC pins {@link PciDevices#IOAPIC_ACTIVE_LOW_PINS} wired active low),
     * together with {@code Platform.pc(config.vcpus(), true, registers)} below, which refuses the other combinations.
     */
    private static final PciBus.Layout PCI_LAYOUT = PciBus.Layout.PC;

    /**
     * What the ACPI tables describe. One processor and no MADT while the machine has only the PICs (without the
     * APICs a guest runs one CPU); with the local APICs and IOAPIC wired in: {@code Platform.pc(config.vcpus(),
     * true, registers)}. The PCI host bridge (PCI0, its _PRT, the MCFG) if the VM has PCI.
     */
    private static Platform acpiPlatform(GuestMemory memory) {
        var registers = new Platform.PmRegisters(FixedHardware.PM1A_EVT_BLK, FixedHardware.PM1A_CNT_BLK, FixedHardware.PM_TMR_BLK,
                FixedHardware.GPE0_BLK, FixedHardware.GPE0_BLK_LEN, FixedHardware.RESET_REG, FixedHardware.RESET_VALUE,
                FixedHardware.SCI_IRQ, FixedHardware.S5_SLEEP_TYPE);
        var platform = Platform.pc(1, false, registers);
        return PciDevices.hasPci(memory, PCI_LAYOUT) ? platform.withPciHostBridge(PciDevices.hostBridge(PCI_LAYOUT)) : platform;
    }

    @Override
    public void close() {
        pci.close(); // device workers stop before the memory they DMA to is unmapped
        memory.close();
    }
}
