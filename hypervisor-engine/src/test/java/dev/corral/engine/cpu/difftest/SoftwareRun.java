package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.Cpu;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

/** Runs a case in the software CPU, against a {@link FlatMemory} laid out as the harness lays it out. */
final class SoftwareRun {

    /** Far more than any generated sequence (8 instructions, REP counts below 64) can retire. */
    private static final long BUDGET = 10_000;

    private SoftwareRun() {}

    /** The case in the interpreter. */
    static Outcome run(DiffCase c) {
        return run(c, Cpu.Translation.OFF);
    }

    /** The case in the tiers {@code mode} chooses ({@link Cpu.Translation#ALWAYS}: translated code only). */
    static Outcome run(DiffCase c, Cpu.Translation mode) {
        FlatMemory memory = new FlatMemory(c.code(), c.data().clone(), c.writableCode());
        CpuState state = c.init().copy();
        state.rip = GuestLayout.CODE;
        Cpu cpu = new Cpu(state, memory).translation(mode);
        CpuExit exit;
        try {
            exit = cpu.run(BUDGET);
        } catch (RuntimeException | StackOverflowError e) {
            return new Outcome(Outcome.BROKEN, state.rip, state, memory.data(), 0, "the CPU threw " + e);
        }
        CpuState s = cpu.state();
        return switch (exit) {
            case CpuExit.Fault f -> new Outcome(f.vector(), s.rip, s, memory.data(), f.address(), f.detail());
            case CpuExit.BudgetSpent b -> new Outcome(Outcome.TIMEOUT, s.rip, s, memory.data(), 0, "budget spent");
            case CpuExit.Syscall y -> new Outcome(Outcome.SYSCALL, s.rip, s, memory.data(), 0, "syscall");
            case CpuExit.Halt h -> new Outcome(Outcome.BROKEN, s.rip, s, memory.data(), 0, "unexpected halt exit");
            case CpuExit.PortIo _, CpuExit.Shutdown _ -> new Outcome(Outcome.BROKEN, s.rip, s, memory.data(), 0, "unexpected " + exit);
        };
    }
}
