package dev.corral.engine.vm;

import java.util.Objects;

import dev.corral.engine.machine.PortIoBus;

/**
 * What a vCPU exit means for the VM: the vCPU loop's one decision, kept free of threads and time so it can be
 * tested exit by exit. Port I/O goes to the bus (an unclaimed port reads all-ones and is counted, never fatal);
 * an IN's value goes back to the CPU; a write that made a device ask for power-off ends the VM; HLT sleeps; a
 * triple fault is the guest's crash.
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
    private final PowerRequest power;

    ExitDispatcher(PortIoBus ports, PowerRequest power) {
        this.ports = Objects.requireNonNull(ports, "ports");
        this.power = Objects.requireNonNull(power, "power");
    }

    Next dispatch(Vcpu.Exit exit, Vcpu cpu) {
        return switch (exit) {
            case Vcpu.Exit.BudgetSpent b -> CONTINUE;
            case Vcpu.Exit.Halt h -> SLEEP;
            case Vcpu.Exit.Shutdown s -> new Next.Finish(new VirtualMachine.Outcome.GuestCrashed(s.reason()));
            case Vcpu.Exit.PortIo io -> {
                if (io.in()) {
                    cpu.completePortIn(ports.read(io.port(), io.size()));
                    yield CONTINUE;
                }
                ports.write(io.port(), io.size(), io.value());
                var requested = power.requested();
                yield requested == null ? CONTINUE : new Next.Finish(requested);
            }
        };
    }
}
