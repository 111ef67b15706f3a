package dev.corral.engine.vm;

import dev.corral.engine.boot.EntryState;
import dev.corral.engine.cpu.Cpu;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.CpuStats;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.memory.GuestMemory;

/**
 * The software CPU backend: a system {@link Cpu} over guest RAM, with addresses outside RAM on the MMIO bus (through
 * its local APIC's page first, where the machine has one: see {@link EmulatedBackend}).
 */
final class EmulatedVcpu implements Vcpu {

    private static final Exit BUDGET_SPENT = new Exit.BudgetSpent();
    private static final Exit HALT = new Exit.Halt();

    private final Cpu cpu;

    EmulatedVcpu(Cpu cpu) {
        this.cpu = cpu;
    }

    static Vcpu create(GuestMemory memory, MmioBus mmio, EntryState entry) {
        return new EmulatedVcpu(Cpu.system(memory, new MmioHandler() {
            @Override
            public long read(long physicalAddress, int size) {
                return mmio.read(physicalAddress, size);
            }

            @Override
            public void write(long physicalAddress, int size, long value) {
                mmio.write(physicalAddress, size, value);
            }
        }, entry));
    }

    /** Slices of {@code budget} instructions bound how long a run takes; the deadline needs no watching. */
    @Override
    public Exit run(long budget, long deadlineNanos) {
        return switch (cpu.run(budget)) {
            case CpuExit.BudgetSpent b -> BUDGET_SPENT;
            case CpuExit.Halt h -> HALT;
            case CpuExit.PortIo io -> new Exit.PortIo(io.in(), io.port(), io.size(), io.value());
            case CpuExit.Shutdown s -> new Exit.Shutdown(s.reason());
            // A system CPU delivers faults and SYSCALL through the guest's IDT and MSRs; getting one back is a CPU bug.
            case CpuExit.Fault f -> throw new IllegalStateException("the system CPU returned a fault instead of delivering it: " + f);
            case CpuExit.Syscall s -> throw new IllegalStateException("the system CPU returned a SYSCALL instead of delivering it");
        };
    }

    @Override
    public boolean interruptible() {
        return cpu.interruptible();
    }

    @Override
    public void injectInterrupt(int vector) {
        cpu.injectInterrupt(vector);
    }

    @Override
    public void completePortIn(int value) {
        cpu.completePortIn(value);
    }

    @Override
    public long instructionsRetired() {
        return cpu.retired();
    }

    @Override
    public CpuStats cpuStats() {
        return cpu.stats();
    }

    @Override
    public void init() {
        cpu.init();
    }

    @Override
    public boolean startup(int vector) {
        return cpu.startup(vector);
    }
}
