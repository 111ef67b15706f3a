package dev.corral.engine.vm;

import java.time.Clock;
import java.util.function.LongSupplier;

import dev.corral.engine.boot.KernelImageException;
import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.boot.PvhBoot;
import dev.corral.engine.devices.legacy.Chipset;
import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.devices.legacy.LegacyDevices;
import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.memory.GuestMemory;
import dev.corral.engine.memory.GuestMemoryException;
import dev.corral.engine.sys.SysException;

/**
 * The PC one VM is, whichever backend runs it: guest RAM with the kernel loaded, the port bus with the chipset (PICs,
 * PIT: unless KVM's in-kernel irqchip is them) and the legacy devices (COM1, i8042, RTC, debug-exit if asked for),
 * and an MMIO bus with nothing on it (every address outside RAM reads all-ones and ignores writes, counted). Owns the
 * guest memory.
 */
final class PcMachine implements AutoCloseable {

    final GuestMemory memory;
    final PortIoBus ports;
    final MmioBus mmio;
    /** The Java PICs and PIT; null when the backend's irqchip is them (KVM's in-kernel one). */
    final Chipset chipset;
    final LegacyDevices legacy;
    final LinuxBoot.Plan plan;
    final PowerRequest power;

    private PcMachine(GuestMemory memory, PortIoBus ports, MmioBus mmio, Chipset chipset, LegacyDevices legacy, LinuxBoot.Plan plan,
            PowerRequest power) {
        this.memory = memory;
        this.ports = ports;
        this.mmio = mmio;
        this.chipset = chipset;
        this.legacy = legacy;
        this.plan = plan;
        this.power = power;
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
                    : LinuxBoot.load(memory, config.kernel(), config.initrd(), config.cmdline());
            var power = new PowerRequest();
            var ports = new PortIoBus();
            var chipset = irqchip == null ? Chipset.attach(ports, clock, wake) : null;
            var legacy = LegacyDevices.attach(ports, irqchip == null ? chipset.pic() : irqchip,
                    new LegacyDevices.Config(console, Clock.systemUTC(), power::reset, power::debugExit, config.debugExit()));
            return new PcMachine(memory, ports, new MmioBus(), chipset, legacy, plan, power);
        } catch (KernelImageException | GuestMemoryException e) {
            memory.close();
            throw new VmException("VM " + config.name() + ": cannot boot its kernel: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
    }

    /** An ELF kernel (a vmlinux with a PVH note) rather than a bzImage. */
    private static boolean isElf(byte[] kernel) {
        return kernel.length >= 4 && kernel[0] == 0x7f && kernel[1] == 'E' && kernel[2] == 'L' && kernel[3] == 'F';
    }

    @Override
    public void close() {
        memory.close();
    }
}
