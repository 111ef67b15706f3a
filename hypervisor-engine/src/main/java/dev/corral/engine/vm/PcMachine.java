package dev.corral.engine.vm;

import java.time.Clock;
import java.util.function.LongSupplier;

import dev.corral.engine.boot.KernelImageException;
import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.boot.PvhBoot;
import dev.corral.engine.boot.acpi.Platform;
import dev.corral.engine.devices.acpi.FixedHardware;
import dev.corral.engine.devices.apic.ApicBus;
import dev.corral.engine.devices.apic.IoApic;
import dev.corral.engine.devices.apic.IsaInterruptRouter;
import dev.corral.engine.devices.legacy.Chipset;
import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.devices.legacy.LegacyDevices;
import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.MsiSink;
import dev.corral.engine.devices.pci.PciBus;
import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.machine.TscClock;
import dev.corral.engine.memory.GuestMemory;
import dev.corral.engine.memory.GuestMemoryException;
import dev.corral.engine.sys.SysException;

/**
 * The PC one VM is, whichever backend runs it: guest RAM with the kernel and the ACPI tables loaded, the port bus
 * with the chipset (PICs, PIT: unless KVM's in-kernel irqchip is them), the legacy devices (COM1, i8042, RTC,
 * debug-exit if asked for) and the ACPI fixed hardware (power button, soft-off, PM timer, reset register; SCI on
 * IRQ 9), PCI with virtio devices ({@link PciDevices}: configuration ports, ECAM and BAR window), and an MMIO bus on
 * which every other address outside RAM reads all-ones and ignores writes, counted. Owns the guest memory.
 *
 * <p>Interrupts take one of three shapes, the backend's choice: the Java PICs alone (one vCPU, no APIC: KVM's
 * fallback); the Java PICs and an IOAPIC on a bus with one local APIC per vCPU (the software CPU: ISA lines reach
 * both, as on every PC with an IOAPIC, and PCI MSI-X messages reach the local APICs), whose MADT the ACPI tables
 * carry; or KVM's in-kernel irqchip, which is all of them (MSI-X messages reach its local APICs through
 * KVM_SIGNAL_MSI) and is described by the same MADT.
 */
final class PcMachine implements AutoCloseable {

    /** The IOAPIC's id, as the MADT gives it (Platform's InterruptControllers.pc()). */
    static final int IOAPIC_ID = 0;

    final GuestMemory memory;
    final PortIoBus ports;
    final MmioBus mmio;
    /** The Java PICs and PIT; null when the backend's irqchip is them (KVM's in-kernel one). */
    final Chipset chipset;
    /** The bus of the Java local APICs and IOAPIC; null where the machine has none of its own. */
    final ApicBus apicBus;
    /** The VM's time stamp counter, which its vCPUs and local APIC timers count on. */
    final TscClock tsc;
    final LegacyDevices legacy;
    final FixedHardware acpi;
    final LinuxBoot.Plan plan;
    final PowerRequest power;
    final PciDevices pci;
    /** Where device writes into guest RAM are told (the software CPU drops code decoded from them). */
    final DmaWrites dmaWrites;

    private PcMachine(GuestMemory memory, PortIoBus ports, MmioBus mmio, Chipset chipset, ApicBus apicBus, TscClock tsc,
            LegacyDevices legacy, FixedHardware acpi, LinuxBoot.Plan plan, PowerRequest power, PciDevices pci, DmaWrites dmaWrites) {
        this.memory = memory;
        this.ports = ports;
        this.mmio = mmio;
        this.chipset = chipset;
        this.apicBus = apicBus;
        this.tsc = tsc;
        this.legacy = legacy;
        this.acpi = acpi;
        this.plan = plan;
        this.power = power;
        this.pci = pci;
        this.dmaWrites = dmaWrites;
    }

    /**
     * Builds the machine and loads the kernel. {@code clock} is monotonic nanoseconds; {@code wake} runs when the
     * PICs have an interrupt for vCPU 0 and must not block. With an {@code irqchip} (KVM's in-kernel one, which has
     * local APICs and an IOAPIC) the devices raise their lines there, and send their MSI-X messages there if it is also
     * an {@link MsiSink}, and the machine has no PIC, PIT or APIC of its own; with null it builds the PICs and PIT, and with {@code apics} also the IOAPIC and the APIC bus the
     * backend attaches one local APIC per vCPU to.
     */
    static PcMachine build(VmConfig config, ConsoleSink console, LongSupplier clock, Runnable wake, InterruptController irqchip,
            boolean apics) {
        GuestMemory memory;
        try {
            memory = GuestMemory.allocate(config.memoryBytes());
        } catch (SysException e) {
            throw new VmException("VM " + config.name() + ": cannot map " + (config.memoryBytes() >> 20) + " MiB of guest memory: "
                    + e.getMessage(), e);
        }
        try {
            boolean apicsDescribed = apics || irqchip != null;
            var layout = pciLayout(apicsDescribed);
            var plan = isElf(config.kernel()) ? PvhBoot.load(memory, config.kernel(), config.initrd(), config.cmdline())
                    : LinuxBoot.load(memory, config.kernel(), config.initrd(), config.cmdline(),
                            acpiPlatform(memory, apicsDescribed ? config.vcpus() : 1, apicsDescribed, layout));
            var power = new PowerRequest();
            var ports = new PortIoBus();
            var mmio = new MmioBus();
            ApicBus apicBus = irqchip == null && apics ? new ApicBus() : null;
            Chipset chipset = null;
            InterruptController interrupts = irqchip;
            if (irqchip == null) {
                chipset = apicBus == null ? Chipset.attach(ports, clock, wake) : Chipset.attach(ports, clock, wake, pic -> {
                    var ioApic = new IoApic(IOAPIC_ID, apicBus, PciDevices.IOAPIC_ACTIVE_LOW_PINS);
                    mmio.register(IoApic.DEFAULT_BASE, IoApic.LENGTH, "ioapic", ioApic);
                    return new IsaInterruptRouter(pic, ioApic);
                });
                chipset.pic().setElcr(1 << FixedHardware.SCI_IRQ); // as firmware leaves it: the SCI level-triggered
                interrupts = chipset.isaLines();
            }
            var legacy = LegacyDevices.attach(ports, interrupts,
                    new LegacyDevices.Config(console, Clock.systemUTC(), power::reset, power::debugExit, config.debugExit()));
            var acpi = FixedHardware.attach(ports, interrupts, clock, power::powerOff, power::reset);
            var dmaWrites = new DmaWrites();
            // MSI-X where local APICs take the messages: the Java ones, or KVM's in-kernel ones (an irqchip that is also
            // an MsiSink, KVM_SIGNAL_MSI); a PIC-only machine's devices, and those behind an irqchip that is not, use INTx.
            MsiSink msi = apicBus != null ? apicBus::deliverMsi : irqchip instanceof MsiSink kernel ? kernel : null;
            var pci = PciDevices.attach(config, layout, ports, mmio, interrupts, memory, msi, dmaWrites);
            return new PcMachine(memory, ports, mmio, chipset, apicBus, new TscClock(clock), legacy, acpi, plan, power, pci, dmaWrites);
        } catch (KernelImageException | GuestMemoryException e) {
            memory.close();
            throw new VmException("VM " + config.name() + ": cannot boot its kernel: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /**
     * Where PCI INTx goes: with an IOAPIC (the software CPU's, or KVM's in-kernel one) GSIs 16-19, IOAPIC pins only
     * ({@link PciDevices#IOAPIC_ACTIVE_LOW_PINS}, wired active low), as q35 has them; on a PIC-only machine ISA IRQs 10,
     * 11, 5 and 14, which Linux makes level-triggered in the ELCR. Platform refuses any other combination.
     */
    private static PciBus.Layout pciLayout(boolean ioApic) {
        return ioApic ? PciBus.Layout.PC_IOAPIC : PciBus.Layout.PC;
    }

    /**
     * What the ACPI tables describe: {@code vcpus} processors and, where the machine has local APICs and an IOAPIC
     * (the software CPU's, or KVM's in-kernel irqchip), the MADT (a machine with only the PICs runs one processor and
     * has no MADT); the PCI host bridge (PCI0, its _PRT, the MCFG) if the VM has PCI.
     */
    private static Platform acpiPlatform(GuestMemory memory, int vcpus, boolean apics, PciBus.Layout layout) {
        var registers = new Platform.PmRegisters(FixedHardware.PM1A_EVT_BLK, FixedHardware.PM1A_CNT_BLK, FixedHardware.PM_TMR_BLK,
                FixedHardware.GPE0_BLK, FixedHardware.GPE0_BLK_LEN, FixedHardware.RESET_REG, FixedHardware.RESET_VALUE,
                FixedHardware.SCI_IRQ, FixedHardware.S5_SLEEP_TYPE);
        var platform = Platform.pc(vcpus, apics, registers);
        return PciDevices.hasPci(memory, layout) ? platform.withPciHostBridge(PciDevices.hostBridge(layout)) : platform;
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
