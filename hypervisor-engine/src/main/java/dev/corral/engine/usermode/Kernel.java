package dev.corral.engine.usermode;

import dev.corral.engine.cpu.Cpu;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.CpuStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.corral.engine.cpu.sys.CpuidModel;

/**
 * The state one user-mode run shares between its processes: the process table, pid numbers, the
 * configuration and counters. Two runs in one JVM have two kernels and know nothing of each other.
 */
final class Kernel {

    final UserModeConfig config;
    final Syscalls syscalls;
    final SecureRandom random = new SecureRandom();
    final CpuidModel cpuid = CpuidModel.standard();
    final PageBudget pageBudget;
    /** More than a shell pipeline needs; a fork bomb gets EAGAIN instead of the host's threads. */
    static final int MAX_PROCESSES = 256;
    final int uid;
    final int gid;
    private final AtomicInteger nextPid = new AtomicInteger(100);
    private final Map<Integer, GuestProcess> processes = new ConcurrentHashMap<>();
    private final Map<Integer, LongAdder> unknownSyscalls = new ConcurrentHashMap<>();
    private final AtomicLong retiredByExited = new AtomicLong();
    private final Path sandboxReal;
    /** Fires alarm(2) and setitimer(ITIMER_REAL) signals; one daemon thread per run, started on first use. */
    private java.util.concurrent.ScheduledExecutorService timers;

    Kernel(UserModeConfig config) {
        this.config = config;
        this.syscalls = new Syscalls(this);
        this.pageBudget = config.memoryLimit() > 0 ? new PageBudget(config.memoryLimit() / UserAddressSpace.PAGE_SIZE)
                : PageBudget.fromHeap();
        this.uid = hostId("unix:uid");
        this.gid = hostId("unix:gid");
        Path real = null;
        if (config.sandbox() != null) {
            try {
                real = config.sandbox().toRealPath();
            } catch (IOException e) {
                throw new IllegalArgumentException("sandbox directory " + config.sandbox() + " does not exist", e);
            }
        }
        this.sandboxReal = real;
    }

    private static int hostId(String attribute) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), attribute);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return 0;
        }
    }

    int newPid() {
        return nextPid.getAndIncrement();
    }

    void register(GuestProcess p) {
        processes.put(p.pid, p);
    }

    void unregister(GuestProcess p) {
        processes.remove(p.pid);
    }

    int processCount() {
        return processes.size();
    }

    GuestProcess process(int pid) {
        return processes.get(pid);
    }

    Iterable<GuestProcess> processes() {
        return processes.values();
    }

    void countUnknown(int number) {
        unknownSyscalls.computeIfAbsent(number, n -> new LongAdder()).increment();
    }

    /** Syscall number to how often the guest asked for it and got ENOSYS. */
    Map<Integer, Long> unknownSyscalls() {
        Map<Integer, Long> m = new TreeMap<>();
        unknownSyscalls.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    private CpuStats statsByExited = CpuStats.NONE;

    void addRetired(long n, CpuStats stats) {
        retiredByExited.addAndGet(n);
        synchronized (retiredByExited) {
            statsByExited = statsByExited.plus(stats);
        }
    }

    /** The software CPU's tiers and translation cache, summed over all processes, exited and running. */
    CpuStats stats() {
        CpuStats sum;
        synchronized (retiredByExited) {
            sum = statsByExited;
        }
        for (GuestProcess p : processes.values()) {
            if (!p.exited()) {
                sum = sum.plus(p.statsSoFar());
            }
        }
        return sum;
    }

    /** A CPU for a process: this run's CPUID and translation mode. */
    Cpu newCpu(CpuState state, UserAddressSpace memory) {
        Cpu cpu = new Cpu(state, memory, cpuid);
        return config.translation() == null ? cpu : cpu.translation(config.translation());
    }

    /** Instructions retired by all processes, exited and running. */
    long retired() {
        long sum = retiredByExited.get();
        for (GuestProcess p : processes.values()) {
            if (!p.exited()) { // an exited process's count is in retiredByExited already
                sum += p.retiredSoFar();
            }
        }
        return sum;
    }

    /** May the guest create or change {@code path}? Only inside the sandbox, symlinks resolved. */
    boolean writable(Path path) {
        if (sandboxReal == null) {
            return false;
        }
        Path p = path.toAbsolutePath().normalize();
        Path parent = p.getParent();
        try {
            Path real = Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(p)
                    ? p.toRealPath() : parent == null ? p : parent.toRealPath().resolve(p.getFileName());
            return real.startsWith(sandboxReal) && !real.equals(sandboxReal);
        } catch (IOException e) {
            return false;
        }
    }

    void diagnose(String message) {
        config.diagnostics().accept(message);
    }

    synchronized java.util.concurrent.ScheduledExecutorService timers() {
        if (timers == null) {
            timers = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "guest-timers");
                t.setDaemon(true);
                return t;
            });
        }
        return timers;
    }

    /** Ends every process still running (the run is over). */
    void killAll() {
        synchronized (this) {
            if (timers != null) {
                timers.shutdownNow();
            }
        }
        for (GuestProcess p : processes.values()) {
            p.signal(Signals.SIGKILL);
        }
    }
}
