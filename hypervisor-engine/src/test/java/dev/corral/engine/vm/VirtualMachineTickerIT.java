package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.TickerImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ticker guest on the software CPU: timer interrupts, HLT, serial output and every way a VM ends, for real. */
@Timeout(120)
class VirtualMachineTickerIT {

    private final ConsoleBuffer console = ConsoleBuffer.of(1 << 16);
    private final CompletableFuture<Long> vcpuThread = new CompletableFuture<>();
    private final CompletableFuture<VirtualMachine.Outcome> finished = new CompletableFuture<>();

    private VirtualMachine boot(String cmdline, boolean debugExit) {
        var config = new VmConfig("ticker", 1, 32L << 20, TickerImage.bytes(), null, cmdline, debugExit);
        var vm = VirtualMachine.create(config, console, new VirtualMachine.Listener() {
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
        return new String(console.readFrom(0).bytes(), StandardCharsets.US_ASCII);
    }

    private void awaitOutput(String text, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!output().contains(text)) {
            assertThat(System.nanoTime()).as("waiting for %s; the console has: %s", text, output()).isLessThan(end);
            Thread.sleep(10);
        }
    }

    @Test
    void theTickerPrintsThreeTicksFromTimerInterruptsAndPowersOff() throws Exception {
        long start = System.nanoTime();
        try (var vm = boot("ticks=3 interval=200", true)) {
            assertThat(vm.awaitFinished(Duration.ofSeconds(30))).as("console: %s", output()).isTrue();
            long elapsed = System.nanoTime() - start;
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.PoweredOff(0));
            assertThat(finished.get(1, TimeUnit.SECONDS)).isEqualTo(new VirtualMachine.Outcome.PoweredOff(0));
            assertThat(output()).isEqualTo("corral ticker: booted\r\ntick 1\r\ntick 2\r\ntick 3\r\n");
            assertThat(elapsed).as("three 200 ms intervals of PIT time").isGreaterThan(550_000_000L);
        }
    }

    @Test
    void withoutTheDebugExitPortTheTickerResetsThroughTheI8042() throws Exception {
        try (var vm = boot("ticks=1 interval=50", false)) {
            assertThat(vm.awaitFinished(Duration.ofSeconds(30))).as("console: %s", output()).isTrue();
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.Reset());
        }
    }

    @Test
    void aTripleFaultingGuestIsReportedAsCrashed() throws Exception {
        try (var vm = boot("crash interval=50", true)) {
            assertThat(vm.awaitFinished(Duration.ofSeconds(30))).as("console: %s", output()).isTrue();
            assertThat(vm.outcome()).hasValueSatisfying(o -> assertThat(o).isInstanceOf(VirtualMachine.Outcome.GuestCrashed.class));
            assertThat(output()).contains("tick 1\r\ncorral ticker: crashing");
        }
    }

    @Test
    void aStopRequestEndsATickingGuestWithinASecond() throws Exception {
        try (var vm = boot("interval=100", true)) {
            awaitOutput("tick 2", Duration.ofSeconds(30));
            long asked = System.nanoTime();
            vm.requestStop();
            assertThat(vm.awaitFinished(Duration.ofSeconds(1))).isTrue();
            assertThat(System.nanoTime() - asked).isLessThan(1_000_000_000L);
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.StopRequested());
        }
    }

    @Test
    void aHaltedGuestCostsTheHostAlmostNoCpu() throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        try (var vm = boot("interval=100", true)) {
            awaitOutput("tick 1", Duration.ofSeconds(30));
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
}
