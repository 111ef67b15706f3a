package dev.corral.engine.usermode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The syscall shim and process model, driven by a libc-free guest (src/test/c/shimprobe.c) whose
 * scenarios need only integer instructions. Where the scenario does not depend on the sandbox, the
 * output and exit status must equal the same binary's native run.
 */
class UserModeShimTest {

    private static Path probe;
    private static final Path CWD = Path.of("").toAbsolutePath();

    @BeforeAll
    static void build() throws Exception {
        probe = GuestBinaries.shimProbe();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hello", "exit", "segv", "pipe", "sigpipe", "exec", "memory", "signal", "segvhandler", "select", "timer"})
    void scenarioBehavesAsItDoesNatively(String scenario) throws Exception {
        List<String> argv = List.of(probe.toString(), scenario);
        GuestRun soft = GuestRun.soft(CWD, probe, argv);
        GuestRun real = GuestRun.nativeRun(CWD, probe, argv);
        assertThat(soft.stdout()).isEqualTo(real.stdout());
        assertThat(soft.exitStatus()).as(soft.stderr()).isEqualTo(real.exitStatus());
    }

    @Test
    void aCpuBoundLoopComputesWhatTheHostComputes() throws Exception {
        List<String> argv = List.of("probe", "crc", "3");
        GuestRun soft = GuestRun.soft(CWD, probe, argv);
        assertThat(soft.stdout()).as(soft.stderr()).isEqualTo(GuestRun.nativeRun(CWD, probe, argv).stdout()).startsWith("crc ");
    }

    @Test
    void aPrivateFileMappingShowsTheFileFromItsOffset() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 700; i++) {
            text.append("line ").append(i).append('\n');
        }
        Path file = Files.writeString(Files.createDirectories(Path.of("target/shim")).resolve("mapped.txt"), text);
        List<String> argv = List.of("probe", "mmapfile", file.toAbsolutePath().toString());
        GuestRun soft = GuestRun.soft(CWD, probe, argv);
        assertThat(soft.stdout()).as(soft.stderr()).isEqualTo(GuestRun.nativeRun(CWD, probe, argv).stdout())
                .endsWith("past end of file reads zero: 1\n");
        List<String> beyond = List.of("probe", "mmapfile", file.toAbsolutePath().toString(), "touch-the-page-past-the-end");
        assertThat(GuestRun.soft(CWD, probe, beyond).exitStatus()).as("SIGBUS, as natively")
                .isEqualTo(GuestRun.nativeRun(CWD, probe, beyond).exitStatus()).isEqualTo(128 + 7);
    }

    @Test
    void argumentsEnvironmentAndAuxiliaryVectorReachTheGuest() throws Exception {
        List<String> argv = List.of("probe-name", "args", "two words", "");
        GuestRun soft = GuestRun.soft(CWD, probe, argv);
        assertThat(soft.stdout()).startsWith("argc 4\nprobe-name\nargs\ntwo words\n\n")
                .contains("LC_ALL=C\n", "PATH=/usr/bin:/bin\n", "pagesz 4096\n", "random 1\n", "rsp aligned 1\n");
        assertThat(soft.exitStatus()).isZero();
    }

    @Test
    void aGuestFaultKillsOnlyThatGuestWithSigsegvAndSaysWhere() throws Exception {
        GuestRun soft = GuestRun.soft(CWD, probe, List.of("probe", "segv"));
        assertThat(soft.exitStatus()).isEqualTo(128 + 11);
        assertThat(soft.stderr()).contains("killed by SIGSEGV", "write of unmapped or protected address 0x8");
    }

    @Test
    void hostFilesAreReadableButNotWritableOutsideTheSandboxAndUnknownSyscallsAreEnosys() throws Exception {
        Path file = Files.writeString(Files.createDirectories(Path.of("target/shim")).resolve("readme.txt"), "four\n");
        var out = new java.io.ByteArrayOutputStream();
        var result = UserMode.run(UserModeConfig.defaults().withDiagnostics(s -> { }), probe,
                List.of("probe", "files", file.toAbsolutePath().toString()), GuestRun.ENV,
                java.io.InputStream.nullInputStream(), out, java.io.OutputStream.nullOutputStream(), CWD);
        assertThat(out.toString()).isEqualTo("read 5\nfour\nmissing -2, write outside sandbox -13, unknown syscall -38\n");
        assertThat(result.unknownSyscalls()).containsEntry(500, 1L);
        assertThat(Files.readString(file)).isEqualTo("four\n");
    }

    @Test
    void theSandboxIsTheOnlyPlaceAGuestMayWrite() throws Exception {
        Path sandbox = Files.createDirectories(Path.of("target/shim/sandbox")).toAbsolutePath();
        Path file = Files.writeString(sandbox.resolve("inside.txt"), "ok\n");
        var out = new java.io.ByteArrayOutputStream();
        UserMode.run(UserModeConfig.defaults().withSandbox(sandbox).withDiagnostics(s -> { }), probe,
                List.of("probe", "files", file.toString()), GuestRun.ENV, java.io.InputStream.nullInputStream(), out,
                java.io.OutputStream.nullOutputStream(), CWD);
        assertThat(out.toString()).contains("write outside sandbox 4"); // inside it, opening for writing gives a descriptor
    }

    @Test
    void aGuestTouchingMoreMemoryThanItsLimitIsKilledAndTheHostIsNot() throws Exception {
        List<String> diagnostics = new java.util.ArrayList<>();
        var result = UserMode.run(UserModeConfig.defaults().withMemoryLimit(32L << 20).withDiagnostics(diagnostics::add), probe,
                List.of("probe", "hog"), GuestRun.ENV, java.io.InputStream.nullInputStream(),
                java.io.OutputStream.nullOutputStream(), java.io.OutputStream.nullOutputStream(), CWD);
        assertThat(result.exitStatus()).isEqualTo(128 + 9);
        assertThat(diagnostics).anyMatch(d -> d.contains("out of memory"));
        assertThat(GuestRun.soft(CWD, probe, List.of("probe", "hog")).stdout()).as("within the default limit").isEqualTo("touched all\n");
    }

    @Test
    void aForkBombGetsEagainInsteadOfTheHostsThreads() throws Exception {
        GuestRun soft = GuestRun.soft(CWD, probe, List.of("probe", "forkbomb"));
        assertThat(soft.stdout()).isEqualTo("fork failed with -11 after more than 100: 1\n");
    }

    @Test
    void randomSyscallsWithRandomArgumentsGetAnswersNotInternalErrors() throws Exception {
        GuestRun soft = GuestRun.soft(CWD, probe, List.of("probe", "fuzz"));
        assertThat(soft.stderr()).doesNotContain("internal error");
        assertThat(soft.stdout()).endsWith("fuzz done, calls over 15000: 1\n");
        assertThat(soft.exitStatus()).isZero();
    }

    @Test
    void aFileThatIsNotAnExecutableIsATypedErrorBeforeAnythingRuns() throws Exception {
        Path script = Files.writeString(Files.createDirectories(Path.of("target/shim")).resolve("not-elf.sh"), "echo hi\n");
        assertThatThrownBy(() -> GuestRun.soft(CWD, script, List.of("x"))).isInstanceOf(ElfFormatException.class);
    }
}
