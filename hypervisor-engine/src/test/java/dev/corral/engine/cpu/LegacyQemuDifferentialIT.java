package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU as an oracle for real, protected and compatibility mode: the oracle firmware is QEMU's BIOS
 * ({@code qemu-system-x86_64 -accel tcg -bios}), so QEMU's CPU runs it from its reset vector with no other
 * firmware; it must print what the software CPU prints, and what {@code legacy-oracle.expected} recorded. Skipped
 * where qemu-system-x86_64 is not installed (Debian's qemu-system-x86): Corral never needs it.
 */
@Timeout(120)
class LegacyQemuDifferentialIT {

    @Test
    void qemuAndTheSoftwareCpuPrintTheSame(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86_64 is not installed");
        byte[] image = LegacyOracle.image();
        Path bios = dir.resolve("oracle.bin");
        Files.write(bios, image);
        Path serial = dir.resolve("serial.txt");
        var qemu = new ProcessBuilder("qemu-system-x86_64", "-accel", "tcg", "-bios", bios.toString(), "-m", "64", "-nodefaults",
                "-display", "none", "-serial", "file:" + serial, "-device", "isa-debug-exit,iobase=0x501,iosize=2", "-no-reboot")
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.out").toFile()).start();
        assertThat(qemu.waitFor(60, TimeUnit.SECONDS)).as("QEMU ran the oracle to its end").isTrue();
        assertThat(qemu.exitValue()).as("isa-debug-exit with 0 reports 1: the firmware reached its end").isEqualTo(1);

        String theirs = Files.readString(serial, StandardCharsets.US_ASCII);
        assertThat(LegacyOracle.runOnSoftwareCpu(image)).isEqualTo(theirs);
        assertThat(LegacyOracle.expected()).as("the recording is QEMU's output").isEqualTo(theirs);
    }

    private static boolean onPath(String program) {
        for (var d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
