package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.devices.legacy.Chipset;
import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.devices.legacy.LegacyDevices;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.vm.Vcpu.Exit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The loop against the real PIC and PIT on a clock the test moves, with a scripted CPU. */
@Timeout(10)
class VcpuLoopTest {

    private long now = 1_000_000_000L;
    private final RunControl control = new RunControl();
    private final List<Long> sleeps = new ArrayList<>();
    private final PortIoBus ports = new PortIoBus();
    private final PowerRequest power = new PowerRequest();
    private final Chipset chipset = Chipset.attach(ports, () -> now, () -> { });
    private final LegacyDevices legacy = LegacyDevices.attach(ports, chipset.pic(),
            new LegacyDevices.Config(ConsoleBuffer.of(64), Clock.systemUTC(), power::reset, power::debugExit, true));
    private final ScriptedVcpu cpu = new ScriptedVcpu();
    private final VcpuLoop loop = new VcpuLoop(cpu, new ExitDispatcher(ports, new MmioBus(), power), InterruptSource.of(chipset), () -> now,
            control, nanos -> {
                sleeps.add(nanos);
                now += nanos;
            });

    /** What the ticker does: PICs at 0x20/0x28 with only IRQ 0 unmasked, PIT counter 0 at 100 Hz in mode 2. */
    private void programLikeTheTicker() {
        int[][] writes = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0xa0, 0x11}, {0xa1, 0x28}, {0xa1, 0x02},
            {0xa1, 0x01}, {0x21, 0xfe}, {0xa1, 0xff}, {0x43, 0x34}, {0x40, 11932 & 0xff}, {0x40, 11932 >> 8}};
        for (var w : writes) {
            ports.write(w[0], 1, w[1]);
        }
        // The edge OUT makes when mode 2 is programmed is taken and EOIed, as the guest would right away.
        chipset.pic().acknowledge();
        ports.write(0x20, 1, 0x20);
    }

    private static Exit out(int port, int value) {
        return new Exit.PortIo(false, port, 1, value);
    }

    @Test
    void aHaltedCpuSleepsUntilThePitEdgeAndThenTakesIrq0() {
        programLikeTheTicker();
        long start = now;
        cpu.then(new Exit.Halt()).then(out(0x20, 0x20)).then(out(0x501, 0));

        assertThat(loop.run()).isEqualTo(new VirtualMachine.Outcome.PoweredOff(0));

        assertThat(cpu.injected).containsExactly(0x20);
        assertThat(now - start).as("woken at the 10 ms edge, not before and not much after").isBetween(10_000_000L, 10_001_000L);
        assertThat(sleeps).hasSize(1);
    }

    @Test
    void aCpuWithInterruptsDisabledIsNeverInterruptedAndAHaltStaysHaltedUntilStopped() {
        programLikeTheTicker();
        cpu.interruptsEnabled = false;
        cpu.then(new Exit.BudgetSpent()).then(new Exit.Halt());
        var stopper = new ArrayList<Long>();
        var stoppingLoop = new VcpuLoop(cpu, new ExitDispatcher(ports, new MmioBus(), power), InterruptSource.of(chipset), () -> now, control,
                nanos -> {
                    stopper.add(nanos);
                    now += nanos;
                    if (stopper.size() == 20) {
                        control.requestStop();
                    }
                });

        assertThat(stoppingLoop.run()).isEqualTo(new VirtualMachine.Outcome.StopRequested());

        assertThat(cpu.injected).isEmpty();
        assertThat(stopper).as("no timer deadline matters to a CPU that cannot take it").allMatch(n -> n == VcpuLoop.MAX_SLEEP_NANOS);
        assertThat(chipset.pic().hasInterrupt()).isTrue();
    }

    @Test
    void aPendingInterruptIsInjectedBeforeTheNextSliceAndAcknowledgedOnce() {
        programLikeTheTicker();
        cpu.then(() -> {
            now += 25_000_000; // the slice took 25 ms: two PIT periods, one pending edge
            return new Exit.BudgetSpent();
        }).then(new Exit.BudgetSpent()).then(out(0x20, 0x20)).then(new Exit.BudgetSpent()).then(new Exit.Shutdown("triple fault"));

        assertThat(loop.run()).isEqualTo(new VirtualMachine.Outcome.GuestCrashed("triple fault"));

        assertThat(cpu.injected).containsExactly(0x20);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void aStopRequestEndsARunningLoopAtTheNextSlice() {
        cpu.then(() -> {
            control.requestStop();
            return new Exit.BudgetSpent();
        });
        assertThat(loop.run()).isEqualTo(new VirtualMachine.Outcome.StopRequested());
        assertThat(cpu.runs).isEqualTo(1);
    }

    @Test
    void aHaltWithNoTimerProgrammedSleepsInBoundedNaps() {
        cpu.then(new Exit.Halt());
        var naps = new ArrayList<Long>();
        var napping = new VcpuLoop(cpu, new ExitDispatcher(ports, new MmioBus(), power), InterruptSource.of(chipset), () -> now, control,
                nanos -> {
                    naps.add(nanos);
                    if (naps.size() == 3) {
                        control.requestStop();
                    }
                });
        assertThat(napping.run()).isEqualTo(new VirtualMachine.Outcome.StopRequested());
        assertThat(naps).containsExactly(VcpuLoop.MAX_SLEEP_NANOS, VcpuLoop.MAX_SLEEP_NANOS, VcpuLoop.MAX_SLEEP_NANOS);
    }

    @Test
    void anInterruptACpuCannotTakeYetAsksItToComeBackWhenItCan() {
        programLikeTheTicker();
        cpu.interruptsEnabled = false;
        cpu.then(() -> {
            now += 15_000_000; // an edge is pending now
            return new Exit.BudgetSpent();
        }).then(new Exit.BudgetSpent()).then(() -> {
            cpu.interruptsEnabled = true; // the window opens (KVM: KVM_EXIT_IRQ_WINDOW_OPEN)
            return new Exit.BudgetSpent();
        }).then(out(0x501, 0));

        assertThat(loop.run()).isEqualTo(new VirtualMachine.Outcome.PoweredOff(0));

        assertThat(cpu.windowRequests).as("asked before each run while IF was clear").isEqualTo(2);
        assertThat(cpu.injected).containsExactly(0x20);
    }

    @Test
    void aPausedLoopRunsNothingUntilResumedAndAHaltedCpuStaysHalted() throws Exception {
        cpu.interruptsEnabled = false;
        cpu.then(new Exit.Halt());
        var napping = new VcpuLoop(cpu, new ExitDispatcher(ports, new MmioBus(), power), InterruptSource.NONE, System::nanoTime, control,
                nanos -> java.util.concurrent.locks.LockSupport.parkNanos(1_000_000));
        var result = new java.util.concurrent.CompletableFuture<VirtualMachine.Outcome>();
        var thread = Thread.ofPlatform().start(() -> result.complete(napping.run()));
        while (cpu.runs == 0) {
            Thread.sleep(1);
        }
        control.requestPause();
        control.awaitParked(1, () -> false);
        int runs = cpu.runs;
        Thread.sleep(50);
        assertThat(cpu.runs).as("a parked loop runs nothing").isEqualTo(runs);

        control.resume();
        Thread.sleep(50);
        assertThat(cpu.runs).as("halted before the pause, halted after it: not run again").isEqualTo(runs);
        control.requestStop();
        thread.join();
        assertThat(result.get()).isEqualTo(new VirtualMachine.Outcome.StopRequested());
    }
}
