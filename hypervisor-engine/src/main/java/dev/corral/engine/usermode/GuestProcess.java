package dev.corral.engine.usermode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import dev.corral.engine.cpu.Cpu;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.CpuStats;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.state.MemoryFault;

/**
 * One guest process: an address space, a software CPU, descriptors and signal state, run on its own
 * Java thread. The loop runs the CPU in slices, emulates each SYSCALL, and delivers signals between
 * slices and after syscalls. Exceptions kill only this process, with the signal Linux would send.
 */
final class GuestProcess implements Runnable {

    final Kernel kernel;
    final int pid;
    /** Guarded by {@code kernel} (the process tree lock). */
    GuestProcess parent;
    /** Guarded by {@code kernel}. */
    final List<GuestProcess> children = new ArrayList<>();
    /** Wait status once exited; guarded by {@code kernel}. */
    int waitStatus;
    private volatile boolean exited;

    UserAddressSpace memory;
    CpuState state;
    Cpu cpu;
    private long retiredBefore;
    private CpuStats statsBefore = CpuStats.NONE;
    FdTable fds;
    Path cwd;
    Path exe;
    int umask = 022;
    int pgid;
    int sid;
    long breakStart;
    long breakEnd;
    String name = "";

    // Signal state. handlers/flags/masks/restorers are touched only by this process's thread.
    final long[] handlers = new long[Signals.NSIG + 1];
    final long[] handlerFlags = new long[Signals.NSIG + 1];
    final long[] handlerMasks = new long[Signals.NSIG + 1];
    final long[] restorers = new long[Signals.NSIG + 1];
    long blocked;
    private volatile long pending;
    private volatile int terminatingSignal;
    private final Deque<SavedContext> signalFrames = new ArrayDeque<>();
    private volatile Thread thread;
    /** The pending SIGALRM of alarm/setitimer, and when it fires (System.nanoTime), or null. */
    java.util.concurrent.ScheduledFuture<?> alarm;
    long alarmDue;
    long alarmIntervalNanos;

    private record SavedContext(CpuState state, long blocked) {}

    GuestProcess(Kernel kernel, int pid) {
        this.kernel = kernel;
        this.pid = pid;
        this.pgid = pid;
        this.sid = pid;
    }

    /** Replaces this process's image with {@code file} (execve); on failure nothing changed. */
    void exec(Path file, List<String> argv, List<String> env, String execfn) throws IOException, ElfFormatException {
        byte[] bytes = Files.readAllBytes(file);
        Path real = file.toRealPath(); // what /proc/self/exe reads back as, as on Linux
        UserAddressSpace mem = new UserAddressSpace(kernel.pageBudget);
        ElfLoader.Image image = ElfLoader.load(bytes, mem);
        int[] leaf1 = new int[4];
        kernel.cpuid.query(1, 0, leaf1);
        byte[] random = new byte[16];
        kernel.random.nextBytes(random);
        CpuState st = new CpuState();
        st.gpr[CpuState.RSP] = InitialStack.build(mem, image, argv, env, execfn, leaf1[3] & 0xffffffffL, random,
                kernel.uid, kernel.gid);
        st.rip = image.entry();
        if (cpu != null) {
            retiredBefore += cpu.retired();
            statsBefore = statsBefore.plus(cpu.stats());
            memory.release();
        }
        memory = mem;
        state = st;
        cpu = kernel.newCpu(st, mem);
        breakStart = breakEnd = image.breakStart();
        exe = real;
        name = real.getFileName() == null ? "" : real.getFileName().toString();
        for (int sig = 1; sig <= Signals.NSIG; sig++) {
            if (handlers[sig] != Signals.SIG_IGN) {
                handlers[sig] = Signals.SIG_DFL;
            }
        }
        signalFrames.clear();
    }

    /** A child sharing nothing mutable: copy-on-write memory, copied CPU state (RAX 0), copied descriptors. */
    GuestProcess fork(long childStack) {
        GuestProcess c = new GuestProcess(kernel, kernel.newPid());
        c.memory = memory.fork();
        c.state = state.copy();
        c.state.gpr[CpuState.RAX] = 0;
        if (childStack != 0) {
            c.state.gpr[CpuState.RSP] = childStack;
        }
        c.cpu = kernel.newCpu(c.state, c.memory);
        c.fds = fds.copy();
        c.cwd = cwd;
        c.exe = exe;
        c.umask = umask;
        c.pgid = pgid;
        c.sid = sid;
        c.breakStart = breakStart;
        c.breakEnd = breakEnd;
        c.name = name;
        System.arraycopy(handlers, 0, c.handlers, 0, handlers.length);
        System.arraycopy(handlerFlags, 0, c.handlerFlags, 0, handlerFlags.length);
        System.arraycopy(handlerMasks, 0, c.handlerMasks, 0, handlerMasks.length);
        System.arraycopy(restorers, 0, c.restorers, 0, restorers.length);
        c.blocked = blocked;
        synchronized (kernel) {
            c.parent = this;
            children.add(c);
        }
        kernel.register(c);
        return c;
    }

    void start() {
        Thread t = Thread.ofPlatform().daemon().name("guest-" + pid).unstarted(this);
        thread = t;
        t.start();
    }

    boolean exited() {
        return exited;
    }

    CpuStats statsSoFar() {
        Cpu c = cpu;
        return c == null ? statsBefore : statsBefore.plus(c.stats());
    }

    long retiredSoFar() {
        Cpu c = cpu;
        return retiredBefore + (c == null ? 0 : c.retired());
    }

    @Override
    public void run() {
        try {
            while (!exited) {
                int kill = terminatingSignal;
                if (kill != 0) {
                    finish(kill);
                    break;
                }
                deliverSignals();
                if (exited) {
                    break;
                }
                CpuExit e = cpu.run(kernel.config.sliceInstructions());
                switch (e) {
                    case CpuExit.BudgetSpent b -> { }
                    case CpuExit.Syscall s -> {
                        long r = kernel.syscalls.dispatch(this);
                        if (r != Syscalls.NO_RESULT) {
                            state.gpr[CpuState.RAX] = r;
                        }
                    }
                    case CpuExit.Fault f -> fault(f.vector() == CpuExit.Fault.PF
                            && memory.protectionAt(f.address()) == UserAddressSpace.PROT_BUS_ERROR ? Signals.SIGBUS
                            : Signals.forFault(f), f.address(), "fault vector " + f.vector()
                            + " at rip 0x" + Long.toHexString(state.rip) + ": " + f.detail());
                    case CpuExit.Halt h -> crash(Signals.SIGSEGV, "HLT in user mode at rip 0x" + Long.toHexString(state.rip));
                    // Only a system CPU (Cpu.system) returns these; a user-mode CPU never does.
                    case CpuExit.PortIo _, CpuExit.Shutdown _ -> crash(Signals.SIGSEGV,
                            "system-level exit " + e + " in user mode at rip 0x" + Long.toHexString(state.rip));
                }
            }
        } catch (PageBudget.Exhausted e) {
            kernel.diagnose("corral-user: pid " + pid + " (" + name + ") killed: out of memory: " + e.getMessage());
            finish(Signals.SIGKILL);
        } catch (RuntimeException bug) {
            // A defect in the interpreter or the shim: end this guest process, never the JVM.
            kernel.diagnose("corral-user: pid " + pid + " (" + name + "): internal error at rip 0x"
                    + Long.toHexString(state.rip) + ": " + bug);
            finish(Signals.SIGSEGV);
        } finally {
            // Whatever ended this thread (an Error included), the parent's wait must see an exit.
            if (!exited) {
                finish(Signals.SIGKILL);
            }
        }
    }

    /**
     * A CPU exception: the guest's handler runs if it has one for the signal and does not block it (as
     * with Linux, returning from it retries the instruction); otherwise the process dies of it.
     */
    private void fault(int sig, long address, String why) {
        long handler = handlers[sig];
        // The depth limit stops a handler that faults itself (with SA_NODEFER) from recursing forever.
        if (handler != Signals.SIG_DFL && handler != Signals.SIG_IGN && (blocked & Signals.bit(sig)) == 0
                && signalFrames.size() < 64) {
            enterHandler(sig, handler, blocked);
            if (!exited) {
                memory.write64(state.gpr[CpuState.RSI] + 16, address); // siginfo.si_addr
            }
            return;
        }
        crash(sig, why);
    }

    private void crash(int sig, String why) {
        kernel.diagnose("corral-user: pid " + pid + " (" + name + ") killed by " + Signals.name(sig) + ": " + why);
        finish(sig);
    }

    /** exit(2): ends the process with {@code code}. */
    void exit(int code) {
        finish((code & 0xff) << 8);
    }

    /** Ends the process; {@code status} is the wait status (a signal number below 128, or code << 8). */
    private void finish(int status) {
        if (exited) {
            return;
        }
        fds.closeAll();
        if (alarm != null) {
            alarm.cancel(false);
        }
        if (memory != null) {
            memory.release();
        }
        GuestProcess p;
        synchronized (kernel) {
            exited = true;
            waitStatus = status;
            for (GuestProcess c : children) {
                c.parent = null;
                if (c.exited) {
                    kernel.unregister(c);
                }
            }
            children.clear();
            p = parent;
            if (p == null) {
                kernel.unregister(this);
            }
            kernel.addRetired(retiredSoFar(), statsSoFar());
            kernel.notifyAll();
        }
        if (p != null) {
            p.signal(Signals.SIGCHLD);
        }
    }

    /** Queues {@code sig} (kill(2)); a default-fatal unblocked signal ends the process, even mid-syscall. */
    void signal(int sig) {
        if (sig <= 0 || sig > Signals.NSIG || exited) {
            return;
        }
        long handler = handlers[sig];
        if (sig == Signals.SIGKILL || (handler == Signals.SIG_DFL && Signals.terminatesByDefault(sig)
                && (blocked & Signals.bit(sig)) == 0)) {
            terminatingSignal = sig;
            Thread t = thread;
            if (t != null && t != Thread.currentThread()) {
                t.interrupt();
            }
            return;
        }
        if (handler == Signals.SIG_IGN || handler == Signals.SIG_DFL && !Signals.terminatesByDefault(sig)) {
            return;
        }
        synchronized (kernel) {
            pending |= Signals.bit(sig);
            kernel.notifyAll();
        }
    }

    boolean hasDeliverableSignal() {
        return (pending & ~blocked) != 0 || terminatingSignal != 0;
    }

    /** Runs the handler of the first pending unblocked signal, or applies the default actions. */
    void deliverSignals() {
        deliverSignalsRestoring(blocked);
    }

    /**
     * As {@link #deliverSignals()}, but a handler's sigreturn restores {@code restoreMask} (sigsuspend's
     * caller mask), and so does finding nothing to deliver.
     */
    void deliverSignalsRestoring(long restoreMask) {
        long deliverable;
        while ((deliverable = pending & ~blocked) != 0 && !exited) {
            int sig = Long.numberOfTrailingZeros(deliverable) + 1;
            synchronized (kernel) {
                pending &= ~Signals.bit(sig);
            }
            long handler = handlers[sig];
            if (handler == Signals.SIG_IGN || handler == Signals.SIG_DFL && !Signals.terminatesByDefault(sig)) {
                continue;
            }
            if (handler == Signals.SIG_DFL) {
                finish(sig);
                return;
            }
            enterHandler(sig, handler, restoreMask);
            return; // one frame at a time; the rest after the handler's sigreturn or its next syscall
        }
        blocked = restoreMask;
    }

    /** Builds a Linux-shaped rt_sigframe on the guest stack and points the CPU at the handler. */
    private void enterHandler(int sig, long handler, long restoreMask) {
        long frameSize = 8 + 304 + 128;
        long sp = ((state.gpr[CpuState.RSP] - 128 - frameSize) & ~0xfL) - 8;
        byte[] frame = new byte[(int) frameSize];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(frame).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, restorers[sig]);
        int[] order = {8, 9, 10, 11, 12, 13, 14, 15, 7, 6, 5, 3, 2, 0, 1, 4}; // sigcontext register order
        for (int i = 0; i < order.length; i++) {
            b.putLong(48 + 8 * i, state.gpr[order[i]]);
        }
        b.putLong(48 + 8 * 16, state.rip);
        b.putLong(48 + 8 * 17, state.rflags);
        b.putLong(304, restoreMask);
        b.putInt(312, sig);
        try {
            memory.write(sp, frame, 0, frame.length);
        } catch (MemoryFault f) {
            crash(Signals.SIGSEGV, "no stack for the " + Signals.name(sig) + " handler at 0x" + Long.toHexString(sp));
            return;
        }
        signalFrames.push(new SavedContext(state.copy(), restoreMask));
        blocked = restoreMask;
        if ((handlerFlags[sig] & Signals.SA_NODEFER) == 0) {
            blocked |= Signals.bit(sig);
        }
        blocked |= handlerMasks[sig];
        if ((handlerFlags[sig] & Signals.SA_RESETHAND) != 0) {
            handlers[sig] = Signals.SIG_DFL;
        }
        state.gpr[CpuState.RSP] = sp;
        state.gpr[CpuState.RDI] = sig;
        state.gpr[CpuState.RSI] = sp + 312;
        state.gpr[CpuState.RDX] = sp + 8;
        state.gpr[CpuState.RAX] = 0;
        state.rip = handler;
    }

    /** rt_sigreturn: back to where the innermost handler interrupted; false if there is no frame. */
    boolean returnFromHandler() {
        SavedContext saved = signalFrames.poll();
        if (saved == null) {
            return false;
        }
        CpuState s = saved.state();
        System.arraycopy(s.gpr, 0, state.gpr, 0, s.gpr.length);
        System.arraycopy(s.xmm, 0, state.xmm, 0, s.xmm.length);
        state.rip = s.rip;
        state.rflags = s.rflags;
        state.fsBase = s.fsBase;
        state.gsBase = s.gsBase;
        state.mxcsr = s.mxcsr;
        blocked = saved.blocked() & ~(Signals.bit(Signals.SIGKILL) | Signals.bit(Signals.SIGSTOP));
        return true;
    }

    /** Kills this process from its own thread (SIGPIPE on a write with no reader, and the like). */
    void raise(int sig) {
        signal(sig);
        if (terminatingSignal != 0) {
            finish(terminatingSignal);
        }
    }

    /** Blocks until this process has exited; returns its wait status. */
    int awaitExit() throws InterruptedException {
        synchronized (kernel) {
            while (!exited) {
                kernel.wait();
            }
            return waitStatus;
        }
    }

    GuestProcess parentOrNull() {
        synchronized (kernel) {
            return parent;
        }
    }
}
