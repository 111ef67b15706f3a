package dev.corral.engine.vm;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * One vCPU's loop, a state machine, the same for every backend. RUNNING: apply INIT/STARTUP messages, deliver a
 * pending interrupt if the CPU can take one (else ask it to come back when it can), run, act on the exit. HALTED:
 * sleep until the interrupt source has an INIT or STARTUP, or an interrupt for a CPU that can take it (a timer's next
 * edge, or a device raising a line, which wakes the thread), or a request (an application processor waiting for its
 * STARTUP is HALTED too: its CPU runs nothing until then). PAUSED: park until resumed. FINISHED: the outcome is known.
 *
 * <p>The software CPU runs slices of {@link #BUDGET} instructions, so requests and timer edges are seen within a
 * fraction of a millisecond of guest execution; a KVM vCPU is kicked out of KVM_RUN for them. A CPU halted with
 * interrupts disabled stays halted, as a real one does (only a request ends it): {@code cli; hlt} is how a guest stops
 * for good. With KVM's in-kernel irqchip the kernel does HLT and interrupts, and the source here is
 * {@link InterruptSource#NONE}.
 */
final class VcpuLoop {

    /** Instructions per slice: a few hundred microseconds of guest code, so stop requests and timers are timely. */
    static final long BUDGET = 100_000;
    /** The longest a halted vCPU sleeps without looking again: a bound on any lost wake-up, not the normal path. */
    static final long MAX_SLEEP_NANOS = 100_000_000;

    enum State { RUNNING, HALTED, PAUSED, FINISHED }

    /** How a halted vCPU waits: LockSupport.parkNanos in production, so an unpark ends the wait early. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long nanos);
    }

    private final Vcpu cpu;
    private final ExitDispatcher exits;
    private final InterruptSource interrupts;
    private final LongSupplier clock;
    private final RunControl control;
    private final Sleeper sleeper;
    private VirtualMachine.Outcome outcome;
    /** Where a paused loop goes on: a CPU halted before the pause is still halted after it. */
    private State beforePause = State.RUNNING;

    VcpuLoop(Vcpu cpu, ExitDispatcher exits, InterruptSource interrupts, LongSupplier clock, RunControl control, Sleeper sleeper) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.exits = Objects.requireNonNull(exits, "exits");
        this.interrupts = Objects.requireNonNull(interrupts, "interrupts");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.control = Objects.requireNonNull(control, "control");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    }

    /** Runs the vCPU until it or the VM is over; returns why. */
    VirtualMachine.Outcome run() {
        var state = State.RUNNING;
        while (state != State.FINISHED) {
            state = switch (state) {
                case RUNNING -> running();
                case HALTED -> halted();
                case PAUSED -> paused();
                case FINISHED -> State.FINISHED;
            };
        }
        return outcome;
    }

    private State running() {
        if (control.stopRequested()) {
            return finish(new VirtualMachine.Outcome.StopRequested());
        }
        if (control.pauseRequested()) {
            return pause(State.RUNNING);
        }
        interrupts.advanceTo(clock.getAsLong());
        interrupts.applySignals(cpu);
        if (interrupts.hasInterrupt()) {
            if (cpu.interruptible()) {
                cpu.injectInterrupt(interrupts.acknowledge());
            } else {
                cpu.requestInterruptWindow();
            }
        }
        return switch (exits.dispatch(cpu.run(BUDGET, interrupts.nextDeadlineNanos()), cpu)) {
            case ExitDispatcher.Next.Continue c -> State.RUNNING;
            case ExitDispatcher.Next.Sleep s -> State.HALTED;
            case ExitDispatcher.Next.Finish f -> finish(f.outcome());
        };
    }

    private State halted() {
        if (control.stopRequested()) {
            return finish(new VirtualMachine.Outcome.StopRequested());
        }
        if (control.pauseRequested()) {
            return pause(State.HALTED);
        }
        long now = clock.getAsLong();
        interrupts.advanceTo(now);
        if (interrupts.hasSignal()) {
            return State.RUNNING; // INIT or STARTUP: a halted CPU (or one waiting for SIPI) takes them
        }
        boolean canTake = cpu.interruptible();
        if (canTake && interrupts.hasInterrupt()) {
            return State.RUNNING;
        }
        long deadline = canTake ? interrupts.nextDeadlineNanos() : Long.MAX_VALUE;
        long wait = deadline == Long.MAX_VALUE ? MAX_SLEEP_NANOS : Math.max(0, Math.min(deadline - now, MAX_SLEEP_NANOS));
        if (wait > 0) {
            sleeper.sleep(wait);
        }
        return State.HALTED;
    }

    private State pause(State from) {
        beforePause = from;
        return State.PAUSED;
    }

    /** Parks until resumed (or stopped: the state it goes back to sees the stop request first). */
    private State paused() {
        control.parkWhilePaused();
        return beforePause;
    }

    private State finish(VirtualMachine.Outcome result) {
        outcome = result;
        return State.FINISHED;
    }
}
