package dev.corral.engine.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

class LibcTest {

    @Test
    void failedCallNamesTheCallAndTheErrno() {
        assertThatThrownBy(() -> Libc.open("/nonexistent/corral-test", Libc.O_RDONLY))
                .isInstanceOf(SysException.class)
                .hasMessage("open(/nonexistent/corral-test) failed: ENOENT (2)")
                .satisfies(e -> assertThat(((SysException) e).errno()).isEqualTo(Errno.ENOENT));
        assertThatThrownBy(() -> Libc.close(-1)).hasMessage("close(-1) failed: EBADF (9)");
    }

    @Test
    void ioctlOnAFileThatIsNotADeviceIsENOTTY() {
        int fd = Libc.open("/proc/self/status", Libc.O_RDONLY | Libc.O_CLOEXEC);
        try {
            // KVM_GET_API_VERSION on something that is not /dev/kvm.
            assertThatThrownBy(() -> Libc.ioctl(fd, 0xAE00L, 0L, "KVM_GET_API_VERSION"))
                    .isInstanceOf(SysException.class)
                    .hasMessage("KVM_GET_API_VERSION failed: ENOTTY (25)");
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void eventfdCountsWhatIsWrittenToIt() {
        int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            var value = arena.allocate(ValueLayout.JAVA_LONG);
            value.set(ValueLayout.JAVA_LONG, 0, 3);
            assertThat(Libc.write(fd, value)).isEqualTo(8);
            assertThat(Libc.write(fd, value)).isEqualTo(8);
            value.set(ValueLayout.JAVA_LONG, 0, 0);
            assertThat(Libc.read(fd, value)).isEqualTo(8);
            assertThat(value.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(6);
            // Nothing left: a non-blocking eventfd says EAGAIN.
            assertThatThrownBy(() -> Libc.read(fd, value)).hasMessageContaining("EAGAIN (11)");
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void anonymousMappingsAreZeroedAndUnmapped() {
        var m = Libc.mmapAnonymous(1 << 20, true);
        assertThat(m.byteSize()).isEqualTo(1 << 20);
        assertThat(m.get(ValueLayout.JAVA_LONG, (1 << 20) - 8)).isZero();
        m.set(ValueLayout.JAVA_INT, 4096, 0x1234_5678);
        assertThat(m.get(ValueLayout.JAVA_INT, 4096)).isEqualTo(0x1234_5678);
        Libc.munmap(m);
        assertThatThrownBy(() -> Libc.mmapAnonymous(-1, true)).isInstanceOf(SysException.class).hasMessageContaining("ENOMEM");
    }
}
