package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.TickerImage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QEMU as an oracle: the same ticker image (through its real-mode setup path there) must print the same console
 * output and end the same way on QEMU's CPU, PIC and PIT as on ours. Skipped where qemu-system-x86_64 is not
 * installed: Corral never needs it.
 */
@Timeout(120)
class TickerQemuDifferentialIT {

    @ParameterizedTest
    @ValueSource(strings = {"ticks=3 interval=200", "interval=30 ticks=2", "crash interval=50"})
    void oursAndQemuPrintTheSameAndEndTheSameWay(String cmdline, @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86_64 is not installed");

        var console = ConsoleBuffer.of(1 << 16);
        VirtualMachine.Outcome ours;
        try (var vm = VirtualMachine.create(new VmConfig("diff", 1, 64L << 20, TickerImage.bytes(), null, cmdline, true), console,
                new VirtualMachine.Listener() {
                    @Override
                    public void started() {
                    }

                    @Override
                    public void finished(VirtualMachine.Outcome outcome) {
                    }
                })) {
            vm.start();
            assertThat(vm.awaitFinished(Duration.ofSeconds(60))).isTrue();
            ours = vm.outcome().orElseThrow();
        }

        Path kernel = dir.resolve("ticker");
        Files.write(kernel, TickerImage.bytes());
        Path serial = dir.resolve("serial.txt");
        Path log = dir.resolve("qemu.log");
        var qemu = new ProcessBuilder("qemu-system-x86_64", "-kernel", kernel.toString(), "-append", cmdline, "-m", "64",
                "-display", "none", "-serial", "file:" + serial, "-device", "isa-debug-exit,iobase=0x501,iosize=2", "-no-reboot",
                "-d", "cpu_reset", "-D", log.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile()).start();
        assertThat(qemu.waitFor(60, TimeUnit.SECONDS)).as("QEMU ran the ticker to its end").isTrue();

        String theirs = Files.readString(serial, StandardCharsets.US_ASCII);
        assertThat(new String(console.readFrom(0).bytes(), StandardCharsets.US_ASCII)).isEqualTo(theirs);
        if (ours instanceof VirtualMachine.Outcome.PoweredOff off) {
            assertThat(qemu.exitValue()).as("isa-debug-exit reports (code << 1) | 1").isEqualTo(off.code() << 1 | 1);
        } else {
            assertThat(ours).isInstanceOf(VirtualMachine.Outcome.GuestCrashed.class);
            assertThat(qemu.exitValue()).isZero(); // -no-reboot: a triple fault ends QEMU with 0
            assertThat(Files.readString(log)).contains("Triple fault");
        }
    }

    private static boolean onPath(String program) {
        for (var dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
