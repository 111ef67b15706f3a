package dev.corral.engine.vm;

import java.time.Clock;
import java.util.function.LongSupplier;

import dev.corral.engine.boot.KernelImageException;
import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.boot.PvhBoot;
import dev.corral.engine.boot.acpi.Platform;
import dev.corral.engine.devices.acpi.FixedHardware;
import dev.corral.engine.devices.legacy.Chipset;
import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.devices.legacy.LegacyDevices;
import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.memory.GuestMemory;
import dev.corral.engine.memory.GuestMemoryException;
import dev.corral.engine.sys.SysException;

/**
 * The PC one VM is, whichever backend runs it: guest RAM with the kernel and the ACPI tables loaded, the port bus
 * with the chipset (PICs, PIT: unless KVM's in-kernel irqchip is them), the legacy devices (COM1, i8042, RTC,
 * debug-exit if asked for) and the ACPI fixed hardware (power button, soft-off, PM timer, reset register; SCI on
 * IRQ 9), PCI with virtio devices ({@link PciDevices}: configuration ports, ECAM and BAR window), and an MMIO bus on
 * which every other address outside RAM reads all-ones and ignores writes, counted. Owns the guest memory.
 */
final class PcMachine implements AutoCloseable {

    final GuestMemory memory;
    final PortIoBus ports;
    final MmioBus mmio;
    /** The Java PICs and PIT; null when the backend's irqchip is them (KVM's in-kernel one). */
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
     * interrupt becomes pending and must not block. With an {@code irqchip} (KVM's in-kernel one) the devices raise
     * their lines there and the machine has no PIC or PIT of its own; with null it builds them.
     */
    static PcMachine build(VmConfig config, ConsoleSink console, LongSupplier clock, Runnable wake, InterruptController irqchip) {
        GuestMemory memory;
        try {
            memory = GuestMemory.allocate(config.memoryBytes());
        } catch (SysException e) {
            throw new VmException("VM " + config.name() + ": cannot map " + (config.memoryBytes() >> 20) + " MiB of guest memory: "
                    + e.getMessage(), e);
        }
        try {
            var plan = isElf(config.kernel()) ? PvhBoot.load(memory, config.kernel(), config.initrd(), config.cmdline())
                    : LinuxBoot.load(memory, config.kernel(), config.initrd(), config.cmdline(), acpiPlatform());
            var power = new PowerRequest();
            var ports = new PortIoBus();
            var chipset = irqchip == null ? Chipset.attach(ports, clock, wake) : null;
            InterruptController interrupts = irqchip == null ? chipset.pic() : irqchip;
            var legacy = LegacyDevices.attach(ports, interrupts,
                    new LegacyDevices.Config(console, Clock.systemUTC(), power::reset, power::debugExit, config.debugExit()));
            var acpi = FixedHardware.attach(ports, interrupts, clock, power::powerOff, power::reset);
            var mmio = new MmioBus();
            var pci = PciDevices.attach(config, ports, mmio, interrupts, memory, null, Dma.WriteObserver.NONE);
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
     * What the ACPI tables describe. One processor and no MADT while the machine has only the PICs (without the
     * APICs a guest runs one CPU); with the local APICs and IOAPIC wired in: {@code Platform.pc(config.vcpus(),
     * true, registers)}.
     */
    private static Platform acpiPlatform() {
        var registers = new Platform.PmRegisters(FixedHardware.PM1A_EVT_BLK, FixedHardware.PM1A_CNT_BLK, FixedHardware.PM_TMR_BLK,
                FixedHardware.GPE0_BLK, FixedHardware.GPE0_BLK_LEN, FixedHardware.RESET_REG, FixedHardware.RESET_VALUE,
                FixedHardware.SCI_IRQ, FixedHardware.S5_SLEEP_TYPE);
        return Platform.pc(1, false, registers);
    }

    /** An ELF kernel (a vmlinux with a PVH note) rather than a bzImage. */
    private static boolean isElf(byte[] kernel) {
        return kernel.length >= 4 && kernel[0] == 0x7f && kernel[1] == 'E' && kernel[2] == 'L' && kernel[3] == 'F';
    }

    @Override
    public void close() {
        pci.close(); // device workers stop before the memory they DMA to is unmapped
        memory.close();
    }
}
