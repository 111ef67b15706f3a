package dev.corral.engine.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

import dev.corral.engine.cpu.Cpu;
import dev.corral.engine.cpu.CpuGroup;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.sys.LocalApicPort;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.devices.apic.ApicTimer;
import dev.corral.engine.devices.apic.LocalApic;
import dev.corral.engine.devices.apic.MsrAccessRefused;
import dev.corral.engine.machine.InterruptController;

/**
 * The software CPU: one {@link Cpu} per vCPU, made by the VM's {@link CpuGroup} (shared guest RAM under x86-TSO, the
 * TSC, cross-vCPU code invalidation), each with a local APIC of its own on the machine's APIC bus. vCPU 0 starts at
 * the kernel's entry, the others wait for the INIT-SIPI-SIPI their local APICs bring, as on a PC. What the CPUID
 * model tells the guest (APIC ids, the x2APIC and TSC-deadline features, the timer's 25 MHz crystal) and what the
 * local APICs do agree by construction here.
 *
 * <p>A backend made from a {@link VcpuFactory} (tests: a scripted or instrumented CPU) runs that one vCPU on a PIC-only
 * machine, as the engine did before it had APICs.
 */
final class EmulatedBackend implements Backend {

    /** vCPU 0 of a test's choosing, or null for the software CPU's own vCPUs with local APICs. */
    private final VcpuFactory factory;

    private EmulatedBackend(VcpuFactory factory) {
        this.factory = factory;
    }

    /** The software CPU with local APICs, SMP and the IOAPIC. */
    static EmulatedBackend withApics() {
        return new EmulatedBackend(null);
    }

    /** One vCPU from {@code factory} on a machine with only the PICs. */
    static EmulatedBackend of(VcpuFactory factory) {
        return new EmulatedBackend(java.util.Objects.requireNonNull(factory, "factory"));
    }

    @Override
    public VmAccelerator accelerator() {
        return VmAccelerator.EMULATED;
    }

    @Override
    public InterruptController irqchip() {
        return null;
    }

    @Override
    public boolean apics() {
        return factory == null;
    }

    @Override
    public List<Slot> createVcpus(VmConfig config, PcMachine machine, IntConsumer wake) {
        if (factory != null) {
            var cpu = factory.create(machine.memory, machine.mmio, machine.plan.entry());
            return List.of(new Slot(cpu, InterruptSource.of(machine.chipset)));
        }
        var platform = CpuidModel.Platform.of(config.vcpus(), machine.tsc).withLocalApic(true, true);
        var group = new CpuGroup(machine.memory, machine.tsc, platform);
        machine.dmaWrites.listen(group::deviceWrote);
        var pic = machine.chipset.pic();
        var slots = new ArrayList<Slot>();
        for (int i = 0; i < config.vcpus(); i++) {
            int index = i;
            boolean bootstrap = i == 0;
            // The timer counts at the crystal CPUID 0x15 reports, so Linux takes its period from CPUID without
            // calibrating; TSC deadlines reach it on the clock's own timeline (the CPU removes its TSC offset).
            var timer = new ApicTimer(machine.tsc, () -> 0L, platform.crystalHz());
            var apic = new LocalApic(machine.apicBus, i, bootstrap, timer, bootstrap ? pic::hasInterrupt : () -> false,
                    () -> wake.accept(index));
            if (bootstrap) {
                apic.enterVirtualWireMode(); // what firmware leaves: the PICs reach the boot processor through LINT0
            }
            var mmio = mmio(apic, machine);
            Cpu cpu = bootstrap ? group.cpu(0, machine.plan.entry(), mmio, port(apic))
                    : group.applicationProcessor(i, mmio, port(apic));
            slots.add(new Slot(new EmulatedVcpu(cpu), InterruptSource.of(apic, pic, bootstrap ? machine.chipset.pit() : null)));
        }
        return slots;
    }

    /** This vCPU's view of physical addresses outside RAM: its own local APIC's page first, then the machine's bus. */
    private static MmioHandler mmio(LocalApic apic, PcMachine machine) {
        return new MmioHandler() {
            @Override
            public long read(long address, int size) {
                long base = apic.mmioBase();
                if (base >= 0 && address >= base && address < base + LocalApic.PAGE_SIZE) {
                    return apic.read(address - base, size);
                }
                return machine.mmio.read(address, size);
            }

            @Override
            public void write(long address, int size, long value) {
                long base = apic.mmioBase();
                if (base >= 0 && address >= base && address < base + LocalApic.PAGE_SIZE) {
                    apic.write(address - base, size, value);
                } else {
                    machine.mmio.write(address, size, value);
                }
            }
        };
    }

    /** What the CPU reaches of its local APIC other than the page: the APIC's MSRs and CR8. */
    private static LocalApicPort port(LocalApic apic) {
        return new LocalApicPort() {
            @Override
            public long readMsr(int msr) throws Refused {
                try {
                    return apic.readMsr(msr);
                } catch (MsrAccessRefused e) {
                    throw new Refused(e.getMessage());
                }
            }

            @Override
            public void writeMsr(int msr, long value) throws Refused {
                try {
                    apic.writeMsr(msr, value);
                } catch (MsrAccessRefused e) {
                    throw new Refused(e.getMessage());
                }
            }

            @Override
            public int taskPriorityClass() {
                return apic.cr8();
            }

            @Override
            public void setTaskPriorityClass(int priorityClass) {
                apic.writeCr8(priorityClass);
            }
        };
    }

    @Override
    public void close() {
    }
}
