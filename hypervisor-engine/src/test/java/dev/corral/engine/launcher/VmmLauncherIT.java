package dev.corral.engine.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.corral.engine.guests.TickerImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** corral-vmm as a process: Ctrl-C (SIGINT) stops a running guest, and the process says so and exits 130. */
@Timeout(120)
class VmmLauncherIT {

    @Test
    void ctrlCStopsTheVmWithOneLineAndStatus130(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        var vmm = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                VmmMain.class.getName(), "run", "--kernel", TickerImage.build().toAbsolutePath().toString(), "--cmdline", "interval=50",
                "--memory", "32", "--accel", "auto")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(out, StandardCharsets.US_ASCII).contains("tick 2\r\n")) {
            assertThat(vmm.isAlive()).as("corral-vmm runs; stderr: %s", Files.readString(err)).isTrue();
            assertThat(System.nanoTime()).as("waiting for ticks; stdout: %s", Files.readString(out)).isLessThan(end);
            Thread.sleep(20);
        }
        new ProcessBuilder("kill", "-INT", Long.toString(vmm.pid())).inheritIO().start().waitFor();
        assertThat(vmm.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(vmm.exitValue()).isEqualTo(130);
        assertThat(Files.readString(err)).isEqualTo("corral-vmm: stopped (interrupted)\n");
        assertThat(Files.readString(out, StandardCharsets.US_ASCII)).startsWith("corral ticker: booted\r\ntick 1\r\ntick 2\r\n");
    }
}
