package dev.corral.engine.storage;

import dev.corral.engine.sys.Errno;
import dev.corral.engine.sys.Libc;
import dev.corral.engine.sys.SysException;

/**
 * Gives a file range's space back to the host file system: {@code fallocate(fd, FALLOC_FL_PUNCH_HOLE |
 * FALLOC_FL_KEEP_SIZE, offset, length)}, after which the range reads as zeros. A FileChannel does not expose its
 * descriptor, so the image keeps a second descriptor of the same file for this one call.
 */
final class HolePunch implements AutoCloseable {

    private static final int EINTR = 4;
    private static final int EOPNOTSUPP = 95;
    private static final int ENOSYS = 38;

    private final String name;
    private int fd;
    private boolean supported;

    private HolePunch(String name, int fd) {
        this.name = name;
        this.fd = fd;
        this.supported = fd >= 0;
    }

    /** Opens a descriptor for {@code path}; an image that cannot get one just writes zeros instead. */
    static HolePunch open(String path) {
        try {
            return new HolePunch(path, Libc.open(path, Libc.O_RDWR | Libc.O_CLOEXEC));
        } catch (SysException e) {
            return new HolePunch(path, -1);
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
        for (;;) {
            int result = Libc.fallocateOrErrno(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length);
            if (result == 0) {
                return true;
            }
            int errno = -result;
            if (errno == EINTR) {
                continue;
            }
            if (errno == EOPNOTSUPP || errno == ENOSYS) {
                supported = false;
                return false;
            }
            throw new StorageException(name + ": fallocate(PUNCH_HOLE) of " + length + " bytes at " + offset + " failed: "
                    + Errno.name(errno) + " (" + errno + ")");
        }
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            Libc.close(fd);
            fd = -1;
            supported = false;
        }
    }
}
