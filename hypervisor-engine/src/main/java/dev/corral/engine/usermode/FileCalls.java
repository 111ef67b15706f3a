package dev.corral.engine.usermode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The calls on descriptors: reading, writing, pipes, dup, fcntl, poll. What a descriptor is (file,
 * directory, pipe, stream) is the {@link OpenFile}'s business; paths are {@link PathCalls}'.
 */
final class FileCalls {

    private static final int MAX_IO = 1 << 20, MAX_IOV = 1024;
    private static final int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5,
            F_SETLK = 6, F_SETLKW = 7, F_DUPFD_CLOEXEC = 1030, F_GETPIPE_SZ = 1032, FD_CLOEXEC = 1;
    private static final int FIONBIO = 0x5421;


    OpenFile fd(GuestProcess p, int fd) {
        return p.fds.get(fd);
    }

    private OpenFile file(GuestProcess p, int fd) {
        OpenFile f = p.fds.get(fd);
        if (f == null) {
            throw new SyscallError(Errno.EBADF);
        }
        return f;
    }

    // ---- reading and writing ----

    long read(GuestProcess p, int fd, long buf, long count) {
        OpenFile f = file(p, fd);
        if (!f.canRead()) {
            return -Errno.EBADF;
        }
        byte[] tmp = new byte[ioLength(count)];
        long n = f.read(tmp, tmp.length);
        if (n > 0) {
            p.memory.write(buf, tmp, 0, (int) n);
        }
        return n;
    }

    long write(GuestProcess p, int fd, long buf, long count) {
        OpenFile f = file(p, fd);
        if (!f.canWrite()) {
            return -Errno.EBADF;
        }
        byte[] tmp = p.memory.read(buf, ioLength(count));
        return wrote(p, f.write(tmp, tmp.length));
    }

    long pread(GuestProcess p, int fd, long buf, long count, long offset) {
        OpenFile f = file(p, fd);
        if (offset < 0) {
            return -Errno.EINVAL;
        }
        byte[] tmp = new byte[ioLength(count)];
        long n = f.pread(tmp, tmp.length, offset);
        if (n > 0) {
            p.memory.write(buf, tmp, 0, (int) n);
        }
        return n;
    }

    long pwrite(GuestProcess p, int fd, long buf, long count, long offset) {
        OpenFile f = file(p, fd);
        if (offset < 0) {
            return -Errno.EINVAL;
        }
        byte[] tmp = p.memory.read(buf, ioLength(count));
        return wrote(p, f.pwrite(tmp, tmp.length, offset));
    }

    long readv(GuestProcess p, int fd, long iov, int iovcnt) {
        OpenFile f = file(p, fd);
        long[][] vec = iovecs(p, iov, iovcnt);
        long total = 0;
        for (long[] v : vec) {
            total += v[1];
        }
        byte[] tmp = new byte[ioLength(total)];
        long n = f.canRead() ? f.read(tmp, tmp.length) : -Errno.EBADF;
        int at = 0;
        for (long[] v : vec) {
            if (at >= n) {
                break;
            }
            int chunk = (int) Math.min(v[1], n - at);
            p.memory.write(v[0], tmp, at, chunk);
            at += chunk;
        }
        return n;
    }

    long writev(GuestProcess p, int fd, long iov, int iovcnt) {
        OpenFile f = file(p, fd);
        long[][] vec = iovecs(p, iov, iovcnt);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (long[] v : vec) {
            int chunk = (int) Math.min(v[1], MAX_IO - all.size());
            all.writeBytes(p.memory.read(v[0], chunk));
        }
        byte[] tmp = all.toByteArray();
        return f.canWrite() ? wrote(p, f.write(tmp, tmp.length)) : -Errno.EBADF;
    }

    private static long[][] iovecs(GuestProcess p, long iov, int iovcnt) {
        if (iovcnt < 0 || iovcnt > MAX_IOV) {
            throw new SyscallError(Errno.EINVAL);
        }
        long[][] v = new long[iovcnt][];
        for (int i = 0; i < iovcnt; i++) {
            long len = p.memory.read64(iov + 16L * i + 8);
            if (len < 0) {
                throw new SyscallError(Errno.EINVAL);
            }
            v[i] = new long[] {p.memory.read64(iov + 16L * i), len};
        }
        return v;
    }

    /** A write to a pipe nobody reads raises SIGPIPE, as Linux does; ignored or handled, it is EPIPE. */
    private static long wrote(GuestProcess p, long result) {
        if (result == -Errno.EPIPE) {
            p.raise(Signals.SIGPIPE);
        }
        return result;
    }

    private static int ioLength(long count) {
        if (count < 0) {
            throw new SyscallError(Errno.EINVAL);
        }
        return (int) Math.min(count, MAX_IO);
    }

    long sendfile(GuestProcess p, int outFd, int inFd, long offsetPtr, long count) {
        OpenFile out = file(p, outFd);
        OpenFile in = file(p, inFd);
        byte[] tmp = new byte[ioLength(count)];
        long n;
        if (offsetPtr != 0) {
            long offset = p.memory.read64(offsetPtr);
            n = in.pread(tmp, tmp.length, offset);
            if (n > 0) {
                p.memory.write64(offsetPtr, offset + n);
            }
        } else {
            n = in.read(tmp, tmp.length);
        }
        if (n <= 0) {
            return n;
        }
        return wrote(p, out.write(tmp, (int) n));
    }

    /**
     * poll and ppoll: {@code struct pollfd} is {int fd; short events; short revents}. Blocks by
     * re-checking every millisecond (pipes are the only descriptors that are ever not ready).
     */
    long poll(GuestProcess p, long fds, int nfds, long timeoutMillis) {
        if (nfds < 0 || nfds > FdTable.MAX_FDS) {
            return -Errno.EINVAL;
        }
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            int ready = 0;
            for (int i = 0; i < nfds; i++) {
                long entry = fds + 8L * i;
                int fd = p.memory.read32(entry);
                int events = p.memory.read16(entry + 4) | OpenFile.POLLERR | OpenFile.POLLHUP;
                int revents = 0;
                if (fd >= 0) {
                    OpenFile f = p.fds.get(fd);
                    revents = f == null ? 0x20 /* POLLNVAL */ : f.poll() & events;
                }
                p.memory.write16(entry + 6, revents);
                if (revents != 0) {
                    ready++;
                }
            }
            if (ready > 0 || System.nanoTime() >= deadline) {
                return ready;
            }
            if (p.hasDeliverableSignal()) {
                return -Errno.EINTR;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return -Errno.EINTR;
            }
        }
    }

    /**
     * select and pselect6 over {@code fd_set} bitmaps (read, write, except), with the readiness poll uses;
     * the sets are rewritten to the ready descriptors.
     */
    long select(GuestProcess p, int nfds, long readSet, long writeSet, long exceptSet, long timeoutMillis) {
        if (nfds < 0 || nfds > FdTable.MAX_FDS) {
            return -Errno.EINVAL;
        }
        int words = (nfds + 63) / 64;
        long[] want = new long[words * 2];
        for (int w = 0; w < words; w++) {
            want[w] = readSet == 0 ? 0 : p.memory.read64(readSet + 8L * w);
            want[words + w] = writeSet == 0 ? 0 : p.memory.read64(writeSet + 8L * w);
        }
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            long[] ready = new long[words * 2];
            int count = 0;
            for (int fd = 0; fd < nfds; fd++) {
                long bit = 1L << (fd & 63);
                boolean r = (want[fd >> 6] & bit) != 0, w = (want[words + (fd >> 6)] & bit) != 0;
                if (!r && !w) {
                    continue;
                }
                OpenFile f = p.fds.get(fd);
                if (f == null) {
                    return -Errno.EBADF;
                }
                int events = f.poll();
                if (r && (events & (OpenFile.POLLIN | OpenFile.POLLHUP)) != 0) {
                    ready[fd >> 6] |= bit;
                    count++;
                }
                if (w && (events & (OpenFile.POLLOUT | OpenFile.POLLERR)) != 0) {
                    ready[words + (fd >> 6)] |= bit;
                    count++;
                }
            }
            if (count > 0 || System.nanoTime() >= deadline) {
                for (int w = 0; w < words; w++) {
                    if (readSet != 0) {
                        p.memory.write64(readSet + 8L * w, ready[w]);
                    }
                    if (writeSet != 0) {
                        p.memory.write64(writeSet + 8L * w, ready[words + w]);
                    }
                    if (exceptSet != 0) {
                        p.memory.write64(exceptSet + 8L * w, 0);
                    }
                }
                return count;
            }
            if (p.hasDeliverableSignal()) {
                return -Errno.EINTR;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return -Errno.EINTR;
            }
        }
    }

    long lseek(GuestProcess p, int fd, long offset, int whence) {
        return file(p, fd).seek(offset, whence);
    }

    long close(GuestProcess p, int fd) {
        return p.fds.close(fd) ? 0 : -Errno.EBADF;
    }

    long dup(GuestProcess p, int fd) {
        OpenFile f = file(p, fd);
        f.retain();
        return p.fds.install(f, 0, false);
    }

    long dup3(GuestProcess p, int oldFd, int newFd, int flags, boolean dup2) {
        OpenFile f = file(p, oldFd);
        if (newFd < 0 || newFd >= FdTable.MAX_FDS) {
            return -Errno.EBADF;
        }
        if (oldFd == newFd) {
            return dup2 ? newFd : -Errno.EINVAL;
        }
        p.fds.installAt(newFd, f, (flags & OpenFile.O_CLOEXEC) != 0);
        return newFd;
    }

    long pipe(GuestProcess p, long fdsAddr, int flags) {
        p.memory.write32(fdsAddr, 0); // fault before creating anything
        Pipe pipe = new Pipe();
        int nonblock = flags & OpenFile.O_NONBLOCK;
        pipe.readEnd.statusFlags |= nonblock;
        pipe.writeEnd.statusFlags |= nonblock;
        boolean cloexec = (flags & OpenFile.O_CLOEXEC) != 0;
        int r = p.fds.install(pipe.readEnd, 0, cloexec);
        if (r < 0) {
            pipe.writeEnd.release();
            return r;
        }
        int w = p.fds.install(pipe.writeEnd, 0, cloexec);
        if (w < 0) {
            p.fds.close(r);
            return w;
        }
        p.memory.write32(fdsAddr, r);
        p.memory.write32(fdsAddr + 4, w);
        return 0;
    }

    long fcntl(GuestProcess p, int fd, int cmd, long arg) {
        OpenFile f = file(p, fd);
        return switch (cmd) {
            case F_DUPFD, F_DUPFD_CLOEXEC -> {
                f.retain();
                yield p.fds.install(f, (int) arg, cmd == F_DUPFD_CLOEXEC);
            }
            case F_GETFD -> p.fds.closeOnExec(fd) ? FD_CLOEXEC : 0;
            case F_SETFD -> {
                p.fds.setCloseOnExec(fd, (arg & FD_CLOEXEC) != 0);
                yield 0;
            }
            case F_GETFL -> f.statusFlags;
            case F_SETFL -> {
                int changeable = OpenFile.O_APPEND | OpenFile.O_NONBLOCK;
                f.statusFlags = f.statusFlags & ~changeable | (int) arg & changeable;
                yield 0;
            }
            case F_GETLK, F_SETLK, F_SETLKW -> 0; // one guest, no competing lockers worth modelling
            case F_GETPIPE_SZ -> f instanceof HostFile ? -Errno.EINVAL : Pipe.CAPACITY;
            default -> -Errno.EINVAL;
        };
    }

    long ioctl(GuestProcess p, int fd, long request, long arg) {
        OpenFile f = file(p, fd);
        if ((int) request == FIONBIO) {
            int on = p.memory.read32(arg);
            f.statusFlags = on != 0 ? f.statusFlags | OpenFile.O_NONBLOCK : f.statusFlags & ~OpenFile.O_NONBLOCK;
            return 0;
        }
        // No descriptor is a terminal here: TCGETS, TIOCGWINSZ and every other terminal request say so.
        return -Errno.ENOTTY;
    }

    long fstat(GuestProcess p, int fd, long buf) {
        p.memory.write(buf, file(p, fd).stat().toStat(), 0, FileStat.STAT_SIZE);
        return 0;
    }

    long getdents64(GuestProcess p, int fd, long buf, long count) {
        if (!(file(p, fd) instanceof HostDirectory dir)) {
            return -Errno.ENOTDIR;
        }
        byte[] tmp = new byte[ioLength(count)];
        long n = dir.getdents64(tmp, tmp.length);
        if (n > 0) {
            p.memory.write(buf, tmp, 0, (int) n);
        }
        return n;
    }

    long ftruncate(GuestProcess p, int fd, long length) {
        if (!(file(p, fd) instanceof HostFile f) || !f.canWrite()) {
            return -Errno.EINVAL;
        }
        return f.truncate(length);
    }

    static ByteBuffer little(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
