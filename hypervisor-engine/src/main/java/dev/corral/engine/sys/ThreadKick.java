package dev.corral.engine.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Interrupts one thread's blocking system call: a vCPU thread inside {@code KVM_RUN} returns at once with EINTR
 * when a signal with a handler arrives. The signal is a real-time one that nobody in this process handles yet
 * (the JDK keeps SIGRTMAX-2 for its own I/O interruption; HotSpot uses SIGUSR2 and the classic ones); its handler
 * does nothing, so the signal only ever has that one effect.
 *
 * <p>The handler is two instructions of machine code ({@code endbr64; ret}) in a page of its own, not a Java
 * upcall: the signal may arrive while the thread runs Java code, where entering the JVM again from a signal
 * handler is not allowed. {@link Libc#SA_RESTART} makes every other interrupted call of the thread (a console
 * write, a futex wait) restart as if nothing happened; KVM_RUN answers a pending signal with EINTR regardless.
 *
 * <p>Signal dispositions belong to the process, so this is installed once per process, on first use, and never
 * changed afterwards: it holds no state that two VMs could share.
 */
public final class ThreadKick {

    private ThreadKick() {
    }

    /** The signal this process kicks threads with. */
    public static int signal() {
        return Installed.SIGNAL;
    }

    /** The calling thread's handle for {@link #kick}; installs the handler on first use. */
    public static long currentThread() {
        int unused = Installed.SIGNAL;
        return Libc.pthreadSelf();
    }

    /**
     * Sends the kick signal to {@code thread}. The caller must guarantee the thread has not ended (a pthread_t of
     * an ended thread may dangle): vCPU loops register themselves and kickers hold the registration's lock.
     */
    public static void kick(long thread) {
        Libc.pthreadKill(thread, Installed.SIGNAL);
    }

    private static final class Installed {
        static final int SIGNAL = install();

        private static int install() {
            // SAFETY: the stub is written while the page is writable, then made read+execute for good; it is never unmapped.
            MemorySegment stub = Libc.mmapAnonymous(4096, false);
            stub.copyFrom(MemorySegment.ofArray(new byte[] {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa, (byte) 0xc3})); // endbr64; ret
            Libc.mprotect(stub, Libc.PROT_READ | Libc.PROT_EXEC);
            try (var arena = Arena.ofConfined()) {
                var old = arena.allocate(SigAction.LAYOUT);
                // Above SIGRTMIN: libraries that take "the first real-time signal" (timers, profilers) go there first.
                // Below SIGRTMAX-3: the JDK's NIO uses SIGRTMAX-2.
                for (int signal = Libc.sigrtmin() + 2; signal <= Libc.sigrtmax() - 4; signal++) {
                    Libc.sigaction(signal, MemorySegment.NULL, old);
                    if (old.get(ValueLayout.JAVA_LONG, SigAction.HANDLER) != SigAction.SIG_DFL) {
                        continue;
                    }
                    var action = arena.allocate(SigAction.LAYOUT); // zeroed: empty mask, no restorer
                    action.set(ValueLayout.ADDRESS, SigAction.HANDLER, stub);
                    action.set(ValueLayout.JAVA_INT, SigAction.FLAGS, Libc.SA_RESTART);
                    Libc.sigaction(signal, action, MemorySegment.NULL);
                    return signal;
                }
            }
            throw new IllegalStateException("every real-time signal of this process already has a handler: none is left to "
                    + "interrupt vCPU threads with");
        }
    }
}
