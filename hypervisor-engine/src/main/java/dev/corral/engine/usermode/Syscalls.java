package dev.corral.engine.usermode;

import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.MemoryFault;

/**
 * The Linux x86-64 system call table: number to handler. Handlers read their arguments from the
 * registers (RDI, RSI, RDX, R10, R8, R9) and return the value for RAX: a result, or a negated errno.
 * An unknown number is ENOSYS and is counted. A bad guest pointer anywhere is EFAULT.
 */
final class Syscalls {

    /** Returned by handlers that set the registers themselves (execve, rt_sigreturn, exit). */
    static final long NO_RESULT = Long.MIN_VALUE;

    private final Kernel kernel;
    private final FileCalls files;
    private final PathCalls paths;
    private final MemoryCalls memory;
    private final ProcessCalls processes;
    private final InfoCalls info;

    Syscalls(Kernel kernel) {
        this.kernel = kernel;
        this.files = new FileCalls();
        this.paths = new PathCalls(kernel);
        this.memory = new MemoryCalls();
        this.processes = new ProcessCalls(kernel);
        this.info = new InfoCalls(kernel);
    }

    long dispatch(GuestProcess p) {
        long[] r = p.state.gpr;
        int nr = (int) r[CpuState.RAX];
        long a0 = r[CpuState.RDI], a1 = r[CpuState.RSI], a2 = r[CpuState.RDX], a3 = r[10], a4 = r[8], a5 = r[9];
        try {
            long result = call(p, nr, a0, a1, a2, a3, a4, a5);
            if (kernel.config.traceSyscalls()) {
                kernel.diagnose(String.format("[pid %d] syscall %d(0x%x, 0x%x, 0x%x, 0x%x, 0x%x, 0x%x) = %d", p.pid, nr, a0, a1, a2, a3,
                        a4, a5, result == NO_RESULT ? p.state.gpr[CpuState.RAX] : result));
            }
            if (result != NO_RESULT && !p.exited()) {
                p.state.gpr[CpuState.RAX] = result;
            }
            p.deliverSignals();
            return NO_RESULT;
        } catch (MemoryFault f) {
            return -Errno.EFAULT;
        } catch (SyscallError e) {
            return -e.errno;
        }
    }

    private long call(GuestProcess p, int nr, long a0, long a1, long a2, long a3, long a4, long a5) {
        return switch (nr) {
            case 0 -> files.read(p, (int) a0, a1, a2);
            case 1 -> files.write(p, (int) a0, a1, a2);
            case 2 -> paths.openat(p, PathCalls.AT_FDCWD, a0, (int) a1, (int) a2);
            case 3 -> files.close(p, (int) a0);
            case 4 -> paths.stat(p, PathCalls.AT_FDCWD, a0, a1, 0);
            case 5 -> files.fstat(p, (int) a0, a1);
            case 6 -> paths.stat(p, PathCalls.AT_FDCWD, a0, a1, PathCalls.AT_SYMLINK_NOFOLLOW);
            case 7 -> files.poll(p, a0, (int) a1, (int) a2);
            case 8 -> files.lseek(p, (int) a0, a1, (int) a2);
            case 9 -> memory.mmap(p, a0, a1, (int) a2, (int) a3, (int) a4, a5);
            case 10 -> memory.mprotect(p, a0, a1, (int) a2);
            case 11 -> memory.munmap(p, a0, a1);
            case 12 -> memory.brk(p, a0);
            case 13 -> processes.rtSigaction(p, (int) a0, a1, a2);
            case 14 -> processes.rtSigprocmask(p, (int) a0, a1, a2);
            case 15 -> processes.rtSigreturn(p);
            case 16 -> files.ioctl(p, (int) a0, a1, a2);
            case 17 -> files.pread(p, (int) a0, a1, a2, a3);
            case 18 -> files.pwrite(p, (int) a0, a1, a2, a3);
            case 19 -> files.readv(p, (int) a0, a1, (int) a2);
            case 20 -> files.writev(p, (int) a0, a1, (int) a2);
            case 21 -> paths.faccessat(p, PathCalls.AT_FDCWD, a0, (int) a1);
            case 22 -> files.pipe(p, a0, 0);
            case 23 -> files.select(p, (int) a0, a1, a2, a3, a4 == 0 ? -1
                    : p.memory.read64(a4) * 1000 + p.memory.read64(a4 + 8) / 1000);
            case 24 -> { Thread.yield(); yield 0; }
            case 25 -> -Errno.ENOMEM; // mremap: glibc falls back to malloc, copy, free
            case 26, 28 -> 0; // msync, madvise: advice only
            case 32 -> files.dup(p, (int) a0);
            case 33 -> files.dup3(p, (int) a0, (int) a1, 0, true);
            case 34 -> processes.sigsuspend(p, p.blocked);
            case 35 -> info.nanosleep(p, a0, a1);
            case 37 -> info.alarm(p, a0 & 0xffffffffL);
            case 38 -> info.setitimer(p, (int) a0, a1, a2);
            case 39 -> p.pid;
            case 40 -> files.sendfile(p, (int) a0, (int) a1, a2, a3);
            case 56 -> processes.clone(p, a0, a1, a2, a3, a4);
            case 57, 58 -> processes.clone(p, Signals.SIGCHLD, 0, 0, 0, 0);
            case 59 -> processes.execve(p, a0, a1, a2);
            case 60, 231 -> { p.exit((int) a0); yield NO_RESULT; }
            case 61 -> processes.wait4(p, (int) a0, a1, (int) a2, a3);
            case 62 -> processes.kill(p, (int) a0, (int) a1);
            case 63 -> info.uname(p, a0);
            case 72 -> files.fcntl(p, (int) a0, (int) a1, a2);
            case 74, 75 -> files.fd(p, (int) a0) == null ? -Errno.EBADF : 0; // fsync, fdatasync
            case 77 -> files.ftruncate(p, (int) a0, a1);
            case 79 -> paths.getcwd(p, a0, a1);
            case 80 -> paths.chdir(p, a0);
            case 81 -> paths.fchdir(p, (int) a0);
            case 82 -> paths.renameat(p, PathCalls.AT_FDCWD, a0, PathCalls.AT_FDCWD, a1);
            case 83 -> paths.mkdirat(p, PathCalls.AT_FDCWD, a0, (int) a1);
            case 84 -> paths.unlinkat(p, PathCalls.AT_FDCWD, a0, PathCalls.AT_REMOVEDIR);
            case 85 -> paths.openat(p, PathCalls.AT_FDCWD, a0, OpenFile.O_CREAT | OpenFile.O_WRONLY | OpenFile.O_TRUNC, (int) a1);
            case 87 -> paths.unlinkat(p, PathCalls.AT_FDCWD, a0, 0);
            case 89 -> paths.readlinkat(p, PathCalls.AT_FDCWD, a0, a1, a2);
            case 90 -> paths.fchmodat(p, PathCalls.AT_FDCWD, a0, (int) a1);
            case 91 -> paths.fchmodat(p, (int) a0, 0, (int) a1);
            case 268 -> paths.fchmodat(p, (int) a0, a1, (int) a2);
            case 92, 94 -> paths.fchownat(p, PathCalls.AT_FDCWD, a0);
            case 93 -> paths.fchownat(p, (int) a0, 0);
            case 260 -> paths.fchownat(p, (int) a0, a1);
            case 95 -> { int old = p.umask; p.umask = (int) a0 & 0777; yield old; }
            case 96 -> info.gettimeofday(p, a0);
            case 97 -> info.prlimit(p, (int) a0, 0, a1);
            case 98 -> info.getrusage(p, a1);
            case 99 -> info.sysinfo(p, a0);
            case 100 -> info.times(p, a0);
            case 102, 107 -> kernel.uid;
            case 104, 108 -> kernel.gid;
            case 105, 106, 113, 114, 117, 119 -> 0; // set*id to what it is: the guest has one identity
            case 109 -> processes.setpgid(p, (int) a0, (int) a1);
            case 110 -> processes.getppid(p);
            case 111 -> p.pgid;
            case 112 -> { p.sid = p.pid; p.pgid = p.pid; yield p.pid; }
            case 115 -> 0; // getgroups: no supplementary groups
            case 118, 120 -> info.getres(p, a0, a1, a2, nr == 118 ? kernel.uid : kernel.gid);
            case 121 -> processes.getpgid(p, (int) a0);
            case 124 -> p.sid;
            case 127 -> { p.memory.write64(a0, 0); yield 0; } // rt_sigpending: delivered as they come
            case 130 -> processes.sigsuspend(p, p.memory.read64(a0));
            case 131 -> info.sigaltstack(p, a0, a1);
            case 137 -> paths.statfs(p, a0, a1);
            case 138 -> paths.fstatfs(p, (int) a0, a1);
            case 157 -> info.prctl(p, (int) a0, a1);
            case 158 -> info.archPrctl(p, (int) a0, a1);
            case 186 -> p.pid;
            case 200 -> processes.kill(p, (int) a0, (int) a1);
            case 201 -> info.time(p, a0);
            case 202 -> info.futex(p, a0, (int) a1, (int) a2);
            case 203 -> 0;
            case 204 -> info.schedGetaffinity(p, a1, a2);
            case 217 -> files.getdents64(p, (int) a0, a1, a2);
            case 218 -> p.pid; // set_tid_address
            case 221 -> 0; // fadvise64
            case 228 -> info.clockGettime(p, (int) a0, a1);
            case 229 -> info.clockGetres(p, a1);
            case 230 -> info.clockNanosleep(p, (int) a0, (int) a1, a2, a3);
            case 234 -> processes.kill(p, (int) a1, (int) a2); // tgkill: one thread per process
            case 247 -> processes.waitid(p, (int) a0, (int) a1, a2, (int) a3);
            case 257 -> paths.openat(p, (int) a0, a1, (int) a2, (int) a3);
            case 258 -> paths.mkdirat(p, (int) a0, a1, (int) a2);
            case 262 -> paths.stat(p, (int) a0, a1, a2, (int) a3);
            case 263 -> paths.unlinkat(p, (int) a0, a1, (int) a2);
            case 264, 316 -> paths.renameat(p, (int) a0, a1, (int) a2, a3);
            case 267 -> paths.readlinkat(p, (int) a0, a1, a2, a3);
            case 269, 439 -> paths.faccessat(p, (int) a0, a1, (int) a2);
            case 270 -> files.select(p, (int) a0, a1, a2, a3, a4 == 0 ? -1
                    : p.memory.read64(a4) * 1000 + p.memory.read64(a4 + 8) / 1_000_000);
            case 271 -> files.poll(p, a0, (int) a1, a2 == 0 ? -1
                    : p.memory.read64(a2) * 1000 + p.memory.read64(a2 + 8) / 1_000_000);
            case 273 -> 0; // set_robust_list: no threads to clean up after
            case 280 -> paths.utimensat(p, (int) a0, a1, a2, (int) a3);
            case 292 -> files.dup3(p, (int) a0, (int) a1, (int) a2, false);
            case 293 -> files.pipe(p, a0, (int) a1);
            case 302 -> info.prlimit(p, (int) a1, a2, a3);
            case 318 -> info.getrandom(p, a0, a1);
            case 332 -> paths.statx(p, (int) a0, a1, (int) a2, a4);
            case 334, 435 -> -Errno.ENOSYS; // rseq, clone3: glibc falls back without them, by design
            default -> {
                kernel.countUnknown(nr);
                yield -Errno.ENOSYS;
            }
        };
    }
}
