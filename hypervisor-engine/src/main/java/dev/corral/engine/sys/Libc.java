package dev.corral.engine.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls the engine makes, through java.lang.foreign. One checked wrapper per call: a failure throws a
 * {@link SysException} that names the call and its errno, captured by the linker right after the call (nothing
 * in between can clobber it). This is the only class in the engine that links native code.
 */
public final class Libc {

    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int PROT_EXEC = 4;
    public static final int O_NONBLOCK = 0x800;
    /** {@code <poll.h>}: the events of a {@code struct pollfd}. */
    public static final short POLLIN = 0x1, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
    /** {@code <bits/sigaction.h>}: restart interrupted system calls that can be restarted (KVM_RUN never is). */
    public static final int SA_RESTART = 0x10000000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = link("open", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = link("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** {@code int ioctl(int fd, unsigned long request, ...)}: the third argument is variadic. */
    private static final MethodHandle IOCTL_PTR = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_LONG = LINKER.downcallHandle(LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = link("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle MUNMAP = link("munmap", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle READ = link("read", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = link("write", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    /** {@code int fallocate(int fd, int mode, off_t offset, off_t len)}. */
    private static final MethodHandle FALLOCATE = link("fallocate", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle FSTATAT = link("fstatat", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle EVENTFD = link("eventfd", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}; nfds_t is an unsigned long. */
    private static final MethodHandle POLL = link("poll", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MPROTECT = link("mprotect", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle SIGACTION = link("sigaction", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    /** glibc's real-time signal range (SIGRTMIN/SIGRTMAX are these calls: NPTL keeps the lowest few for itself). */
    private static final MethodHandle SIGRTMIN = LINKER.downcallHandle(LINKER.defaultLookup().find("__libc_current_sigrtmin")
            .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle SIGRTMAX = LINKER.downcallHandle(LINKER.defaultLookup().find("__libc_current_sigrtmax")
            .orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
    /** {@code pthread_t pthread_self(void)}: cannot fail. pthread_t is an unsigned long on glibc. */
    private static final MethodHandle PTHREAD_SELF = LINKER.downcallHandle(LINKER.defaultLookup().find("pthread_self").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG));
    /** {@code int pthread_kill(pthread_t, int)}: returns the error number instead of setting errno. */
    private static final MethodHandle PTHREAD_KILL = LINKER.downcallHandle(LINKER.defaultLookup().find("pthread_kill").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    /** One capture buffer per thread: no allocation per call on hot paths (the vCPU loop's ioctls). */
    private static final ThreadLocal<MemorySegment> STATE = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private Libc() {
    }

    private static MethodHandle link(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(
                () -> new UnsatisfiedLinkError("libc has no " + name)), descriptor, CAPTURE_ERRNO);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** A downcall given the errno capture buffer; returns the C result (a pointer as its address). */
    @FunctionalInterface
    private interface Downcall {
        long call(MemorySegment state) throws Throwable;
    }

    /** Makes the call; a negative result (or MAP_FAILED) is a {@link SysException} naming {@code call}. */
    private static long invoke(String call, Downcall downcall) {
        MemorySegment state = STATE.get();
        long result;
        try {
            result = downcall.call(state);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling " + call, t);
        }
        if (result < 0) {
            throw new SysException(call, errno(state));
        }
        return result;
    }

    /** {@code open(2)}; returns the file descriptor. */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path);
            return (int) invoke("open(" + path + ")", state -> (int) OPEN.invokeExact(state, cPath, flags));
        }
    }

    public static void close(int fd) {
        invoke("close(" + fd + ")", state -> (int) CLOSE.invokeExact(state, fd));
    }

    /**
     * {@code ioctl(fd, request, arg)} with a pointer argument; returns the call's non-negative result.
     *
     * @param name the request's name for the error message, e.g. {@code KVM_SET_USER_MEMORY_REGION}
     */
    public static int ioctl(int fd, long request, MemorySegment arg, String name) {
        return (int) invoke(name, state -> (int) IOCTL_PTR.invokeExact(state, fd, request, arg));
    }

    /**
     * {@code ioctl(fd, request, arg)} with an integer argument, for calls whose failure is an answer rather than an
     * error (KVM_RUN's EINTR when the thread was kicked): returns the result, or minus the errno. Throws nothing.
     */
    public static int ioctlOrErrno(int fd, long request, long arg) {
        MemorySegment state = STATE.get();
        int result;
        try {
            result = (int) IOCTL_LONG.invokeExact(state, fd, request, arg);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("calling ioctl", t);
        }
        return result < 0 ? -errno(state) : result;
    }

    /** {@code <linux/falloc.h>}: FALLOC_FL_KEEP_SIZE and FALLOC_FL_PUNCH_HOLE. */
    public static final int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02;

    /**
     * {@code fallocate(fd, mode, offset, length)}, for callers to whom a failure is an answer (EOPNOTSUPP: this file
     * system cannot punch holes): returns 0, or minus the errno. Throws nothing.
     */
    public static int fallocateOrErrno(int fd, int mode, long offset, long length) {
        MemorySegment state = STATE.get();
        int result;
        try {
            result = (int) FALLOCATE.invokeExact(state, fd, mode, offset, length);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("calling fallocate", t);
        }
        return result < 0 ? -errno(state) : result;
    }

    private static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
    /** {@code struct stat} on x86-64: 144 bytes, {@code st_blocks} (512-byte units allocated) at offset 64. */
    private static final long STAT_SIZE = 144, ST_BLOCKS = 64;

    /**
     * The 512-byte blocks the host file system has allocated to {@code path} ({@code st_blocks} of {@code stat(2)},
     * or of {@code lstat(2)} when {@code followLinks} is false), which Java's attribute views do not tell.
     */
    public static long statBlocks(String path, boolean followLinks) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path);
            MemorySegment buf = arena.allocate(STAT_SIZE, 8);
            int flags = followLinks ? 0 : AT_SYMLINK_NOFOLLOW;
            invoke("stat(" + path + ")", state -> (int) FSTATAT.invokeExact(state, AT_FDCWD, cPath, buf, flags));
            return buf.get(ValueLayout.JAVA_LONG, ST_BLOCKS);
        }
    }

    /** {@code ioctl(fd, request, arg)} with an integer argument. */
    public static int ioctl(int fd, long request, long arg, String name) {
        return (int) invoke(name, state -> (int) IOCTL_LONG.invokeExact(state, fd, request, arg));
    }

    /**
     * An anonymous private mapping of {@code size} bytes, read-write; with {@code noReserve}, no swap is reserved
     * for it (guest RAM is touched lazily). The segment is sized to the mapping; unmap it with {@link #munmap}.
     */
    public static MemorySegment mmapAnonymous(long size, boolean noReserve) {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | (noReserve ? MAP_NORESERVE : 0);
        return mmap(size, PROT_READ | PROT_WRITE, flags, -1, "mmap(anonymous, " + size + ")");
    }

    /** {@code mmap(2)} of a file descriptor (such as a vCPU's kvm_run), shared. */
    public static MemorySegment mmapShared(int fd, long size) {
        return mmap(size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, "mmap(fd " + fd + ", " + size + ")");
    }

    private static MemorySegment mmap(long size, int prot, int flags, int fd, String call) {
        // MAP_FAILED is (void *) -1: as an address it is negative, which invoke() reports with errno.
        long address = invoke(call, state -> ((MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, size, prot, flags, fd, 0L)).address());
        // SAFETY: mmap returned a mapping of exactly `size` bytes at this address; it stays valid until munmap.
        return MemorySegment.ofAddress(address).reinterpret(size);
    }

    public static void munmap(MemorySegment mapping) {
        invoke("munmap(" + mapping.byteSize() + ")", state -> (int) MUNMAP.invokeExact(state, mapping, mapping.byteSize()));
    }

    /** {@code eventfd(2)}; returns the file descriptor. */
    public static int eventfd(int initialValue, int flags) {
        return (int) invoke("eventfd", state -> (int) EVENTFD.invokeExact(state, initialValue, flags));
    }

    /** {@code mprotect(2)} of a whole mapping. */
    public static void mprotect(MemorySegment mapping, int prot) {
        invoke("mprotect(" + mapping.byteSize() + ", " + prot + ")", state -> (int) MPROTECT.invokeExact(state, mapping, mapping.byteSize(), prot));
    }

    /**
     * {@code sigaction(2)}: installs {@code action} (a {@link SigAction#LAYOUT}, or NULL to only ask) for {@code signal}
     * and writes the previous disposition into {@code old} (or NULL).
     */
    public static void sigaction(int signal, MemorySegment action, MemorySegment old) {
        invoke("sigaction(" + signal + ")", state -> (int) SIGACTION.invokeExact(state, signal, action, old));
    }

    /** SIGRTMIN as this process's libc defines it. */
    public static int sigrtmin() {
        return (int) call("__libc_current_sigrtmin", () -> (int) SIGRTMIN.invokeExact());
    }

    /** SIGRTMAX as this process's libc defines it. */
    public static int sigrtmax() {
        return (int) call("__libc_current_sigrtmax", () -> (int) SIGRTMAX.invokeExact());
    }

    /** The calling thread's {@code pthread_t}, for {@link #pthreadKill}. */
    public static long pthreadSelf() {
        return call("pthread_self", () -> (long) PTHREAD_SELF.invokeExact());
    }

    /**
     * {@code pthread_kill(3)}: sends {@code signal} to one thread of this process. The caller must know the thread is
     * still alive: a pthread_t of a thread that has ended may be reused or dangle.
     */
    public static void pthreadKill(long thread, int signal) {
        int error = (int) call("pthread_kill", () -> (int) PTHREAD_KILL.invokeExact(thread, signal));
        if (error != 0) {
            throw new SysException("pthread_kill(" + signal + ")", error);
        }
    }

    /** A downcall without errno. */
    @FunctionalInterface
    private interface PlainCall {
        long call() throws Throwable;
    }

    private static long call(String name, PlainCall call) {
        try {
            return call.call();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("calling " + name, t);
        }
    }

    /** {@code read(2)} into {@code buffer}; returns the byte count. */
    public static long read(int fd, MemorySegment buffer) {
        return invoke("read(" + fd + ")", state -> (long) READ.invokeExact(state, fd, buffer, buffer.byteSize()));
    }

    /** {@code write(2)} of {@code buffer}; returns the byte count. */
    public static long write(int fd, MemorySegment buffer) {
        return invoke("write(" + fd + ")", state -> (long) WRITE.invokeExact(state, fd, buffer, buffer.byteSize()));
    }

    /**
     * {@code struct pollfd { int fd; short events; short revents; }}: 8 bytes, {@code events} at 4, {@code revents}
     * at 6 ({@code <poll.h>}).
     */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("fd"),
            ValueLayout.JAVA_SHORT.withName("events"), ValueLayout.JAVA_SHORT.withName("revents"));

    /**
     * {@code poll(2)} of the {@code count} {@link #POLLFD} entries in {@code fds}, waiting at most {@code timeoutMillis}
     * (negative: without limit); returns how many have events, 0 on a timeout or when a signal interrupted the wait
     * (EINTR: the caller looks again).
     */
    public static int poll(MemorySegment fds, int count, int timeoutMillis) {
        MemorySegment state = STATE.get();
        int result;
        try {
            result = (int) POLL.invokeExact(state, fds, (long) count, timeoutMillis);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("calling poll", t);
        }
        if (result < 0) {
            int errno = errno(state);
            if (errno == Errno.EINTR) {
                return 0;
            }
            throw new SysException("poll", errno);
        }
        return result;
    }
}
