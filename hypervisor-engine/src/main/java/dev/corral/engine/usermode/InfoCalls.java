package dev.corral.engine.usermode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;


/** Clocks, sleeping, limits, identity and the other small questions a process asks its kernel. */
final class InfoCalls {

    private static final int ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004;
    private static final int PR_SET_NAME = 15, PR_GET_NAME = 16;
    private static final int RLIMIT_STACK = 3, RLIMIT_NOFILE = 7;
    private static final long RLIM_INFINITY = -1;
    private static final int FUTEX_WAIT = 0, FUTEX_WAKE = 1;
    private static final long NANOS = 1_000_000_000L;

    private final Kernel kernel;
    private final long bootNanos = System.nanoTime();

    InfoCalls(Kernel kernel) {
        this.kernel = kernel;
    }

    long uname(GuestProcess p, long buf) {
        String[] fields = {"Linux", "corral", "6.1.0-corral", "#1 SMP PREEMPT_DYNAMIC", "x86_64", "(none)"};
        byte[] u = new byte[65 * 6];
        for (int i = 0; i < fields.length; i++) {
            byte[] f = fields[i].getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(f, 0, u, 65 * i, f.length);
        }
        p.memory.write(buf, u, 0, u.length);
        return 0;
    }

    long archPrctl(GuestProcess p, int code, long addr) {
        switch (code) {
            case ARCH_SET_FS -> p.state.fsBase = addr;
            case ARCH_SET_GS -> p.state.gsBase = addr;
            case ARCH_GET_FS -> p.memory.write64(addr, p.state.fsBase);
            case ARCH_GET_GS -> p.memory.write64(addr, p.state.gsBase);
            default -> {
                return -Errno.EINVAL;
            }
        }
        return 0;
    }

    long prctl(GuestProcess p, int option, long arg) {
        switch (option) {
            case PR_SET_NAME -> {
                byte[] n = p.memory.readCString(arg, 4096);
                p.name = new String(n, 0, Math.min(n.length, 15), StandardCharsets.UTF_8);
            }
            case PR_GET_NAME -> {
                byte[] n = new byte[16];
                byte[] name = p.name.getBytes(StandardCharsets.UTF_8);
                System.arraycopy(name, 0, n, 0, Math.min(15, name.length));
                p.memory.write(arg, n, 0, 16);
            }
            default -> {
                return -Errno.EINVAL;
            }
        }
        return 0;
    }

    long prlimit(GuestProcess p, int resource, long newLimit, long oldLimit) {
        if (resource < 0 || resource > 15) {
            return -Errno.EINVAL;
        }
        if (oldLimit != 0) {
            long cur = switch (resource) {
                case RLIMIT_STACK -> InitialStack.STACK_SIZE;
                case RLIMIT_NOFILE -> FdTable.MAX_FDS;
                default -> RLIM_INFINITY;
            };
            long max = resource == RLIMIT_NOFILE ? FdTable.MAX_FDS : RLIM_INFINITY;
            p.memory.write64(oldLimit, cur);
            p.memory.write64(oldLimit + 8, max);
        }
        return 0; // new limits are accepted and not enforced
    }

    long getrusage(GuestProcess p, long buf) {
        p.memory.write(buf, new byte[144], 0, 144);
        return 0;
    }

    long sysinfo(GuestProcess p, long buf) {
        Runtime rt = Runtime.getRuntime();
        ByteBuffer b = FileCalls.little(112);
        b.putLong((System.nanoTime() - bootNanos) / NANOS).putLong(0).putLong(0).putLong(0)
                .putLong(rt.maxMemory()).putLong(rt.maxMemory() - rt.totalMemory() + rt.freeMemory())
                .putLong(0).putLong(0).putLong(0).putLong(0).putShort((short) 1);
        b.putInt(104, 1); // mem_unit
        p.memory.write(buf, b.array(), 0, 112);
        return 0;
    }

    long times(GuestProcess p, long buf) {
        long ticks = (System.nanoTime() - bootNanos) / (NANOS / 100);
        if (buf != 0) {
            p.memory.write(buf, new byte[32], 0, 32);
        }
        return ticks;
    }

    long getres(GuestProcess p, long a, long b, long c, int id) {
        p.memory.write32(a, id);
        p.memory.write32(b, id);
        p.memory.write32(c, id);
        return 0;
    }

    long sigaltstack(GuestProcess p, long ss, long oldSs) {
        if (oldSs != 0) {
            ByteBuffer b = FileCalls.little(24);
            b.putLong(0).putInt(2 /* SS_DISABLE */).putInt(0).putLong(0);
            p.memory.write(oldSs, b.array(), 0, 24);
        }
        return 0; // handlers run on the normal stack
    }

    long futex(GuestProcess p, long addr, int op, int value) {
        return switch (op & 0x7f) {
            // One thread per process: a wait could only wait forever; say "value changed" when it did.
            case FUTEX_WAIT -> p.memory.read32(addr) != value ? -Errno.EAGAIN : 0;
            case FUTEX_WAKE -> 0;
            default -> -Errno.ENOSYS;
        };
    }

    long schedGetaffinity(GuestProcess p, long length, long mask) {
        if (length < 8) {
            return -Errno.EINVAL;
        }
        // As many CPUs as the host offers: guest processes run on their own threads.
        int cpus = Math.min(64, Runtime.getRuntime().availableProcessors());
        p.memory.write64(mask, cpus == 64 ? -1L : (1L << cpus) - 1);
        return 8;
    }

    long getrandom(GuestProcess p, long buf, long length) {
        byte[] b = new byte[(int) Math.min(Math.max(length, 0), 1 << 20)];
        kernel.random.nextBytes(b);
        p.memory.write(buf, b, 0, b.length);
        return b.length;
    }

    /** alarm(2): SIGALRM after {@code seconds}; returns the seconds left of the alarm it replaces. */
    long alarm(GuestProcess p, long seconds) {
        long left = cancelAlarm(p);
        if (seconds > 0) {
            arm(p, seconds * NANOS, 0);
        }
        return (left + NANOS - 1) / NANOS;
    }

    /** setitimer(ITIMER_REAL) with {@code struct itimerval} {interval, value} as timevals; other timers ENOSYS. */
    long setitimer(GuestProcess p, int which, long newValue, long oldValue) {
        if (which != 0) {
            return -Errno.ENOSYS;
        }
        long interval = 0, value = 0;
        if (newValue != 0) {
            interval = p.memory.read64(newValue) * NANOS + p.memory.read64(newValue + 8) * 1000;
            value = p.memory.read64(newValue + 16) * NANOS + p.memory.read64(newValue + 24) * 1000;
        }
        long oldInterval = p.alarmIntervalNanos;
        long left = newValue != 0 ? cancelAlarm(p) : Math.max(0, p.alarm == null ? 0 : p.alarmDue - System.nanoTime());
        if (oldValue != 0) {
            p.memory.write64(oldValue, oldInterval / NANOS);
            p.memory.write64(oldValue + 8, oldInterval % NANOS / 1000);
            p.memory.write64(oldValue + 16, left / NANOS);
            p.memory.write64(oldValue + 24, left % NANOS / 1000);
        }
        if (value > 0) {
            arm(p, value, interval);
        }
        return 0;
    }

    private void arm(GuestProcess p, long delayNanos, long intervalNanos) {
        p.alarmDue = System.nanoTime() + delayNanos;
        p.alarmIntervalNanos = intervalNanos;
        Runnable fire = () -> p.signal(Signals.SIGALRM);
        p.alarm = intervalNanos > 0
                ? kernel.timers().scheduleAtFixedRate(fire, delayNanos, intervalNanos, java.util.concurrent.TimeUnit.NANOSECONDS)
                : kernel.timers().schedule(fire, delayNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private static long cancelAlarm(GuestProcess p) {
        if (p.alarm == null || p.alarm.isDone()) {
            p.alarm = null;
            return 0;
        }
        p.alarm.cancel(false);
        p.alarm = null;
        p.alarmIntervalNanos = 0;
        return Math.max(0, p.alarmDue - System.nanoTime());
    }

    // ---- time ----

    long clockGettime(GuestProcess p, int clock, long ts) {
        long t = now(clock);
        if (t < 0) {
            return -Errno.EINVAL;
        }
        p.memory.write64(ts, t / NANOS);
        p.memory.write64(ts + 8, t % NANOS);
        return 0;
    }

    long clockGetres(GuestProcess p, long ts) {
        if (ts != 0) {
            p.memory.write64(ts, 0);
            p.memory.write64(ts + 8, 1);
        }
        return 0;
    }

    long gettimeofday(GuestProcess p, long tv) {
        if (tv != 0) {
            long t = now(0);
            p.memory.write64(tv, t / NANOS);
            p.memory.write64(tv + 8, t % NANOS / 1000);
        }
        return 0;
    }

    long time(GuestProcess p, long out) {
        long seconds = System.currentTimeMillis() / 1000;
        if (out != 0) {
            p.memory.write64(out, seconds);
        }
        return seconds;
    }

    private long now(int clock) {
        return switch (clock) {
            case 0, 5, 8, 11 -> { // REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI
                java.time.Instant i = java.time.Instant.now();
                yield i.getEpochSecond() * NANOS + i.getNano();
            }
            case 1, 4, 6, 7, 9 -> System.nanoTime() - bootNanos + NANOS; // MONOTONIC family, BOOTTIME
            case 2, 3 -> System.nanoTime() - bootNanos; // process and thread CPU time, approximately
            default -> -1;
        };
    }

    long nanosleep(GuestProcess p, long req, long rem) {
        return sleep(p, p.memory.read64(req), p.memory.read64(req + 8), rem);
    }

    long clockNanosleep(GuestProcess p, int clock, int flags, long req, long rem) {
        long sec = p.memory.read64(req), nsec = p.memory.read64(req + 8);
        if ((flags & 1) != 0) { // TIMER_ABSTIME
            long target = sec * NANOS + nsec - now(clock);
            sec = Math.max(0, target) / NANOS;
            nsec = Math.max(0, target) % NANOS;
            rem = 0;
        }
        return sleep(p, sec, nsec, rem);
    }

    private long sleep(GuestProcess p, long sec, long nsec, long rem) {
        if (sec < 0 || nsec < 0 || nsec >= NANOS) {
            return -Errno.EINVAL;
        }
        long deadline = System.nanoTime() + Math.min(sec, Long.MAX_VALUE / NANOS / 2) * NANOS + nsec;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return 0;
            }
            if (p.hasDeliverableSignal()) {
                if (rem != 0) {
                    p.memory.write64(rem, left / NANOS);
                    p.memory.write64(rem + 8, left % NANOS);
                }
                return -Errno.EINTR;
            }
            try {
                Thread.sleep(Math.min(left / 1_000_000 + 1, 20));
            } catch (InterruptedException e) {
                return -Errno.EINTR;
            }
        }
    }
}
