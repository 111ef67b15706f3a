package dev.corral.engine.usermode;

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
    void statBlocksAndDirectoryOrderAreTheHostsOwn() throws Exception {
        try (var sparse = new java.io.RandomAccessFile(work.resolve("sparse.bin").toFile(), "rw")) {
            sparse.setLength(1 << 20); // a MiB that occupies no block: st_blocks 0, not 2048
        }
        Path dir = fresh(work.resolve("listing"));
        for (String name : new String[] {"zeta", "alpha", "mid", "beta", "omega", "delta"}) {
            Files.writeString(dir.resolve(name), name);
        }
        sameAsNative("stat -c '%n %s %b %B' sparse.bin some-file.txt; du -k sparse.bin; ls -f listing");
    }

    @Test
    void shellPipelineWithSortHeadAndMd5sumMatchesNative() throws Exception {
        sameAsNative("echo hello; seq 1 2000 | sort -rn | head -3; md5sum some-file.txt");
    }

    @Test
    void filesCreatedRenamedAndRemovedInsideTheSandboxBehaveAsNatively() throws Exception {
        String script = "echo data > out.txt; echo more >> out.txt; cat out.txt; mkdir d; mv out.txt d/; ls -R;"
                + " wc -c d/out.txt; cp d/out.txt copy.txt; cmp copy.txt d/out.txt && echo same; rm -r d; ls; rm copy.txt;"
                + " ls | wc -l";
        Path soft = fresh(work.resolve("sandbox-soft"));
        Path real = fresh(work.resolve("sandbox-native"));
        List<String> argv = List.of(busybox.toString(), "sh", "-c", script);
        GuestRun ours = GuestRun.soft(UserModeConfig.defaults().withSandbox(soft), soft, busybox, argv, "");
        GuestRun host = GuestRun.nativeRun(real, busybox, argv, "");
        assertThat(ours.stdout()).as(ours.stderr()).isEqualTo(host.stdout());
        assertThat(ours.exitStatus()).isEqualTo(host.exitStatus());
    }

    @Test
    void writingOutsideTheSandboxIsRefused() throws Exception {
        Path soft = fresh(work.resolve("sandbox-soft"));
        Path outside = work.resolve("outside.txt");
        Files.deleteIfExists(outside);
        List<String> argv = List.of(busybox.toString(), "sh", "-c",
                "echo nope > ../outside.txt || echo refused; touch ../outside.txt || echo refused again; rm some-file.txt");
        GuestRun ours = GuestRun.soft(UserModeConfig.defaults().withSandbox(soft), soft, busybox, argv, "");
        assertThat(ours.stdout()).isEqualTo("refused\nrefused again\n");
        assertThat(outside).doesNotExist();
        assertThat(work.resolve("some-file.txt")).exists();
    }

    private static Path fresh(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return Files.createDirectories(dir);
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
        "echo 'a b c' | { read x y z; echo $z $y $x; }; printf '1\\n2\\n' | while read l; do echo \"[$l]\"; done",
        "sleep 0.2 & sleep 0.1 & wait; echo waited; trap 'echo got usr1' USR1; kill -USR1 $$; echo after",
        "timeout 1 sleep 5; echo timeout $?; sleep 0.1 & wait $!; echo waited $?",
        "seq 1 60 | xargs -n 20 echo | wc -l; find . -name '*.txt' -exec wc -l {} \\;",
        "gzip -c some-file.txt | gunzip | md5sum; base64 some-file.txt | tail -1",
        "f() { echo \"in f $1\"; return 4; }; f x; echo $?; x=$(echo sub; echo shell); echo \"$x\"",
        "cat <<EOF\nhere $((2 + 3))\nEOF\nexec 3>&1; echo via3 >&3; echo err >&2; cat /nonexistent; echo $?",
        "od -A x -t x1z some-file.txt | head -3; cut -c1-9 some-file.txt | sort -u | wc -l; uniq -c some-file.txt | tail -1",
    })
    void appletMatchesNative(String script) throws Exception {
        sameAsNative(script);
    }
}
