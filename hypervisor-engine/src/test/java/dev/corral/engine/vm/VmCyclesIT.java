package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import dev.corral.engine.cpu.translate.SharedTranslations;
import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.TickerImage;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A thousand VMs started and stopped in one JVM, as the node agent runs them for as long as it lives: the ticker
 * guest busy-waiting for its tick, so that on the software CPU its loop is translated, every VM with classes of its
 * own (the shared translations' budget at 0, so nothing is held for the next VM). Half power off on their own after
 * one tick, the other half are stopped by the host while they spin. Afterwards the JVM holds no more classes,
 * Metaspace, threads or file descriptors than after the first ten, within a margin far below what one leaked per VM
 * would add. The same for 200 VMs under KVM, where this host has it (its VM and vCPU descriptors, its mappings).
 */
@Timeout(900)
class VmCyclesIT {

    /** What may be left after the VMs, far below what one class (about 5 KiB of Metaspace) leaked per VM adds. */
    private static final long CLASS_MARGIN = 100, METASPACE_MARGIN = 3L << 20;
    private static final byte[] TICKER = TickerImage.bytes();
    private static final VirtualMachine.Listener QUIET = new VirtualMachine.Listener() {
        @Override
        public void started() {
        }

        @Override
        public void finished(VirtualMachine.Outcome outcome) {
        }
    };

    /** VMs per backend: a thousand on the software CPU (the translator's classes), fewer under KVM (slower to create). */
    private static int cycles(TestBackend backend) {
        return backend == TestBackend.EMULATED ? 1_000 : 200;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestBackend.class, names = {"EMULATED", "KVM"})
    void aThousandVmsStartedAndStoppedLeaveNoClassesMetaspaceThreadsOrDescriptorsBehind(TestBackend backend)
            throws InterruptedException {
        long budget = SharedTranslations.budget(0);
        try {
            for (int k = 0; k < 10; k++) { // the engine's own classes loaded, the translator's threads started
                cycle(backend, k);
            }
            Footprint before = Footprint.settled(null);
            long translated = 0;
            int cycles = cycles(backend);
            for (int k = 0; k < cycles; k++) {
                translated += cycle(backend, k);
            }
            Footprint during = Footprint.now();
            Footprint after = Footprint.settled(before);
            String report = "before " + before + ", at the end " + during + ", after collecting " + after;
            System.out.println(backend + ": " + cycles + " VMs, " + translated + " blocks translated; " + report);
            if (backend == TestBackend.EMULATED) {
                // most VMs translate their loop; one whose thread lost the CPU for its 20 ms interval may spin too
                // few times for its loop to get hot, as happened once on CI's two loaded cores (999 blocks in 1,000)
                assertThat(translated).as("blocks translated in %d VMs", cycles).isGreaterThan(cycles / 2);
                assertThat(during.classes - before.classes).as("the VMs' translations were loaded as classes: %s", report)
                        .isGreaterThan(CLASS_MARGIN);
            }
            assertThat(after.classes - before.classes).as("classes: %s", report).isLessThan(CLASS_MARGIN);
            assertThat(after.metaspace - before.metaspace).as("Metaspace bytes: %s", report).isLessThan(METASPACE_MARGIN);
            assertThat(after.threads).as("threads: %s", report).isLessThanOrEqualTo(before.threads);
            assertThat(after.descriptors - before.descriptors).as("file descriptors: %s", report).isLessThan(5);
        } finally {
            SharedTranslations.budget(budget);
        }
    }

    /** One VM's life; returns the blocks it translated (0 under KVM). */
    private static long cycle(TestBackend backend, int k) throws InterruptedException {
        boolean hostStops = k % 2 == 1;
        var console = ConsoleBuffer.of(4096);
        var config = new VmConfig("cycle-" + k, 1, 32L << 20, TICKER, null,
                hostStops ? "busy interval=20" : "ticks=1 interval=20 busy", true);
        try (var vm = backend.create(config, console, QUIET)) {
            vm.start();
            if (hostStops) {
                long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!text(console).contains("tick 1")) { // it has spun through one interval
                    assertThat(System.nanoTime()).as("VM %d's first tick; its console: %s", k, text(console)).isLessThan(end);
                    Thread.sleep(1);
                }
                // stop presses the power button first, which the ticker answers by entering S5: a quick guest
                // powers off before the zero grace is over, a slow one is stopped by the host
                assertThat(vm.stop(Duration.ZERO)).isIn(new VirtualMachine.Outcome.StopRequested(),
                        new VirtualMachine.Outcome.PoweredOff(0));
            } else {
                assertThat(vm.awaitFinished(Duration.ofSeconds(30))).as("VM %d; its console: %s", k, text(console)).isTrue();
                assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.PoweredOff(0));
            }
            var stats = vm.cpuStats();
            return stats == null ? 0 : stats.blocksTranslated();
        }
    }

    private static String text(ConsoleBuffer console) {
        return new String(console.readFrom(0).bytes(), StandardCharsets.US_ASCII);
    }

    /** What a leak would grow: loaded classes, Metaspace in use, live threads, open file descriptors. */
    private record Footprint(long classes, long metaspace, int threads, long descriptors) {

        static Footprint now() {
            long metaspace = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getName().equals("Metaspace"))
                    .mapToLong(p -> p.getUsage().getUsed())
                    .sum();
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                return new Footprint(ManagementFactory.getClassLoadingMXBean().getLoadedClassCount(), metaspace,
                        Thread.activeCount(), fds.count());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** After full collections (hidden classes go with one), until within reach of {@code target} or 20 tries. */
        static Footprint settled(Footprint target) throws InterruptedException {
            Footprint f = now();
            for (int k = 0; k < 20; k++) {
                System.gc();
                Thread.sleep(50);
                f = now();
                if (target != null && f.classes - target.classes < CLASS_MARGIN
                        && f.metaspace - target.metaspace < METASPACE_MARGIN) {
                    break;
                }
            }
            return f;
        }

        @Override
        public String toString() {
            return classes + " classes, " + (metaspace >> 10) + " KiB of Metaspace, " + threads + " threads, " + descriptors
                    + " descriptors";
        }
    }
}
