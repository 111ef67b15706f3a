package dev.corral.engine.cpu.user;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * Files, descriptors and directories. The guest sees the host file system as it is, read-only, except
 * under the configured sandbox directory where it may create, write, rename and delete.
 */
final class FileCalls {

    static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    private static final int MAX_IO = 1 << 20, MAX_IOV = 1024, PATH_MAX = 4096;
    private static final int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5,
            F_SETLK = 6, F_SETLKW = 7, F_DUPFD_CLOEXEC = 1030, F_GETPIPE_SZ = 1032, FD_CLOEXEC = 1;
    private static final int TCGETS = 0x5401, TIOCGWINSZ = 0x5413, FIONBIO = 0x5421;

    private final Kernel kernel;

    FileCalls(Kernel kernel) {
        this.kernel = kernel;
    }

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

    long lseek(GuestProcess p, int fd, long offset, int whence) {
        return file(p, fd).seek(offset, whence);
    }

    // ---- opening and closing ----

    long openat(GuestProcess p, int dirfd, long pathAddr, int flags, int mode) {
        String path = path(p, pathAddr);
        boolean cloexec = (flags & OpenFile.O_CLOEXEC) != 0;
        int status = flags & (OpenFile.O_ACCMODE | OpenFile.O_APPEND | OpenFile.O_NONBLOCK);
        switch (path) {
            case "/dev/null" -> {
                return p.fds.install(new DevNull(status), 0, cloexec);
            }
            case "/dev/stdin", "/dev/stdout", "/dev/stderr" -> {
                OpenFile f = file(p, path.endsWith("in") ? 0 : path.endsWith("out") ? 1 : 2);
                f.retain();
                return p.fds.install(f, 0, cloexec);
            }
            case "/dev/tty" -> {
                return -Errno.ENXIO;
            }
            default -> {
                int n = descriptorPath(path);
                if (n >= 0) { // /dev/fd/N and /proc/self/fd/N open the same description again
                    OpenFile f = file(p, n);
                    f.retain();
                    return p.fds.install(f, 0, cloexec);
                }
            }
        }
        Path host = resolve(p, dirfd, path);
        int access = flags & OpenFile.O_ACCMODE;
        boolean wantsWrite = access != OpenFile.O_RDONLY || (flags & (OpenFile.O_CREAT | OpenFile.O_TRUNC)) != 0;
        try {
            if (Files.isDirectory(host)) {
                if (access != OpenFile.O_RDONLY) {
                    return -Errno.EISDIR;
                }
                return p.fds.install(new HostDirectory(host, status), 0, cloexec);
            }
            if ((flags & OpenFile.O_DIRECTORY) != 0) {
                return Files.exists(host) ? -Errno.ENOTDIR : -Errno.ENOENT;
            }
            Set<OpenOption> options = new HashSet<>();
            if (wantsWrite) {
                if (!kernel.writable(host)) {
                    return Files.exists(host) || Files.isDirectory(host.getParent()) ? -Errno.EACCES : -Errno.ENOENT;
                }
                options.add(StandardOpenOption.WRITE);
                if (access != OpenFile.O_WRONLY) {
                    options.add(StandardOpenOption.READ);
                }
                if ((flags & OpenFile.O_CREAT) != 0) {
                    options.add((flags & OpenFile.O_EXCL) != 0 ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
                }
                if ((flags & OpenFile.O_TRUNC) != 0) {
                    options.add(StandardOpenOption.TRUNCATE_EXISTING);
                }
            } else {
                options.add(StandardOpenOption.READ);
            }
            if ((flags & OpenFile.O_NOFOLLOW) != 0) {
                options.add(LinkOption.NOFOLLOW_LINKS);
            }
            FileChannel channel = FileChannel.open(host, options);
            return p.fds.install(new HostFile(host, channel, status), 0, cloexec);
        } catch (IOException e) {
            return -errnoOf(e);
        }
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
        // No descriptor is a terminal here: TCGETS, TIOCGWINSZ and the rest say so.
        return switch ((int) request) {
            case TCGETS, TIOCGWINSZ -> -Errno.ENOTTY;
            default -> -Errno.ENOTTY;
        };
    }

    // ---- metadata ----

    long stat(GuestProcess p, int dirfd, long pathAddr, long buf, int flags) {
        FileStat s = statOf(p, dirfd, pathAddr, flags);
        p.memory.write(buf, s.toStat(), 0, FileStat.STAT_SIZE);
        return 0;
    }

    long fstat(GuestProcess p, int fd, long buf) {
        p.memory.write(buf, file(p, fd).stat().toStat(), 0, FileStat.STAT_SIZE);
        return 0;
    }

    long statx(GuestProcess p, int dirfd, long pathAddr, int flags, long buf) {
        FileStat s = statOf(p, dirfd, pathAddr, flags);
        p.memory.write(buf, s.toStatx(), 0, FileStat.STATX_SIZE);
        return 0;
    }

    private FileStat statOf(GuestProcess p, int dirfd, long pathAddr, int flags) {
        String path = path(p, pathAddr, (flags & AT_EMPTY_PATH) != 0);
        if (path.isEmpty()) {
            return dirfd == AT_FDCWD ? hostStat(p.cwd, true) : file(p, dirfd).stat();
        }
        if (path.equals("/dev/null")) {
            return new DevNull(0).stat();
        }
        return hostStat(resolve(p, dirfd, path), (flags & AT_SYMLINK_NOFOLLOW) == 0);
    }

    private static FileStat hostStat(Path host, boolean follow) {
        try {
            return FileStat.of(host, follow);
        } catch (IOException e) {
            throw new SyscallError(errnoOf(e));
        }
    }

    long faccessat(GuestProcess p, int dirfd, long pathAddr, int mode) {
        Path host = resolve(p, dirfd, path(p, pathAddr));
        if (!Files.exists(host)) {
            return -Errno.ENOENT;
        }
        boolean ok = ((mode & 4) == 0 || Files.isReadable(host))
                && ((mode & 2) == 0 || kernel.writable(host))
                && ((mode & 1) == 0 || Files.isExecutable(host));
        return ok ? 0 : -Errno.EACCES;
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

    long readlinkat(GuestProcess p, int dirfd, long pathAddr, long buf, long size) {
        String path = path(p, pathAddr);
        if (size <= 0) {
            return -Errno.EINVAL;
        }
        byte[] target;
        if (path.equals("/proc/self/exe") || path.equals("/proc/" + p.pid + "/exe")) {
            target = p.exe.toString().getBytes(StandardCharsets.UTF_8);
        } else {
            Path host = resolve(p, dirfd, path);
            try {
                target = Files.readSymbolicLink(host).toString().getBytes(StandardCharsets.UTF_8);
            } catch (java.nio.file.NotLinkException e) {
                return -Errno.EINVAL;
            } catch (IOException e) {
                return -errnoOf(e);
            }
        }
        int n = (int) Math.min(size, target.length);
        p.memory.write(buf, target, 0, n);
        return n;
    }

    // ---- the working directory ----

    long getcwd(GuestProcess p, long buf, long size) {
        byte[] cwd = (p.cwd.toString() + "\0").getBytes(StandardCharsets.UTF_8);
        if (size < cwd.length) {
            return -Errno.ERANGE;
        }
        p.memory.write(buf, cwd, 0, cwd.length);
        return cwd.length;
    }

    long chdir(GuestProcess p, long pathAddr) {
        return changeTo(p, resolve(p, AT_FDCWD, path(p, pathAddr)));
    }

    long fchdir(GuestProcess p, int fd) {
        Path dir = file(p, fd).path();
        return dir == null ? -Errno.ENOTDIR : changeTo(p, dir);
    }

    private static long changeTo(GuestProcess p, Path dir) {
        if (!Files.exists(dir)) {
            return -Errno.ENOENT;
        }
        if (!Files.isDirectory(dir)) {
            return -Errno.ENOTDIR;
        }
        p.cwd = dir;
        return 0;
    }

    // ---- changes, only inside the sandbox ----

    long mkdirat(GuestProcess p, int dirfd, long pathAddr, int mode) {
        Path host = resolve(p, dirfd, path(p, pathAddr));
        if (!kernel.writable(host)) {
            return Files.exists(host) ? -Errno.EEXIST : -Errno.EACCES;
        }
        try {
            Files.createDirectory(host);
            return 0;
        } catch (IOException e) {
            return -errnoOf(e);
        }
    }

    long unlinkat(GuestProcess p, int dirfd, long pathAddr, int flags) {
        Path host = resolve(p, dirfd, path(p, pathAddr));
        if (!Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
            return -Errno.ENOENT;
        }
        if (!kernel.writable(host)) {
            return -Errno.EACCES;
        }
        boolean dir = Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS);
        if (dir != ((flags & AT_REMOVEDIR) != 0)) {
            return dir ? -Errno.EISDIR : -Errno.ENOTDIR;
        }
        try {
            Files.delete(host);
            return 0;
        } catch (IOException e) {
            return -errnoOf(e);
        }
    }

    long renameat(GuestProcess p, int oldDirfd, long oldAddr, int newDirfd, long newAddr) {
        Path from = resolve(p, oldDirfd, path(p, oldAddr));
        Path to = resolve(p, newDirfd, path(p, newAddr));
        if (!kernel.writable(from) || !kernel.writable(to)) {
            return -Errno.EACCES;
        }
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return 0;
        } catch (IOException e) {
            return -errnoOf(e);
        }
    }

    long ftruncate(GuestProcess p, int fd, long length) {
        if (!(file(p, fd) instanceof HostFile f) || !f.canWrite()) {
            return -Errno.EINVAL;
        }
        return f.truncate(length);
    }

    // ---- paths ----

    private static String path(GuestProcess p, long address) {
        return path(p, address, false);
    }

    private static String path(GuestProcess p, long address, boolean emptyAllowed) {
        byte[] b;
        try {
            b = p.memory.readCString(address, PATH_MAX);
        } catch (dev.corral.engine.cpu.MemoryFault f) {
            if (f.address() == address + PATH_MAX) {
                throw new SyscallError(Errno.ENAMETOOLONG);
            }
            throw f;
        }
        if (b.length == 0 && !emptyAllowed) {
            throw new SyscallError(Errno.ENOENT);
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private static int descriptorPath(String path) {
        for (String prefix : new String[] {"/dev/fd/", "/proc/self/fd/"}) {
            if (path.startsWith(prefix) && path.length() > prefix.length() && path.length() < prefix.length() + 5
                    && path.substring(prefix.length()).chars().allMatch(Character::isDigit)) {
                return Integer.parseInt(path.substring(prefix.length()));
            }
        }
        return -1;
    }

    /**
     * The host path a guest path names: /proc/self/exe is the process's image; the rest of /proc/self is
     * not offered (it would describe the JVM, not the guest); everything else is the host's.
     */
    private static Path resolve(GuestProcess p, int dirfd, String path) {
        if (path.equals("/proc/self/exe")) {
            return p.exe;
        }
        if (path.equals("/proc/self") || path.startsWith("/proc/self/") || path.equals("/proc/thread-self")
                || path.startsWith("/proc/thread-self/")) {
            throw new SyscallError(Errno.ENOENT);
        }
        if (path.startsWith("/")) {
            return Path.of(path).normalize();
        }
        Path base;
        if (dirfd == AT_FDCWD) {
            base = p.cwd;
        } else {
            OpenFile f = p.fds.get(dirfd);
            if (f == null) {
                throw new SyscallError(Errno.EBADF);
            }
            if (!(f instanceof HostDirectory)) {
                throw new SyscallError(Errno.ENOTDIR);
            }
            base = f.path();
        }
        return base.resolve(path).normalize();
    }

    static int errnoOf(IOException e) {
        if (e instanceof NoSuchFileException) {
            return Errno.ENOENT;
        }
        if (e instanceof AccessDeniedException) {
            return Errno.EACCES;
        }
        if (e instanceof FileAlreadyExistsException) {
            return Errno.EEXIST;
        }
        if (e instanceof NotDirectoryException) {
            return Errno.ENOTDIR;
        }
        if (e instanceof DirectoryNotEmptyException) {
            return Errno.ENOTEMPTY;
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            String reason = f.getReason();
            if (reason.contains("Not a directory")) {
                return Errno.ENOTDIR;
            }
            if (reason.contains("Is a directory")) {
                return Errno.EISDIR;
            }
            if (reason.contains("Too many levels of symbolic links")) {
                return Errno.ELOOP;
            }
        }
        return Errno.EIO;
    }

    static ByteBuffer little(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
