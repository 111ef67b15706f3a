package dev.corral.engine.usermode;

import java.io.IOException;
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
 * The calls that name files by path: open, stat, access, readlink, the working directory, and the
 * changes (mkdir, unlink, rename) that only the sandbox allows. The guest sees the host file system
 * read-only, except under the configured sandbox directory, /proc/self (the guest's, not the JVM's)
 * and the /dev names a shell needs.
 */
final class PathCalls {

    static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    private static final int PATH_MAX = 4096;
    private static final long UTIME_NOW = (1L << 30) - 1, UTIME_OMIT = (1L << 30) - 2;

    private final Kernel kernel;

    PathCalls(Kernel kernel) {
        this.kernel = kernel;
    }

    private static OpenFile file(GuestProcess p, int fd) {
        OpenFile f = p.fds.get(fd);
        if (f == null) {
            throw new SyscallError(Errno.EBADF);
        }
        return f;
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

    // ---- metadata ----

    long stat(GuestProcess p, int dirfd, long pathAddr, long buf, int flags) {
        FileStat s = statOf(p, dirfd, pathAddr, flags);
        p.memory.write(buf, s.toStat(), 0, FileStat.STAT_SIZE);
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

    // ---- paths ----

    private static String path(GuestProcess p, long address) {
        return path(p, address, false);
    }

    private static String path(GuestProcess p, long address, boolean emptyAllowed) {
        byte[] b;
        try {
            b = p.memory.readCString(address, PATH_MAX);
        } catch (dev.corral.engine.cpu.state.MemoryFault f) {
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

    /** utimensat (and futimens with a null path): only files inside the sandbox may change. */
    long utimensat(GuestProcess p, int dirfd, long pathAddr, long times, int flags) {
        Path host = pathAddr == 0 ? file(p, dirfd).path() : resolve(p, dirfd, path(p, pathAddr));
        if (host == null || !Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
            return -Errno.ENOENT;
        }
        if (!kernel.writable(host)) {
            return -Errno.EACCES;
        }
        long mtimeNanos = System.currentTimeMillis() * 1_000_000L;
        if (times != 0) {
            long nsec = p.memory.read64(times + 24);
            if (nsec == UTIME_OMIT) {
                return 0;
            }
            if (nsec != UTIME_NOW) {
                mtimeNanos = p.memory.read64(times + 16) * 1_000_000_000L + nsec;
            }
        }
        try {
            Files.setLastModifiedTime(host, java.nio.file.attribute.FileTime.from(mtimeNanos, java.util.concurrent.TimeUnit.NANOSECONDS));
            return 0;
        } catch (IOException e) {
            return -errnoOf(e);
        }
    }

    /** chmod family: permission bits change only inside the sandbox; elsewhere EPERM, as for a file we do not own. */
    long fchmodat(GuestProcess p, int dirfd, long pathAddr, int mode) {
        Path host = pathAddr == 0 ? file(p, dirfd).path() : resolve(p, dirfd, path(p, pathAddr));
        if (host == null || !Files.exists(host)) {
            return -Errno.ENOENT;
        }
        if (!kernel.writable(host)) {
            return -Errno.EPERM;
        }
        try {
            Files.setAttribute(host, "unix:mode", mode & 07777);
            return 0;
        } catch (IOException | UnsupportedOperationException e) {
            return -Errno.EPERM;
        }
    }

    /** chown family: the guest has one identity; a change is accepted as a no-op only inside the sandbox. */
    long fchownat(GuestProcess p, int dirfd, long pathAddr) {
        Path host = pathAddr == 0 ? file(p, dirfd).path() : resolve(p, dirfd, path(p, pathAddr));
        if (host == null || !Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
            return -Errno.ENOENT;
        }
        return kernel.writable(host) ? 0 : -Errno.EPERM;
    }

    /** statfs and fstatfs: the host file system's figures, as {@code struct statfs} (120 bytes). */
    long statfs(GuestProcess p, Path host, long buf) {
        if (host == null) {
            return -Errno.ENOSYS; // a pipe or stream: no file system to describe
        }
        try {
            java.nio.file.FileStore store = Files.getFileStore(host);
            long bsize = Math.max(1, store.getBlockSize());
            long type = switch (store.type()) {
                case "ext2", "ext3", "ext4" -> 0xEF53;
                case "tmpfs" -> 0x01021994;
                case "overlay" -> 0x794c7630;
                case "xfs" -> 0x58465342;
                case "btrfs" -> 0x9123683EL;
                case "proc" -> 0x9fa0;
                default -> 0;
            };
            java.nio.ByteBuffer b = FileCalls.little(120);
            b.putLong(type).putLong(bsize).putLong(store.getTotalSpace() / bsize).putLong(store.getUnallocatedSpace() / bsize)
                    .putLong(store.getUsableSpace() / bsize).putLong(0).putLong(0).putLong(0).putLong(255).putLong(bsize)
                    .putLong(store.isReadOnly() ? 1 : 0);
            p.memory.write(buf, b.array(), 0, 120);
            return 0;
        } catch (IOException e) {
            return -errnoOf(e);
        }
    }

    long statfs(GuestProcess p, long pathAddr, long buf) {
        return statfs(p, resolve(p, AT_FDCWD, path(p, pathAddr)), buf);
    }

    long fstatfs(GuestProcess p, int fd, long buf) {
        return statfs(p, file(p, fd).path(), buf);
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
}
