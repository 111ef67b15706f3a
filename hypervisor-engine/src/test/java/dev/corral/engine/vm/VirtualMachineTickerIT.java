package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.TickerImage;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ticker guest for real, on every backend (the software CPU, KVM with its irqchip, KVM with the Java PIC/PIT):
 * timer interrupts, HLT, serial output, a breakpoint, pause and resume, and every way a VM ends. Each scenario expects
 * the same console output from every backend; the last test also compares the software CPU and KVM directly.
 */
@Timeout(180)
class VirtualMachineTickerIT {

    private final ConsoleBuffer console = ConsoleBuffer.of(1 << 16);
    private final CompletableFuture<Long> vcpuThread = new CompletableFuture<>();
    private final CompletableFuture<VirtualMachine.Outcome> finished = new CompletableFuture<>();

    private VirtualMachine boot(TestBackend backend, String cmdline, boolean debugExit) {
        return boot(backend, cmdline, debugExit, console);
    }

    private VirtualMachine boot(TestBackend backend, String cmdline, boolean debugExit, ConsoleBuffer sink) {
        var config = new VmConfig("ticker", 1, 32L << 20, TickerImage.bytes(), null, cmdline, debugExit);
        var vm = backend.create(config, sink, new VirtualMachine.Listener() {
            @Override
            public void started() {
                vcpuThread.complete(Thread.currentThread().threadId());
            }

            @Override
            public void finished(VirtualMachine.Outcome outcome) {
                if (!finished.complete(outcome)) {
                    throw new AssertionError("finished twice: " + outcome);
                }
            }
        });
        vm.start();
        return vm;
    }

    private String output() {
        return text(console);
    }

    private static String text(ConsoleBuffer buffer) {
        return new String(buffer.readFrom(0).bytes(), StandardCharsets.US_ASCII);
    }

    private void awaitOutput(String text, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!output().contains(text)) {
            assertThat(System.nanoTime()).as("waiting for %s; the console has: %s", text, output()).isLessThan(end);
            Thread.sleep(10);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestBackend.class)
    void theTickerPrintsThreeTicksFromTimerInterruptsAndPowersOff(TestBackend backend) throws Exception {
        long start = System.nanoTime();
        try (var vm = boot(backend, "ticks=3 interval=200", true)) {
            assertThat(vm.awaitFinished(Duration.ofSeconds(60))).as("console: %s", output()).isTrue();
            long elapsed = System.nanoTime() - start;
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.PoweredOff(0));
            assertThat(finished.get(1, TimeUnit.SECONDS)).isEqualTo(new VirtualMachine.Outcome.PoweredOff(0));
            assertThat(output()).isEqualTo("corral ticker: booted\r\ntick 1\r\ntick 2\r\ntick 3\r\n");
            assertThat(elapsed).as("three 200 ms intervals of PIT time").isGreaterThan(550_000_000L);
            assertThat(vm.accelerator()).isEqualTo(backend == TestBackend.EMULATED ? VmAccelerator.EMULATED : VmAccelerator.KVM);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestBackend.class)
    void withoutTheDebugExitPortTheTickerResetsThroughTheI8042(TestBackend backend) throws Exception {
        try (var vm = boot(backend, "ticks=1 interval=50", false)) {
            assertThat(vm.awaitFinished(Duration.ofSeconds(60))).as("console: %s", output()).isTrue();
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.Reset());
        }
    }

    /** A graceful stop: the ACPI power button raises the SCI, the ticker sees PWRBTN_STS and enters S5. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TestBackend.class)
    void thePowerButtonShutsTheTickerDownThroughS5(TestBackend backend) throws Exception {
        try (var vm = boot(backend, "interval=100", false)) {
            awaitOutput("tick 1\r\n", Duration.ofSeconds(60));
            var outcome = vm.stop(Duration.ofSeconds(30));
            assertThat(outcome).as("console: %s", output()).isEqualTo(new VirtualMachine.Outcome.PoweredOff(0));
            assertThat(output()).endsWith("corral ticker: power button\r\n");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestBackend.class)
    void aTripleFaultingGuestIsReportedAsCrashed(TestBackend backend) throws Exception {
        try (var vm = boot(backend, "crash interval=50", true)) {
            assertThat(vm.awaitFinished(Duration.ofSeconds(60))).as("console: %s", output()).isTrue();
            assertThat(vm.outcome()).hasValueSatisfying(o -> assertThat(o).isInstanceOf(VirtualMachine.Outcome.GuestCrashed.class));
            assertThat(output()).contains("tick 1\r\ncorral ticker: crashing");
        }
    }

    /**
     * On kvm_pvm KVM cannot emulate FWAIT or INT3 in ring 0; the VMM does what the CPU would (FWAIT: go on, no x87
     * exception is pending; INT3: step over it and inject #BP), so the guest goes on and sees its breakpoint.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(TestBackend.class)
    void anFwaitAndAnInt3InTheGuestKernelRunAsOnACpu(TestBackend backend) throws Exception {
        try (var vm = boot(backend, "fwait int3 ticks=1 interval=50", true)) {
            assertThat(vm.awaitFinished(Duration.ofSeconds(60))).as("console: %s", output()).isTrue();
            assertThat(output()).isEqualTo("corral ticker: booted\r\ncorral ticker: fwait\r\ncorral ticker: breakpoint\r\ntick 1\r\n");
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.PoweredOff(0));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestBackend.class)
    void aStopRequestEndsATickingGuestWithinASecond(TestBackend backend) throws Exception {
        try (var vm = boot(backend, "interval=100", true)) {
            awaitOutput("tick 2", Duration.ofSeconds(60));
            long asked = System.nanoTime();
            vm.requestStop();
            assertThat(vm.awaitFinished(Duration.ofSeconds(1))).isTrue();
            assertThat(System.nanoTime() - asked).isLessThan(1_000_000_000L);
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.StopRequested());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestBackend.class)
    void aHaltedGuestCostsTheHostAlmostNoCpu(TestBackend backend) throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        try (var vm = boot(backend, "interval=100", true)) {
            awaitOutput("tick 1", Duration.ofSeconds(60));
            long id = vcpuThread.get(1, TimeUnit.SECONDS);
            long cpu0 = threads.getThreadCpuTime(id);
            long wall0 = System.nanoTime();
            Thread.sleep(2_000);
            long cpu = threads.getThreadCpuTime(id) - cpu0;
            long wall = System.nanoTime() - wall0;
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.RUNNING);
            assertThat(output()).contains("tick 10");
            assertThat((double) cpu / wall).as("vCPU thread CPU time over wall time, ticking at 100 Hz").isLessThan(0.5);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestBackend.class)
    void aPausedGuestRunsNoCodeUntilResumed(TestBackend backend) throws Exception {
        try (var vm = boot(backend, "interval=50", true)) {
            awaitOutput("tick 2", Duration.ofSeconds(60));
            vm.pause();
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.PAUSED);
            String atPause = output();
            Thread.sleep(400); // eight intervals: a running guest would print
            assertThat(output()).as("nothing printed while paused").isEqualTo(atPause);
            long ticks = atPause.lines().filter(l -> l.startsWith("tick ")).count();

            vm.resume();
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.RUNNING);
            awaitOutput("tick " + (ticks + 2) + "\r\n", Duration.ofSeconds(60));
            vm.pause();
            vm.requestStop(); // a paused VM stops too
            assertThat(vm.awaitFinished(Duration.ofSeconds(5))).isTrue();
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.StopRequested());
        }
    }

    /** Differential: the software CPU and KVM run the same image to the same console output and the same end. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ticks=3 interval=200", "fwait int3 interval=30 ticks=2", "crash interval=50"})
    void theSoftwareCpuAndKvmPrintTheSameAndEndTheSameWay(String cmdline) throws Exception {
        TestBackend.assumeKvm();
        var emulatedConsole = ConsoleBuffer.of(1 << 16);
        var kvmConsole = ConsoleBuffer.of(1 << 16);
        VirtualMachine.Outcome emulated;
        VirtualMachine.Outcome kvm;
        try (var vm = new VirtualMachineTickerIT().boot(TestBackend.EMULATED, cmdline, true, emulatedConsole)) {
            assertThat(vm.awaitFinished(Duration.ofSeconds(60))).isTrue();
            emulated = vm.outcome().orElseThrow();
        }
        try (var vm = new VirtualMachineTickerIT().boot(TestBackend.KVM, cmdline, true, kvmConsole)) {
            assertThat(vm.awaitFinished(Duration.ofSeconds(60))).isTrue();
            kvm = vm.outcome().orElseThrow();
        }
        assertThat(text(kvmConsole)).isEqualTo(text(emulatedConsole)).isNotEmpty();
        assertThat(kvm.getClass()).isEqualTo(emulated.getClass());
        if (emulated instanceof VirtualMachine.Outcome.PoweredOff) {
            assertThat(kvm).isEqualTo(emulated);
        }
    }
}
