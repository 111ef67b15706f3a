package dev.corral.engine.vm;

import java.util.Objects;

import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;

/**
 * What a vCPU exit means for the VM: the vCPU loop's one decision, kept free of threads and time so it can be
 * tested exit by exit. Port I/O and MMIO go to their bus (an unclaimed port or address reads all-ones and is counted,
 * never fatal); a read's value goes back to the CPU; a write that made a device ask for power-off ends the VM; HLT
 * sleeps; a triple fault is the guest's crash; a backend that cannot go on fails the VM.
 */
final class ExitDispatcher {

    /** What the loop does next. */
    sealed interface Next {
        record Continue() implements Next {}

        record Sleep() implements Next {}

        record Finish(VirtualMachine.Outcome outcome) implements Next {}
    }

    static final Next CONTINUE = new Next.Continue();
    static final Next SLEEP = new Next.Sleep();

    private final PortIoBus ports;
    private final MmioBus mmio;
    private final PowerRequest power;

    ExitDispatcher(PortIoBus ports, MmioBus mmio, PowerRequest power) {
        this.ports = Objects.requireNonNull(ports, "ports");
        this.mmio = Objects.requireNonNull(mmio, "mmio");
        this.power = Objects.requireNonNull(power, "power");
    }

    Next dispatch(Vcpu.Exit exit, Vcpu cpu) {
        return switch (exit) {
            case Vcpu.Exit.BudgetSpent b -> CONTINUE;
            case Vcpu.Exit.Halt h -> SLEEP;
            case Vcpu.Exit.Shutdown s -> new Next.Finish(new VirtualMachine.Outcome.GuestCrashed(s.reason()));
            case Vcpu.Exit.Reset r -> {
                power.reset();
                yield new Next.Finish(power.requested());
            }
            case Vcpu.Exit.Failed f -> new Next.Finish(new VirtualMachine.Outcome.EngineFailed(f.reason()));
            case Vcpu.Exit.PortIo io -> {
                if (io.in()) {
                    cpu.completePortIn(ports.read(io.port(), io.size()));
                    yield CONTINUE;
                }
                ports.write(io.port(), io.size(), io.value());
                yield afterWrite();
            }
            case Vcpu.Exit.Mmio m -> {
                if (!m.write()) {
                    cpu.completeMmioRead(mmio.read(m.address(), m.size()));
                    yield CONTINUE;
                }
                mmio.write(m.address(), m.size(), m.value());
                yield afterWrite();
            }
        };
    }

    /** A device written to may have asked for power-off (the debug-exit port, the i8042's reset line). */
    private Next afterWrite() {
        var requested = power.requested();
        return requested == null ? CONTINUE : new Next.Finish(requested);
    }
}
