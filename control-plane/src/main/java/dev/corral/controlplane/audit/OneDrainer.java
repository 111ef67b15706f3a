package dev.corral.controlplane.audit;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Items handed over from any thread (the committer, the producer's I/O thread) and worked off by one virtual thread at
 * a time, started when there is none: the caller never waits, and the work is done in the order handed over.
 */
final class OneDrainer<T> {

    private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final String name;
    /** Takes one or more items off the queue, which is not empty, and works them off; never throws. */
    private final Consumer<Queue<T>> work;

    OneDrainer(String name, Consumer<Queue<T>> work) {
        this.name = name;
        this.work = work;
    }

    void add(T item) {
        queue.add(item);
        if (draining.compareAndSet(false, true)) {
            Thread.ofVirtual().name(name).start(this::drain);
        }
    }

    private void drain() {
        while (true) {
            while (!queue.isEmpty()) {
                work.accept(queue);
            }
            draining.set(false);
            // An item queued after the last look but before the flag dropped would wait for the next one: take it now.
            if (queue.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }
}
