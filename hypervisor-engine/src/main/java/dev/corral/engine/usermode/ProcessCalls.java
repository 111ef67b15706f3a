package dev.corral.engine.usermode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** fork/clone, execve, exit statuses and wait, signals between processes. */
final class ProcessCalls {

    private static final long CLONE_VM = 0x100, CLONE_VFORK = 0x4000, CLONE_THREAD = 0x10000,
            CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_SETTID = 0x01000000;
    private static final int WNOHANG = 1, WEXITED = 4, WNOWAIT = 0x01000000;
    private static final int P_ALL = 0, P_PID = 1, P_PGID = 2;
    private static final int MAX_ARGS = 4096, MAX_SHEBANG_DEPTH = 4;

    private final Kernel kernel;

    ProcessCalls(Kernel kernel) {
        this.kernel = kernel;
    }

    // ---- fork and exec ----

    /**
     * clone, fork and vfork all make a new process with a copy-on-write copy of the memory: a vfork
     * child that only execs or exits cannot tell the difference. Threads (CLONE_THREAD) are not offered.
     */
    long clone(GuestProcess p, long flags, long stack, long parentTid, long childTid, long tls) {
        if ((flags & CLONE_THREAD) != 0 || (flags & CLONE_VM) != 0 && (flags & CLONE_VFORK) == 0) {
            return -Errno.ENOSYS;
        }
        if (kernel.processCount() >= Kernel.MAX_PROCESSES) {
            return -Errno.EAGAIN;
        }
        GuestProcess child = p.fork(stack);
        if ((flags & CLONE_SETTLS) != 0) {
            child.state.fsBase = tls;
        }
        if ((flags & CLONE_PARENT_SETTID) != 0) {
            p.memory.write32(parentTid, child.pid);
            child.memory.write32(parentTid, child.pid);
        }
        if ((flags & CLONE_CHILD_SETTID) != 0) {
            child.memory.write32(childTid, child.pid);
        }
        child.start();
        return child.pid;
    }

    long execve(GuestProcess p, long pathAddr, long argvAddr, long envpAddr) {
        String path = new String(p.memory.readCString(pathAddr, 4096), StandardCharsets.UTF_8);
        List<String> argv = strings(p, argvAddr);
        List<String> env = strings(p, envpAddr);
        for (int depth = 0; depth <= MAX_SHEBANG_DEPTH; depth++) {
            Path host = hostExecutable(p, path);
            if (host == null || !Files.isRegularFile(host)) {
                return host != null && Files.isDirectory(host) ? -Errno.EACCES : -Errno.ENOENT;
            }
            byte[] head;
            try (var in = Files.newInputStream(host)) {
                head = in.readNBytes(256);
            } catch (IOException e) {
                return -PathCalls.errnoOf(e);
            }
            if (head.length > 2 && head[0] == '#' && head[1] == '!') {
                // A script: run its interpreter with the script's path, as the kernel does.
                String line = new String(head, 2, head.length - 2, StandardCharsets.UTF_8).split("\n", 2)[0].strip();
                String[] parts = line.split("[ \t]+", 2);
                List<String> next = new ArrayList<>();
                next.add(parts[0]);
                if (parts.length > 1) {
                    next.add(parts[1]);
                }
                next.add(path);
                next.addAll(argv.subList(Math.min(1, argv.size()), argv.size()));
                argv = next;
                path = parts[0];
                continue;
            }
            try {
                p.exec(host, argv, env, path);
            } catch (ElfFormatException e) {
                kernel.diagnose("corral-user: execve " + path + ": " + e.getMessage());
                return head.length >= 4 && head[0] == 0x7f && head[1] == 'E' ? -80 /* ELIBBAD */ : -Errno.ENOEXEC;
            } catch (IOException e) {
                return -PathCalls.errnoOf(e);
            }
            p.fds.closeOnExec();
            return Syscalls.NO_RESULT;
        }
        return -Errno.ELOOP;
    }

    private Path hostExecutable(GuestProcess p, String path) {
        if (path.equals("/proc/self/exe")) {
            return p.exe;
        }
        Path alias = kernel.config.execAliases().get(path);
        if (alias != null) {
            return alias;
        }
        return path.startsWith("/") ? Path.of(path) : p.cwd.resolve(path).normalize();
    }

    private static List<String> strings(GuestProcess p, long array) {
        List<String> out = new ArrayList<>();
        if (array == 0) {
            return out;
        }
        for (int i = 0; ; i++) {
            if (i > MAX_ARGS) {
                throw new SyscallError(Errno.E2BIG);
            }
            long s = p.memory.read64(array + 8L * i);
            if (s == 0) {
                return out;
            }
            out.add(new String(p.memory.readCString(s, 128 * 1024), StandardCharsets.UTF_8));
        }
    }

    // ---- waiting ----

    long wait4(GuestProcess p, int pid, long statusAddr, int options, long rusage) {
        GuestProcess done = reap(p, pid, options, false);
        if (done == null) {
            return 0;
        }
        if (statusAddr != 0) {
            p.memory.write32(statusAddr, done.waitStatus);
        }
        if (rusage != 0) {
            p.memory.write(rusage, new byte[144], 0, 144); // resource usage is not accounted
        }
        return done.pid;
    }

    long waitid(GuestProcess p, int idtype, int id, long infoAddr, int options) {
        int pid = switch (idtype) {
            case P_ALL -> -1;
            case P_PID -> id;
            case P_PGID -> -id;
            default -> throw new SyscallError(Errno.EINVAL);
        };
        if ((options & WEXITED) == 0) {
            return -Errno.EINVAL;
        }
        GuestProcess done = reap(p, pid, options, (options & WNOWAIT) != 0);
        if (infoAddr != 0) {
            byte[] info = new byte[128];
            if (done != null) {
                var b = FileCalls.little(128);
                int status = done.waitStatus;
                boolean signalled = (status & 0x7f) != 0;
                b.putInt(0, Signals.SIGCHLD).putInt(8, signalled ? 2 : 1).putInt(16, done.pid).putInt(20, kernel.uid)
                        .putInt(24, signalled ? status & 0x7f : status >> 8 & 0xff);
                info = b.array();
            }
            p.memory.write(infoAddr, info, 0, info.length);
        }
        return 0;
    }

    /** Waits for a matching child to exit and removes it (unless {@code keep}); null for WNOHANG with none. */
    private GuestProcess reap(GuestProcess p, int pid, int options, boolean keep) {
        synchronized (kernel) {
            while (true) {
                boolean any = false;
                for (GuestProcess c : p.children) {
                    if (pid > 0 ? c.pid == pid : pid == 0 ? c.pgid == p.pgid : pid == -1 || c.pgid == -pid) {
                        any = true;
                        if (c.exited()) {
                            if (!keep) {
                                p.children.remove(c);
                                kernel.unregister(c);
                            }
                            return c;
                        }
                    }
                }
                if (!any) {
                    throw new SyscallError(Errno.ECHILD);
                }
                if ((options & WNOHANG) != 0) {
                    return null;
                }
                if (p.hasDeliverableSignal()) {
                    throw new SyscallError(Errno.EINTR);
                }
                try {
                    kernel.wait();
                } catch (InterruptedException e) {
                    throw new SyscallError(Errno.EINTR);
                }
            }
        }
    }

    // ---- signals ----

    long kill(GuestProcess p, int pid, int sig) {
        if (sig < 0 || sig > Signals.NSIG) {
            return -Errno.EINVAL;
        }
        List<GuestProcess> targets = new ArrayList<>();
        for (GuestProcess t : kernel.processes()) {
            if (t.exited()) {
                continue;
            }
            if (pid > 0 ? t.pid == pid : pid == 0 ? t.pgid == p.pgid : pid == -1 ? t != p : t.pgid == -pid) {
                targets.add(t);
            }
        }
        if (targets.isEmpty()) {
            return -Errno.ESRCH;
        }
        for (GuestProcess t : targets) {
            if (t == p) {
                p.raise(sig);
            } else {
                t.signal(sig);
            }
        }
        return 0;
    }

    long rtSigaction(GuestProcess p, int sig, long act, long oldact) {
        if (sig < 1 || sig > Signals.NSIG || act != 0 && (sig == Signals.SIGKILL || sig == Signals.SIGSTOP)) {
            return -Errno.EINVAL;
        }
        long[] next = null;
        if (act != 0) {
            next = new long[] {p.memory.read64(act), p.memory.read64(act + 8), p.memory.read64(act + 16), p.memory.read64(act + 24)};
        }
        if (oldact != 0) {
            p.memory.write64(oldact, p.handlers[sig]);
            p.memory.write64(oldact + 8, p.handlerFlags[sig]);
            p.memory.write64(oldact + 16, p.restorers[sig]);
            p.memory.write64(oldact + 24, p.handlerMasks[sig]);
        }
        if (next != null) {
            p.handlers[sig] = next[0];
            p.handlerFlags[sig] = next[1];
            p.restorers[sig] = next[2];
            p.handlerMasks[sig] = next[3];
        }
        return 0;
    }

    long rtSigprocmask(GuestProcess p, int how, long set, long oldset) {
        long old = p.blocked;
        if (set != 0) {
            long s = p.memory.read64(set);
            long mask = switch (how) {
                case 0 -> old | s;
                case 1 -> old & ~s;
                case 2 -> s;
                default -> throw new SyscallError(Errno.EINVAL);
            };
            p.blocked = mask & ~(Signals.bit(Signals.SIGKILL) | Signals.bit(Signals.SIGSTOP));
        }
        if (oldset != 0) {
            p.memory.write64(oldset, old);
        }
        return 0;
    }

    long rtSigreturn(GuestProcess p) {
        if (!p.returnFromHandler()) {
            p.raise(Signals.SIGSEGV);
        }
        return Syscalls.NO_RESULT;
    }

    /** rt_sigsuspend and pause: wait with {@code mask} until a signal is deliverable; always EINTR. */
    long sigsuspend(GuestProcess p, long mask) {
        long saved = p.blocked;
        p.blocked = mask & ~(Signals.bit(Signals.SIGKILL) | Signals.bit(Signals.SIGSTOP));
        synchronized (kernel) {
            while (!p.hasDeliverableSignal()) {
                try {
                    kernel.wait();
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        // The handler runs with the suspend mask; its sigreturn restores the mask from before the call.
        p.state.gpr[dev.corral.engine.cpu.state.CpuState.RAX] = -Errno.EINTR;
        p.deliverSignalsRestoring(saved);
        return Syscalls.NO_RESULT;
    }

    long setpgid(GuestProcess p, int pid, int pgid) {
        GuestProcess t = pid == 0 ? p : kernel.process(pid);
        if (t == null || t != p && t.parentOrNull() != p) {
            return -Errno.ESRCH;
        }
        t.pgid = pgid == 0 ? t.pid : pgid;
        return 0;
    }

    long getpgid(GuestProcess p, int pid) {
        GuestProcess t = pid == 0 ? p : kernel.process(pid);
        return t == null ? -Errno.ESRCH : t.pgid;
    }

    long getppid(GuestProcess p) {
        GuestProcess parent = p.parentOrNull();
        return parent == null ? 1 : parent.pid;
    }
}
