package dev.corral.engine.vm;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import dev.corral.engine.devices.legacy.I8254;
import dev.corral.engine.devices.legacy.I8259Pair;

/**
 * The boot vCPU's loop, a state machine. RUNNING: deliver a pending interrupt if the CPU can take one, run a slice,
 * act on the exit. HALTED: sleep until the PIC has an interrupt for a CPU that can take it (the PIT's next edge,
 * or a device raising a line, which unparks the thread) or a stop request. FINISHED: the outcome is known.
 *
 * <p>Slices are {@link #BUDGET} instructions, so a stop request and timer edges are seen within a fraction of a
 * millisecond of guest execution. A CPU halted with interrupts disabled stays halted, as a real one does (only
 * a stop request ends it): {@code cli; hlt} is how a guest stops for good.
 */
final class VcpuLoop {

    /** Instructions per slice: a few hundred microseconds of guest code, so stop requests and timers are timely. */
    static final long BUDGET = 100_000;
    /** The longest a halted vCPU sleeps without looking again: a bound on any lost wake-up, not the normal path. */
    static final long MAX_SLEEP_NANOS = 100_000_000;

    enum State { RUNNING, HALTED, FINISHED }

    /** How a halted vCPU waits: LockSupport.parkNanos in production, so an unpark ends the wait early. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long nanos);
    }

    private final Vcpu cpu;
    private final ExitDispatcher exits;
    private final I8259Pair pic;
    private final I8254 pit;
    private final LongSupplier clock;
    private final BooleanSupplier stopRequested;
    private final Sleeper sleeper;
    private VirtualMachine.Outcome outcome;

    VcpuLoop(Vcpu cpu, ExitDispatcher exits, I8259Pair pic, I8254 pit, LongSupplier clock, BooleanSupplier stopRequested,
            Sleeper sleeper) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.exits = Objects.requireNonNull(exits, "exits");
        this.pic = Objects.requireNonNull(pic, "pic");
        this.pit = Objects.requireNonNull(pit, "pit");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.stopRequested = Objects.requireNonNull(stopRequested, "stopRequested");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    }

    /** Runs the guest until it is over; returns why. */
    VirtualMachine.Outcome run() {
        var state = State.RUNNING;
        while (state != State.FINISHED) {
            state = switch (state) {
                case RUNNING -> running();
                case HALTED -> halted();
                case FINISHED -> State.FINISHED;
            };
        }
        return outcome;
    }

    private State running() {
        if (stopRequested.getAsBoolean()) {
            return finish(new VirtualMachine.Outcome.StopRequested());
        }
        pit.advanceTo(clock.getAsLong());
        if (cpu.interruptible() && pic.hasInterrupt()) {
            cpu.injectInterrupt(pic.acknowledge());
        }
        return switch (exits.dispatch(cpu.run(BUDGET), cpu)) {
            case ExitDispatcher.Next.Continue c -> State.RUNNING;
            case ExitDispatcher.Next.Sleep s -> State.HALTED;
            case ExitDispatcher.Next.Finish f -> finish(f.outcome());
        };
    }

    private State halted() {
        if (stopRequested.getAsBoolean()) {
            return finish(new VirtualMachine.Outcome.StopRequested());
        }
        long now = clock.getAsLong();
        pit.advanceTo(now);
        boolean canTake = cpu.interruptible();
        if (canTake && pic.hasInterrupt()) {
            return State.RUNNING;
        }
        long deadline = canTake ? pit.nextDeadlineNanos() : Long.MAX_VALUE;
        long wait = deadline == Long.MAX_VALUE ? MAX_SLEEP_NANOS : Math.max(0, Math.min(deadline - now, MAX_SLEEP_NANOS));
        if (wait > 0) {
            sleeper.sleep(wait);
        }
        return State.HALTED;
    }

    private State finish(VirtualMachine.Outcome result) {
        outcome = result;
        return State.FINISHED;
    }
}
