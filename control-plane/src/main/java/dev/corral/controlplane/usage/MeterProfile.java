package dev.corral.controlplane.usage;

import java.util.concurrent.atomic.AtomicLongArray;

import org.jboss.logging.Logger;

/**
 * Where the meter's time goes, per step, summed since the last report: what bench/usage prints to show it. Steps
 * may run on two threads (the poll thread parses the next batch while the writer commits the previous one), so the
 * sums can add up to more than the wall time. Reported at DEBUG, category {@code dev.corral.controlplane.usage.profile}
 * (lower case, so that an environment variable can set its level).
 */
final class MeterProfile {

    enum Step {
        /** {@code KafkaConsumer.poll}, waiting for records included. */
        POLL,
        /** JSON to {@link UsageEvent}. */
        PARSE,
        /** Reading and locking the workloads' states and pending events (and positions). */
        READ,
        /** The pure fold. */
        FOLD,
        /** Writing events, states, intervals and positions. */
        WRITE,
        /** The transaction's commit. */
        COMMIT
    }

    private static final Logger LOG = Logger.getLogger("dev.corral.controlplane.usage.profile");
    private static final long REPORT_EVERY_NANOS = 1_000_000_000L;

    private final AtomicLongArray nanos = new AtomicLongArray(Step.values().length);
    private final AtomicLongArray counts = new AtomicLongArray(2);
    private volatile long since = System.nanoTime();

    /** Adds the time since {@code start} (a {@link System#nanoTime()}) to {@code step}; returns now. */
    long add(Step step, long start) {
        long now = System.nanoTime();
        nanos.addAndGet(step.ordinal(), now - start);
        return now;
    }

    void batch(int records) {
        counts.addAndGet(0, records);
        counts.incrementAndGet(1);
    }

    /** Logs and resets the sums when due and when anything was metered. */
    void reportWhenDue() {
        long now = System.nanoTime();
        if (now - since < REPORT_EVERY_NANOS || !LOG.isDebugEnabled()) {
            return;
        }
        since = now;
        long records = counts.getAndSet(0, 0);
        long batches = counts.getAndSet(1, 0);
        var line = new StringBuilder();
        for (var step : Step.values()) {
            line.append(' ').append(step.name().toLowerCase()).append('=').append(nanos.getAndSet(step.ordinal(), 0) / 1_000_000).append("ms");
        }
        if (records > 0) {
            LOG.debugf("usage meter profile: %d records in %d batches;%s", records, batches, line);
        }
    }
}
