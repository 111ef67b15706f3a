package dev.corral.engine.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kick signal, for real: its handler is installed once, does nothing, and makes a blocking system call return
 * EINTR. Checked with poll(2), which signal(7) says is never restarted (like KVM_RUN), so no /dev/kvm is needed.
 */
@Timeout(30)
class ThreadKickTest {

    private static final Linker LINKER = Linker.nativeLinker();
    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)} with no fds: sleeps until the timeout or a signal. */
    private static final MethodHandle POLL = LINKER.downcallHandle(LINKER.defaultLookup().find("poll").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));

    @Test
    void aKickEndsABlockingCallWithEintrAndNothingElseHappens() throws Exception {
        var thread = new CompletableFuture<Long>();
        var result = new CompletableFuture<Integer>();
        var sleeper = Thread.ofPlatform().start(() -> {
            thread.complete(ThreadKick.currentThread());
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                var state = arena.allocate(Linker.Option.captureStateLayout());
                int r = (int) POLL.invokeExact(state, MemorySegment.NULL, 0L, 20_000);
                int errno = state.get(ValueLayout.JAVA_INT, Linker.Option.captureStateLayout().byteOffset(
                        java.lang.foreign.MemoryLayout.PathElement.groupElement("errno")));
                result.complete(r < 0 ? -errno : r);
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        long pthread = thread.get(5, TimeUnit.SECONDS);
        // The thread may not be inside poll() yet: kick until it comes back (each kick is harmless either way).
        while (!result.isDone()) {
            ThreadKick.kick(pthread);
            Thread.sleep(20);
        }
        assertThat(result.get()).as("poll(2) returns -1 with EINTR").isEqualTo(-Errno.EINTR);
        sleeper.join();
    }

    @Test
    void theSignalIsARealTimeOneAwayFromTheJdksOwn() {
        int signal = ThreadKick.signal();
        assertThat(signal).isBetween(Libc.sigrtmin() + 2, Libc.sigrtmax() - 4);
        assertThat(ThreadKick.signal()).as("installed once per process").isEqualTo(signal);
    }

    @Test
    void theHandlerIsInstalledWithSaRestartAndAnExecutableStub(@TempDir Path dir) throws IOException {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var old = arena.allocate(SigAction.LAYOUT);
            Libc.sigaction(ThreadKick.signal(), MemorySegment.NULL, old);
            long handler = old.get(ValueLayout.JAVA_LONG, SigAction.HANDLER);
            assertThat(handler).isNotEqualTo(SigAction.SIG_DFL);
            assertThat(old.get(ValueLayout.JAVA_INT, SigAction.FLAGS) & Libc.SA_RESTART).isNotZero();
            // The stub's page is mapped read+execute in this process: /proc/self/maps says so.
            String maps = Files.readString(Path.of("/proc/self/maps"));
            boolean executable = maps.lines().anyMatch(l -> {
                String[] range = l.split(" ")[0].split("-");
                long from = Long.parseUnsignedLong(range[0], 16);
                long to = Long.parseUnsignedLong(range[1], 16);
                return Long.compareUnsigned(handler, from) >= 0 && Long.compareUnsigned(handler, to) < 0 && l.split(" ")[1].startsWith("r-x");
            });
            assertThat(executable).as("the handler %x lies in an r-x mapping", handler).isTrue();
        }
    }
}
