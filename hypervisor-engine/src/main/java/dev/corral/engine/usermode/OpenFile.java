package dev.corral.engine.usermode;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open file description: what file descriptors point at. {@code dup} and {@code fork} share it
 * (with its offset and status flags); it is released when the last descriptor closes. Operations
 * return a byte count or a negated errno, as the syscall does.
 */
abstract class OpenFile {

    static final int O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200,
            O_TRUNC = 01000, O_APPEND = 02000, O_NONBLOCK = 04000, O_DIRECTORY = 0200000, O_NOFOLLOW = 0400000,
            O_CLOEXEC = 02000000;

    private final AtomicInteger references = new AtomicInteger(1);
    volatile int statusFlags;

    OpenFile(int statusFlags) {
        this.statusFlags = statusFlags;
    }

    final void retain() {
        references.incrementAndGet();
    }

    final void release() {
        if (references.decrementAndGet() == 0) {
            closed();
        }
    }

    /** The last descriptor for it was closed. */
    void closed() {}

    long read(byte[] buffer, int length) {
        return -Errno.EBADF;
    }

    long write(byte[] buffer, int length) {
        return -Errno.EBADF;
    }

    long pread(byte[] buffer, int length, long offset) {
        return -Errno.ESPIPE;
    }

    long pwrite(byte[] buffer, int length, long offset) {
        return -Errno.ESPIPE;
    }

    long seek(long offset, int whence) {
        return -Errno.ESPIPE;
    }

    static final int POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10;

    /** Readiness for poll(2), without blocking: regular files and streams are always ready. */
    int poll() {
        return (canRead() ? POLLIN : 0) | (canWrite() ? POLLOUT : 0);
    }

    abstract FileStat stat();

    /** The path that opened it, for fchdir and /proc; null for pipes and streams. */
    java.nio.file.Path path() {
        return null;
    }

    final boolean canRead() {
        return (statusFlags & O_ACCMODE) != O_WRONLY;
    }

    final boolean canWrite() {
        return (statusFlags & O_ACCMODE) != O_RDONLY;
    }
}
