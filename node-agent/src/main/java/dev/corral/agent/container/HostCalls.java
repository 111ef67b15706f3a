package dev.corral.agent.container;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

import dev.corral.engine.sys.Errno;

/**
 * The libc calls the container runtime makes that the JDK has no API for: mount and unmount (the overlay roots),
 * mknod (overlayfs whiteouts, the containers' output FIFOs), lsetxattr (opaque directories), chmod with the set-id bits. One checked wrapper per
 * call; a failure is an {@link IOException} naming the call, the path and the errno. The only class of the agent that
 * links native code.
 */
final class HostCalls {

    /** {@code <sys/stat.h>}: a character device. */
    static final int S_IFCHR = 0020000;
    /** {@code <sys/stat.h>}: a FIFO (named pipe). */
    static final int S_IFIFO = 0010000;
    /** {@code <sys/mount.h>}: lazy detach, so a busy mount still goes away once its last user leaves. */
    static final int MNT_DETACH = 2;
    static final int EINVAL = 22;
    static final int ENOENT = 2;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** {@code int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)}. */
    private static final MethodHandle MOUNT = link("mount", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    /** {@code int umount2(const char *target, int flags)}. */
    private static final MethodHandle UMOUNT2 = link("umount2", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT));
    /** {@code int mknod(const char *path, mode_t mode, dev_t dev)}: mode_t is an unsigned int, dev_t an unsigned long. */
    private static final MethodHandle MKNOD = link("mknod", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    /** {@code int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)}. */
    private static final MethodHandle LSETXATTR = link("lsetxattr", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    /** {@code int chmod(const char *path, mode_t mode)}. */
    private static final MethodHandle CHMOD = link("chmod", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT));

    /** {@code int eventfd(unsigned int initval, int flags)}. */
    private static final MethodHandle EVENTFD = link("eventfd", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));
    /** {@code int open(const char *path, int flags)}. */
    private static final MethodHandle OPEN = link("open", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT));
    /** {@code ssize_t read(int fd, void *buf, size_t count)}. */
    private static final MethodHandle READ = link("read", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    /** {@code int close(int fd)}. */
    private static final MethodHandle CLOSE = link("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    static final int O_RDONLY_CLOEXEC = 0x80000;
    static final int EFD_CLOEXEC_NONBLOCK = 0x80000 | 0x800;
    static final int EAGAIN = 11;

    private HostCalls() {
    }

    private static MethodHandle link(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, CAPTURE_ERRNO);
    }

    /** Mounts an overlay at {@code target} with the given options (lowerdir=...,upperdir=...,workdir=...). */
    static void mountOverlay(Path target, String options) throws IOException {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            int rc = (int) MOUNT.invokeExact(state, arena.allocateFrom("overlay"), arena.allocateFrom(target.toString()),
                    arena.allocateFrom("overlay"), 0L, arena.allocateFrom(options));
            check(rc, state, "mount overlay", target);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling mount", t);
        }
    }

    /** Detaches the mount at {@code target}; false when nothing was mounted there (EINVAL) or it is gone (ENOENT). */
    static boolean unmount(Path target) throws IOException {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            int rc = (int) UMOUNT2.invokeExact(state, arena.allocateFrom(target.toString()), MNT_DETACH);
            if (rc != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                if (errno == EINVAL || errno == ENOENT) {
                    return false;
                }
                throw failure("umount2", target, errno);
            }
            return true;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling umount2", t);
        }
    }

    /** Creates the character device 0:0 at {@code path}: overlayfs's whiteout, which hides that name in lower layers. */
    static void whiteout(Path path) throws IOException {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            int rc = (int) MKNOD.invokeExact(state, arena.allocateFrom(path.toString()), S_IFCHR | 0, 0L);
            check(rc, state, "mknod", path);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling mknod", t);
        }
    }

    /** Creates a FIFO (named pipe) at {@code path}, readable and writable by its owner only: mkfifo(3) is mknod(S_IFIFO). */
    static void mkfifo(Path path) throws IOException {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            int rc = (int) MKNOD.invokeExact(state, arena.allocateFrom(path.toString()), S_IFIFO | 0600, 0L);
            check(rc, state, "mknod fifo", path);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling mknod", t);
        }
    }

    /** Sets an extended attribute on {@code path} itself (a symlink is not followed). */
    static void setXattr(Path path, String name, String value) throws IOException {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            var bytes = arena.allocateFrom(value);
            int rc = (int) LSETXATTR.invokeExact(state, arena.allocateFrom(path.toString()), arena.allocateFrom(name), bytes,
                    (long) value.length(), 0);
            check(rc, state, "lsetxattr " + name, path);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling lsetxattr", t);
        }
    }

    /** Sets all twelve mode bits (the JDK's POSIX permissions leave out set-uid, set-gid and sticky). */
    static void chmod(Path path, int mode) throws IOException {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            int rc = (int) CHMOD.invokeExact(state, arena.allocateFrom(path.toString()), mode & 07777);
            check(rc, state, "chmod", path);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling chmod", t);
        }
    }

    /** A non-blocking, close-on-exec eventfd. */
    static int eventfd() throws IOException {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            int fd = (int) EVENTFD.invokeExact(state, 0, EFD_CLOEXEC_NONBLOCK);
            if (fd < 0) {
                throw failure("eventfd", Path.of("-"), (int) ERRNO.get(state, 0L));
            }
            return fd;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling eventfd", t);
        }
    }

    /** Opens {@code path} read-only (close-on-exec); the raw descriptor, for cgroup v1's event_control. */
    static int openReadOnly(Path path) throws IOException {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()), O_RDONLY_CLOEXEC);
            if (fd < 0) {
                throw failure("open", path, (int) ERRNO.get(state, 0L));
            }
            return fd;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling open", t);
        }
    }

    /** The count an eventfd holds (and resets it), 0 when none was signalled yet. */
    static long readEventfd(int fd) throws IOException {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            var buffer = arena.allocate(ValueLayout.JAVA_LONG);
            long n = (long) READ.invokeExact(state, fd, buffer, 8L);
            if (n < 0) {
                int errno = (int) ERRNO.get(state, 0L);
                if (errno == EAGAIN) {
                    return 0;
                }
                throw failure("read eventfd", Path.of("-"), errno);
            }
            return buffer.get(ValueLayout.JAVA_LONG, 0);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling read", t);
        }
    }

    static void close(int fd) {
        try (var arena = Arena.ofConfined()) {
            var state = arena.allocate(CALL_STATE);
            int rc = (int) CLOSE.invokeExact(state, fd);
            assert rc == 0 || rc == -1; // a close that fails still releases the descriptor on Linux
        } catch (Throwable t) {
            throw new IllegalStateException("calling close", t);
        }
    }

    private static void check(int rc, MemorySegment state, String call, Path path) throws IOException {
        if (rc != 0) {
            throw failure(call, path, (int) ERRNO.get(state, 0L));
        }
    }

    private static IOException failure(String call, Path path, int errno) {
        return new IOException(call + " " + path + " failed: " + Errno.name(errno) + " (" + errno + ")");
    }
}
