package dev.corral.engine.cpu.user;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Unmodified Debian busybox-static on the software CPU: each command's stdout, stderr and exit status
 * must be byte-for-byte those of the same binary run natively with the same arguments, environment and
 * working directory.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BusyboxIT {

    private static Path busybox;
    private static Path work;

    @BeforeAll
    static void fetch() throws Exception {
        busybox = GuestBinaries.busybox();
        work = Files.createDirectories(Path.of("target/busybox-work")).toAbsolutePath();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            text.append("line ").append(i).append(" of the quick brown fox\n");
        }
        Files.writeString(work.resolve("some-file.txt"), text);
    }

    private static void sameAsNative(String script) throws Exception {
        List<String> argv = List.of(busybox.toString(), "sh", "-c", script);
        GuestRun soft = GuestRun.soft(UserModeConfig.defaults(), work, busybox, argv, "");
        GuestRun real = GuestRun.nativeRun(work, busybox, argv, "");
        assertThat(soft.stdout()).as("stdout of %s (stderr: %s)", script, soft.stderr()).isEqualTo(real.stdout());
        assertThat(soft.stderr()).as("stderr of %s", script).isEqualTo(real.stderr());
        assertThat(soft.exitStatus()).as("exit status of %s", script).isEqualTo(real.exitStatus());
    }

    @Test
    void shellPipelineWithSortHeadAndMd5sumMatchesNative() throws Exception {
        sameAsNative("echo hello; seq 1 2000 | sort -rn | head -3; md5sum some-file.txt");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "wc some-file.txt; wc -l < some-file.txt",
        "echo 'Hello, World' | tr a-z A-Z",
        "sha256sum some-file.txt",
        "expr 6 \\* 7; expr length abcdef",
        "printf '%05d|%-6s|%x\\n' 42 ab 255",
        "grep -c fox some-file.txt; sed -n '3p;7p' some-file.txt",
        "awk '{ s += $2 } END { print s }' some-file.txt",
        "x=0; for i in 1 2 3 4 5; do x=$((x + i * i)); done; echo $x",
        "false; echo status $?; exit 3",
        "ls -1 /etc > /dev/null; cat some-file.txt | tail -2; ls",
    })
    void appletMatchesNative(String script) throws Exception {
        sameAsNative(script);
    }
}
