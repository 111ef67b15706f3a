package dev.corral.engine.vm;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Kicks a vCPU when a deadline passes: for a KVM vCPU whose timer (the Java 8254) lives in this process, which a
 * guest busy in KVM_RUN would otherwise never let fire. One daemon thread per such vCPU, asleep between deadlines.
 * Only the userspace-irqchip fallback needs it; with KVM's in-kernel PIT the kernel keeps time itself.
 */
final class DeadlineTimer implements AutoCloseable {

    private static final long IDLE_NAP_NANOS = 100_000_000;

    private final Runnable kick;
    private final Thread thread;
    private final AtomicLong deadline = new AtomicLong(Long.MAX_VALUE);
    private volatile boolean closed;

    DeadlineTimer(String name, Runnable kick) {
        this.kick = kick;
        this.thread = Thread.ofPlatform().name(name).daemon(true).start(this::run);
    }

    /** From now on, kick at {@code nanos} (System.nanoTime); {@link Long#MAX_VALUE} for never. */
    void arm(long nanos) {
        long previous = deadline.getAndSet(nanos);
        if (nanos < previous) {
            LockSupport.unpark(thread);
        }
    }

    private void run() {
        while (!closed) {
            long d = deadline.get();
            long now = System.nanoTime();
            if (d == Long.MAX_VALUE) {
                LockSupport.parkNanos(IDLE_NAP_NANOS);
            } else if (now - d >= 0) {
                if (deadline.compareAndSet(d, Long.MAX_VALUE)) { // not re-armed meanwhile
                    kick.run();
                }
            } else {
                LockSupport.parkNanos(d - now);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
