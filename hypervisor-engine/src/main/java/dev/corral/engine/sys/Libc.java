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
    private static final MethodHandle EVENTFD = link("eventfd", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

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

    /** {@code open(2)}; returns the file descriptor. */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = STATE.get();
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), flags);
            if (fd < 0) {
                throw new SysException("open(" + path + ")", errno(state));
            }
            return fd;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling open", t);
        }
    }

    public static void close(int fd) {
        try {
            MemorySegment state = STATE.get();
            if ((int) CLOSE.invokeExact(state, fd) < 0) {
                throw new SysException("close(" + fd + ")", errno(state));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling close", t);
        }
    }

    /**
     * {@code ioctl(fd, request, arg)} with a pointer argument; returns the call's non-negative result.
     *
     * @param name the request's name for the error message, e.g. {@code KVM_SET_USER_MEMORY_REGION}
     */
    public static int ioctl(int fd, long request, MemorySegment arg, String name) {
        try {
            MemorySegment state = STATE.get();
            int r = (int) IOCTL_PTR.invokeExact(state, fd, request, arg);
            if (r < 0) {
                throw new SysException(name, errno(state));
            }
            return r;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling ioctl " + name, t);
        }
    }

    /** {@code ioctl(fd, request, arg)} with an integer argument. */
    public static int ioctl(int fd, long request, long arg, String name) {
        try {
            MemorySegment state = STATE.get();
            int r = (int) IOCTL_LONG.invokeExact(state, fd, request, arg);
            if (r < 0) {
                throw new SysException(name, errno(state));
            }
            return r;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling ioctl " + name, t);
        }
    }

    /**
     * An anonymous private mapping of {@code size} bytes, read-write; with {@code noReserve}, no swap is reserved
     * for it (guest RAM is touched lazily). The segment is sized to the mapping; unmap it with {@link #munmap}.
     */
    public static MemorySegment mmapAnonymous(long size, boolean noReserve) {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | (noReserve ? MAP_NORESERVE : 0);
        return mmap(MemorySegment.NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0, "mmap(anonymous, " + size + ")");
    }

    /** {@code mmap(2)} of a file descriptor (such as a vCPU's kvm_run), shared. */
    public static MemorySegment mmapShared(int fd, long size) {
        return mmap(MemorySegment.NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0, "mmap(fd " + fd + ", " + size + ")");
    }

    private static MemorySegment mmap(MemorySegment addr, long size, int prot, int flags, int fd, long offset, String call) {
        try {
            MemorySegment state = STATE.get();
            MemorySegment p = (MemorySegment) MMAP.invokeExact(state, addr, size, prot, flags, fd, offset);
            if (p.address() == -1L) {
                throw new SysException(call, errno(state));
            }
            // SAFETY: mmap returned a mapping of exactly `size` bytes at p; it stays valid until munmap.
            return p.reinterpret(size);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling mmap", t);
        }
    }

    public static void munmap(MemorySegment mapping) {
        try {
            MemorySegment state = STATE.get();
            if ((int) MUNMAP.invokeExact(state, mapping, mapping.byteSize()) < 0) {
                throw new SysException("munmap(" + mapping.byteSize() + ")", errno(state));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling munmap", t);
        }
    }

    /** {@code eventfd(2)}; returns the file descriptor. */
    public static int eventfd(int initialValue, int flags) {
        try {
            MemorySegment state = STATE.get();
            int fd = (int) EVENTFD.invokeExact(state, initialValue, flags);
            if (fd < 0) {
                throw new SysException("eventfd", errno(state));
            }
            return fd;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling eventfd", t);
        }
    }

    /** {@code read(2)} into {@code buffer}; returns the byte count. */
    public static long read(int fd, MemorySegment buffer) {
        try {
            MemorySegment state = STATE.get();
            long n = (long) READ.invokeExact(state, fd, buffer, buffer.byteSize());
            if (n < 0) {
                throw new SysException("read(" + fd + ")", errno(state));
            }
            return n;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling read", t);
        }
    }

    /** {@code write(2)} of {@code buffer}; returns the byte count. */
    public static long write(int fd, MemorySegment buffer) {
        try {
            MemorySegment state = STATE.get();
            long n = (long) WRITE.invokeExact(state, fd, buffer, buffer.byteSize());
            if (n < 0) {
                throw new SysException("write(" + fd + ")", errno(state));
            }
            return n;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            // Downcalls throw no checked exceptions; invokeExact only declares Throwable.
            throw new AssertionError("calling write", t);
        }
    }
}
