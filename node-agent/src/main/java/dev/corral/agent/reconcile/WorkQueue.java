package dev.corral.agent.reconcile;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keys of workloads that need a look, handed to workers one key at a time (the Kubernetes controllers' queue): a
 * key added while it waits is not queued twice, and a key added while a worker has it is queued again once that
 * worker is done, so no two workers ever hold the same key and no change is missed. A key that failed comes back
 * after a backoff that doubles with each failure, up to {@code maxDelay}.
 */
public final class WorkQueue implements AutoCloseable {

    private final Duration baseDelay;
    private final Duration maxDelay;
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private final Set<String> dirty = new HashSet<>();
    private final Set<String> processing = new HashSet<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("corral-workqueue-timer").factory());
    private boolean shutDown;

    public WorkQueue(Duration baseDelay, Duration maxDelay) {
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
    }

    public synchronized void add(String key) {
        if (shutDown || !dirty.add(key)) {
            return;
        }
        if (!processing.contains(key)) {
            queue.addLast(key);
            notifyAll();
        }
    }

    public void addAfter(String key, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            add(key);
            return;
        }
        synchronized (this) {
            if (shutDown) {
                return;
            }
        }
        timer.schedule(() -> add(key), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The key failed: it comes back after its backoff, which grows with every failure until {@link #forget}. */
    public Duration addRateLimited(String key) {
        Duration delay;
        synchronized (this) {
            int n = failures.merge(key, 1, Integer::sum);
            delay = backoff(n);
        }
        addAfter(key, delay);
        return delay;
    }

    /** base × 2^(failures-1), at most maxDelay. */
    Duration backoff(int failureCount) {
        long base = baseDelay.toMillis();
        int shift = Math.min(failureCount - 1, 30);
        long millis = base << shift;
        return millis <= 0 || millis > maxDelay.toMillis() ? maxDelay : Duration.ofMillis(millis);
    }

    /** The key succeeded: its next failure starts the backoff again. */
    public synchronized void forget(String key) {
        failures.remove(key);
    }

    /** The next key to work on, waiting for one; empty once the queue is shut down. */
    public synchronized Optional<String> take() throws InterruptedException {
        while (queue.isEmpty() && !shutDown) {
            wait();
        }
        if (shutDown) {
            return Optional.empty();
        }
        String key = queue.removeFirst();
        dirty.remove(key);
        processing.add(key);
        return Optional.of(key);
    }

    /** The worker is done with the key; if it was added meanwhile, it is queued again. */
    public synchronized void done(String key) {
        processing.remove(key);
        if (dirty.contains(key) && !shutDown) {
            queue.addLast(key);
            notifyAll();
        }
    }

    public synchronized int length() {
        return queue.size();
    }

    @Override
    public void close() {
        synchronized (this) {
            shutDown = true;
            notifyAll();
        }
        timer.shutdownNow();
    }
}
