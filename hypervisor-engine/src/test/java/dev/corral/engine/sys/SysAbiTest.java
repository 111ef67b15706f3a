package dev.corral.engine.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The libc structs and constants the engine spells by hand, against glibc's headers compiled with gcc. */
class SysAbiTest {

    @TempDir
    Path tmp;

    @Test
    void structSigactionAndTheConstantsMatchGlibc() throws Exception {
        var expected = new TreeMap<String, Long>(Map.of(
                "sizeof sigaction", SigAction.LAYOUT.byteSize(),
                "offsetof sa_handler", SigAction.HANDLER,
                "offsetof sa_mask", SigAction.MASK,
                "offsetof sa_flags", SigAction.FLAGS,
                "offsetof sa_restorer", SigAction.RESTORER,
                "SA_RESTART", (long) Libc.SA_RESTART,
                "PROT_EXEC", (long) Libc.PROT_EXEC,
                "EAGAIN", (long) Errno.EAGAIN,
                "EINTR", (long) Errno.EINTR));
        String source = """
                #define _GNU_SOURCE
                #include <errno.h>
                #include <signal.h>
                #include <stddef.h>
                #include <stdio.h>
                #include <sys/mman.h>
                int main(void) {
                    printf("sizeof sigaction %lu\\n", (unsigned long) sizeof(struct sigaction));
                    printf("offsetof sa_handler %lu\\n", (unsigned long) offsetof(struct sigaction, sa_handler));
                    printf("offsetof sa_mask %lu\\n", (unsigned long) offsetof(struct sigaction, sa_mask));
                    printf("offsetof sa_flags %lu\\n", (unsigned long) offsetof(struct sigaction, sa_flags));
                    printf("offsetof sa_restorer %lu\\n", (unsigned long) offsetof(struct sigaction, sa_restorer));
                    printf("SA_RESTART %lu\\n", (unsigned long) SA_RESTART);
                    printf("PROT_EXEC %lu\\n", (unsigned long) PROT_EXEC);
                    printf("EAGAIN %lu\\n", (unsigned long) EAGAIN);
                    printf("EINTR %lu\\n", (unsigned long) EINTR);
                    return 0;
                }
                """;
        Path src = tmp.resolve("sysabi.c");
        Path exe = tmp.resolve("sysabi");
        Files.writeString(src, source);
        var gcc = new ProcessBuilder("gcc", "-O0", "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        String gccOut = new String(gcc.getInputStream().readAllBytes());
        assertThat(gcc.waitFor(60, TimeUnit.SECONDS) && gcc.exitValue() == 0).as("gcc:\n%s", gccOut).isTrue();
        var run = new ProcessBuilder(exe.toString()).start();
        var actual = new TreeMap<String, Long>();
        new String(run.getInputStream().readAllBytes()).lines().forEach(l -> {
            int space = l.lastIndexOf(' ');
            actual.put(l.substring(0, space), Long.parseLong(l.substring(space + 1)));
        });
        assertThat(run.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(actual).isEqualTo(expected);
    }
}
