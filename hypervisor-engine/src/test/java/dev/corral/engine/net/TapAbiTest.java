package dev.corral.engine.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.corral.engine.sys.Libc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TUN/TAP ABI as {@link Tap} spells it (TUNSETIFF, the flags, struct ifreq, struct pollfd) against the kernel's
 * headers, compiled with gcc: a wrong number fails on every machine, not only on one with /dev/net/tun.
 */
class TapAbiTest {

    @TempDir
    Path tmp;

    @Test
    void ioctlNumberFlagsAndStructLayoutsMatchLinuxIfTunH() throws Exception {
        var c = """
                #include <sys/ioctl.h>
                #include <linux/if_tun.h>
                #include <net/if.h>
                #include <poll.h>
                #include <stddef.h>
                #include <stdio.h>
                int main(void) {
                    printf("%lu %d %d %d %zu %zu %d %zu %zu %zu %d %d %d %d\\n", (unsigned long) TUNSETIFF, IFF_TAP, IFF_NO_PI,
                        IFNAMSIZ, sizeof(struct ifreq), offsetof(struct ifreq, ifr_flags), 0,
                        sizeof(struct pollfd), offsetof(struct pollfd, events), offsetof(struct pollfd, revents),
                        POLLIN, POLLERR, POLLHUP, POLLNVAL);
                    return 0;
                }
                """;
        Files.writeString(tmp.resolve("abi.c"), c);
        run(tmp, "gcc", "-o", "abi", "abi.c");
        String out = run(tmp, "./abi").strip();
        String ours = Tap.TUNSETIFF + " " + Tap.IFF_TAP + " " + Tap.IFF_NO_PI + " " + Tap.IFNAMSIZ + " " + Tap.IFREQ_SIZE + " "
                + Tap.IFR_FLAGS + " 0 " + Libc.POLLFD.byteSize() + " " + Libc.POLLFD.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("events"))
                + " " + Libc.POLLFD.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("revents")) + " " + Libc.POLLIN
                + " " + Libc.POLLERR + " " + Libc.POLLHUP + " " + Libc.POLLNVAL;
        assertThat(ours).isEqualTo(out);
    }

    private static String run(Path dir, String... command) throws Exception {
        var p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
