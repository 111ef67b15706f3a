package dev.corral.engine.storage;

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
 * Gives a file range's space back to the host file system: {@code fallocate(fd, FALLOC_FL_PUNCH_HOLE |
 * FALLOC_FL_KEEP_SIZE, offset, length)}, after which the range reads as zeros. A FileChannel does not expose its
 * descriptor, so the image keeps a second descriptor of the same file for this one call (storage is used by the
 * devices and stays independent of the engine's sys package).
 */
final class HolePunch implements AutoCloseable {

    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    /** {@code <linux/falloc.h>}: FALLOC_FL_KEEP_SIZE 0x01, FALLOC_FL_PUNCH_HOLE 0x02. */
    private static final int PUNCH_HOLE_KEEP_SIZE = 0x01 | 0x02;
    private static final int EINTR = 4;
    private static final int EOPNOTSUPP = 95;
    private static final int ENOSYS = 38;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    /** {@code int open(const char *pathname, int flags)}. */
    private static final MethodHandle OPEN = link("open", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT));
    /** {@code int close(int fd)}. */
    private static final MethodHandle CLOSE = link("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** {@code int fallocate(int fd, int mode, off_t offset, off_t len)}. */
    private static final MethodHandle FALLOCATE = link("fallocate", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));

    private final String name;
    private int fd;
    private boolean supported = true;

    private HolePunch(String name, int fd) {
        this.name = name;
        this.fd = fd;
    }

    private static MethodHandle link(String function, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(function).orElseThrow(
                () -> new UnsatisfiedLinkError("libc has no " + function)), descriptor, CAPTURE_ERRNO);
    }

    /** Opens a descriptor for {@code path}; an image that cannot get one just writes zeros instead. */
    static HolePunch open(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), O_RDWR | O_CLOEXEC);
            HolePunch punch = new HolePunch(path, fd);
            punch.supported = fd >= 0;
            return punch;
        } catch (Throwable t) {
            throw new AssertionError("calling open(" + path + ")", t);
        }
    }

    /**
     * Punches [offset, offset + length); false where the file system cannot (the caller then writes zeros).
     *
     * @throws StorageException for any other failure of fallocate
     */
    synchronized boolean punch(long offset, long length) throws StorageException {
        if (!supported || length == 0) {
            return supported;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            for (;;) {
                int result = (int) FALLOCATE.invokeExact(state, fd, PUNCH_HOLE_KEEP_SIZE, offset, length);
                if (result == 0) {
                    return true;
                }
                int errno = (int) ERRNO.get(state, 0L);
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EOPNOTSUPP || errno == ENOSYS) {
                    supported = false;
                    return false;
                }
                throw new StorageException(name + ": fallocate(PUNCH_HOLE) of " + length + " bytes at " + offset
                        + " failed: errno " + errno);
            }
        } catch (StorageException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("calling fallocate", t);
        }
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            try (Arena arena = Arena.ofConfined()) {
                int ignored = (int) CLOSE.invokeExact(arena.allocate(CALL_STATE), fd);
            } catch (Throwable t) {
                throw new AssertionError("calling close", t);
            }
            fd = -1;
            supported = false;
        }
    }
}
