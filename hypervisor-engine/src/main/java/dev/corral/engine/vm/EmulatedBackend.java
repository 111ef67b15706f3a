package dev.corral.engine.vm;

import java.util.List;

import dev.corral.engine.machine.InterruptController;

/**
 * The software CPU. Only vCPU 0 runs, taking its interrupts from the 8259A pair the machine builds: the application
 * processors need a local APIC (INIT/SIPI) that the software CPU does not have yet. When it has one, each vCPU gets
 * a slot here with its local APIC as its interrupt source.
 */
record EmulatedBackend(VcpuFactory factory) implements Backend {

    @Override
    public VmAccelerator accelerator() {
        return VmAccelerator.EMULATED;
    }

    @Override
    public InterruptController irqchip() {
        return null;
    }

    @Override
    public List<Slot> createVcpus(VmConfig config, PcMachine machine) {
        var cpu = factory.create(machine.memory, machine.mmio, machine.plan.entry());
        return List.of(new Slot(cpu, InterruptSource.of(machine.chipset)));
    }

    @Override
    public void close() {
    }
}
