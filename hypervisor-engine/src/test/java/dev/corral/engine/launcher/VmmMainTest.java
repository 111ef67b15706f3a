package dev.corral.engine.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.corral.engine.guests.SmpImage;
import dev.corral.engine.guests.TickerImage;
import dev.corral.engine.host.Accelerator;
import dev.corral.engine.host.AcceleratorProbe;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** corral-vmm run, in this JVM: the console on stdout, the exit status, one line on stderr when it is not 0. */
@Timeout(120)
class VmmMainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    private int run(String... args) {
        return VmmMain.run(args, out, err, false);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    private static String ticker() {
        return TickerImage.build().toAbsolutePath().toString();
    }

    @ParameterizedTest(name = "--accel {0}")
    @ValueSource(strings = {"emulated", "kvm", "auto"})
    void theTickersConsoleGoesToStdoutAndAPowerOffExitsZero(String accel) {
        if (accel.equals("kvm")) {
            Assumptions.assumeTrue(AcceleratorProbe.ofHost().probe().accelerator() != Accelerator.EMULATED_ONLY, "no KVM on this host");
        }
        int status = run("run", "--kernel", ticker(), "--cmdline", "ticks=2 interval=50", "--cpus", "1", "--memory", "32", "--accel", accel);
        assertThat(err()).isEmpty();
        assertThat(status).isZero();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("corral ticker: booted\r\ntick 1\r\ntick 2\r\n");
    }

    @Test
    void aCrashingGuestIsOneLineOnStderrAndStatusOne() {
        int status = run("run", "--kernel", ticker(), "--cmdline=crash interval=50", "--memory=32", "--accel=emulated");
        assertThat(status).isEqualTo(1);
        assertThat(err()).startsWith("corral-vmm: the guest crashed: ").endsWith("\n").hasLineCount(1);
    }

    @Test
    void withDebugExitTheGuestsStatusIsTheExitStatus() {
        Assumptions.assumeTrue(AcceleratorProbe.ofHost().probe().accelerator() != Accelerator.EMULATED_ONLY, "no KVM on this host");
        // The smp guest told to expect two CPUs but given one gives up waiting and writes 3 to the debug-exit port.
        String smp = SmpImage.build().toAbsolutePath().toString();
        assertThat(run("run", "--kernel", smp, "--cmdline", "cpus=2", "--cpus", "1", "--memory", "32", "--accel", "kvm", "--debug-exit"))
                .isEqualTo(3);
        assertThat(out.toString(StandardCharsets.US_ASCII)).endsWith("corral smp: 1 of 2 CPUs up\r\n");
        assertThat(err()).isEmpty();
    }

    @Test
    void badCommandLinesAreOneLineAndStatusTwo(@TempDir Path dir) throws Exception {
        assertThat(run()).isEqualTo(2);
        assertThat(err()).startsWith("corral-vmm: usage: corral-vmm run --kernel FILE");
        for (String[] args : new String[][] {
                {"run"},
                {"run", "--kernel", ticker(), "--cpus", "0"},
                {"run", "--kernel", ticker(), "--memory", "lots"},
                {"run", "--kernel", ticker(), "--accel", "tcg"},
                {"run", "--kernel", ticker(), "--frobnicate"},
                {"run", "--kernel"},
                {"run", "--kernel", dir.resolve("missing").toString()},
        }) {
            errBytes.reset();
            assertThat(run(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err()).as(String.join(" ", args)).startsWith("corral-vmm: ").hasLineCount(1);
        }
        errBytes.reset();
        run("run", "--kernel", ticker(), "--accel", "tcg");
        assertThat(err()).isEqualTo("corral-vmm: --accel takes kvm, emulated or auto, not 'tcg'\n");
        Path garbage = dir.resolve("garbage");
        Files.write(garbage, new byte[8192]);
        errBytes.reset();
        assertThat(run("run", "--kernel", garbage.toString(), "--accel", "emulated")).isEqualTo(2);
        assertThat(err()).startsWith("corral-vmm: VM vmm: cannot boot its kernel").hasLineCount(1);
    }
}
