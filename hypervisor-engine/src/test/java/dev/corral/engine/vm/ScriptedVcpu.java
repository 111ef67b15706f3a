package dev.corral.engine.vm;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;

/**
 * A stand-in CPU for the loop's tests: returns the exits it is given, in order (then BudgetSpent forever), with
 * IF as the test sets it, and records what the loop did to it.
 */
final class ScriptedVcpu implements Vcpu {

    private final Deque<Supplier<Exit>> script = new ArrayDeque<>();
    final List<Integer> injected = new ArrayList<>();
    final List<Integer> portInValues = new ArrayList<>();
    final List<Long> mmioReadValues = new ArrayList<>();
    volatile int windowRequests;
    volatile int kicks;
    volatile boolean interruptsEnabled = true;
    volatile int runs;

    ScriptedVcpu then(Exit exit) {
        script.add(() -> exit);
        return this;
    }

    ScriptedVcpu then(Supplier<Exit> exit) {
        script.add(exit);
        return this;
    }

    @Override
    public synchronized Exit run(long budget, long deadlineNanos) {
        runs++;
        var next = script.poll();
        return next == null ? new Exit.BudgetSpent() : next.get();
    }

    @Override
    public boolean interruptible() {
        return interruptsEnabled;
    }

    @Override
    public synchronized void injectInterrupt(int vector) {
        injected.add(vector);
    }

    @Override
    public synchronized void completePortIn(int value) {
        portInValues.add(value);
    }

    @Override
    public synchronized void completeMmioRead(long value) {
        mmioReadValues.add(value);
    }

    @Override
    public void requestInterruptWindow() {
        windowRequests++;
    }

    @Override
    public void kick() {
        kicks++;
    }
}
